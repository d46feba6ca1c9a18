#include "lib/client/consumer_fetch.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"

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

void Fetcher::PassBatch(const format::RecordBatchView& batch, Progress* progress) {
  // Its next offset, over any gap compaction left, unless the high
  // watermark holds part of the batch back.
  if (batch.next_offset() <= progress->high_watermark) {
    progress->position = std::max(progress->position, batch.next_offset());
  }
}

Fetcher::Fetcher(const FetchLimits& limits, ConsumerRecordsBuilder* out)
    : limits_(limits), out_(out) {}

absl::StatusOr<PartitionFetch> Fetcher::Fetch(const TopicPartition& partition,
                                              const storage::Log& log, int64_t position,
                                              int64_t high_watermark, uint64_t partition_bytes,
                                              FetchCursor* cursor) {
  PartitionFetch result;
  if (position > high_watermark) {
    cursor->Clear();
    return absl::OutOfRangeError(absl::StrCat(partition.ToString(), ": offset ", position,
                                              " is past the high watermark ", high_watermark));
  }
  if (cursor->position != position) cursor->Clear();  // Seeked, reset, or a Poll failed.
  if (cursor->batch) {
    // The batch an earlier Poll stopped in counts again for this one: its
    // records are data at hand, which also satisfies fetch.min.bytes (as
    // Kafka returns buffered records without a new fetch).
    result.bytes += cursor->batch->size_bytes();
    bytes_ += cursor->batch->size_bytes();
  }
  Progress progress{&partition, position, high_watermark};
  // Log::Read returns batches of one segment: read on across segments
  // until the high watermark or a limit.
  while (progress.position < progress.high_watermark) {
    if (full()) {
      result.limited = true;
      break;
    }
    progress.max_bytes =
        std::min(Remaining(limits_.max_partition_bytes, partition_bytes + result.bytes),
                 Remaining(limits_.max_bytes, bytes_));
    bool refilled = false;
    if (!cursor->batch && cursor->rest.empty()) {
      RILL_ASSIGN_OR_RETURN(bool read, Refill(log, &progress, cursor, &result));
      if (!read) break;
      refilled = true;
    }
    int64_t before = progress.position;
    bool stopped = false;
    absl::Status drained = Drain(&progress, cursor, &result, &stopped);
    if (!drained.ok()) {
      cursor->Clear();
      return drained;
    }
    if (stopped) {
      result.limited = true;
      break;
    }
    if (progress.position == before) {
      // Kept data that ended without records (the last Poll took the last
      // record of its batch): read afresh. Otherwise what is left is held
      // back by the high watermark, or a fresh read brought nothing new.
      if (refilled || cursor->batch || !cursor->rest.empty()) break;
    }
  }
  cursor->position = progress.position;
  if (!cursor->batch && cursor->rest.empty()) cursor->Clear();
  result.next_position = progress.position;
  return result;
}

absl::StatusOr<bool> Fetcher::Refill(const storage::Log& log, Progress* progress,
                                     FetchCursor* cursor, PartitionFetch* result) {
  absl::StatusOr<storage::ReadResult> read =
      log.Read(progress->position, progress->max_bytes, progress->high_watermark);
  if (!read.ok()) return InPartition(*progress->partition, read.status());
  if (read->batches.empty()) return false;
  // Log::Read always returns one batch; once the Poll has records, one
  // over the limit waits for a Poll it can open (KIP-74).
  if (records_ > 0 && read->batches.size() > progress->max_bytes) {
    result->limited = true;
    return false;
  }
  cursor->segment = std::move(read->segment);
  cursor->rest = read->batches;
  return true;
}

