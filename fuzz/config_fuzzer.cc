// The TOML configuration (common/config.h): whatever parses holds only values inside the bounds
// the service is built for, and parsing the same text twice gives the same answer.

#include "common/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strongroom;
  const auto text = fuzz::Text(data, size);
  const std::filesystem::path path = "/nonexistent/strongroom.toml";
  auto config = ParseConfig(text, path);
  auto again = ParseConfig(text, path);
  FUZZ_CHECK(config.has_value() == again.has_value(), "the same text parsed two ways");
  if (!config) {
    FUZZ_CHECK(again.error().message == config.error().message, "two different refusals");
    FUZZ_CHECK(config.error().code == ErrorCode::kInvalidArgument ||
                   config.error().code == ErrorCode::kFailedPrecondition,
               "a bad configuration refused with an odd code");
    return 0;
  }
  const auto& c = *config;
  FUZZ_CHECK(
      c.server.limits.max_body_bytes >= 1024 && c.server.limits.max_body_bytes <= 64 * 1024 * 1024,
      "max_body_bytes out of bounds");
  FUZZ_CHECK(c.server.max_json_depth >= 2 && c.server.max_json_depth <= 512,
             "max_json_depth out of bounds");
  FUZZ_CHECK(c.server.limits.max_header_bytes > 0 && c.server.limits.max_connections > 0,
             "a limit that is not positive");
  FUZZ_CHECK(c.tls.min_version == "1.2" || c.tls.min_version == "1.3", "an unknown TLS version");
  FUZZ_CHECK(c.store.backend == "sqlite", "an unknown store");
  FUZZ_CHECK(c.audit.retention_days >= 183 && c.audit.retention_days <= 730,
             "audit retention out of bounds");
  FUZZ_CHECK(c.audit.segment_kib >= 64 && c.audit.segment_kib <= 1024 * 1024,
             "segment_kib out of bounds");
  FUZZ_CHECK(c.audit.checkpoint_every > 0, "checkpoints never written");
  for (unsigned char ch : c.audit.node)
    FUZZ_CHECK(ch >= 0x20 && ch != 0x7f, "a node name with a control");
  FUZZ_CHECK(c.accounts.certificate_lapse == "suspend" || c.accounts.certificate_lapse == "warn",
             "an unknown certificate lapse");
  return 0;
}
