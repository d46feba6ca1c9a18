#include "lib/broker/topic_name.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rill::broker {
namespace {

bool LegalChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

absl::Status ValidateTopicName(absl::string_view name) {
  auto invalid = [](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("Topic name is invalid: ", reason));
  };
  if (name.empty()) return invalid("the empty string is not allowed");
  if (name == ".") return invalid("'.' is not allowed");
  if (name == "..") return invalid("'..' is not allowed");
  if (name.size() > kMaxTopicNameLength) {
    return invalid(absl::StrCat("the length of '", name, "' is longer than the max allowed length ",
                                kMaxTopicNameLength));
  }
  if (!std::all_of(name.begin(), name.end(), LegalChar)) {
    return invalid(absl::StrCat("'", name,
                                "' contains one or more characters other than ASCII alphanumerics, "
                                "'.', '_' and '-'"));
  }
  return absl::OkStatus();
}

bool IsInternalTopic(absl::string_view name) {
  return name == kConsumerOffsetsTopic || name == kTransactionStateTopic;
}

bool IsReservedTopicName(absl::string_view name) { return absl::StartsWith(name, "__"); }

std::string UnifyCollisionChars(absl::string_view name) {
  std::string unified(name);
  std::replace(unified.begin(), unified.end(), '.', '_');
  return unified;
}

}  // namespace rill::broker
