#pragma once
// A real Strongroom instance for integration tests: `strongroom init` in a temporary directory,
// optional settings added to [server], then `strongroom serve` on port 0 (the OS picks a free
// port; the test reads it from the service's start-up line).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fakes/temp_dir.h"
#include "integration/process.h"

namespace strongroom::testing {

class Instance {
 public:
  // Runs init (asserting success) with `environment` and `init_args` (e.g. --store-conninfo).
  explicit Instance(const std::string& environment = "test",
                    const std::vector<std::string>& init_args = {});
  // An instance directory the test makes itself at data_dir() (a restore), with its settings.
  struct Made {};
  explicit Instance(Made) : server_defaults_{} {}
  ~Instance();

  // Gives the instance directory and everything in it to `uid`:`gid` (the caller must be root).
  void GiveTo(uid_t uid, gid_t gid);
  static constexpr uid_t kNobody = 65534;
  static constexpr gid_t kNogroup = 65534;

  // Adds `key = value` lines (TOML values, e.g. "1000" or "\"1.3\"") to the [server] table.
  void SetServer(const std::map<std::string, std::string>& settings);
  // Adds TOML lines at the top of `[section]`.
  void AddToSection(const std::string& section, const std::string& lines);
  // Attack detection in detect mode (reports, refuses nothing), for tests of the service's own
  // answers to hostile input; it also says this instance may report attacks. Otherwise an
  // instance whose log shows a detected attack fails the test when it is destroyed: normal work
  // must raise none.
  void DetectOnly();
  // Says this instance may report attacks (tests of detection itself), in block mode.
  void ExpectAttacks() { attacks_expected_ = true; }
  // How many attacks the instance has reported so far (for a test that does normal work, which
  // must raise none, before hostile work, which may).
  int AttacksReported() const;
  // Replaces the first `from` in the configuration file (which must hold it) with `to`.
  void ReplaceInConfig(const std::string& from, const std::string& to);
  // Tests run the prefilter in "verify" mode (a miss fails the test); this sets another mode.
  void SetPrefilter(const std::string& mode);
  // Starts serve and waits until it listens; returns false if it did not.
  bool Start();
  int Stop(int sig = 15);

  uint16_t port() const { return port_; }
  // The admin and metrics listeners' ports; 0 when they share port().
  uint16_t admin_port() const { return admin_port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  uint16_t redirect_port() const { return redirect_port_; }
  std::filesystem::path config() const { return dir_.path() / "instance" / "strongroom.toml"; }
  std::filesystem::path data_dir() const { return dir_.path() / "instance"; }
  ChildProcess& process() { return *process_; }
  std::string StartupError() const { return startup_error_; }
  // What `strongroom init` printed (it includes the officers' one-time enrolment tokens).
  const std::string& init_output() const { return init_output_; }
  // The enrolment token printed for `username`, or "".
  std::string EnrolmentToken(const std::string& username) const;

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  uint16_t metrics_port_ = 0;
  uint16_t redirect_port_ = 0;
  std::string startup_error_;
  std::string init_output_;
  bool attacks_expected_ = false;
  // Settings every test instance gets unless the test sets them itself: a per-source request
  // limit far above what a test sends from its one address (RequestRateTest sets a low one).
  std::map<std::string, std::string> server_defaults_ = {{"requests_per_second_per_source", "1000"},
                                                         {"request_burst_per_source", "100000"}};
};

}  // namespace strongroom::testing
