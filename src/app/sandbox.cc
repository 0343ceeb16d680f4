#include "app/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace strongroom::app {
namespace {

// What the running server calls: found with strace over the whole integration suite, less what
// only start-up and the other commands need.
constexpr int kAllowed[] = {
    // memory
    SCMP_SYS(brk),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(mlock),
    SCMP_SYS(munlock),
    // threads, time and signals
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(tgkill),
    SCMP_SYS(getrandom),
    SCMP_SYS(sysinfo),
    SCMP_SYS(uname),
    SCMP_SYS(geteuid),
    // the store's files (SQLite opens and removes its journals as it goes)
    SCMP_SYS(openat),
    SCMP_SYS(close),
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(fcntl),
    SCMP_SYS(flock),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(unlink),
    SCMP_SYS(access),
    SCMP_SYS(readlink),
    SCMP_SYS(getcwd),
    SCMP_SYS(ioctl),
    // sockets: the listeners' connections and the collector's
    SCMP_SYS(connect),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),
    SCMP_SYS(shutdown),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(eventfd2),
    SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    SCMP_SYS(pipe2),
};

#if defined(__SANITIZE_ADDRESS__)
// The sanitizers' runtime (test builds only): its reports, and the leak check at exit, which stops
// the process's threads by tracing them from a helper thread.
constexpr int kSanitizerAllowed[] = {
    SCMP_SYS(ptrace),         SCMP_SYS(wait4),      SCMP_SYS(prctl),     SCMP_SYS(getppid),
    SCMP_SYS(sched_getparam), SCMP_SYS(getdents64), SCMP_SYS(prlimit64), SCMP_SYS(mincore),
    SCMP_SYS(pipe),           SCMP_SYS(dup2)};
#endif

using Filter = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

std::unexpected<Error> Failed(const char* what, int rc) {
  return Fail(ErrorCode::kInternal,
              std::string("system-call filter: ") + what + " failed (" + std::to_string(-rc) + ")");
}

}  // namespace

Result<void> InstallSyscallFilter() {
  Filter filter(seccomp_init(SCMP_ACT_KILL_PROCESS), seccomp_release);
  if (!filter) return Fail(ErrorCode::kInternal, "system-call filter: seccomp_init failed");
  auto* ctx = filter.get();
  // Every thread, including those already running (the housekeeping, the shipper, the workers).
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) return Failed("tsync", rc);
  for (int call : kAllowed) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 0); rc != 0)
      return Failed("a rule", rc);
  }
#if defined(__SANITIZE_ADDRESS__)
  for (int call : kSanitizerAllowed) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 0); rc != 0)
      return Failed("a rule", rc);
  }
#else
  // Threads may name themselves; nothing else is set or read through prctl.
  if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                                SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
      rc != 0) {
    return Failed("prctl", rc);
  }
#endif
  // New threads, never new processes.
  if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
      rc != 0) {
    return Failed("clone", rc);
  }
  if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc != 0) {
    return Failed("clone3", rc);
  }
  // SQLite run by root gives the files it opens later (a journal, a new connection's WAL) to the
  // owner they already have: to this process's own user only.
  if (int rc =
          seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fchown), 2,
                           SCMP_A1(SCMP_CMP_EQ, ::geteuid()), SCMP_A2(SCMP_CMP_EQ, ::getegid()));
      rc != 0) {
    return Failed("fchown", rc);
  }
  for (int family : {AF_INET, AF_INET6, AF_UNIX}) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                  SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
        rc != 0) {
      return Failed("socket", rc);
    }
  }
  if (int rc = seccomp_load(ctx); rc != 0) return Failed("load", rc);
  return {};
}

}  // namespace strongroom::app
