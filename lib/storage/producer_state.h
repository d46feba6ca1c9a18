#ifndef RILL_STORAGE_PRODUCER_STATE_H_
#define RILL_STORAGE_PRODUCER_STATE_H_

// Idempotent-producer state of one partition, as Kafka's
// ProducerStateManager: per producer id its epoch and the metadata of its
// last 5 batches, so a retried batch is recognised (and answered with its
// original offsets) and a gap in sequence numbers is refused.
//
// Persisted in `<offset>.snapshot` files in Kafka's format
// (ProducerSnapshot.json, version 1): int16 version ‖ uint32 CRC-32C of the
// rest ‖ int32 count ‖ per producer (46 bytes) int64 producerId, int16
// epoch, int32 lastSequence, int64 lastOffset, int32 offsetDelta, int64
// timestamp, int32 coordinatorEpoch, int64 currentTxnFirstOffset. The file
// name is the offset the snapshot is valid up to (the log end when taken).
// A snapshot keeps only each producer's last batch, as Kafka's does.
//
// Not thread safe: the owning log's writer mutex guards it.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/format/record_batch_view.h"
#include "lib/storage/file_system.h"

namespace rill::storage {

struct ProducerBatch {
  int32_t first_sequence = 0;
  int32_t last_sequence = 0;
  int64_t last_offset = 0;
  int32_t offset_delta = 0;  // last_offset - first offset.
  int64_t timestamp = -1;
};

struct ProducerEntry {
  int16_t epoch = -1;
  std::deque<ProducerBatch> batches;  // Oldest first, at most kMaxCachedBatches.
  int32_t coordinator_epoch = -1;
  int64_t current_txn_first_offset = -1;
};

class ProducerStateManager {
 public:
  static constexpr size_t kMaxCachedBatches = 5;

  // What Check() decided for an idempotent batch.
  struct Verdict {
    bool duplicate = false;
    ProducerBatch original;  // When duplicate: the batch already in the log.
  };

  // Validates `batch` (producer id >= 0) against the state: a duplicate of
  // one of the cached batches; a new epoch that starts at sequence 0; or the
  // next sequence. FailedPrecondition naming producer, epoch and sequences
  // for a fenced epoch or an out-of-order sequence.
  absl::StatusOr<Verdict> Check(const format::RecordBatchView& batch) const;

  // Records an appended batch (also during recovery scans).
  void Update(const format::RecordBatchView& batch, int64_t base_offset);

  // Forgets producers whose last batch is at or after `offset` (truncation),
  // keeping the older batches of the others.
  void TruncateTo(int64_t offset);

  // The state of one producer, if any (to restore it after a failed write).
  std::optional<ProducerEntry> Find(int64_t producer_id) const {
    auto it = producers_.find(producer_id);
    if (it == producers_.end()) return std::nullopt;
    return it->second;
  }
  // Puts back what Find returned (nullopt: forgets the producer).
  void Restore(int64_t producer_id, std::optional<ProducerEntry> entry) {
    if (entry) {
      producers_[producer_id] = std::move(*entry);
    } else {
      producers_.erase(producer_id);
    }
  }

  const std::map<int64_t, ProducerEntry>& producers() const { return producers_; }
  bool empty() const { return producers_.empty(); }
  void Clear() { producers_.clear(); }

  // `<dir>/<offset>.snapshot`, written atomically.
  absl::Status WriteSnapshot(FileSystem* fs, const std::string& dir, int64_t offset) const;
  // Replaces the state with a snapshot file's; DataLoss for a bad CRC or
  // length.
  absl::Status ReadSnapshot(FileSystem* fs, const std::string& path);

 private:
  std::map<int64_t, ProducerEntry> producers_;
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_PRODUCER_STATE_H_
