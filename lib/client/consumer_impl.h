#ifndef RILL_CLIENT_CONSUMER_IMPL_H_
#define RILL_CLIENT_CONSUMER_IMPL_H_

// The machinery behind rill::Consumer: the assignment with a position per
// partition (Kafka's SubscriptionState), the fetch order that makes Poll
// round robin, and the wait on all assigned partitions at once.
//
// Each assigned partition's topic is held by shared_ptr
// (BrokerImpl::FindTopic), so a DeleteTopic cannot free a partition or its
// log under the consumer; Poll notices TopicImpl::deleted() and reports it.
// One DataNotifier is registered with every assigned partition: appends,
// Wakeup() and broker close bump it (lib/broker/partition_impl.h).
//
// Group membership (consumer_group.cc) is Kafka's ConsumerCoordinator
// without a network: each Poll heartbeats the broker's GroupService, joins
// when it must, applies new assignments and runs the rebalance listener.
// The coordinator bumps `notifier_` when the group needs this member, so a
// Poll blocked on data wakes for a rebalance too.
//
// Thread safety: one thread at a time, except Wakeup(), which touches only
// `wakeup_` and `notifier_`. rill::Consumer's methods enforce it with
// AcquireThread / ReleaseThread around each call (Kafka's acquire() and
// release()); Impl's own methods assume it.

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "lib/broker/broker_impl.h"
#include "lib/broker/partition_impl.h"
#include "lib/client/consumer_fetch.h"
#include "rill/consumer.h"

namespace rill {

class Consumer::Impl {
 public:
  Impl(Broker* broker, const ConsumerOptions& options);
  ~Impl();

  absl::Status config_status() const { return config_status_; }
  const ConsumerOptions& options() const { return options_; }

  absl::Status Assign(absl::Span<const TopicPartition> partitions);
  std::vector<TopicPartition> Assignment() const;
  absl::StatusOr<ConsumerRecords> Poll(absl::Duration timeout);
  absl::Status Seek(const TopicPartition& partition, int64_t offset);
  absl::Status SeekToBeginning(absl::Span<const TopicPartition> partitions);
  absl::Status SeekToEnd(absl::Span<const TopicPartition> partitions);
  absl::StatusOr<int64_t> Position(const TopicPartition& partition);
  absl::StatusOr<std::optional<int64_t>> CurrentLag(const TopicPartition& partition);
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>> OffsetsForTimes(
      const std::map<TopicPartition, int64_t>& timestamps);
  absl::StatusOr<std::map<TopicPartition, int64_t>> BeginningOffsets(
      absl::Span<const TopicPartition> partitions);
  absl::StatusOr<std::map<TopicPartition, int64_t>> EndOffsets(
      absl::Span<const TopicPartition> partitions);
  // Pause (true) or Resume (false).
  absl::Status SetPaused(absl::Span<const TopicPartition> partitions, bool paused);
  std::vector<TopicPartition> Paused() const;
  void Wakeup();
  absl::Status Close(absl::Duration timeout);

  // Kafka's acquire(): makes the calling thread the one inside the
  // consumer, or counts one more nested call if it already is (a listener
  // or commit callback calling back in). FailedPrecondition naming
  // `method` while another thread is inside. Each OK is paired with one
  // ReleaseThread().
  absl::Status AcquireThread(absl::string_view method);
  void ReleaseThread();

  // Groups (consumer_group.cc).
  absl::Status Subscribe(const std::vector<std::string>& topics,
                         ConsumerRebalanceListener* listener);
  absl::Status SubscribePattern(const std::string& pattern, ConsumerRebalanceListener* listener);
  absl::Status Unsubscribe();
  absl::Status EnforceRebalance();
  std::vector<std::string> Subscription() const { return subscription_; }
  absl::Status CommitSync(const std::map<TopicPartition, OffsetAndMetadata>* offsets);
  void CommitAsync(const std::map<TopicPartition, OffsetAndMetadata>* offsets,
                   OffsetCommitCallback callback);
  absl::StatusOr<std::map<TopicPartition, OffsetAndMetadata>> Committed(
      absl::Span<const TopicPartition> partitions);
  ConsumerGroupMetadata GroupMetadata() const;
  // The user's Assign: refused while subscribed.
  absl::Status UserAssign(absl::Span<const TopicPartition> partitions);

 private:
  // A partition of the broker, kept valid by holding its topic.
  struct PartitionRef {
    std::shared_ptr<broker::TopicImpl> topic;
    broker::PartitionImpl* partition = nullptr;
  };
  // One assigned partition.
  struct PartitionState {
    TopicPartition tp;
    PartitionRef ref;
    std::optional<int64_t> position;
    // SeekToBeginning / SeekToEnd, applied at the next Poll or Position.
    std::optional<OffsetReset> pending_reset;
    bool paused = false;
    // Within one Poll: where the fetch has got to (becomes `position` when
    // the Poll succeeds), batch bytes taken, the high watermark last
    // fetched up to, and whether records were returned.
    int64_t fetch_position = 0;
    uint64_t fetched_bytes = 0;
    int64_t fetched_to = -1;
    bool returned = false;
    // Fetched data the last Poll left (Kafka's completed fetch).
    client::FetchCursor cursor;

