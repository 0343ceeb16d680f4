#include "common/privileges.h"

#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace strongroom {
namespace {

std::unexpected<Error> Refused(std::string message) {
  return Fail(ErrorCode::kFailedPrecondition, std::move(message));
}

// The user's own group: from the password database, else the directory's group.
gid_t GroupOf(uid_t uid, gid_t directory_group) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    return found->pw_gid;
  }
  return directory_group;
}

// Whether any capability is left, effective or permitted.
bool HoldsCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return true;
  for (const auto& d : data) {
    if (d.effective != 0 || d.permitted != 0) return true;
  }
  return false;
}

}  // namespace

Result<Identity> DropPrivileges(const Config& config) {
  const auto dir = config.path.parent_path();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Refused(fmt::format("cannot read the owner of the instance directory {}", dir.string()));
  }
  const bool production = config.environment == Environment::kProduction;
  const uid_t me = ::geteuid();
  if (me != 0) {
    if (production && st.st_uid != me) {
      return Refused(fmt::format(
          "the instance directory {} belongs to uid {}, not to uid {} that serves it: in "
          "production the service runs as its instance's owner",
          dir.string(), st.st_uid, me));
    }
    return Identity{};
  }
  if (st.st_uid == 0) {
    if (production) {
      return Refused(fmt::format(
          "in production the service does not run as root: give the instance directory {} to the "
          "service's own user (chown -R strongroom: {}) and start it as root or as that user",
          dir.string(), dir.string()));
    }
    return Identity{
        "serving as root: the instance directory belongs to root (production refuses "
        "this; give it to the service's own user)",
        true};
  }
  const gid_t gid = GroupOf(st.st_uid, st.st_gid);
  if (gid == 0) {
    return Refused(
        fmt::format("the instance directory's owner (uid {}) has root's group: give "
                    "the service a group of its own",
                    st.st_uid));
  }
  // Groups first: once the user is not root, nothing else can be changed.
  if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
      ::setresuid(st.st_uid, st.st_uid, st.st_uid) != 0) {
    return Refused("cannot give up root for the instance directory's owner");
  }
  if (::setresuid(0, 0, 0) == 0 || ::geteuid() == 0 || ::setresgid(0, 0, 0) == 0 ||
      HoldsCapabilities()) {
    return Refused("gave up root, and could take it back: refusing to serve");
  }
  // A change of user resets this; the keys in memory must stay out of core dumps and ptrace.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return Identity{fmt::format("started as root; serving as uid {} gid {}, the instance "
                              "directory's owner",
                              st.st_uid, gid),
                  false};
}

}  // namespace strongroom
