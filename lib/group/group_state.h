#ifndef RILL_GROUP_GROUP_STATE_H_
#define RILL_GROUP_GROUP_STATE_H_

// One consumer group as the coordinator holds it: Kafka's ClassicGroup and
// ClassicGroupMember. State machine (ClassicGroupState):
//
//   Empty ──join──> PreparingRebalance ──all joined──> CompletingRebalance
//     ^                  ^      │                          │ assignment
//     └──last member left┘      └──no members──> Empty     v
//                        └─────join/leave/expiry────── Stable
//   any ──delete / offsets expired while empty──> Dead
//
// In-process, the leader's SyncGroup happens in the same step as the last
// JoinGroup, so CompletingRebalance lasts no time: the assignment is
// computed and the group is Stable before the coordinator lets go of it.
// Not thread safe: the coordinator's mutex guards every Group.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/broker/partition_impl.h"
#include "rill/admin.h"
#include "rill/consumer.h"

namespace rill::group {

struct Member {
  std::string member_id;
  std::string group_instance_id;  // Empty: dynamic.
  std::string client_id;
  int32_t session_timeout_ms = 45'000;
  int32_t rebalance_timeout_ms = 300'000;
  std::vector<std::string> protocols;
  std::vector<std::string> topics;
  std::vector<TopicPartition> owned;
  int32_t owned_generation = -1;
  std::vector<TopicPartition> assignment;
  // The live consumer's wakeup; null once a static member's consumer
  // closed (its session timer runs).
  broker::DataNotifier* notifier = nullptr;
  bool joined = false;  // Joined the rebalance in progress.
  int64_t last_heartbeat_ms = 0;
  int64_t last_poll_ms = 0;
  int64_t join_order = 0;
};

class Group {
 public:
  explicit Group(std::string id) : id_(std::move(id)) {}

  const std::string& id() const { return id_; }
  GroupState state() const { return state_; }
  int64_t state_timestamp_ms() const { return state_timestamp_ms_; }
  // Moves to `next` at `now_ms`; returns false (and stays) if Kafka's state
  // machine does not allow the transition.
  bool TransitionTo(GroupState next, int64_t now_ms);
  void set_state_timestamp_ms(int64_t ms) { state_timestamp_ms_ = ms; }

  // Every member has joined the rebalance in progress.
  bool AllJoined() const;
  // Protocol selection: among assignors every member supports, the one most
  // members list first (ties: the earliest in the leader's list).
  std::optional<std::string> SelectProtocol() const;
  // Whether the members plus `protocols` still share an assignor.
  bool SupportsProtocols(const std::vector<std::string>& protocols) const;
  Member* FindMember(const std::string& member_id);
  Member* FindStatic(const std::string& instance_id);
  // The member that joined first, or nullptr.
  const Member* FirstJoined() const;

  int32_t generation = 0;
  std::string protocol;
  std::string leader;
  std::map<std::string, Member> members;
  // Member ids replaced by a rejoining static member (FENCED_INSTANCE_ID).
  std::set<std::string> fenced;
  std::map<TopicPartition, CommittedOffset> offsets;
  int64_t rebalance_deadline_ms = 0;
  // Partition counts of the subscribed topics at the last assignment: a
  // change (new partitions, a new topic, a deleted one) rebalances.
  std::map<std::string, int32_t> partition_counts;

 private:
  const std::string id_;
  GroupState state_ = GroupState::kEmpty;
  int64_t state_timestamp_ms_ = 0;
};

}  // namespace rill::group

#endif  // RILL_GROUP_GROUP_STATE_H_
