#ifndef RILL_BROKER_GROUP_SERVICE_H_
#define RILL_BROKER_GROUP_SERVICE_H_

// The seam between the broker and its group coordinator (lib/group): the
// broker owns one GroupService, created by NewGroupService() at Open and
// closed with it; consumers (lib/client) and Admin reach it through
// BrokerImpl::groups(). The in-process form of Kafka's classic group
// protocol: JoinGroup + SyncGroup collapse into Join (the coordinator runs
// the leader's assignor as the last member joins), Heartbeat is what every
// Poll sends, LeaveGroup is Leave.
//
// Thread safety: every method may be called from any thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rill/admin.h"
#include "rill/consumer.h"

namespace rill::broker {

class BrokerImpl;
class DataNotifier;

struct JoinGroupRequest {
  std::string group_id;
  std::string member_id;          // Empty for a new member.
  std::string group_instance_id;  // Empty for a dynamic member.
  std::string client_id;
  int32_t session_timeout_ms = 45'000;
  int32_t rebalance_timeout_ms = 300'000;  // max.poll.interval.ms
  std::vector<std::string> protocols;      // Assignor names, preferred first.
  std::vector<std::string> topics;         // The subscription.
  std::vector<TopicPartition> owned;       // Cooperative: what it still owns.
  int32_t generation = -1;                 // The generation of `owned`.
  // Notified when the group needs this member (a rebalance starts or
  // completes). REQUIRES: valid until Leave() returns.
  DataNotifier* notifier = nullptr;
};

// What a member learns from Join and Heartbeat.
struct MemberView {
  enum class Error {
    kNone,
    kUnknownMemberId,   // Removed (session / max.poll.interval / admin): rejoin as new.
    kFencedInstanceId,  // Another consumer took this group.instance.id: fatal.
  };
  Error error = Error::kNone;
  std::string member_id;
  // The group is rebalancing and waits for this member's Join.
  bool must_join = false;
  // The generation `assignment` belongs to; -1 while none is complete.
  int32_t generation = -1;
  std::string protocol;
  std::vector<TopicPartition> assignment;
};

struct CommitRequest {
  std::string group_id;
  std::string member_id;  // Empty with generation -1: a standalone commit.
  std::string group_instance_id;
  int32_t generation = -1;
  std::map<TopicPartition, OffsetAndMetadata> offsets;
};

class GroupService {
 public:
  virtual ~GroupService() = default;

  // Loads groups and offsets from __consumer_offsets (Broker::Open).
  virtual absl::Status Load() = 0;
  // Stops the timers; later calls fail with FailedPrecondition.
  virtual void Close() = 0;

  virtual absl::StatusOr<MemberView> Join(const JoinGroupRequest& request) = 0;
  // Heartbeat and poll activity of a member.
  virtual MemberView Heartbeat(const std::string& group_id, const std::string& member_id) = 0;
  // LeaveGroup for a dynamic member; a static member only detaches (its
  // session timer starts, KIP-345).
  virtual void Leave(const std::string& group_id, const std::string& member_id) = 0;

  // OffsetCommit. FailedPrecondition for UNKNOWN_MEMBER_ID and
  // ILLEGAL_GENERATION (Kafka's CommitFailedException), Unavailable for
  // REBALANCE_IN_PROGRESS, OutOfRange past a log end, InvalidArgument for
  // metadata over offset.metadata.max.bytes, NotFound for a partition that
  // does not exist.
  virtual absl::Status Commit(const CommitRequest& request) = 0;
  // OffsetFetch: the committed offsets of `partitions` (all if empty).
  virtual absl::StatusOr<std::map<TopicPartition, CommittedOffset>> Committed(
      const std::string& group_id, const std::vector<TopicPartition>& partitions) = 0;

  virtual std::vector<GroupListing> ListGroups() = 0;
  virtual absl::StatusOr<GroupDescription> Describe(const std::string& group_id) = 0;
  virtual absl::Status DeleteGroup(const std::string& group_id) = 0;
};

// Defined by lib/group (the coordinator), so that the broker layer does not
// include the layer above it.
std::unique_ptr<GroupService> NewGroupService(BrokerImpl* broker);

}  // namespace rill::broker

#endif  // RILL_BROKER_GROUP_SERVICE_H_
