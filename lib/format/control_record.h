#ifndef RILL_FORMAT_CONTROL_RECORD_H_
#define RILL_FORMAT_CONTROL_RECORD_H_

// Control records: the transaction markers (COMMIT / ABORT) a partition
// leader appends at the end of a transaction, in Kafka's layout
// (ControlRecordType.java, EndTransactionMarker.java):
//   key   = int16 version (0) ‖ int16 type
//   value = int16 version (0) ‖ int32 coordinator epoch   (COMMIT / ABORT)
// Thread safe (pure functions). Errors: DataLoss for malformed keys/values.

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "lib/base/bytes.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_builder.h"

namespace rill::format {

// Kafka's ControlRecordType ids. Types 2.. belong to KRaft's metadata log;
// consumers skip any control record they do not know.
enum class ControlRecordType : int16_t {
  kAbort = 0,
  kCommit = 1,
  kLeaderChange = 2,
  kSnapshotHeader = 3,
  kSnapshotFooter = 4,
  kKraftVersion = 5,
  kKraftVoters = 6,
};

struct EndTxnMarker {
  ControlRecordType type = ControlRecordType::kCommit;  // kCommit or kAbort.
  int32_t coordinator_epoch = 0;
};

// Builds the control batch for `marker` in `*builder` (reset first):
// transactional + control attributes, no compression, one record,
// baseSequence -1, at `timestamp_ms`. The result is valid as Build()'s is.
absl::StatusOr<ByteSpan> BuildEndTxnMarkerBatch(const EndTxnMarker& marker,
                                                int64_t producer_id, int16_t producer_epoch,
                                                int64_t base_offset, int64_t timestamp_ms,
                                                RecordBatchBuilder* builder);

// The type in a control record's key, of any key version >= 0 (later
// versions only append fields, as Kafka reads them). A type this code does
// not know comes back as its number: callers skip it, as Kafka's consumers do.
absl::StatusOr<std::optional<ControlRecordType>> ParseControlRecordKey(NullableBytes key);

// Decodes a COMMIT/ABORT record.
absl::StatusOr<EndTxnMarker> ParseEndTxnMarker(const RecordView& record);

}  // namespace rill::format

#endif  // RILL_FORMAT_CONTROL_RECORD_H_
