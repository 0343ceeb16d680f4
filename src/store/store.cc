#include "store/store.h"

namespace strongroom::store {

Result<void> Transaction::Stage(std::any) {
  return Fail(ErrorCode::kFailedPrecondition,
              "store: nothing here can make staged entries durable");
}

}  // namespace strongroom::store
