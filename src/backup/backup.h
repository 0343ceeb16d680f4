#pragma once
// Backups of an instance while it serves, and restores into a new instance (docs/operations.md,
// "Backup and restore"). The archive format is archive.h.
//
// TakeBackup runs beside the service (or with it stopped), as the instance's owner (the command
// started as root becomes it: cli/stopped_instance.h), and takes:
// - the store as one read transaction sees it (SQLite's online backup API: readers and writers
//   go on; the copy is a snapshot of one moment), copied to a private file beside the store and
//   removed once it is in the archive;
// - then records `backup.create` in the instance's own audit log and signs a checkpoint; the
//   journal goes in up to that checkpoint, so the archive holds its own event and ends on a
//   signed anchor; nothing is written if the event cannot be;
// - the configuration and the files it names inside the instance directory (audit key, TLS),
//   except the master key and the backup key (kept and backed up apart) and what is derived (the
//   journal's search index, the prefilter cache), which the restored instance rebuilds.
// A backup that a restore could not put back (a file outside the directory, a name it would
// refuse) is refused before anything is taken.
//
// Restore makes a new instance directory from an archive, all or nothing (built beside it and
// renamed into place), and refuses, changing nothing: a damaged or truncated archive, one of
// another environment than the instance asked for, one made by a newer version, one past its
// expiry, a backup or master key that is not the one it needs, an audit chain that does not
// verify, or one that does not end on the checkpoint its (authenticated) manifest names. Then,
// before the instance can serve: changes recorded after the store's snapshot are corrected in the
// log (they are not in the restored data), every session, half-finished sign-in and unused
// enrolment token is ended, and the purge runs, so nothing past retention at restore time is ever
// served. Retention Orders come back with the data, as they stood. A refused restore changes
// nothing, so it is audited nowhere: the command's output and exit code are its record.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "audit/verifier.h"
#include "backup/archive.h"
#include "common/clock.h"
#include "common/config.h"
#include "crypto/random.h"
#include "crypto/signing.h"
#include "records/purge.h"

namespace strongroom::backup {

using Progress = std::function<void(int64_t done, int64_t total)>;

struct BackupInput {
  const Config& config;
  audit::AuditLog& log;  // the instance's, opened beside it
  const crypto::SigningKey& audit_key;
  audit::Event event;  // who takes it: the operator's event, completed here
  std::filesystem::path to;
  const Clock& clock;
  crypto::Random& random;
  Progress progress;  // may be empty
};

struct BackupReport {
  Manifest manifest;
  crypto::Sha256Digest sha256{};  // of the archive file, as sha256sum prints it
  int64_t bytes = 0;
  // Files the configuration names outside the instance directory: not in the archive.
  std::vector<std::string> outside;
};

Result<BackupReport> TakeBackup(BackupInput in);

struct RestoreInput {
  std::filesystem::path archive;
  std::filesystem::path data_dir;  // must not exist, or be an empty directory
  Environment environment = Environment::kProduction;
  std::filesystem::path backup_key_file;
  std::filesystem::path master_key_file;
  std::string operator_name;  // named in the restore's audit event
  // The audit public key recorded at init (hex); "" = not checked. Without it, the chain verifies
  // under the key the archive itself holds.
  std::string audit_public_key;
  const Clock& clock;
  crypto::Random& random;
  Progress progress;  // may be empty
};

struct RestoreReport {
  Manifest manifest;
  int64_t not_in_backup = 0;  // changes recorded after the snapshot, corrected in the log
  int64_t sessions_ended = 0;
  int64_t enrolment_tokens_spent = 0;  // unused ones: an admin issues new ones
  records::PurgeReport purged;
  std::filesystem::path config;      // the restored instance's configuration file
  audit::VerifyReport verified;      // the restored journal, at the end
  std::vector<std::string> outside;  // files the configuration names outside the directory
};

Result<RestoreReport> Restore(const RestoreInput& in);

}  // namespace strongroom::backup
