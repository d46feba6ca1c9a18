#ifndef RILL_CONSUMER_H_
#define RILL_CONSUMER_H_

// Consumer: reads records from a Broker's partitions, as Kafka's
// KafkaConsumer.
//
//   rill::Consumer consumer(broker.get(), {.auto_offset_reset = rill::OffsetReset::kEarliest});
//   if (absl::Status s = consumer.Assign({{"orders", 0}, {"orders", 1}}); !s.ok()) return s;
//   while (running) {
//     absl::StatusOr<rill::ConsumerRecords> records = consumer.Poll(absl::Milliseconds(100));
//     if (!records.ok()) return records.status();
//     for (const rill::ConsumerRecord& r : *records) Handle(r.key(), r.value());
//   }
//
// Consumer groups (group.id): Subscribe() to topics or a regex, and the
// broker's group coordinator shares their partitions among the group's
// members with the configured assignor, rebalancing as members come and
// go; commits (CommitSync / CommitAsync, or enable.auto.commit) go to
// `__consumer_offsets`, and a partition newly assigned starts from its
// committed offset (else auto.offset.reset). Group work — joining,
// rebalances, the ConsumerRebalanceListener, auto-commits — happens inside
// Poll, on the consumer's thread. docs/consumer.md has the details.
//
// Poll returns the records of the assigned, unpaused partitions from their
// positions up to the high watermark, as views into the broker's mapped
// segments (copied only when a batch must be decompressed). It blocks until
// there are records or the timeout passes; an append to any assigned
// partition wakes it at once (no polling loop).
//
// Thread safety: like KafkaConsumer, a Consumer is used by one thread at a
// time; only Wakeup() (and options()) may be called from any thread. A call
// made while another thread is inside the consumer fails with
// FailedPrecondition ("Consumer is not safe for multi-threaded access",
// Kafka's ConcurrentModificationException) naming the method; the calls
// that return no status then return an empty value (see each). Calls from
// the consumer's own thread nest: a rebalance listener or commit callback
// may call back in. ConsumerRecords are immutable values: any thread may
// read them.
// Errors: InvalidArgument for bad options (naming the Kafka config) and
// arguments; NotFound for a topic or partition that does not exist, or was
// deleted while assigned; FailedPrecondition for a partition that is not
// assigned, Poll without a subscription or assignment, auto.offset.reset=none
// with no position, a commit the group fenced (Kafka's
// CommitFailedException: this member was removed or the group rebalanced),
// Assign while subscribed and the reverse, EnforceRebalance without a
// subscription, a call while another thread is inside the consumer, and
// any call after Close();
// InvalidArgument for group calls without a group.id; OutOfRange when a
// position is outside the log and auto.offset.reset=none, and for a commit
// past the log end; Cancelled from the Poll that Wakeup() interrupted;
// Unimplemented for read_committed over a transactional batch (no
// transactional producer yet); the log's errors (DataLoss for a batch
// whose CRC does not match).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rill/broker.h"
#include "rill/producer.h"  // rill::Header
#include "rill/topic_options.h"

namespace rill {

namespace client {
class ConsumerRecordsBuilder;
}  // namespace client

// One partition of a topic: Kafka's TopicPartition. Ordered and hashable.
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // "orders-3", as Kafka prints it.
  std::string ToString() const;

  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TopicPartition& tp) {
    return H::combine(std::move(h), tp.topic, tp.partition);
  }
};

// An offset with the metadata a commit stores: Kafka's OffsetAndMetadata.
// `offset` is the next record to consume (last processed + 1).
struct OffsetAndMetadata {
  int64_t offset = 0;
  std::string metadata;
  std::optional<int32_t> leader_epoch;
};

// What OffsetsForTimes finds: the first offset whose timestamp is at or
// after the target, with that timestamp.
struct OffsetAndTimestamp {
  int64_t offset = 0;
  int64_t timestamp = 0;
};

// auto.offset.reset: where to start when a partition has no position, or
// its position is outside the log (retention deleted it, or a Seek past
// the end).
enum class OffsetReset {
  kEarliest,  // "earliest": the log start offset.
  kLatest,    // "latest": the high watermark (only records produced from now on).
  kNone,      // "none": Poll fails naming the partition.
};

// isolation.level
enum class IsolationLevel {
  kReadUncommitted,  // "read_uncommitted": everything below the high watermark.
  kReadCommitted,    // "read_committed": only committed transactions, below the LSO.
};

