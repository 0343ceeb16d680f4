#include "http/error_response.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace strongroom::http {
namespace {

TEST(ErrorResponseTest, EveryCodeMapsToItsStatus) {
  const std::pair<ErrorCode, unsigned> table[] = {
      {ErrorCode::kInvalidArgument, 400},   {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403},  {ErrorCode::kNotFound, 404},
      {ErrorCode::kAlreadyExists, 409},     {ErrorCode::kFailedPrecondition, 409},
      {ErrorCode::kResourceExhausted, 429}, {ErrorCode::kUnavailable, 503},
      {ErrorCode::kDataLoss, 500},          {ErrorCode::kInternal, 500},
  };
  for (auto [code, status] : table) EXPECT_EQ(HttpStatusFor(code), status) << ErrorCodeName(code);
}

TEST(ErrorResponseTest, BodyHasCodeMessageAndRequestId) {
  auto r = ErrorResponse(Error{ErrorCode::kNotFound, "no such record"}, "req-1");
  EXPECT_EQ(r.status, 404u);
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body["error"].at("code").as_string(), "not_found");
  EXPECT_EQ(body["error"].at("message").as_string(), "no such record");
  EXPECT_EQ(body["request_id"].as_string(), "req-1");
}

TEST(ErrorResponseTest, InternalDetailNeverReachesTheClient) {
  for (auto code : {ErrorCode::kInternal, ErrorCode::kDataLoss}) {
    auto r = ErrorResponse(Error{code, "sqlite: table org_keys is corrupt at page 7"}, "req-2");
    EXPECT_EQ(r.body.find("sqlite"), std::string::npos);
    EXPECT_NE(r.body.find("req-2"), std::string::npos);
  }
}

TEST(ErrorResponseTest, OverloadAnswersCarryRetryAfter) {
  auto r = ErrorResponse(Error{ErrorCode::kUnavailable, "busy"}, "x");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
}

}  // namespace
}  // namespace strongroom::http
