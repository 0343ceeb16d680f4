#pragma once
// A SoftHSM2 token of the test's own (Debian's `softhsm2`), in a temporary directory: its
// configuration, a token initialised with a label and a user PIN, and a PIN file. The library and
// its tool find it through SOFTHSM2_CONF, which this sets for the process (and so for the
// programs it starts); each test runs in a process of its own.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fakes/temp_dir.h"
#include "integration/process.h"

namespace strongroom::testing {

class SoftHsm {
 public:
  static inline const std::filesystem::path kModule = "/usr/lib/softhsm/libsofthsm2.so";
  static constexpr const char* kLabel = "strongroom-test";
  static constexpr const char* kPin = "pin-2f8d41";

  // Call from SetUp (it asserts).
  void Start() {
    ASSERT_TRUE(std::filesystem::exists(kModule)) << "SoftHSM2 (scripts/install-deps)";
    std::filesystem::create_directories(dir_ / "tokens");
    std::ofstream(dir_ / "softhsm2.conf")
        << "directories.tokendir = " << (dir_ / "tokens").string()
        << "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";
    ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
    Util({"--init-token", "--free", "--label", kLabel, "--so-pin", "so-pin-77", "--pin", kPin});
    // The PIN as a service reads it: a file only its owner may read, with a newline.
    pin_file_ = dir_ / "hsm.pin";
    WriteFile(pin_file_, std::string(kPin) + "\n", 0600);
  }

  // softhsm2-util with `args`; asserts it succeeds.
  static void Util(const std::vector<std::string>& args) {
    const auto r = RunProgram("/usr/bin/softhsm2-util", args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // The token taken away (as if the HSM were unplugged or its token deleted).
  static void RemoveToken() { Util({"--delete-token", "--token", kLabel}); }

  const std::filesystem::path& pin_file() const { return pin_file_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::filesystem::path pin_file_;
};

}  // namespace strongroom::testing