    bool fetchable() const { return !paused && position.has_value(); }
  };
  // What one pass over the partitions took.
  struct Round {
    uint64_t bytes = 0;
    bool limited = false;  // A limit left data behind: return now.
  };

  absl::Status CheckOpen() const;
  absl::StatusOr<PartitionRef> Lookup(const TopicPartition& tp) const;
  absl::StatusOr<PartitionState*> Assigned(const TopicPartition& tp) const;
  // The assigned states of `partitions`, or all of them if it is empty.
  absl::StatusOr<std::vector<PartitionState*>> AssignedOrAll(
      absl::Span<const TopicPartition> partitions) const;
  std::vector<TopicPartition> Sorted(bool paused_only) const;
  void Release(PartitionState* state);
  // Drops the partitions of deleted topics from the assignment and returns
  // NotFound naming them, or OK if there were none.
  absl::Status DropDeleted();
  absl::Status ResolvePosition(PartitionState* state);
  int64_t ResetOffset(const PartitionState& state, OffsetReset reset) const;
  absl::Status ResetOutOfRange(PartitionState* state, const absl::Status& cause);

  absl::Status StartPoll();
  absl::StatusOr<Round> FetchRound(client::Fetcher* fetcher);
  absl::StatusOr<client::PartitionFetch> FetchPartition(client::Fetcher* fetcher,
                                                        PartitionState* state);
  // Blocks until an assigned partition's high watermark passes what was
  // fetched, a Wakeup, `deadline`, or any notification after the notifier's
  // epoch `seen` (read before the caller last looked at the group, so that
  // a rebalance announced since is not slept through).
  void WaitForData(absl::Time deadline, uint64_t seen);
  bool HasNewData() const;
  void FinishPoll();
  bool TakeWakeup() { return wakeup_.exchange(false, std::memory_order_acq_rel); }
  absl::StatusOr<ConsumerRecords> PollOnce(absl::Time deadline, uint64_t seen, bool* regroup);

  // Group membership, inside Poll.
  absl::Status CheckGroup() const;
  absl::Status PollGroup();
  absl::StatusOr<broker::MemberView> JoinGroup();
  void ApplyAssignment(const broker::MemberView& view);
  void LoseAssignment();
  void RevokeAll();
  bool RefreshSubscription();
  void MaybeAutoCommit();
  absl::Status CommitOffsets(const std::map<TopicPartition, OffsetAndMetadata>& offsets);
  std::map<TopicPartition, OffsetAndMetadata> Consumed() const;
  void RunCommitCallbacks();
  absl::Status LeaveGroup();
  absl::Status ResolveCommitted(PartitionState* state);

  broker::BrokerImpl* const broker_;
  const ConsumerOptions options_;
  const client::FetchLimits limits_;
  absl::Status config_status_;
  bool closing_ = false;  // Inside Close: a listener calling Close returns.
  bool closed_ = false;

  // The thread inside a public call; the default id when none is. Taking
  // it (compare-exchange, acquire) pairs with the release store that gave
  // it up, so one thread's calls happen before the next thread's.
  std::atomic<std::thread::id> owner_{};
  int owner_depth_ = 0;  // Nested calls of the owner; only it touches this.

  // The assignment in fetch order: partitions that returned records move to
  // the back (Kafka's movePartitionToEnd), so Polls go round robin.
  std::vector<std::unique_ptr<PartitionState>> order_;
  absl::flat_hash_map<TopicPartition, PartitionState*> by_partition_;

  // Group state (consumer thread only).
  bool subscribed_ = false;
  std::vector<std::string> topics_;        // Subscribe(topics).
  std::optional<std::regex> pattern_;      // SubscribePattern.
  std::vector<std::string> subscription_;  // Resolved, sorted.
  ConsumerRebalanceListener* listener_ = nullptr;
  bool cooperative_ = false;
  std::string member_id_;
  int32_t generation_ = -1;
  bool need_join_ = false;
  int64_t next_auto_commit_ms_ = 0;
  struct PendingCallback {
    OffsetCommitCallback callback;
    std::map<TopicPartition, OffsetAndMetadata> offsets;
    absl::Status status;
  };
  std::deque<PendingCallback> callbacks_;

  broker::DataNotifier notifier_;
  // Set by Wakeup(), taken by the Poll it interrupts (or the next one).
  std::atomic<bool> wakeup_{false};
};

}  // namespace rill

#endif  // RILL_CLIENT_CONSUMER_IMPL_H_