// partition.assignment.strategy entries.
enum class Assignor {
  kRange,              // "range", org.apache.kafka.clients.consumer.RangeAssignor
  kRoundRobin,         // "roundrobin", ...RoundRobinAssignor
  kSticky,             // "sticky", ...StickyAssignor
  kCooperativeSticky,  // "cooperative-sticky", ...CooperativeStickyAssignor
};

struct ConsumerOptions {
  // group.id: the consumer group. Empty (Kafka's null, the default) means
  // no group: positions come from Seek and auto.offset.reset only, and
  // Subscribe and the commit calls fail.
  std::string group_id;
  // auto.offset.reset. Default latest.
  OffsetReset auto_offset_reset = OffsetReset::kLatest;
  // enable.auto.commit: commit positions from Poll every
  // auto.commit.interval.ms. Default true; without a group.id it is off,
  // as in Kafka.
  bool enable_auto_commit = true;
  // auto.commit.interval.ms. Default 5000.
  int32_t auto_commit_interval_ms = 5000;
  // max.poll.records: the most records one Poll returns. Default 500.
  int32_t max_poll_records = 500;
  // fetch.min.bytes: Poll waits (up to fetch.max.wait.ms) until this many
  // bytes of batches are there. Default 1.
  int32_t fetch_min_bytes = 1;
  // fetch.max.wait.ms: how long Poll waits for fetch.min.bytes once it has
  // some records. Default 500.
  int32_t fetch_max_wait_ms = 500;
  // max.partition.fetch.bytes: batch bytes one Poll takes from one
  // partition; a larger first batch is still returned (KIP-74). Default 1 MiB.
  int32_t max_partition_fetch_bytes = 1 << 20;
  // fetch.max.bytes: batch bytes one Poll takes in all; the first batch is
  // returned even if larger, so the consumer always makes progress.
  // Default 50 MiB.
  int32_t fetch_max_bytes = 50 << 20;
  // check.crcs: verify each batch's CRC-32C before returning its records.
  // Default true.
  bool check_crcs = true;
  // isolation.level. Default read_uncommitted. rill has no transactional
  // producer yet, so read_committed reads like read_uncommitted (the last
  // stable offset is the high watermark); a transactional batch (in a
  // directory written by Kafka) makes Poll fail with Unimplemented rather
  // than return records that might be aborted.
  IsolationLevel isolation_level = IsolationLevel::kReadUncommitted;
  // session.timeout.ms (groups): a member without heartbeats for this long
  // is removed. An open consumer heartbeats all the time, as the Java
  // client's heartbeat thread does, so in-process this times out only a
  // static member whose consumer closed (KIP-345). Default 45000.
  int32_t session_timeout_ms = 45'000;
  // heartbeat.interval.ms (groups): how often the Java client's heartbeat
  // thread tells the coordinator it is alive, and so how late it may learn
  // of a rebalance. In-process the coordinator sees an open consumer as
  // alive without messages and wakes its Poll as a rebalance starts, so
  // nothing is paced by it; it is validated as Kafka does: with a
  // group.id it must be lower than session.timeout.ms (else
  // InvalidArgument naming both). Default 3000.
  int32_t heartbeat_interval_ms = 3000;
  // max.poll.interval.ms (groups): a member that does not Poll for this
  // long leaves the group. Default 300000.
  int32_t max_poll_interval_ms = 300'000;
  // group.instance.id (groups, KIP-345): static membership. Empty = none.
  std::string group_instance_id;
  // partition.assignment.strategy (groups), in order of preference.
  // Default [range, cooperative-sticky], as Kafka 3.x/4.x.
  std::vector<Assignor> partition_assignment_strategy = {Assignor::kRange,
                                                         Assignor::kCooperativeSticky};
  // client.id, for errors and (later) metrics.
  std::string client_id;

  // InvalidArgument naming the config, the value and Kafka's bound.
  absl::Status Validate() const;

  // Kafka's consumer property names (group.id, auto.offset.reset,
  // max.poll.records, ...; partition.assignment.strategy takes Kafka's
  // class names or the short names, comma separated). Unknown names and
  // bad values are InvalidArgument naming them; so is
  // enable.auto.commit=true without group.id, as in Kafka.
  static absl::StatusOr<ConsumerOptions> FromProperties(
      const std::map<std::string, std::string>& properties);
};

