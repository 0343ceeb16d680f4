#include "common/error.h"

#include "common/names.h"

namespace strongroom {

namespace {

constexpr std::pair<ErrorCode, std::string_view> kNames[] = {
    {ErrorCode::kInvalidArgument, "invalid_argument"},
    {ErrorCode::kUnauthenticated, "unauthenticated"},
    {ErrorCode::kPermissionDenied, "permission_denied"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kAlreadyExists, "already_exists"},
    {ErrorCode::kFailedPrecondition, "failed_precondition"},
    {ErrorCode::kResourceExhausted, "resource_exhausted"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kDataLoss, "data_loss"},
    {ErrorCode::kInternal, "internal"},
};

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  return NameIn<ErrorCode>(kNames, code, "internal");
}

}  // namespace strongroom
