#ifndef RILL_BASE_STATUS_MACROS_H_
#define RILL_BASE_STATUS_MACROS_H_

// Early-return helpers for absl::Status / absl::StatusOr, which Debian 12's
// Abseil does not provide.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RILL_STATUS_CONCAT_INNER_(a, b) a##b
#define RILL_STATUS_CONCAT_(a, b) RILL_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function when it is not OK.
#define RILL_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::absl::Status rill_status_ = (expr);           \
    if (!rill_status_.ok()) return rill_status_;    \
  } while (false)

// `lhs` = the value of `rexpr` (an absl::StatusOr<T>), or returns its status
// from the enclosing function. `lhs` may declare a variable.
#define RILL_ASSIGN_OR_RETURN(lhs, rexpr) \
  RILL_ASSIGN_OR_RETURN_IMPL_(RILL_STATUS_CONCAT_(rill_statusor_, __LINE__), lhs, rexpr)

#define RILL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // RILL_BASE_STATUS_MACROS_H_
