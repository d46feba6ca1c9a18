#ifndef RILL_BROKER_TOPIC_NAME_H_
#define RILL_BROKER_TOPIC_NAME_H_

// Kafka's topic name rules (clients' internals/Topic.java), with Kafka's
// messages: not empty, not "." or "..", at most 249 characters of ASCII
// alphanumerics, '.', '_' and '-'; names that differ only by '.' versus '_'
// collide; names starting with "__" are reserved for internal topics
// (__consumer_offsets, __transaction_state). Thread safe (pure functions).

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rill::broker {

inline constexpr int kMaxTopicNameLength = 249;
inline constexpr char kConsumerOffsetsTopic[] = "__consumer_offsets";
inline constexpr char kTransactionStateTopic[] = "__transaction_state";

// InvalidArgument "Topic name is invalid: <reason>" when `name` breaks the
// character or length rules.
absl::Status ValidateTopicName(absl::string_view name);

// True for the internal topics rill itself owns.
bool IsInternalTopic(absl::string_view name);
// True for names users may not create: internal and other "__" names.
bool IsReservedTopicName(absl::string_view name);

// The name with every '.' replaced by '_': two topics collide when these
// are equal.
std::string UnifyCollisionChars(absl::string_view name);

}  // namespace rill::broker

#endif  // RILL_BROKER_TOPIC_NAME_H_