absl::Status Fetcher::Drain(Progress* progress, FetchCursor* cursor, PartitionFetch* result,
                            bool* stopped) {
  if (!progress->started) StartPartition(progress);
  out_->Pin(cursor->segment);
  while (true) {
    if (cursor->batch) {
      bool at_high_watermark = false;
      RILL_RETURN_IF_ERROR(TakeRecords(progress, cursor, stopped, &at_high_watermark));
      if (*stopped || at_high_watermark) return absl::OkStatus();
      PassBatch(*cursor->batch, progress);
      cursor->batch.reset();
    }
    if (cursor->rest.empty()) return absl::OkStatus();
    if (full()) {
      *stopped = true;
      return absl::OkStatus();
    }
    format::BatchScanner scanner(cursor->rest);
    format::BatchScanner::Slice slice;
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) return InPartition(*progress->partition, more.status());
    if (!*more) {  // A zero tail: nothing more in this read.
      cursor->rest = {};
      return absl::OkStatus();
    }
    // Batches a Refill in an earlier Poll returned count against this
    // Poll's limits when this Poll starts them.
    if (records_ > 0 && slice.bytes.size() > progress->max_bytes) {
      *stopped = true;
      return absl::OkStatus();
    }
    absl::StatusOr<format::RecordBatchView> batch = format::RecordBatchView::Parse(slice.bytes);
    if (!batch.ok()) return InPartition(*progress->partition, batch.status());
    cursor->rest = cursor->rest.subspan(scanner.position());
    result->bytes += slice.bytes.size();
    bytes_ += slice.bytes.size();
    progress->max_bytes -= std::min<uint64_t>(progress->max_bytes, slice.bytes.size());
    RILL_RETURN_IF_ERROR(StartBatch(*batch, progress, cursor));
  }
}

absl::Status Fetcher::StartBatch(const format::RecordBatchView& batch, Progress* progress,
                                 FetchCursor* cursor) {
  if (limits_.check_crcs) {
    if (absl::Status s = batch.VerifyCrc(); !s.ok()) return InPartition(*progress->partition, s);
  }
  if (batch.is_control()) {  // Never returned; the position moves past it.
    PassBatch(batch, progress);
    return absl::OkStatus();
  }
  if (limits_.read_committed && batch.is_transactional()) {
    return absl::UnimplementedError(absl::StrCat(
        progress->partition->ToString(), ": the batch at offset ", batch.base_offset(),
        " is transactional, and isolation.level=read_committed cannot yet tell committed "
        "transactions from aborted ones (issue #6); read it with read_uncommitted"));
  }
  ByteBuffer* buffer = nullptr;
  if (batch.compression() != format::CompressionType::kNone) {
    // A buffer no earlier result shares can be reused.
    if (cursor->decompressed == nullptr || cursor->decompressed.use_count() > 1) {
      cursor->decompressed = std::make_shared<ByteBuffer>();
    }
    buffer = cursor->decompressed.get();
  }
  ByteBuffer unused;
  if (absl::Status s = cursor->reader.Open(batch, buffer != nullptr ? buffer : &unused); !s.ok()) {
    return InPartition(*progress->partition, s);
  }
  cursor->batch = batch;
  return absl::OkStatus();
}

absl::Status Fetcher::TakeRecords(Progress* progress, FetchCursor* cursor, bool* stopped,
                                  bool* at_high_watermark) {
  const format::RecordBatchView& batch = *cursor->batch;
  const bool straddles = batch.next_offset() > progress->high_watermark;
  bool added = false;
  format::RecordView record;
  while (true) {
    if (full()) {
      *stopped = true;
      break;
    }
    // A batch that ends above the high watermark is read a record at a time
    // from a copy of the reader, so the record past it stays for a later
    // Poll; appends are whole batches, so this is rare.
    format::RecordReader before;
    if (straddles) before = cursor->reader;
    absl::StatusOr<bool> more = cursor->reader.Next(&record);
    if (!more.ok()) return InPartition(*progress->partition, more.status());
    if (!*more) break;
    if (record.offset < progress->position) continue;  // Before a Seek into the batch.
    if (straddles && record.offset >= progress->high_watermark) {
      cursor->reader = before;
      *at_high_watermark = true;
      break;
    }
    out_->Add(batch, record);
    added = true;
    ++records_;
    progress->position = record.offset + 1;
  }
  // The records view the decompressed bytes: they go with the result.
  if (added && cursor->decompressed != nullptr &&
      batch.compression() != format::CompressionType::kNone) {
    out_->Share(cursor->decompressed);
  }
  return absl::OkStatus();
}

void Fetcher::StartPartition(Progress* progress) {
  // A Poll that finds data usually fills max.poll.records; past a few
  // thousand the vector may grow instead. (An empty Poll, a consumer
  // spinning at the log end, allocates nothing.)
  if (out_->count() == 0) {
    out_->Reserve(static_cast<size_t>(std::clamp(limits_.max_records, 0, 4096)));
  }
  out_->StartPartition(*progress->partition);
  progress->started = true;
}

}  // namespace rill::client
