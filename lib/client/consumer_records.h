#ifndef RILL_CLIENT_CONSUMER_RECORDS_H_
#define RILL_CLIENT_CONSUMER_RECORDS_H_

// Builds the ConsumerRecords of one Poll. Record views point into segments
// the builder pins (shared_ptr, so retention cannot unmap them) or into
// decompression buffers it shares; headers and topic names are copied into
// storage the result shares, so every view lives as long as the result.
//
// Not thread safe: one Poll builds one.

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/byte_buffer.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_view.h"
#include "lib/storage/segment.h"
#include "rill/consumer.h"

namespace rill::client {

class ConsumerRecordsBuilder {
 public:
  ConsumerRecordsBuilder();

  // Records added from now on belong to `partition`.
  void StartPartition(const TopicPartition& partition);
  // Keeps `segment` mapped as long as the result (records added later may
  // view it).
  void Pin(std::shared_ptr<const storage::Segment> segment);
  // Keeps `buffer` (decompressed records that added records view) as long
  // as the result.
  void Share(std::shared_ptr<const ByteBuffer> buffer);
  // Adds `record` of `batch` to the current partition. REQUIRES: its bytes
  // are pinned or shared.
  void Add(const format::RecordBatchView& batch, const format::RecordView& record);

  // Room for `records` without regrowing (a Poll knows max.poll.records).
  void Reserve(size_t records);

  size_t count() const { return records_.size(); }

  // The result; the builder is left empty.
  ConsumerRecords Build();

 private:
  struct Storage {
    std::vector<std::shared_ptr<const storage::Segment>> segments;
    std::vector<std::shared_ptr<const ByteBuffer>> buffers;
    std::vector<Header> headers;
    std::deque<std::string> topics;  // A deque: its strings never move.
  };
  struct Pending {
    TopicPartition partition;
    size_t begin = 0;
  };

  Storage& storage();  // Made on first use.
  // Sets ranges_; Regroup() when a partition's records are not contiguous.
  void GroupByPartition();
  void Regroup();
  void FixHeaderSpans();

  std::shared_ptr<Storage> storage_;  // Null until a partition has data.
  std::vector<ConsumerRecord> records_;
  // (record index, index of its first header in storage_->headers) for
  // the records with headers; pointers are set in Build(), when that
  // vector no longer grows.
  std::vector<std::pair<size_t, size_t>> header_begin_;
  std::vector<Pending> starts_;
  std::vector<ConsumerRecords::PartitionRange> ranges_;
  absl::string_view topic_;  // The current partition's, in storage_->topics.
  int32_t partition_ = 0;
};

}  // namespace rill::client

#endif  // RILL_CLIENT_CONSUMER_RECORDS_H_
