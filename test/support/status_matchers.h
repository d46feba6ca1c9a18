#ifndef RILL_TEST_SUPPORT_STATUS_MATCHERS_H_
#define RILL_TEST_SUPPORT_STATUS_MATCHERS_H_

// Catch2 helpers for absl::Status / absl::StatusOr: REQUIRE_OK and CHECK_OK
// print the status message when they fail.

#include <catch2/catch.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rill::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace rill::testing

#define REQUIRE_OK(expr)                                                     \
  do {                                                                       \
    const auto& rill_req_ = (expr);                                          \
    INFO(::rill::testing::GetStatus(rill_req_).ToString());                  \
    REQUIRE(::rill::testing::GetStatus(rill_req_).ok());                     \
  } while (false)

#define CHECK_OK(expr)                                                       \
  do {                                                                       \
    const auto& rill_chk_ = (expr);                                          \
    INFO(::rill::testing::GetStatus(rill_chk_).ToString());                  \
    CHECK(::rill::testing::GetStatus(rill_chk_).ok());                       \
  } while (false)

#endif  // RILL_TEST_SUPPORT_STATUS_MATCHERS_H_
