#include "lib/client/consumer_fetch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_reader.h"

namespace rill::client {
namespace {

// The status with the partition in front of its message.
absl::Status InPartition(const TopicPartition& partition, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(partition.ToString(), ": ", s.message()));
}

uint64_t Remaining(int64_t limit, uint64_t used) {
  return limit > 0 && static_cast<uint64_t>(limit) > used ? static_cast<uint64_t>(limit) - used : 0;
}

}  // namespace

Fetcher::Fetcher(const FetchLimits& limits, ConsumerRecordsBuilder* out)
    : limits_(limits), out_(out) {}

absl::StatusOr<PartitionFetch> Fetcher::Fetch(const TopicPartition& partition,
                                              const storage::Log& log, int64_t position,
                                              int64_t high_watermark, uint64_t partition_bytes) {
  PartitionFetch result;
  if (position > high_watermark) {
    return absl::OutOfRangeError(absl::StrCat(partition.ToString(), ": offset ", position,
                                              " is past the high watermark ", high_watermark));
  }
  Cursor cursor{&partition, position, high_watermark};
  // Log::Read returns batches of one segment: read on across segments
  // until the high watermark or a limit.
  while (cursor.position < cursor.high_watermark) {
    if (full()) {
      result.limited = true;
      break;
    }
    uint64_t max_bytes =
        std::min(Remaining(limits_.max_partition_bytes, partition_bytes + result.bytes),
                 Remaining(limits_.max_bytes, bytes_));
    RILL_ASSIGN_OR_RETURN(bool progressed, FetchRead(log, max_bytes, &cursor, &result));
    if (!progressed) break;
  }
  result.next_position = cursor.position;
  return result;
}

absl::StatusOr<bool> Fetcher::FetchRead(const storage::Log& log, uint64_t max_bytes, Cursor* cursor,
                                        PartitionFetch* result) {
  absl::StatusOr<storage::ReadResult> read =
      log.Read(cursor->position, max_bytes, cursor->high_watermark);
  if (!read.ok()) return InPartition(*cursor->partition, read.status());
  if (read->batches.empty()) return false;
  // Log::Read always returns one batch; once the Poll has records, one
  // over the limit waits for a Poll it can open (KIP-74).
  if (records_ > 0 && read->batches.size() > max_bytes) {
    result->limited = true;
    return false;
  }
  if (!cursor->started) {
    out_->StartPartition(*cursor->partition);
    cursor->started = true;
  }
  out_->Pin(read->segment);
  format::BatchScanner scanner(read->batches);
  format::BatchScanner::Slice slice;
  int64_t start = cursor->position;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) return InPartition(*cursor->partition, more.status());
    if (!*more) break;
    if (full()) {
      result->limited = true;
      break;
    }
    absl::StatusOr<format::RecordBatchView> batch = format::RecordBatchView::Parse(slice.bytes);
    if (!batch.ok()) return InPartition(*cursor->partition, batch.status());
    result->bytes += slice.bytes.size();
    bytes_ += slice.bytes.size();
    bool stopped = false;
    RILL_RETURN_IF_ERROR(TakeBatch(*batch, cursor, &stopped));
    if (stopped) {
      result->limited = full();
      return false;
    }
  }
  return cursor->position > start && !result->limited;
}

absl::Status Fetcher::TakeBatch(const format::RecordBatchView& batch, Cursor* cursor,
                                bool* stopped) {
  if (limits_.check_crcs) {
    if (absl::Status s = batch.VerifyCrc(); !s.ok()) return InPartition(*cursor->partition, s);
  }
  if (!batch.is_control()) {
    if (limits_.read_committed && batch.is_transactional()) {
      return absl::UnimplementedError(absl::StrCat(
          cursor->partition->ToString(), ": the batch at offset ", batch.base_offset(),
          " is transactional, and isolation.level=read_committed cannot yet tell committed "
          "transactions from aborted ones (issue #6); read it with read_uncommitted"));
    }
    RILL_RETURN_IF_ERROR(TakeRecords(batch, cursor, stopped));
    if (*stopped) return absl::OkStatus();
  }
  // Past the whole batch: its next offset, over any gap compaction left.
  if (batch.next_offset() <= cursor->high_watermark) {
    cursor->position = std::max(cursor->position, batch.next_offset());
  }
  return absl::OkStatus();
}

absl::Status Fetcher::TakeRecords(const format::RecordBatchView& batch, Cursor* cursor,
                                  bool* stopped) {
  format::RecordReader reader;
  if (absl::Status s = reader.Open(batch, &scratch_); !s.ok()) {
    return InPartition(*cursor->partition, s);
  }
  bool added = false;
  format::RecordView record;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok()) return InPartition(*cursor->partition, more.status());
    if (!*more) break;
    if (record.offset < cursor->position) continue;  // Before a Seek into the batch.
    if (record.offset >= cursor->high_watermark || full()) {
      *stopped = true;
      cursor->position = record.offset;
      break;
    }
    out_->Add(batch, record);
    added = true;
    ++records_;
    cursor->position = record.offset + 1;
  }
  // The records view the decompressed bytes: they go with the result.
  if (added && batch.compression() != format::CompressionType::kNone) out_->Adopt(&scratch_);
  return absl::OkStatus();
}

}  // namespace rill::client
