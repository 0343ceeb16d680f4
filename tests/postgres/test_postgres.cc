#include "postgres/test_postgres.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "integration/process.h"

namespace strongroom::testing {
namespace {

const std::string kBin = "/usr/lib/postgresql/15/bin/";

// Runs a PostgreSQL program, as `nobody` when this process is root.
RunResult RunPg(const std::string& program, const std::vector<std::string>& args) {
  if (::geteuid() != 0) return RunProgram(kBin + program, args);
  std::vector<std::string> as_nobody = {"-u", "nobody", "--", kBin + program};
  as_nobody.insert(as_nobody.end(), args.begin(), args.end());
  return RunProgram("/usr/sbin/runuser", as_nobody);
}

// The cluster this process made for itself, stopped at exit.
struct OwnCluster {
  std::string dir;
  ~OwnCluster() {
    if (!dir.empty()) StopPostgres(dir);
  }
};

std::string ClusterDir() {
  if (const char* dir = std::getenv("STRONGROOM_TEST_PG"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  // The CTest fixture's, when it is running.
  if (std::filesystem::exists(std::string(STRONGROOM_TEST_PG_DIR) + "/.s.PGSQL.5432")) {
    return STRONGROOM_TEST_PG_DIR;
  }
  static OwnCluster own;
  static std::once_flag started;
  std::call_once(started, [] {
    char name[] = "/tmp/strongroom-pg-XXXXXX";
    if (::mkdtemp(name) == nullptr)
      throw std::runtime_error("cannot make a directory for PostgreSQL");
    if (auto failed = StartPostgres(name); !failed.empty()) {
      std::filesystem::remove_all(name);
      throw std::runtime_error(failed);
    }
    own.dir = name;
  });
  return own.dir;
}

// Starts the server on the cluster in `dir`; "" or what went wrong.
std::string StartServer(const std::string& dir) {
  auto start =
      RunPg("pg_ctl", {"-D", dir + "/data", "-l", dir + "/server.log", "-w", "-o",
                       "-k " + dir + " -c listen_addresses='' -c max_connections=200", "start"});
  if (start.exit_code != 0) return "pg_ctl start failed: " + start.err + start.out;
  return "";
}

std::string NewDatabaseIn(const std::string& dir, const std::string& options) {
  static std::atomic<int> next{0};
  const std::string name = fmt::format("t{}_{}", ::getpid(), ++next);
  const std::string admin = fmt::format("host={} user=postgres dbname=postgres", dir);
  PGconn* conn = PQconnectdb(admin.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the tests' PostgreSQL: " + msg);
  }
  PGresult* res = PQexec(conn, ("CREATE DATABASE " + name + " " + options).c_str());
  const bool made = PQresultStatus(res) == PGRES_COMMAND_OK;
  const std::string msg = PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!made) throw std::runtime_error("cannot make a database: " + msg);
  return fmt::format("host={} user=postgres dbname={}", dir, name);
}

}  // namespace

std::string StartPostgres(const std::string& dir) {
  namespace fs = std::filesystem;
  if (fs::exists(fs::path(dir) / "data" / "postmaster.pid")) StopPostgres(dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  // Made afresh here, never one that someone else made at this (predictable) path first.
  if (::mkdir(dir.c_str(), 0700) != 0) return "cannot make " + dir;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr || ::chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
      return "cannot give " + dir + " to nobody";
    }
  }
  // No fsync at initdb (the cluster is thrown away); the server itself syncs as configured.
  auto init = RunPg("initdb", {"-D", dir + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8",
                               "--locale=C", "--no-sync"});
  if (init.exit_code != 0) return "initdb failed: " + init.err;
  return StartServer(dir);
}

void StopPostgres(const std::string& dir) {
  (void)RunPg("pg_ctl", {"-D", dir + "/data", "-m", "immediate", "-w", "stop"});
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::string NewPostgresDatabase(const std::string& options) {
  return NewDatabaseIn(ClusterDir(), options);
}

OwnPostgres::OwnPostgres() {
  char name[] = "/tmp/strongroom-own-pg-XXXXXX";
  if (::mkdtemp(name) == nullptr)
    throw std::runtime_error("cannot make a directory for PostgreSQL");
  if (auto failed = StartPostgres(name); !failed.empty()) {
    std::filesystem::remove_all(name);
    throw std::runtime_error(failed);
  }
  dir_ = name;
}

OwnPostgres::~OwnPostgres() { StopPostgres(dir_); }

std::string OwnPostgres::NewDatabase(const std::string& options) {
  return NewDatabaseIn(dir_, options);
}

void OwnPostgres::Crash() {
  (void)RunPg("pg_ctl", {"-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
}

std::string OwnPostgres::Restart() { return StartServer(dir_); }

}  // namespace strongroom::testing
