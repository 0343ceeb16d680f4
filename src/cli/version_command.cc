#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include <boost/version.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "common/version.h"
#include "store/migrations.h"

namespace strongroom::cli {

void PrintError(std::string_view message) { fmt::print(stderr, "strongroom: {}\n", message); }

std::shared_ptr<std::string> AddConfigOption(CLI::App* cmd) {
  auto path = std::make_shared<std::string>();
  cmd->add_option("--config", *path, "Path to strongroom.toml")->required();
  return path;
}

void AddVersionCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("version", "Print the version and the versions of libraries");
  cmd->callback([exit_code] {
    fmt::print("strongroom {}\n", Version());
    fmt::print("schema {}\n", store::LatestSchemaVersion());
    fmt::print("openssl {}\n", OpenSSL_version(OPENSSL_VERSION));
    fmt::print("sqlite {}\n", sqlite3_libversion());
    fmt::print("boost {}.{}.{}\n", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
               BOOST_VERSION % 100);
#ifdef STRONGROOM_TESTING
    fmt::print("build with test hooks (never deploy)\n");
#endif
    *exit_code = kExitOk;
  });
}

}  // namespace strongroom::cli
