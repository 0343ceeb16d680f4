// The CTest fixture's side of tests/postgres/test_postgres.h: starts or stops the cluster that
// every test of the run shares.
//
// Usage: test_postgres_ctl start|stop DIR

#include <cstdio>
#include <string>

#include "postgres/test_postgres.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: test_postgres_ctl start|stop DIR\n");
    return 2;
  }
  const std::string verb = argv[1], dir = argv[2];
  if (verb == "stop") {
    strongroom::testing::StopPostgres(dir);
    return 0;
  }
  if (verb != "start") return 2;
  const auto failed = strongroom::testing::StartPostgres(dir);
  if (!failed.empty()) {
    std::fprintf(stderr, "test_postgres_ctl: %s\n", failed.c_str());
    return 1;
  }
  return 0;
}