// One record as Poll returns it. The views (topic, key, value, headers)
// point into the ConsumerRecords that holds the record.
class ConsumerRecord {
 public:
  absl::string_view topic() const { return topic_; }
  int32_t partition() const { return partition_; }
  int64_t offset() const { return offset_; }
  // Milliseconds since the epoch: CreateTime, or the broker's append time.
  int64_t timestamp() const { return timestamp_; }
  TimestampType timestamp_type() const { return timestamp_type_; }
  // nullopt for a null key / value (a tombstone), unlike an empty one.
  std::optional<absl::string_view> key() const { return Bytes(key_, key_size_); }
  std::optional<absl::string_view> value() const { return Bytes(value_, value_size_); }
  absl::Span<const Header> headers() const { return {headers_, header_count_}; }
  // The partition leader epoch of the record's batch, if it has one.
  std::optional<int32_t> leader_epoch() const {
    return leader_epoch_ >= 0 ? std::optional<int32_t>(leader_epoch_) : std::nullopt;
  }

 private:
  friend class client::ConsumerRecordsBuilder;

  static std::optional<absl::string_view> Bytes(const char* data, int32_t size) {
    return size >= 0 ? std::optional<absl::string_view>(absl::string_view(data, size))
                     : std::nullopt;
  }

  // Packed (80 bytes): a Poll writes hundreds of these, and their size is
  // most of the cost of handing a record over. A size of -1 is null.
  absl::string_view topic_;
  int64_t offset_ = 0;
  int64_t timestamp_ = -1;
  const char* key_ = nullptr;
  const char* value_ = nullptr;
  const Header* headers_ = nullptr;
  int32_t key_size_ = -1;
  int32_t value_size_ = -1;
  uint32_t header_count_ = 0;
  int32_t partition_ = 0;
  int32_t leader_epoch_ = -1;
  TimestampType timestamp_type_ = TimestampType::kCreateTime;
};

// The records of one Poll: a range over all of them, partition by
// partition, each partition's in offset order; and the records of one
// partition. The bytes the records view stay valid as long as any copy of
// this object lives — at least until the next Poll, as Kafka promises, and
// longer if kept — but not after the Broker closes.
class ConsumerRecords {
 public:
  using const_iterator = std::vector<ConsumerRecord>::const_iterator;

  ConsumerRecords() = default;

  const_iterator begin() const { return records_.begin(); }
  const_iterator end() const { return records_.end(); }
  size_t count() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

  // The partitions that have records here, in the order they appear.
  std::vector<TopicPartition> partitions() const;
  // The records of `partition` (empty if it has none here).
  absl::Span<const ConsumerRecord> records(const TopicPartition& partition) const;

 private:
  friend class client::ConsumerRecordsBuilder;
  struct PartitionRange {
    TopicPartition partition;
    size_t begin = 0;
    size_t end = 0;
  };

  std::vector<ConsumerRecord> records_;
  std::vector<PartitionRange> ranges_;
  // Keeps alive what the records view: segments, decompressed bytes,
  // headers and topic names. Shared, so copies are cheap and safe.
  std::shared_ptr<const void> storage_;
};

// Told when a group rebalance moves partitions to or from this consumer.
// The calls run inside Poll (and Unsubscribe / Close), on the consumer's
// thread, and must not throw; they may call the consumer (CommitSync, Seek,
// Position). Order (Kafka's): with an eager assignor (range, roundrobin,
// sticky) every rebalance revokes all partitions before joining, then
// assigns the new set; with cooperative-sticky only partitions that move
// are revoked, after the new assignment arrives, followed by
// OnPartitionsAssigned with the added ones (possibly none).
class ConsumerRebalanceListener {
 public:
  virtual ~ConsumerRebalanceListener() = default;
  // Before a rebalance takes `partitions` away (commit their offsets here).
  virtual void OnPartitionsRevoked(absl::Span<const TopicPartition> partitions) = 0;
  // After a rebalance gave this consumer `partitions`.
  virtual void OnPartitionsAssigned(absl::Span<const TopicPartition> partitions) = 0;
  // `partitions` were already given to another member (this one was
  // removed from the group): too late to commit. Default: as revoked.
  virtual void OnPartitionsLost(absl::Span<const TopicPartition> partitions) {
    OnPartitionsRevoked(partitions);
  }
};

// What a consumer knows of its group: Kafka's ConsumerGroupMetadata.
struct ConsumerGroupMetadata {
  std::string group_id;
  int32_t generation_id = -1;  // -1 outside a generation.
  std::string member_id;       // Empty before joining.
  std::string group_instance_id;
};

