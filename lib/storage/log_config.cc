#include "lib/storage/log_config.h"

#include "absl/strings/str_cat.h"

namespace rill::storage {
namespace {

absl::Status OutOfBounds(const char* name, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value ", value, " for ", name, ": must be in [", min, ", ", max, "]"));
}

}  // namespace

absl::Status LogConfig::Validate() const {
  // Bounds as Kafka's LogConfig defines them.
  for (absl::Status s : {
           OutOfBounds("segment.bytes", segment_bytes, 14, INT32_MAX),
           OutOfBounds("segment.ms", segment_ms, 1, INT64_MAX),
           OutOfBounds("segment.jitter.ms", segment_jitter_ms, 0, INT64_MAX),
           OutOfBounds("segment.index.bytes", segment_index_bytes, 4, INT32_MAX),
           OutOfBounds("index.interval.bytes", index_interval_bytes, 0, INT32_MAX),
           OutOfBounds("max.message.bytes", max_message_bytes, 0, INT32_MAX),
           OutOfBounds("flush.messages", flush_messages, 1, INT64_MAX),
           OutOfBounds("flush.ms", flush_ms, 0, INT64_MAX),
           OutOfBounds("retention.ms", retention_ms, -1, INT64_MAX),
           OutOfBounds("retention.bytes", retention_bytes, -1, INT64_MAX),
           OutOfBounds("file.delete.delay.ms", file_delete_delay_ms, 0, INT64_MAX),
           OutOfBounds("delete.retention.ms", delete_retention_ms, 0, INT64_MAX),
           OutOfBounds("min.compaction.lag.ms", min_compaction_lag_ms, 0, INT64_MAX),
           OutOfBounds("max.compaction.lag.ms", max_compaction_lag_ms, 1, INT64_MAX),
       }) {
    if (!s.ok()) return s;
  }
  if (!(min_cleanable_dirty_ratio >= 0 && min_cleanable_dirty_ratio <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value ", min_cleanable_dirty_ratio,
                                                   " for min.cleanable.dirty.ratio: must be in [0, 1]"));
  }
  return absl::OkStatus();
}

SegmentOptions LogConfig::segment_options() const {
  SegmentOptions o;
  o.segment_bytes = static_cast<uint64_t>(segment_bytes);
  o.max_index_bytes = static_cast<uint64_t>(segment_index_bytes);
  o.index_interval_bytes = static_cast<uint32_t>(index_interval_bytes);
  o.preallocate = preallocate;
  o.max_batch_bytes = static_cast<uint64_t>(max_message_bytes);
  o.write_mode = write_mode;
  return o;
}

}  // namespace rill::storage
