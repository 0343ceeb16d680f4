#include "app/sandbox.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "common/bulk_lane.h"

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
    SCMP_SYS(getuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(clock_getres),
    SCMP_SYS(time),
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
    SCMP_SYS(fstatfs),
    SCMP_SYS(fcntl),
    SCMP_SYS(flock),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(unlink),
    // the audit journal: a new segment is renamed into place, retention removes old ones
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(unlinkat),
    SCMP_SYS(getdents64),
    SCMP_SYS(access),
    SCMP_SYS(readlink),
    SCMP_SYS(getcwd),
    // sockets: the listeners' connections and the collector's
    SCMP_SYS(connect),
    SCMP_SYS(bind),  // the resolver's route socket (below)
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
    SCMP_SYS(sendmmsg),  // the C library's resolver (the collector by name)
    SCMP_SYS(recvmmsg),
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

// Never, whatever the build: changing identity, mounting, kernel code, namespaces, keys.
constexpr int kNever[] = {
    SCMP_SYS(setuid),     SCMP_SYS(setgid),      SCMP_SYS(setreuid),     SCMP_SYS(setregid),
    SCMP_SYS(setresuid),  SCMP_SYS(setresgid),   SCMP_SYS(setgroups),    SCMP_SYS(setfsuid),
    SCMP_SYS(setfsgid),   SCMP_SYS(mount),       SCMP_SYS(umount2),      SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),     SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
    SCMP_SYS(kexec_load), SCMP_SYS(bpf),         SCMP_SYS(unshare),      SCMP_SYS(setns),
    SCMP_SYS(keyctl),     SCMP_SYS(add_key),     SCMP_SYS(request_key),  SCMP_SYS(personality),
    SCMP_SYS(reboot),     SCMP_SYS(swapon),      SCMP_SYS(swapoff),      SCMP_SYS(acct)};

#if defined(__SANITIZE_ADDRESS__)
// Test builds with the sanitizers: their runtime starts a symbolizer for a report (fork, exec) and
// stops the world with untraced clones for the leak check at exit, so everything is allowed but
// kNever. The allow-list itself is exercised by the builds without sanitizers.
constexpr uint32_t kDefaultAction = SCMP_ACT_ALLOW;
#else
constexpr uint32_t kDefaultAction = SCMP_ACT_KILL_PROCESS;
#endif

using Filter = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

std::unexpected<Error> Failed(const std::string& what, int rc) {
  return Fail(ErrorCode::kInternal,
              "system-call filter: " + what + " failed (" + std::to_string(-rc) + ")");
}

}  // namespace

// A rule, unless the filter's default does the same already (libseccomp refuses those).
template <typename... Args>
Result<void> Rule(scmp_filter_ctx ctx, uint32_t action, int call, Args... args) {
  if (action == kDefaultAction) return {};
  const int rc = seccomp_rule_add(ctx, action, call, sizeof...(args), args...);
  if (rc != 0) return Failed("the rule for system call " + std::to_string(call), rc);
  return {};
}

Result<void> InstallSyscallFilter() {
  Filter filter(seccomp_init(kDefaultAction), seccomp_release);
  if (!filter) return Fail(ErrorCode::kInternal, "system-call filter: seccomp_init failed");
  auto* ctx = filter.get();
  // Every thread, including those already running (the housekeeping, the shipper, the workers).
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) return Failed("tsync", rc);
  // A call made through another architecture's entry (int 0x80) kills the process, not a thread.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0) {
    return Failed("the action for other architectures", rc);
  }
  for (int call : kAllowed) RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, call));
  for (int call : kNever) RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_KILL_PROCESS, call));
  // Threads may name themselves; nothing else is set or read through prctl.
  RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)));
  // The anonymous workers lower their own CPU priority to the lowest (http/worker_pool.h), the
  // bulk lane its own to BulkLane::kNice (common/bulk_lane.h): a thread's own (`who` 0), to one
  // of those, and nothing else.
  for (int nice : {19, BulkLane::kNice}) {
    RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setpriority),
                         SCMP_A0(SCMP_CMP_EQ, PRIO_PROCESS), SCMP_A1(SCMP_CMP_EQ, 0),
                         SCMP_A2(SCMP_CMP_EQ, static_cast<scmp_datum_t>(nice))));
  }
  // New threads, never new processes. clone3's flags are out of a filter's sight: it answers
  // ENOSYS, and the C library falls back to clone.
  RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone),
                       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)));
  RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3)));
  // SQLite gives a journal or WAL it opens the owner and mode of the database when it can (as
  // root, or when a new file's mode differs); it ignores a refusal. Nothing else changes owners
  // or modes: the calls fail instead of killing the process.
  RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fchown)));
  RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fchmod)));
  for (int family : {AF_INET, AF_INET6, AF_UNIX}) {
    RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket),
                         SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family))));
  }
  // The C library sorts a collector name's addresses by reading the routing table over a netlink
  // socket it binds (getaddrinfo with more than one address): route sockets only.
  RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                       SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE)));
  // Sockets made non-blocking (Asio), and the terminal queries of a logger on standard error.
  for (unsigned long request : {FIONBIO, FIONREAD, FIOCLEX, TCGETS, TIOCGWINSZ}) {
    RETURN_IF_ERROR(Rule(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl),
                         SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(request))));
  }
  if (int rc = seccomp_load(ctx); rc != 0) return Failed("load", rc);
  return {};
}

}  // namespace strongroom::app
