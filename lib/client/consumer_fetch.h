#ifndef RILL_CLIENT_CONSUMER_FETCH_H_
#define RILL_CLIENT_CONSUMER_FETCH_H_

// One Poll's fetch: reads partitions' logs from their positions up to the
// high watermark and decodes their records into a ConsumerRecordsBuilder,
// within the Poll's limits — what Kafka's Fetcher and CompletedFetch do,
// without a network in between.
//
// Per batch: the CRC is checked (check.crcs); control batches are skipped
// (never returned, the position moves past them); records before the
// position (a position inside a batch) are skipped; compressed batches are
// decompressed into a buffer the builder shares once it holds records from
// it. After a whole batch the position is the batch's next offset, so gaps
// a compaction left are stepped over.
//
// Across Polls, each partition keeps a FetchCursor, Kafka's completed fetch:
// the batches its last log read returned that no Poll has taken yet, and the
// reader inside a batch a Poll stopped in (max.poll.records rarely ends on
// a batch boundary). The next Poll at that position goes on from there: no
// second log read, CRC check or decompression of the same batch, and no
// decoding again of the records before the position.
//
// Limits (KIP-74): max.poll.records; max.partition.fetch.bytes per
// partition and fetch.max.bytes in all, counted in whole batches a Poll
// takes records from, except that a batch is taken whatever its size while
// the Poll has no records yet, so an oversized batch never stalls the
// consumer.
//
// Not thread safe: one Fetcher per Poll, a cursor per partition, both used
// by the consumer's thread. Errors: the log's (OutOfRange for a position
// outside it, which the caller turns into auto.offset.reset), DataLoss for
// a bad CRC or record, naming the partition; Unimplemented for a
// transactional batch under read_committed.

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "lib/base/byte_buffer.h"
#include "lib/client/consumer_records.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log.h"
#include "rill/consumer.h"

namespace rill::client {

struct FetchLimits {
  int32_t max_records = 500;              // max.poll.records
  int64_t max_bytes = 50 << 20;           // fetch.max.bytes
  int64_t max_partition_bytes = 1 << 20;  // max.partition.fetch.bytes
  bool check_crcs = true;                 // check.crcs
  bool read_committed = false;            // isolation.level=read_committed
};

// What one partition's fetch did.
struct PartitionFetch {
  int64_t next_position = 0;  // Where this partition's next fetch starts.
  uint64_t bytes = 0;         // Batch bytes taken.
  // Stopped by a limit although the log had more below the high watermark.
  bool limited = false;
};

// A partition's fetched-but-not-yet-returned data, carried from one Poll to
// the next. Valid only at `position`: a Seek, a reset or a failed Poll
// leaves the partition elsewhere, and the cursor is then dropped unused.
class FetchCursor {
 public:
  // Forgets the data (and unpins its segment).
  void Clear() { *this = FetchCursor(); }

 private:
  friend class Fetcher;

  int64_t position = -1;  // The offset the cursor continues at.
  std::shared_ptr<const storage::Segment> segment;
  ByteSpan rest;  // Whole batches after the current one, from one read.
  // The batch a Poll stopped in (its CRC already checked), and the reader
  // positioned at the first record not yet returned.
  std::optional<format::RecordBatchView> batch;
  format::RecordReader reader;
  // The decompressed records of `batch`; shared with the results that
  // hold records from it.
  std::shared_ptr<ByteBuffer> decompressed;
};

class Fetcher {
 public:
  // REQUIRES: `out` outlives the fetcher.
  Fetcher(const FetchLimits& limits, ConsumerRecordsBuilder* out);

  // Reads `log` of `partition` from `position` up to `high_watermark`,
  // going on from `*cursor` when it stands at `position`, and leaves in it
  // what this Poll did not take. `partition_bytes` is what the partition
  // already took in this Poll.
  absl::StatusOr<PartitionFetch> Fetch(const TopicPartition& partition, const storage::Log& log,
                                       int64_t position, int64_t high_watermark,
                                       uint64_t partition_bytes, FetchCursor* cursor);

  // Records taken so far; whether max.poll.records is reached.
  int32_t records() const { return records_; }
  bool full() const { return records_ >= limits_.max_records; }

 private:
  // State of the partition being fetched.
  struct Progress {
    const TopicPartition* partition;
    int64_t position;
    int64_t high_watermark;
    uint64_t max_bytes;    // What this partition may still take in this Poll.
    bool started = false;  // The builder knows this partition.
  };

  // Fills an empty cursor with a log read at the position. False at the end
  // of the log or when the first batch is over the byte limit.
  absl::StatusOr<bool> Refill(const storage::Log& log, Progress* progress, FetchCursor* cursor,
                              PartitionFetch* result);
  // Takes the cursor's batches until one is left unfinished or the cursor
  // is empty. Sets `*stopped` when a limit (records or bytes) stops it.
  absl::Status Drain(Progress* progress, FetchCursor* cursor, PartitionFetch* result,
                     bool* stopped);
  absl::Status StartBatch(const format::RecordBatchView& batch, Progress* progress,
                          FetchCursor* cursor);
  // Takes the current batch's records. Sets `*stopped` at max.poll.records
  // and `*at_high_watermark` at a record the high watermark holds back.
  absl::Status TakeRecords(Progress* progress, FetchCursor* cursor, bool* stopped,
                           bool* at_high_watermark);
  void StartPartition(Progress* progress);
  // Moves the position past the whole of `batch`.
  static void PassBatch(const format::RecordBatchView& batch, Progress* progress);

  const FetchLimits limits_;
  ConsumerRecordsBuilder* const out_;
  int32_t records_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace rill::client

#endif  // RILL_CLIENT_CONSUMER_FETCH_H_
