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
// decompressed into a scratch buffer the builder adopts once it holds
// records from it. After a whole batch the position is the batch's next
// offset, so gaps a compaction left are stepped over.
//
// Limits (KIP-74): max.poll.records; max.partition.fetch.bytes per
// partition and fetch.max.bytes in all, counted in whole batches, except
// that a batch is taken whatever its size while the Poll has no records
// yet, so an oversized batch never stalls the consumer.
//
// Not thread safe: one per Poll. Errors: the log's (OutOfRange for a
// position outside it, which the caller turns into auto.offset.reset),
// DataLoss for a bad CRC or record, naming the partition; Unimplemented for
// a transactional batch under read_committed.

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/base/byte_buffer.h"
#include "lib/client/consumer_records.h"
#include "lib/format/record_batch_view.h"
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

class Fetcher {
 public:
  // REQUIRES: `out` outlives the fetcher.
  Fetcher(const FetchLimits& limits, ConsumerRecordsBuilder* out);

  // Reads `log` of `partition` from `position` up to `high_watermark`.
  // `partition_bytes` is what the partition already took in this Poll.
  absl::StatusOr<PartitionFetch> Fetch(const TopicPartition& partition, const storage::Log& log,
                                       int64_t position, int64_t high_watermark,
                                       uint64_t partition_bytes);

  // Records taken so far; whether max.poll.records is reached.
  int32_t records() const { return records_; }
  bool full() const { return records_ >= limits_.max_records; }

 private:
  // State of the partition being fetched.
  struct Cursor {
    const TopicPartition* partition;
    int64_t position;
    int64_t high_watermark;
    bool started = false;  // The builder knows this partition.
  };

  absl::StatusOr<bool> FetchRead(const storage::Log& log, uint64_t max_bytes, Cursor* cursor,
                                 PartitionFetch* result);
  absl::Status TakeBatch(const format::RecordBatchView& batch, Cursor* cursor, bool* stopped);
  absl::Status TakeRecords(const format::RecordBatchView& batch, Cursor* cursor, bool* stopped);

  const FetchLimits limits_;
  ConsumerRecordsBuilder* const out_;
  ByteBuffer scratch_;
  int32_t records_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace rill::client

#endif  // RILL_CLIENT_CONSUMER_FETCH_H_
