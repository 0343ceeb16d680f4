#include "integration/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

extern char** environ;

namespace strongroom::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

pid_t Spawn(const std::string& program, const std::vector<std::string>& args, int out_fd,
            int err_fd) {
  std::vector<char*> argv;
  std::string bin = program;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
    throw std::runtime_error("cannot start " + bin);
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  ::lseek(fd, 0, SEEK_SET);
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

int TempFile() {
  char name[] = "/tmp/strongroom-out-XXXXXX";
  const int fd = ::mkstemp(name);
  ::unlink(name);
  return fd;
}

}  // namespace

std::string BinaryPath() {
  const char* p = std::getenv("STRONGROOM_BINARY");
  if (p == nullptr) throw std::runtime_error("STRONGROOM_BINARY is not set");
  return p;
}

RunResult RunBinary(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  return RunProgram(BinaryPath(), args, timeout);
}

RunResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                     std::chrono::seconds timeout) {
  const int out = TempFile(), err = TempFile();
  const pid_t pid = Spawn(program, args, out, err);
  RunResult r;
  const auto deadline = SteadyClock::now() + timeout;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (SteadyClock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    ::usleep(2000);  // polling a child's exit, not waiting for a timeout under test
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  ::close(out);
  ::close(err);
  return r;
}

ChildProcess::ChildProcess(const std::vector<std::string>& args)
    : ChildProcess(BinaryPath(), args) {}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  char name[] = "/tmp/strongroom-err-XXXXXX";
  const int err = ::mkstemp(name);
  err_path_ = name;
  pid_ = Spawn(program, args, pipefd[1], err);
  ::close(pipefd[1]);
  ::close(err);
  out_fd_ = pipefd[0];
}

ChildProcess::~ChildProcess() {
  if (Running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  ::unlink(err_path_.c_str());
}

std::string ChildProcess::WaitForLine(const std::string& needle,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    size_t nl;
    while ((nl = buffered_.find('\n')) != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line.find(needle) != std::string::npos) return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return "";
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char buf[1024];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return "";
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

bool ChildProcess::Running() {
  if (pid_ < 0 || status_ != -1) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = DecodeStatus(status);
    return false;
  }
  return true;
}

int ChildProcess::Stop(int sig, std::chrono::milliseconds timeout) {
  if (!Running()) return status_;
  ::kill(pid_, sig);
  const auto deadline = SteadyClock::now() + timeout;
  while (Running()) {
    if (SteadyClock::now() > deadline) return -1;
    ::usleep(2000);
  }
  return status_;
}

}  // namespace strongroom::testing