// Told the outcome of CommitAsync, inside a later Poll / CommitSync / Close.
using OffsetCommitCallback = std::function<void(
    const std::map<TopicPartition, OffsetAndMetadata>& offsets, const absl::Status& status)>;

class Consumer {
 public:
  // REQUIRES: `broker` outlives the consumer. Invalid options do not throw:
  // every call then fails with the status that Create() returns.
  Consumer(Broker* broker, const ConsumerOptions& options = {});
  // As the constructor, but reports invalid options at once.
  static absl::StatusOr<std::unique_ptr<Consumer>> Create(Broker* broker,
                                                          const ConsumerOptions& options);
  ~Consumer();  // Close().

  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Joins group.id and takes the partitions the group assigns of `topics`
  // (topics that do not exist yet are picked up when created). Replaces an
  // earlier subscription; an empty list unsubscribes. `listener` (may be
  // null; not owned) hears of rebalances; it must outlive the subscription,
  // which Close() and the destructor end by revoking through it.
  // The join itself happens in the next Poll. InvalidArgument without a
  // group.id; FailedPrecondition after Assign().
  absl::Status Subscribe(const std::vector<std::string>& topics,
                         ConsumerRebalanceListener* listener = nullptr);
  // As Subscribe, for every non-internal topic whose whole name matches
  // the ECMAScript regex `pattern` (Java's Pattern.matches), re-evaluated
  // at each Poll so that new matching topics join the subscription.
  absl::Status SubscribePattern(const std::string& pattern,
                                ConsumerRebalanceListener* listener = nullptr);
  // Leaves the group (revoking the assignment through the listener,
  // auto-committing first if enabled) and clears the subscription.
  absl::Status Unsubscribe();
  // The subscribed topics (a pattern's current matches), sorted.
  std::vector<std::string> Subscription() const;

  // Asks the group for a new rebalance (KafkaConsumer.enforceRebalance,
  // KIP-568): the next Poll rejoins, and the other members rejoin in their
  // next Polls, so the rebalance completes with a new generation and runs
  // the listener as any rebalance does (eager: everything revoked, then
  // assigned; cooperative: OnPartitionsAssigned, with nothing added unless
  // the assignment changed). Returns at once; during a rebalance (or
  // before the first join) the one in progress serves and this is a
  // no-op. `reason` is Kafka's KIP-800 JoinGroup reason, which only
  // reaches the broker's log; rill has none, so it is not kept.
  // FailedPrecondition without a group.id or a subscription (Kafka's
  // IllegalStateException).
  absl::Status EnforceRebalance(absl::string_view reason = "");

