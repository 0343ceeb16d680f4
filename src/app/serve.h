#pragma once
// `strongroom serve`: the composition root. Reads the configuration, checks the instance (lock,
// store schema and environment, key file), wires the modules together and runs the HTTPS server
// until SIGTERM or SIGINT.

#include <CLI/CLI.hpp>

namespace strongroom::app {

void AddServeCommand(CLI::App& app, int* exit_code);

}  // namespace strongroom::app
