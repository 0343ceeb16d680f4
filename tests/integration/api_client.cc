#include "integration/api_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace strongroom::testing {

std::string Session::Headers() const {
  return "Cookie: " + cookie + "\r\nX-CSRF-Token: " + csrf + "\r\n";
}

boost::json::object JsonOf(const HttpResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

double ScrapeMetric(uint16_t port, const std::string& series) {
  constexpr double kAbsent = -1e9;
  const auto r = HttpsGet(port, "/metrics");
  if (r.status != 200) return kAbsent;
  const auto at = r.body.find("\n" + series + " ");
  if (at == std::string::npos) return kAbsent;
  return std::stod(r.body.substr(at + series.size() + 2));
}

namespace {

// With STRONGROOM_FUZZ_SEEDS=DIR, what the tests send is kept as seeds for the fuzz targets
// (scripts/fuzz --seed merges the ones that add coverage into fuzz/corpus/): DIR/TARGET/HASH.
const char* SeedDir() {
  static const char* dir = std::getenv("STRONGROOM_FUZZ_SEEDS");
  return dir;
}

void KeepSeed(const char* target, std::string_view bytes) {
  const char* dir = SeedDir();
  if (dir == nullptr || bytes.empty()) return;
  const auto folder = std::filesystem::path(dir) / target;
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  const auto name = fmt::format("{:016x}", std::hash<std::string_view>{}(bytes));
  std::ofstream(folder / name, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Replaces what follows each `marker` in `text`, up to the first of `ends`, with `placeholder`.
void ReplaceAfter(std::string& text, std::string_view marker, std::string_view ends,
                  std::string_view placeholder) {
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at)) {
    at += marker.size();
    const auto end = std::min(text.find_first_of(ends, at), text.size());
    text.replace(at, end - at, placeholder);
    at += placeholder.size();
  }
}

// Credentials are never kept, even a test instance's: each becomes a placeholder of its shape.
std::string Scrubbed(std::string text) {
  const std::string hex(64, 'a');
  for (const char* cookie : {"__Host-strongroom-session=", "__Host-strongroom-admin-session=",
                             "__Host-strongroom-device="}) {
    ReplaceAfter(text, cookie, ";\r\n", hex);
  }
  ReplaceAfter(text, "Authorization: Bearer ", "\r\n", "srt_placeholder");
  ReplaceAfter(text, "X-CSRF-Token: ", "\r\n", hex);
  // JSON string fields whose names end so (bodies are compact: "name":"value").
  for (const auto& [suffix, placeholder] :
       std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"password\":\"", "a long and placeholder passphrase"},
           {"token\":\"", "placeholder"},
           {"secret\":\"", "placeholder"},
           {"code\":\"", "000000"}}) {
    ReplaceAfter(text, suffix, "\"", placeholder);
  }
  return text;
}

void KeepSeeds(const std::string& path, const std::string& raw_request, const std::string& raw_body,
               const std::string& headers) {
  // Longer inputs than the fuzz targets try are no use as seeds.
  if (SeedDir() == nullptr || raw_request.size() > 65536) return;
  const auto request = Scrubbed(raw_request);
  const auto body = Scrubbed(raw_body);
  KeepSeed("http_request", request);
  const auto q = path.find('?');
  if (q != std::string::npos) KeepSeed("query", std::string_view(path).substr(q + 1));
  if (headers.find("text/csv") != std::string::npos) {
    KeepSeed("csv", body);
  } else {
    KeepSeed("json", body);
  }
  if (path.starts_with("/scim/")) {
    // The SCIM target reads a filter line (decoded), then a body.
    std::string filter;
    const auto f = path.find("filter=");
    for (size_t i = f == std::string::npos ? path.size() : f + 7; i < path.size() && path[i] != '&';
         ++i) {
      if (path[i] == '%' && i + 2 < path.size() &&
          std::isxdigit(static_cast<unsigned char>(path[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
        filter += static_cast<char>(std::stoi(path.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        filter += path[i] == '+' ? ' ' : path[i];
      }
    }
    KeepSeed("scim", filter + "\n" + body);
  }
}

}  // namespace

HttpResponse ApiClient::Call(const std::string& method, const std::string& path,
                             const std::string& body, const std::string& extra_headers) {
  TlsOptions options;
  options.source_address = source_;
  options.before_handshake = before_handshake_;
  auto c = TlsClient::Connect(port_ != 0 ? port_ : instance_.port(), options);
  if (!c) return {};
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (extra_headers.find("Content-Type") == std::string::npos) {
      req += "Content-Type: application/json\r\n";
    }
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  // The server may answer (413) and stop reading before the body is all sent: read its answer
  // even if the send failed.
  KeepSeeds(path, req + "\r\n" + body, body, extra_headers);
  (void)c->Send(req + "\r\n" + body);
  return c->ReadResponse();
}

HttpResponse ApiClient::As(const Session& s, const std::string& method, const std::string& path,
                           const std::string& body, const std::string& extra_headers) {
  return Call(method, path, body, s.Headers() + extra_headers);
}

HttpResponse ApiClient::As(const Session& s, const std::string& method, const std::string& path,
                           const boost::json::object& body, const std::string& extra_headers) {
  return As(s, method, path, boost::json::serialize(body), extra_headers);
}

std::string ApiClient::Totp(const std::string& username) {
  auto r = RunProgram("/usr/bin/oathtool", {"--totp", "-b", secrets_[username], "--now",
                                            "@" + std::to_string(std::time(nullptr) + offset_s_)});
  if (r.exit_code != 0) return "";
  return r.out.substr(0, 6);
}

bool ApiClient::Enrol(const std::string& username, const std::string& token) {
  auto start = Call(
      "POST", "/api/v1/auth/enrol",
      boost::json::serialize(boost::json::object{{"token", token}, {"password", kTestPassword}}));
  if (start.status != 200) return false;
  const std::string uri(JsonOf(start).at("totp_uri").as_string());
  const auto s = uri.find("secret=") + 7;
  secrets_[username] = uri.substr(s, uri.find('&', s) - s);
  auto done =
      Call("POST", "/api/v1/auth/enrol/confirm",
           boost::json::serialize(boost::json::object{{"token", token}, {"code", Totp(username)}}));
  return done.status == 200;
}

Session ApiClient::SignIn(const std::string& username) {
  Session s;
  s.username = username;
  auto login = Call("POST", "/api/v1/auth/login",
                    boost::json::serialize(
                        boost::json::object{{"username", username}, {"password", kTestPassword}}));
  if (login.status != 200) return s;
  const std::string challenge(JsonOf(login).at("challenge").as_string());
  auto mfa = Call("POST", "/api/v1/auth/mfa",
                  boost::json::serialize(
                      boost::json::object{{"challenge", challenge}, {"code", Totp(username)}}));
  if (mfa.status != 200) return s;
  const auto set = mfa.headers["set-cookie"];
  s.cookie = set.substr(0, set.find(';'));
  s.csrf = std::string(JsonOf(mfa).at("csrf_token").as_string());
  return s;
}

void ApiClient::AdvanceClock(int64_t seconds) {
  auto r = Call("POST", "/__test/clock", "{\"advance_ms\":" + std::to_string(seconds * 1000) + "}");
  if (r.status == 204) offset_s_ += seconds;
}

}  // namespace strongroom::testing
