#pragma once
// Routes that exist only in builds made with STRONGROOM_TESTING (the debug and asan presets, never
// release) and only on instances whose environment is not production. They let integration tests
// reach generic machinery (JSON parsing limits today; the test clock later) through the real
// server. In any other build or environment this registers nothing.

#include "common/config.h"
#include "http/router.h"

namespace strongroom::app {

void RegisterTestRoutes(http::Router& router, const Config& config);

}  // namespace strongroom::app
