#include "app/test_routes.h"

#include "http/json.h"

namespace strongroom::app {

void RegisterTestRoutes([[maybe_unused]] http::Router& router,
                        [[maybe_unused]] const Config& config) {
#ifdef STRONGROOM_TESTING
  if (config.environment == Environment::kProduction) return;
  const int depth = config.server.max_json_depth;
  // Parses the body as a strict JSON object and returns it re-serialised.
  router.Add(http::beast_http::verb::post, "/__test/echo-json",
             [depth](http::Request& request) -> Result<http::Response> {
               ASSIGN_OR_RETURN(auto object, http::ParseJsonObject(request, depth));
               return http::Response::Json(200, boost::json::serialize(object));
             });
#endif
}

}  // namespace strongroom::app
