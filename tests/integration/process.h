#pragma once
// Running the real `strongroom` binary from tests. The binary's path comes from the environment
// variable STRONGROOM_BINARY, which CTest sets.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace strongroom::testing {

std::string BinaryPath();

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out;
  std::string err;
};

// Runs any program (absolute path) to completion, bounded by `timeout`.
RunResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::seconds timeout = std::chrono::seconds(60));

// Runs the binary with `args` to completion (bounded by `timeout`, then SIGKILL).
RunResult RunBinary(const std::vector<std::string>& args,
                    std::chrono::seconds timeout = std::chrono::seconds(60));

// A long-running child (`strongroom serve`) whose standard output is read line by line.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& args);
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();  // SIGKILL if still running

  // Reads standard output until a line contains `needle`; returns that line, or "" on EOF or
  // timeout.
  std::string WaitForLine(const std::string& needle, std::chrono::milliseconds timeout);
  // Sends `sig` and waits (bounded) for exit; returns the exit code, 128+signal if killed by a
  // signal, or -1 on timeout.
  int Stop(int sig, std::chrono::milliseconds timeout);
  bool Running();
  pid_t pid() const { return pid_; }
  const std::string& stderr_path() const { return err_path_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buffered_;
  std::string err_path_;
  int status_ = -1;
};

}  // namespace strongroom::testing
