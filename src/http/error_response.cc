#include "http/error_response.h"

#include <algorithm>
#include <boost/json.hpp>

namespace strongroom::http {

unsigned HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kDataLoss:
      return 500;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Response ProtocolErrorResponse(unsigned status, ErrorCode code, std::string_view message,
                               std::string_view request_id) {
  boost::json::object body;
  body["error"] = {{"code", ErrorCodeName(code)}, {"message", message}};
  body["request_id"] = request_id;
  return Response::Json(status, boost::json::serialize(body));
}

Response ErrorResponse(const Error& error, std::string_view request_id) {
  std::string_view message = error.message;
  if (error.code == ErrorCode::kInternal || error.code == ErrorCode::kDataLoss) {
    message = "the request could not be completed; quote the request id to the operator";
  }
  auto response = ProtocolErrorResponse(HttpStatusFor(error.code), error.code, message, request_id);
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kResourceExhausted) {
    response.headers.emplace_back("Retry-After",
                                  std::to_string(std::max<int64_t>(1, error.retry_after_s)));
  }
  return response;
}

}  // namespace strongroom::http
