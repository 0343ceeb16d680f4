#pragma once
// Talks to a running Instance as its users would: JSON over TLS, enrolment with the one-time
// token, sign-in with password and a TOTP code computed by oathtool (an independent
// implementation), sessions with their CSRF token, and the server's test clock.

#include <boost/json.hpp>
#include <map>
#include <string>

#include "integration/instance.h"
#include "integration/tls_client.h"

namespace strongroom::testing {

inline constexpr const char* kTestPassword = "a long and private passphrase";

struct Session {
  std::string username;
  std::string cookie;  // "__Host-strongroom-session=..." (or admin-session, for privileged ones)
  std::string csrf;
  // The headers a browser would send with this session on a state-changing request.
  std::string Headers() const;
};

class ApiClient {
 public:
  // Talks to `port` (the instance's public one if 0).
  explicit ApiClient(Instance& instance, uint16_t port = 0) : instance_(instance), port_(port) {}
  // Talks to `instance` as the people `from` enrolled (their passwords and TOTP secrets: an
  // instance restored from a backup of the other), with the server's clock where it starts.
  ApiClient(Instance& instance, const ApiClient& from)
      : instance_(instance), port_(0), secrets_(from.secrets_) {}

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& extra_headers = "");
  // As the session's user (cookie and CSRF token).
  HttpResponse As(const Session& s, const std::string& method, const std::string& path,
                  const std::string& body = "", const std::string& extra_headers = "");
  HttpResponse As(const Session& s, const std::string& method, const std::string& path,
                  const boost::json::object& body, const std::string& extra_headers = "");

  // Enrols `username` with its one-time `token`; the TOTP secret is kept for SignIn.
  bool Enrol(const std::string& username, const std::string& token);
  // Password + TOTP. Codes are single use per account: sign each account in at most once per
  // 30-second step (AdvanceClock between).
  Session SignIn(const std::string& username);
  std::string Totp(const std::string& username);
  // Talks to another of the instance's listeners from now on (0: the public one).
  void set_port(uint16_t port) { port_ = port; }
  // Connects from this loopback address from now on ("" = any).
  void set_source(std::string address) { source_ = std::move(address); }
  // Opens each connection with these bytes, in the clear, from now on (a PROXY protocol header,
  // as a load balancer would send it).
  void set_before_handshake(std::string bytes) { before_handshake_ = std::move(bytes); }

  // Moves the server's clock, and this client's idea of it, forward.
  void AdvanceClock(int64_t seconds);
  int64_t clock_offset() const { return offset_s_; }

 private:
  Instance& instance_;
  uint16_t port_;
  std::string source_;
  std::string before_handshake_;
  std::map<std::string, std::string> secrets_;
  int64_t offset_s_ = 0;
};

// The value of one series (e.g. "strongroom_audit_backlog", or with its labels) scraped from
// GET /metrics at `port`; -1e9 if the scrape failed or the series is absent.
double ScrapeMetric(uint16_t port, const std::string& series);

// The response body, parsed (an empty object if it is not JSON).
boost::json::object JsonOf(const HttpResponse& r);

}  // namespace strongroom::testing
