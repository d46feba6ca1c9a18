#ifndef RILL_BROKER_H_
#define RILL_BROKER_H_

// The embedded broker: one data directory (or memory), its topics and their
// partitions. Producers and consumers work against a Broker.
//
//   auto broker = rill::Broker::Open("./data", rill::BrokerOptions{});
//   if (!broker.ok()) return broker.status();
//   auto topic = (*broker)->CreateTopic("orders", {.partitions = 4});
//
// Thread safety: every method of Broker, Topic and Partition may be called
// from any thread. Topic* and Partition* stay valid until the topic is
// deleted or the broker closes.
// Errors: InvalidArgument for bad names and configs (Kafka's messages);
// AlreadyExists / NotFound for topics; FailedPrecondition when the
// directory is locked by another process (naming it and the pid) or the
// broker is closed; the storage layer's errors (DataLoss, ResourceExhausted).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rill/clock.h"
#include "rill/topic_options.h"

namespace rill {

struct BrokerOptions {
  // Where time comes from; default the system clock. Not owned.
  Clock* clock = nullptr;
  // Run flush timers, retention and the other periodic work on a broker
  // thread. With false, nothing happens until RunMaintenance() is called:
  // what a deterministic test wants.
  bool background_threads = true;
  // How often the broker thread runs maintenance (Kafka splits this into
  // log.retention.check.interval.ms, log.flush.scheduler.interval.ms, ...).
  int64_t maintenance_interval_ms = 1000;
  // log.retention.check.interval.ms: how often retention runs. Default 5 min.
  int64_t log_retention_check_interval_ms = 300'000;
  // Broker-level topic defaults (num.partitions, log.retention.ms,
  // log.segment.bytes, ...): what CreateTopic starts from.
  TopicOptions default_topic;
  // auto.create.topics.enable: producing to a missing topic creates it with
  // default_topic. Kafka's default is true; an embedded broker's is false,
  // so a typo is an error instead of a new topic.
  bool auto_create_topics_enable = false;
  // offsets.topic.num.partitions: partitions of the internal
  // __consumer_offsets topic, created on the first group use. Default 50.
  int32_t offsets_topic_num_partitions = 50;
  // offsets.retention.minutes: committed offsets of a group that has been
  // empty this long are deleted (tombstones). Default 7 days.
  int64_t offsets_retention_minutes = 10'080;
  // Open without the directory lock and never write: to inspect a
  // directory another process owns.
  bool read_only = false;
  // rill's own, not a Kafka config: zeros written ahead of each active
  // segment's end, in one of two ways (docs/storage.md "Zero fill ahead").
  // While a partition's log syncs often (flush.messages or flush.ms small
  // enough for two syncs per MiB appended), a broker thread writes and
  // syncs zeros a few MiB ahead. Each sync of the log then writes only data
  // and skips the filesystem's journal commit of newly allocated blocks:
  // about 20-35 % faster commits on ext4. The price is that such a log's
  // bytes are written to disk twice (once as zeros); on copy-on-write
  // filesystems (btrfs, ZFS) turn it off. This way needs background_threads.
  // A log that never syncs (flush.messages and flush.ms unset, Kafka's
  // default) instead, while it appends at least 256 KiB a second, writes
  // zeros up to 512 KiB ahead itself, unsynced, so the page cache holds its
  // data in large folios: cheaper writes, and readers map the data ~4 x
  // faster. Those zeros are overwritten in memory, not written to disk
  // (unless the log stops right after: then once). Either way the zeros
  // are cut at a roll or close, and recovery cuts them after a crash
  // without calling it a truncation. Default true.
  bool zero_fill_ahead = true;

  // The log cleaner (compaction of topics whose cleanup.policy has
  // "compact"; docs/compaction.md).
  // log.cleaner.threads: background cleaner threads, started only with
  // background_threads; RunMaintenance() and Partition::Compact() clean on
  // the calling thread either way. Default 1.
  int32_t log_cleaner_threads = 1;
  // log.cleaner.dedupe.buffer.size: offset-map memory of all cleaner
  // threads together (24 bytes per key). Default 128 MiB.
  int64_t log_cleaner_dedupe_buffer_size = 128LL << 20;
  // log.cleaner.io.max.bytes.per.second: read + write throttle of the
  // cleaner; 0 = unlimited (the default, as Kafka's Double.MAX).
  double log_cleaner_io_max_bytes_per_second = 0;
  // log.cleaner.backoff.ms: how long a cleaner thread sleeps when no log
  // needs cleaning. Default 15 s.
  int64_t log_cleaner_backoff_ms = 15'000;

