#ifndef RILL_STORAGE_LOG_CONFIG_H_
#define RILL_STORAGE_LOG_CONFIG_H_

// The topic configs one partition's log obeys, by Kafka name and default
// (LogConfig.java, ServerLogConfigs.java). The broker maps TopicOptions onto
// this; the storage layer validates it.

#include <cstdint>

#include "absl/status/status.h"
#include "lib/format/record_batch_format.h"
#include "lib/storage/segment.h"

namespace rill::storage {

struct LogConfig {
  // segment.bytes: roll before a batch would make the active segment larger.
  int32_t segment_bytes = 1 << 30;
  // segment.ms: roll once the active segment's records span this long.
  int64_t segment_ms = 7 * 24 * 3600 * 1000LL;
  // segment.jitter.ms: subtract a random [0, jitter) from segment.ms per
  // segment, so many partitions do not roll at once.
  int64_t segment_jitter_ms = 0;
  // segment.index.bytes: preallocated size of each index of the active segment.
  int32_t segment_index_bytes = 10 * 1024 * 1024;
  // index.interval.bytes: bytes of batches between sparse index entries.
  int32_t index_interval_bytes = 4096;
  // max.message.bytes: the largest batch (after compression) accepted.
  int32_t max_message_bytes = 1048588;
  // flush.messages: fsync once this many records are unflushed (Kafka's
  // default: never, relying on replication; rill's broker keeps that default).
  int64_t flush_messages = INT64_MAX;
  // flush.ms: fsync once the oldest unflushed append is this old.
  int64_t flush_ms = INT64_MAX;
  // retention.ms: delete segments whose newest record is older; -1 = never.
  int64_t retention_ms = 7 * 24 * 3600 * 1000LL;
  // retention.bytes: delete oldest segments while the log is larger; -1 = never.
  int64_t retention_bytes = -1;
  // file.delete.delay.ms: how long a deleted segment's files stay as
  // `.deleted` before removal.
  int64_t file_delete_delay_ms = 60000;
  // preallocate: reserve all of segment.bytes when a segment is created.
  bool preallocate = false;
  // cleanup.policy contains "delete": retention.ms / retention.bytes apply.
  bool delete_retention = true;
  // cleanup.policy contains "compact": the log cleaner (log_cleaner.h) keeps
  // the latest record of every key.
  bool compact = false;
  // delete.retention.ms: how long a tombstone stays after the cleaning that
  // first saw it (its batch's KIP-534 delete horizon). Default 1 day.
  int64_t delete_retention_ms = 86'400'000;
  // min.cleanable.dirty.ratio: clean once dirty bytes / all cleanable-range
  // bytes exceed this. Default 0.5.
  double min_cleanable_dirty_ratio = 0.5;
  // min.compaction.lag.ms: a segment whose newest record is younger stays
  // uncompacted. Default 0.
  int64_t min_compaction_lag_ms = 0;
  // max.compaction.lag.ms: a dirty segment whose first batch is older is
  // cleaned whatever the dirty ratio. Default never.
  int64_t max_compaction_lag_ms = INT64_MAX;
  // message.timestamp.type: CreateTime, or LogAppendTime (the log stamps
  // the batch with its clock).
  format::TimestampType message_timestamp_type = format::TimestampType::kCreateTime;
  // How the active segment is written (not a Kafka config; see segment.h).
  SegmentWriteMode write_mode = SegmentWriteMode::kPwrite;

  // InvalidArgument naming the config and Kafka's bounds when out of range.
  absl::Status Validate() const;
  SegmentOptions segment_options() const;
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_LOG_CONFIG_H_
