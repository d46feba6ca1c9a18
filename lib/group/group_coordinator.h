#ifndef RILL_GROUP_GROUP_COORDINATOR_H_
#define RILL_GROUP_GROUP_COORDINATOR_H_

// The broker's group coordinator: Kafka's classic GroupCoordinator and
// GroupMetadataManager, in-process (see lib/broker/group_service.h for the
// protocol and lib/group/group_state.h for the state machine).
//
// Liveness: a member whose consumer is open counts as heartbeating (the
// Java client's heartbeat thread); its Polls must come within
// max.poll.interval.ms or the coordinator removes it, as the Java client
// leaves the group then. A static member whose consumer closed is removed
// once session.timeout.ms passes without it rejoining (KIP-345). All timers
// read the broker's Clock and fire in RunTimers(), a broker maintenance
// task: with a ManualClock, RunMaintenance() drives them.
//
// Persistence: commits and group metadata are records of
// `__consumer_offsets` (offsets_format.h), created on first use with
// cleanup.policy=compact and offsets.topic.num.partitions partitions, in
// the partition Kafka would choose for the group; Load() replays it. Groups
// load Empty: their members lived in the process that stopped.
//
// Thread safe: one mutex guards all groups. Errors: see GroupService.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/mutex.h"
#include "lib/broker/broker_impl.h"
#include "lib/broker/group_service.h"
#include "lib/group/group_state.h"

namespace rill::group {

class GroupCoordinator final : public broker::GroupService {
 public:
  explicit GroupCoordinator(broker::BrokerImpl* broker);
  ~GroupCoordinator() override;

  absl::Status Load() override;
  void Close() override;
  absl::StatusOr<broker::MemberView> Join(const broker::JoinGroupRequest& request) override;
  broker::MemberView Heartbeat(const std::string& group_id, const std::string& member_id) override;
  void Leave(const std::string& group_id, const std::string& member_id) override;
  absl::Status Commit(const broker::CommitRequest& request) override;
  absl::StatusOr<std::map<TopicPartition, CommittedOffset>> Committed(
      const std::string& group_id, const std::vector<TopicPartition>& partitions) override;
  std::vector<GroupListing> ListGroups() override;
  absl::StatusOr<GroupDescription> Describe(const std::string& group_id) override;
  absl::Status DeleteGroup(const std::string& group_id) override;

  // The timers: session and max.poll.interval expiry, rebalance timeouts,
  // partition count changes, offsets.retention.minutes.
  void RunTimers();

 private:
  using Records = std::vector<std::pair<std::string, std::optional<std::string>>>;

  Group* Find(const std::string& group_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Group& FindOrCreate(const std::string& group_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Member& AddMember(Group& group, const broker::JoinGroupRequest& request, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<broker::MemberView> RejoinStatic(Group& group, const broker::JoinGroupRequest& r,
                                                 int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PrepareRebalance(Group& group, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeCompleteJoin(Group& group, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompleteJoin(Group& group, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveMember(Group& group, const std::string& member_id, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::map<std::string, int32_t> PartitionCounts(const Group& group) const;
  void ExpireMembers(Group& group, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool ExpireOffsets(Group& group, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static broker::MemberView ViewOf(const Group& group, const Member& member);
  static void Notify(const Group& group);

  absl::Status CheckCommit(Group* group, const broker::CommitRequest& r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckOffset(const TopicPartition& tp, const OffsetAndMetadata& o) const;
  absl::Status WriteGroupMetadata(const Group& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Append(const std::string& group_id, const Records& records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<broker::PartitionImpl*> OffsetsPartition(const std::string& group_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadPartition(broker::PartitionImpl* partition) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Apply(absl::string_view key, std::optional<absl::string_view> value,
                     int64_t timestamp) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  broker::BrokerImpl* const broker_;
  Mutex mu_;
  std::map<std::string, std::unique_ptr<Group>> groups_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<broker::TopicImpl> offsets_topic_ ABSL_GUARDED_BY(mu_);
  int64_t next_member_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t task_ = -1;  // The maintenance task; set once in the constructor.
};

}  // namespace rill::group

#endif  // RILL_GROUP_GROUP_COORDINATOR_H_
