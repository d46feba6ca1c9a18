#ifndef RILL_GROUP_OFFSETS_FORMAT_H_
#define RILL_GROUP_OFFSETS_FORMAT_H_

// The records of `__consumer_offsets`, byte-compatible with Kafka's
// (group-coordinator/src/main/resources/common/message/OffsetCommitKey,
// OffsetCommitValue, GroupMetadataKey, GroupMetadataValue .json, and
// clients' ConsumerProtocolSubscription / ConsumerProtocolAssignment.json):
// big-endian integers, strings as int16 length + UTF-8 (-1 = null), bytes
// as int32 length, arrays as int32 count. Every key and value starts with
// its int16 schema version.
//
// rill writes offset commit key v1 + value v3 (v1 when an explicit expire
// timestamp is present, as Kafka) and group metadata key v2 + value v3;
// it reads offset commit values v0..v3 and group metadata values v0..v3.
// Keys of other versions (KIP-848 and share-group records) decode as kOther.
//
// Thread safe (pure functions). Errors: DataLoss naming the field for a
// truncated or malformed record.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rill/consumer.h"

namespace rill::group {

inline constexpr int16_t kOffsetCommitKeyVersion = 1;
inline constexpr int16_t kOffsetCommitValueVersion = 3;
inline constexpr int16_t kOffsetCommitValueVersionWithExpire = 1;
inline constexpr int16_t kGroupMetadataKeyVersion = 2;
inline constexpr int16_t kGroupMetadataValueVersion = 3;
inline constexpr char kConsumerProtocolType[] = "consumer";

// Java's String.hashCode of `utf8` (over its UTF-16 code units).
int32_t JavaStringHashCode(absl::string_view utf8);
// Kafka's partition of __consumer_offsets for a group:
// abs(hashCode) % partitions, with abs(Integer.MIN_VALUE) taken as 0.
int32_t OffsetsPartitionFor(absl::string_view group_id, int32_t partitions);

struct OffsetCommitKey {
  std::string group;
  std::string topic;
  int32_t partition = 0;
};

struct OffsetCommitValue {
  int64_t offset = 0;
  int32_t leader_epoch = -1;  // -1: unknown.
  std::string metadata;
  int64_t commit_timestamp = 0;
  std::optional<int64_t> expire_timestamp;  // Only in value v1.
};

struct GroupMemberMetadata {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string subscription;  // ConsumerProtocolSubscription bytes.
  std::string assignment;    // ConsumerProtocolAssignment bytes.
};

struct GroupMetadataValue {
  std::string protocol_type = kConsumerProtocolType;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;
  std::vector<GroupMemberMetadata> members;
};

// A decoded key of __consumer_offsets.
struct OffsetsKey {
  enum class Kind { kOffsetCommit, kGroupMetadata, kOther };
  Kind kind = Kind::kOther;
  int16_t version = 0;
  OffsetCommitKey offset;  // kOffsetCommit.
  std::string group;       // kOffsetCommit and kGroupMetadata.
};

std::string EncodeOffsetCommitKey(const OffsetCommitKey& key);
std::string EncodeOffsetCommitValue(const OffsetCommitValue& value);
std::string EncodeGroupMetadataKey(absl::string_view group);
std::string EncodeGroupMetadataValue(const GroupMetadataValue& value);

absl::StatusOr<OffsetsKey> DecodeOffsetsKey(absl::string_view bytes);
absl::StatusOr<OffsetCommitValue> DecodeOffsetCommitValue(absl::string_view bytes);
absl::StatusOr<GroupMetadataValue> DecodeGroupMetadataValue(absl::string_view bytes);

// ConsumerProtocolSubscription v1 (topics, null user data, owned
// partitions) and ConsumerProtocolAssignment v0 (partitions, null user
// data): the bytes inside a GroupMetadataValue member.
std::string EncodeSubscription(const std::vector<std::string>& topics,
                               const std::vector<TopicPartition>& owned);
std::string EncodeAssignment(const std::vector<TopicPartition>& partitions);
absl::StatusOr<std::vector<TopicPartition>> DecodeAssignment(absl::string_view bytes);

}  // namespace rill::group

#endif  // RILL_GROUP_OFFSETS_FORMAT_H_
