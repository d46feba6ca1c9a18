#ifndef RILL_TOPIC_OPTIONS_H_
#define RILL_TOPIC_OPTIONS_H_

// A topic's configuration: Kafka's topic configs by name and default
// (LogConfig.java / TopicConfig.java). Each field names its Kafka config.
// Plain struct: safe to copy; not synchronized.

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rill {

// cleanup.policy
enum class CleanupPolicy {
  kDelete,         // "delete": retention.ms / retention.bytes remove old segments.
  kCompact,        // "compact": the log cleaner keeps the latest value per key.
  kCompactDelete,  // "compact,delete": both.
};

// message.timestamp.type
enum class TimestampType {
  kCreateTime,     // "CreateTime": the producer's timestamp is kept.
  kLogAppendTime,  // "LogAppendTime": the broker stamps each batch on append.
};

// compression.type of a topic: "producer" keeps what the producer sent.
enum class TopicCompression { kProducer, kUncompressed, kGzip, kSnappy, kLz4, kZstd };

struct TopicOptions {
  // Number of partitions (num.partitions at the broker). Default 1.
  int32_t partitions = 1;
  // replication.factor. A single broker has one replica of everything.
  int16_t replication_factor = 1;

  // cleanup.policy. Default delete.
  CleanupPolicy cleanup_policy = CleanupPolicy::kDelete;
  // compression.type. Default producer.
  TopicCompression compression_type = TopicCompression::kProducer;
  // delete.retention.ms: how long tombstones stay after compaction. Default 1 day.
  int64_t delete_retention_ms = 86'400'000;
  // file.delete.delay.ms: how long deleted segment files linger. Default 1 minute.
  int64_t file_delete_delay_ms = 60'000;
  // flush.messages: fsync after this many records. Default never (Long.MAX).
  int64_t flush_messages = INT64_MAX;
  // flush.ms: fsync when the oldest unflushed record is this old. Default never.
  int64_t flush_ms = INT64_MAX;
  // index.interval.bytes: bytes between offset-index entries. Default 4096.
  int32_t index_interval_bytes = 4096;
  // max.compaction.lag.ms: a record becomes compactable at the latest after
  // this long. Default never (Long.MAX).
  int64_t max_compaction_lag_ms = INT64_MAX;
  // max.message.bytes: the largest batch (after compression). Default 1 MiB + 12.
  int32_t max_message_bytes = 1'048'588;
  // message.timestamp.type. Default CreateTime.
  TimestampType message_timestamp_type = TimestampType::kCreateTime;
  // message.timestamp.before.max.ms / after.max.ms: the largest accepted
  // distance of a CreateTime timestamp before / after the broker's clock.
  // Default unlimited (Kafka 3.x).
  int64_t message_timestamp_before_max_ms = INT64_MAX;
  int64_t message_timestamp_after_max_ms = INT64_MAX;
  // min.cleanable.dirty.ratio. Default 0.5.
  double min_cleanable_dirty_ratio = 0.5;
  // min.compaction.lag.ms. Default 0.
  int64_t min_compaction_lag_ms = 0;
  // min.insync.replicas. Default 1.
  int32_t min_insync_replicas = 1;
  // preallocate: reserve a whole segment on disk when it is created. Default false.
  bool preallocate = false;
  // retention.bytes: per-partition size limit; -1 = none. Default -1.
  int64_t retention_bytes = -1;
  // retention.ms: delete segments whose newest record is older; -1 = never.
  // Default 7 days.
  int64_t retention_ms = 7 * 24 * 3600 * 1000LL;
  // segment.bytes. Default 1 GiB.
  int32_t segment_bytes = 1 << 30;
  // segment.index.bytes. Default 10 MiB.
  int32_t segment_index_bytes = 10 * 1024 * 1024;
  // segment.jitter.ms. Default 0.
  int64_t segment_jitter_ms = 0;
  // segment.ms. Default 7 days.
  int64_t segment_ms = 7 * 24 * 3600 * 1000LL;
  // unclean.leader.election.enable. Default false.
  bool unclean_leader_election_enable = false;

  // InvalidArgument naming the config, the value and Kafka's bound.
  absl::Status Validate() const;

  // Applies Kafka's dotted names ("retention.ms" → retention_ms) on top of
  // `base`. Unknown names and bad values are InvalidArgument naming them.
  // "partitions" and "replication.factor" are accepted too.
  static absl::StatusOr<TopicOptions> FromProperties(
      const std::map<std::string, std::string>& properties, const TopicOptions& base);
  static absl::StatusOr<TopicOptions> FromProperties(
      const std::map<std::string, std::string>& properties);
  // Every config by its Kafka name (not partitions / replication.factor).
  std::map<std::string, std::string> ToProperties() const;
  // Only the configs that differ from Kafka's defaults.
  std::map<std::string, std::string> NonDefaultProperties() const;
};

}  // namespace rill

#endif  // RILL_TOPIC_OPTIONS_H_
