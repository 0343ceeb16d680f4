#pragma once
// Whom the server runs as. Its instance directory (the one holding the configuration) belongs to
// the service's own user, and that user is whom it serves as:
//
// - started as root (to bind a port below 1024, say), once its listeners are bound it becomes the
//   directory's owner for good: no supplementary groups, then the owner's own group (never root's),
//   then that user, and it checks that it cannot become root again and holds no capability;
// - an instance owned by root is refused in production ("create it as the service's user"), and
//   served as root elsewhere, with a warning;
// - started as another user, it stays that user; in production that user must own the instance.
//
// Call before opening anything in the instance: files are then opened, and created, as the user.
// The commands that work beside a running service (cli/stopped_instance.h's OpenForReading:
// backup, audit search) do the same when started as root, so that what they add to the instance
// (a journal segment, its index) is the service's own.

#include <string>

#include "common/config.h"
#include "common/error.h"

namespace strongroom {

// What was done, for the log, or why the service must not start.
struct Identity {
  std::string note;      // "" when nothing was done
  bool warning = false;  // serving as root
};
Result<Identity> DropPrivileges(const Config& config);

}  // namespace strongroom