  // Commits the position of every assigned partition (what Poll has
  // returned) for group.id, fenced by this member's generation.
  absl::Status CommitSync();
  // Commits `offsets` (offset = the next record to consume) with their
  // metadata strings.
  absl::Status CommitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets);
  // As CommitSync, reporting to `callback` (may be empty) inside a later
  // Poll, CommitSync or Close, as Kafka does; later commits may be
  // reported first. Never retried. Called while another thread is inside
  // the consumer, it commits nothing and calls `callback` at once, on the
  // calling thread, with FailedPrecondition.
  void CommitAsync(OffsetCommitCallback callback = nullptr);
  void CommitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets,
                   OffsetCommitCallback callback);
  // The committed offsets of `partitions` for group.id; partitions without
  // one are absent.
  absl::StatusOr<std::map<TopicPartition, OffsetAndMetadata>> Committed(
      absl::Span<const TopicPartition> partitions);
  // The group, generation and member id: Kafka's groupMetadata(). Only
  // group_id and group_instance_id are set while another thread is inside
  // the consumer.
  ConsumerGroupMetadata GroupMetadata() const;

  // Replaces the assignment with `partitions` (duplicates are ignored; an
  // empty list unassigns everything). Partitions that stay assigned keep
  // their positions and paused state; new ones start without a position
  // (auto.offset.reset decides at the next Poll or Position). NotFound
  // names a topic or partition that does not exist; the assignment is then
  // unchanged.
  absl::Status Assign(absl::Span<const TopicPartition> partitions);
  // The assigned partitions, sorted; empty while another thread is inside
  // the consumer (as are Subscription() and Paused()).
  std::vector<TopicPartition> Assignment() const;

  // Returns the next records of the assigned, unpaused partitions, waiting
  // up to `timeout` until there are some. `timeout` and fetch.max.wait.ms
  // are real time, even with a ManualClock: they are how long the calling
  // thread blocks. Returns as soon as there
  // are records and fetch.min.bytes is met (or fetch.max.wait.ms passed,
  // or a limit is reached), and empty at the timeout. Control records
  // (transaction markers) are never returned. Partitions are served round
  // robin: one that returned records goes to the back of the line.
  // Positions move past what is returned; a failed Poll moves none.
  // Errors: Cancelled after Wakeup(); FailedPrecondition without an
  // assignment or (auto.offset.reset=none) without a position; OutOfRange
  // when a position is outside the log and auto.offset.reset=none;
  // NotFound when an assigned topic was deleted — the message names its
  // partitions, which are then no longer assigned.
  absl::StatusOr<ConsumerRecords> Poll(absl::Duration timeout);

  // Sets the position of an assigned partition: the next Poll returns the
  // record at `offset` (or the first after it, if it was compacted away or
  // lies inside a batch's gap). Past the log end, auto.offset.reset decides
  // at the next Poll.
  absl::Status Seek(const TopicPartition& partition, int64_t offset);
  absl::Status Seek(const TopicPartition& partition, const OffsetAndMetadata& offset);
  // The next Poll or Position starts `partitions` (all assigned ones if
  // empty) at the log start / the high watermark, read then (lazily, as
  // Kafka).
  absl::Status SeekToBeginning(absl::Span<const TopicPartition> partitions = {});
  absl::Status SeekToEnd(absl::Span<const TopicPartition> partitions = {});
  // The offset of the next record Poll would return for an assigned
  // partition, applying a pending SeekToBeginning/End or auto.offset.reset.
  absl::StatusOr<int64_t> Position(const TopicPartition& partition);
  // KafkaConsumer.currentLag: the high watermark (under read_committed the
  // last stable offset, the same without transactions) minus the position
  // of an assigned partition. nullopt while the lag is unknown: before the
  // partition has a position (a Poll, Position or Seek gives it one), while
  // a SeekToBeginning/End is pending, or once its topic was deleted. Kafka
  // answers from cached metadata and may not know the end offset yet;
  // in-process the high watermark is always current, so this reads two
  // numbers and never blocks. Negative after a Seek past the log end,
  // until the next Poll resets the position. FailedPrecondition for a
  // partition that is not assigned (Kafka's IllegalStateException).
  absl::StatusOr<std::optional<int64_t>> CurrentLag(const TopicPartition& partition);

  // For each partition (assigned or not), the first offset whose timestamp
  // is at or after the target (milliseconds since the epoch), or nullopt
  // if there is none. InvalidArgument for a negative target.
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>> OffsetsForTimes(
      const std::map<TopicPartition, int64_t>& timestamps);
  // The log start offsets / the high watermarks (the last stable offsets
  // under read_committed, which are the same without transactions) of
  // `partitions`, assigned or not.
  absl::StatusOr<std::map<TopicPartition, int64_t>> BeginningOffsets(
      absl::Span<const TopicPartition> partitions);
  absl::StatusOr<std::map<TopicPartition, int64_t>> EndOffsets(
      absl::Span<const TopicPartition> partitions);

  // Paused partitions keep their positions and return nothing from Poll
  // until resumed. REQUIRES assigned partitions (else FailedPrecondition).
  absl::Status Pause(absl::Span<const TopicPartition> partitions);
  absl::Status Resume(absl::Span<const TopicPartition> partitions);
  // The paused partitions, sorted.
  std::vector<TopicPartition> Paused() const;

  // Makes the Poll in progress, or the next one if none is, return
  // Cancelled at once. May be called from any thread.
  void Wakeup();

  // KafkaConsumer.close(Duration): with enable.auto.commit, commits the
  // positions (synchronously); revokes a subscribed consumer's assignment
  // through the listener and leaves the group, so the others rebalance at
  // once (a static member only detaches: its partitions wait
  // session.timeout.ms for it); runs the pending CommitAsync callbacks;
  // releases the assignment. Kafka bounds the commit and the LeaveGroup by
  // `timeout`; in-process both complete without waiting, so Close never
  // blocks (beyond the listener's own time) and `timeout` only has to be
  // non-negative (else InvalidArgument, and the consumer stays open).
  // Returns the first error, such as a final commit the group fenced, but
  // always ends closed. Idempotent, also from inside the listener; every
  // other call afterwards fails with FailedPrecondition.
  absl::Status Close(absl::Duration timeout);
  // Close with Kafka's default timeout, 30 s.
  absl::Status Close();

  // The options in effect. Any thread.
  const ConsumerOptions& options() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rill

#endif  // RILL_CONSUMER_H_
