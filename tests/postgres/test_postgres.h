#pragma once
// A PostgreSQL 15 cluster for tests (Debian's postgresql-15), made in a temporary directory with
// initdb and pg_ctl and reached over its Unix socket only: `make test` needs nothing running.
//
// Under CTest, one cluster serves the whole run: the `postgres` fixture starts it
// (test_postgres_ctl start DIR) in a directory of the build's own and stops it after. A test
// binary run on its own (no cluster in that directory, and STRONGROOM_TEST_PG not naming another)
// starts a cluster of its own the first time one is asked for, and stops and removes it when the
// process exits. As root (CI), the cluster runs as `nobody`: PostgreSQL refuses to run as root.

#include <string>

namespace strongroom::testing {

// Makes a cluster in `dir` (emptied first; a server left running there is stopped) and starts
// it. Returns "" or what went wrong.
std::string StartPostgres(const std::string& dir);
// Stops the cluster in `dir` (immediately: tests keep nothing) and removes the directory.
void StopPostgres(const std::string& dir);

// A new, empty database on the tests' cluster (made with `options` after CREATE DATABASE name),
// and the libpq conninfo that reaches it; throws if none can be made.
std::string NewPostgresDatabase(const std::string& options = "");

// A cluster of one test's own, which it may crash and start again (the shared one serves every
// other test meanwhile): made in a new directory, stopped and removed when destroyed. Throws if
// it cannot be made.
class OwnPostgres {
 public:
  OwnPostgres();
  ~OwnPostgres();
  OwnPostgres(const OwnPostgres&) = delete;
  OwnPostgres& operator=(const OwnPostgres&) = delete;

  // A new, empty database on it.
  std::string NewDatabase(const std::string& options = "");
  // Stops the server at once, as a crash would (its data kept).
  void Crash();
  // Starts it again on the same data; "" or what went wrong.
  std::string Restart();

 private:
  std::string dir_;
};

}  // namespace strongroom::testing
