#ifndef RILL_ADMIN_H_
#define RILL_ADMIN_H_

// Admin: inspects and manages a Broker's consumer groups, as Kafka's Admin
// client (listConsumerGroups, describeConsumerGroups,
// listConsumerGroupOffsets, deleteConsumerGroups, alterConsumerGroupOffsets)
// and kafka-consumer-groups.sh (lag, --reset-offsets).
//
//   rill::Admin admin(broker.get());
//   absl::StatusOr<std::vector<rill::PartitionLag>> lag = admin.Lag("billing");
//
// Thread safety: every method may be called from any thread, concurrently
// with consumers of the same groups.
// Errors: NotFound for a group that does not exist (no members and no
// committed offsets) or a topic that does not exist; FailedPrecondition
// when DeleteGroup or ResetOffsets meet a group with live members (Kafka's
// NON_EMPTY_GROUP), or the broker is read-only or closed; InvalidArgument
// for a bad reset spec.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rill/broker.h"
#include "rill/consumer.h"

namespace rill {

// Kafka's ConsumerGroupState (classic protocol).
enum class GroupState {
  kEmpty,                // No members; may have committed offsets.
  kPreparingRebalance,   // Waiting for members to (re)join.
  kCompletingRebalance,  // Waiting for the leader's assignment.
  kStable,               // Every member has its assignment.
  kDead,                 // Removed (its metadata is being deleted).
};
// "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
const char* GroupStateName(GroupState state);

struct GroupListing {
  std::string group_id;
  GroupState state = GroupState::kEmpty;
  std::string protocol_type;  // "consumer".
};

struct MemberDescription {
  std::string member_id;
  std::string group_instance_id;  // Empty for a dynamic member.
  std::string client_id;
  std::string host;  // "in-process": every member lives in this process.
  std::vector<TopicPartition> assignment;
};

struct GroupDescription {
  std::string group_id;
  GroupState state = GroupState::kEmpty;
  std::string protocol_type;
  std::string protocol;  // The assignor chosen: "range", "cooperative-sticky", ...
  int32_t generation = 0;
  std::string leader;  // Member id of the leader, empty without members.
  std::vector<MemberDescription> members;
};

// A committed offset as the coordinator holds it.
struct CommittedOffset {
  int64_t offset = 0;
  std::string metadata;
  std::optional<int32_t> leader_epoch;
  int64_t commit_timestamp_ms = 0;
};

// One row of `rill lag` / kafka-consumer-groups.sh --describe.
struct PartitionLag {
  TopicPartition partition;
  std::optional<int64_t> committed_offset;  // nullopt: nothing committed.
  int64_t log_end_offset = 0;               // The high watermark.
  int64_t lag = 0;  // log end - committed (log end - log start without a commit).
  std::optional<int64_t> commit_timestamp_ms;
  std::string member_id;  // The member it is assigned to, if any.
};

// Where ResetOffsets moves a group's offsets.
struct OffsetResetSpec {
  enum class Kind { kEarliest, kLatest, kOffset, kDatetime };
  Kind kind = Kind::kEarliest;
  int64_t offset = 0;        // kOffset (clamped to the log as Kafka's tool does).
  int64_t timestamp_ms = 0;  // kDatetime: the first offset at or after it.
};

class Admin {
 public:
  // REQUIRES: `broker` outlives the Admin.
  explicit Admin(Broker* broker);

  absl::StatusOr<std::vector<GroupListing>> ListGroups() const;
  absl::StatusOr<GroupDescription> DescribeGroup(const std::string& group_id) const;
  absl::StatusOr<std::map<TopicPartition, CommittedOffset>> ListGroupOffsets(
      const std::string& group_id) const;
  // Per partition with a committed offset or assigned to a member: the
  // committed offset, log end offset and lag, sorted by partition.
  absl::StatusOr<std::vector<PartitionLag>> Lag(const std::string& group_id) const;
  // Deletes the group's offsets and metadata (tombstones in
  // __consumer_offsets). FailedPrecondition while it has members.
  absl::Status DeleteGroup(const std::string& group_id);
  // Commits new offsets for every partition of `topic`; returns them.
  // FailedPrecondition while the group has members.
  absl::StatusOr<std::map<TopicPartition, int64_t>> ResetOffsets(const std::string& group_id,
                                                                 const std::string& topic,
                                                                 const OffsetResetSpec& spec);

 private:
  Broker* broker_;
};

}  // namespace rill

#endif  // RILL_ADMIN_H_