  // Kafka broker property names: num.partitions, log.segment.bytes,
  // log.retention.ms/.minutes/.hours, log.retention.bytes, log.roll.ms/.hours,
  // log.flush.interval.messages, log.flush.interval.ms, log.cleanup.policy,
  // message.max.bytes, log.message.timestamp.type, log.preallocate,
  // log.segment.delete.delay.ms, log.index.size.max.bytes,
  // log.index.interval.bytes, log.retention.check.interval.ms,
  // auto.create.topics.enable, min.insync.replicas, compression.type,
  // offsets.topic.num.partitions, offsets.retention.minutes,
  // log.cleaner.threads, log.cleaner.dedupe.buffer.size,
  // log.cleaner.io.max.bytes.per.second, log.cleaner.backoff.ms,
  // log.cleaner.delete.retention.ms, log.cleaner.min.cleanable.ratio,
  // log.cleaner.{min,max}.compaction.lag.ms.
  // Unknown names are InvalidArgument.
  static absl::StatusOr<BrokerOptions> FromProperties(
      const std::map<std::string, std::string>& properties);
};

class Partition;

// What DescribeTopic reports.
struct PartitionDescription {
  int32_t partition = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;
  int64_t high_watermark = 0;
  int32_t segments = 0;
  uint64_t size_bytes = 0;
};
struct TopicDescription {
  std::string name;
  std::string topic_id;  // Kafka's 22-character base64url UUID.
  TopicOptions options;
  bool internal = false;
  std::vector<PartitionDescription> partitions;
};

// What Partition::Compact() did: the partition before and after, and how
// far it is now compacted.
struct CompactionResult {
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  int64_t records_before = 0;  // Records physically present (batch counts).
  int64_t records_after = 0;
  int32_t segments_before = 0;
  int32_t segments_after = 0;
  // The first offset the cleaner has not compacted yet (the
  // cleaner-offset-checkpoint): the active segment's base at most.
  int64_t first_dirty_offset = 0;
};

// What Broker::Open found in the data directory and what it repaired,
// summed over the partitions: what Kafka's broker logs at startup
// ("Recovering unflushed segment ...", "Truncating ... to offset ...").
struct RecoveryReport {
  // The previous run closed cleanly: nothing was rescanned.
  bool clean_shutdown = true;
  int32_t partitions = 0;          // Partition logs loaded.
  int32_t segments = 0;            // Their segments.
  int32_t recovered_segments = 0;  // Rescanned after an unclean stop.
  uint64_t recovered_bytes = 0;    // Valid batches rescanned (and kept).
  uint64_t truncated_bytes = 0;    // Torn, corrupt or zero-filled tail cut off.
  int32_t deleted_segments = 0;    // Segments past a truncation point.
  int32_t completed_swaps = 0;     // Interrupted compaction swaps finished.
  // One line per partition that lost bytes or met corruption:
  // "<topic>-<partition>: <bytes> bytes cut from offset <o>: <first problem>".
  std::vector<std::string> truncations;
};

// A topic: a name, options and partitions 0..partition_count()-1.
class Topic {
 public:
  virtual ~Topic() = default;
  virtual const std::string& name() const = 0;
  virtual std::string topic_id() const = 0;
  virtual int32_t partition_count() const = 0;
  virtual TopicOptions options() const = 0;
  // nullptr when out of range.
  virtual Partition* partition(int32_t index) const = 0;
};

// One partition of a topic: an ordered log, offsets
// [log_start_offset(), log_end_offset()). With one replica the high
// watermark (what consumers may read) is the log end offset.
class Partition {
 public:
  virtual ~Partition() = default;
  virtual const std::string& topic() const = 0;
  virtual int32_t id() const = 0;
  virtual int64_t log_start_offset() const = 0;
  virtual int64_t log_end_offset() const = 0;
  virtual int64_t high_watermark() const = 0;
  virtual uint64_t size_bytes() const = 0;
  // Runs the log cleaner over this partition now, whatever its dirty ratio
  // (min.compaction.lag.ms, open transactions and the active segment still
  // bound it), and returns when the pass is done. Producers and consumers
  // go on meanwhile. InvalidArgument when cleanup.policy has no "compact";
  // FailedPrecondition on a read-only or closed broker.
  virtual absl::StatusOr<CompactionResult> Compact() = 0;
};

class Broker {
 public:
  // Opens (creating if needed) the data directory `dir`: takes its lock,
  // recovers its logs (only what an unclean stop left unflushed), loads the
  // topics.
  static absl::StatusOr<std::unique_ptr<Broker>> Open(const std::string& dir,
                                                      const BrokerOptions& options);
  // A broker whose segments live in memfds: the same code as on disk, no
  // files. For unit tests and event-sourcing tests.
  static absl::StatusOr<std::unique_ptr<Broker>> OpenInMemory(const BrokerOptions& options);

  virtual ~Broker() = default;

  // Creates a topic; AlreadyExists if it exists (the returned status only),
  // InvalidArgument for Kafka-illegal names, reserved "__" names, names
  // colliding with an existing topic on '.' vs '_', or bad options.
  virtual absl::StatusOr<Topic*> CreateTopic(const std::string& name,
                                             const TopicOptions& options) = 0;
  // CreateTopic with the broker's default_topic options.
  absl::StatusOr<Topic*> CreateTopic(const std::string& name);
  virtual absl::Status DeleteTopic(const std::string& name) = 0;
  virtual std::vector<std::string> ListTopics() const = 0;
  virtual absl::StatusOr<TopicDescription> DescribeTopic(const std::string& name) const = 0;
  // Grows the topic to `total` partitions; InvalidArgument if not larger.
  virtual absl::Status CreatePartitions(const std::string& name, int32_t total) = 0;
  // Sets the given topic configs (Kafka names; incremental). Applies to new
  // segments and appends at once.
  virtual absl::Status AlterConfigs(const std::string& name,
                                    const std::map<std::string, std::string>& configs) = 0;
  // The topic, or nullptr.
  virtual Topic* topic(const std::string& name) const = 0;

  // Runs every periodic task now: flush timers, rolled-segment flushes,
  // retention, checkpoints, group timers (session.timeout.ms,
  // max.poll.interval.ms, offsets.retention.minutes) and, as it arrives,
  // compaction. Background threads call it on their own.
  virtual absl::Status RunMaintenance() = 0;

  // Flushes and closes every log, writes the checkpoints and the
  // clean-shutdown marker, stops the broker thread, releases the lock.
  // Idempotent; the destructor calls it.
  virtual absl::Status Close() = 0;

  virtual Clock* clock() const = 0;
  virtual const BrokerOptions& options() const = 0;
  // What Open recovered (empty for OpenInMemory). Fixed once Open returns.
  virtual const RecoveryReport& recovery_report() const = 0;
};

}  // namespace rill

#endif  // RILL_BROKER_H_
