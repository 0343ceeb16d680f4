#include "integration/instance.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utility>

namespace strongroom::testing {

Instance::Instance(const std::string& environment, const std::vector<std::string>& init_args) {
  // One listener for everything unless a test gives the admin or metrics surface its own
  // (SetServer admin_listen, metrics_listen): the allow-lists still admit only loopback.
  std::vector<std::string> args = {"init",
                                   "--data-dir",
                                   data_dir().string(),
                                   "--environment",
                                   environment,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--admin-listen",
                                   "",
                                   "--metrics-listen",
                                   ""};
  // Tests start no collector unless they say so: production must accept that in writing.
  if (environment == "production") {
    for (const char* o :
         {"--audit-local-only", "--officer",
          "olivia.officer,Olivia Officer,olivia@example.org,2026-01-15", "--officer",
          "oscar.officer,Oscar Officer,oscar@example.org,2026-02-20"}) {
      args.push_back(o);
    }
  }
  args.insert(args.end(), init_args.begin(), init_args.end());
  auto r = RunBinary(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  init_output_ = r.out;
  // Every request is also inspected in full, and one the prefilter would have let through that
  // the rules match fails the test (below): the whole suite is the prefilter's corpus.
  // Its compiled patterns are shared by the instances of a run (the cache holds only what was
  // compiled from the very same patterns): compiling takes a second or two.
  if (r.exit_code == 0) {
    const auto shared = std::filesystem::temp_directory_path() / "strongroom-test-prefilter";
    std::error_code ec;
    if (std::filesystem::create_directory(shared, ec)) ::chmod(shared.c_str(), 01777);
    AddToSection(
        "defense",
        "prefilter = \"verify\"\nprefilter_cache = \"" +
            (shared / fmt::format("cache.{}", environment == "production" && ::geteuid() == 0
                                                  ? "nobody"
                                                  : std::to_string(::geteuid())))
                .string() +
            "\"\n");
  }
  // Production serves only as its instance's own user, never as root (common/privileges.h): tests
  // that run as root give a production instance to nobody, and serve starts as root and drops.
  if (environment == "production" && ::geteuid() == 0) GiveTo(kNobody, kNogroup);
}

Instance::~Instance() {
  if (!process_) return;
  const auto log = ReadFile(process_->stderr_path());
  for (auto at = log.find("the prefilter missed"); at != std::string::npos;
       at = log.find("the prefilter missed", at + 1)) {
    ADD_FAILURE() << log.substr(at, log.find('\n', at) - at);
  }
  if (attacks_expected_) return;
  for (auto at = log.find("attack detected"); at != std::string::npos;
       at = log.find("attack detected", at + 1)) {
    ADD_FAILURE() << "normal work raised a detection: " << log.substr(at, log.find('\n', at) - at);
  }
}

void Instance::ReplaceInConfig(const std::string& from, const std::string& to) {
  auto text = ReadFile(config());
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  WriteFile(config(), text, 0600);
}

void Instance::DetectOnly() {
  ReplaceInConfig("mode = \"block\"", "mode = \"detect\"");
  attacks_expected_ = true;
}

void Instance::SetPrefilter(const std::string& mode) {
  ReplaceInConfig("prefilter = \"verify\"", "prefilter = \"" + mode + "\"");
}

void Instance::GiveTo(uid_t uid, gid_t gid) {
  ::chmod(dir_.path().c_str(), 0711);  // nobody may pass through to the instance
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir())) {
    ASSERT_EQ(::lchown(entry.path().c_str(), uid, gid), 0) << entry.path();
  }
  ASSERT_EQ(::lchown(data_dir().c_str(), uid, gid), 0);
}

void Instance::SetServer(const std::map<std::string, std::string>& settings) {
  for (const auto& [k, v] : settings) server_defaults_.erase(k);
  auto text = ReadFile(config());
  const std::string anchor = "listen = \"127.0.0.1:0\"\n";
  std::string lines;
  for (const auto& [k, v] : settings) lines += k + " = " + v + "\n";
  const auto pos = text.find(anchor);
  ASSERT_NE(pos, std::string::npos);
  text.insert(pos + anchor.size(), lines);
  WriteFile(config(), text, 0600);
}

void Instance::AddToSection(const std::string& section, const std::string& lines) {
  auto text = ReadFile(config());
  const std::string anchor = "[" + section + "]\n";
  const auto pos = text.find(anchor);
  ASSERT_NE(pos, std::string::npos) << section;
  text.insert(pos + anchor.size(), lines);
  WriteFile(config(), text, 0600);
}

int Instance::AttacksReported() const {
  if (!process_) return 0;
  const auto log = ReadFile(process_->stderr_path());
  int n = 0;
  for (auto at = log.find("attack detected"); at != std::string::npos;
       at = log.find("attack detected", at + 1)) {
    ++n;
  }
  return n;
}

std::string Instance::EnrolmentToken(const std::string& username) const {
  const auto pos = init_output_.find(username + " ");
  if (pos == std::string::npos) return "";
  const std::string marker = "enrolment token ";
  const auto t = init_output_.find(marker, pos);
  return t == std::string::npos ? "" : init_output_.substr(t + marker.size(), 64);
}

bool Instance::Start() {
  if (!server_defaults_.empty()) {  // written once, before the first start
    const auto defaults = std::exchange(server_defaults_, {});
    SetServer(defaults);
  }
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"serve", "--config", config().string()});
  const auto line = process_->WaitForLine("serving https://", std::chrono::seconds(30));
  // "strongroom: serving https://127.0.0.1:PORT (ENV environment)[; redirecting http port N ...]"
  const auto url = line.find("https://");
  const auto colon = url == std::string::npos ? url : line.find(':', url + 8);
  if (colon == std::string::npos) {
    process_->Stop(9, std::chrono::seconds(5));
    startup_error_ = ReadFile(process_->stderr_path());
    return false;
  }
  port_ = static_cast<uint16_t>(std::stoi(line.substr(colon + 1)));
  // "; admin https://127.0.0.1:PORT", "; metrics https://127.0.0.1:PORT" when they have their own.
  const auto port_of = [&line](const std::string& name) -> uint16_t {
    const auto at = line.find("; " + name + " https://");
    if (at == std::string::npos) return 0;
    const auto c = line.find(':', at + name.size() + 10);
    return c == std::string::npos ? 0 : static_cast<uint16_t>(std::stoi(line.substr(c + 1)));
  };
  admin_port_ = port_of("admin");
  metrics_port_ = port_of("metrics");
  const std::string redirect = "redirecting http port ";
  if (const auto r = line.find(redirect); r != std::string::npos) {
    redirect_port_ = static_cast<uint16_t>(std::stoi(line.substr(r + redirect.size())));
  }
  return true;
}

int Instance::Stop(int sig) { return process_->Stop(sig, std::chrono::seconds(30)); }

}  // namespace strongroom::testing
