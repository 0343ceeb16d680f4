#pragma once
// A production configuration that passes every check of the compliance report (its own
// listeners, a remote audit collector): the base the fingerprint and report tests change one
// thing in. [audit] comes last, so that a test may cut the file from its collector onwards.

namespace strongroom::compliance {

inline constexpr const char* kProductionToml = R"(
environment = "production"
[server]
listen = "0.0.0.0:443"
admin_listen = "10.0.0.5:8444"
metrics_listen = "127.0.0.1:9464"
[tls]
certificate = "tls/cert.pem"
private_key = "tls/key.pem"
[store]
path = "strongroom.db"
[keys]
master_key_file = "keys/master.key"
[log]
level = "info"
[audit]
signing_key_file = "keys/audit.key"
collector = "logs.example:2514"
collector_ca = "ca.pem"
client_certificate = "c.pem"
client_key = "k.pem"
)";

}  // namespace strongroom::compliance
