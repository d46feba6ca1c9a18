#ifndef RILL_TOOLS_RILL_SEGMENT_SCAN_H_
#define RILL_TOOLS_RILL_SEGMENT_SCAN_H_

// Where the batches of one `.log` segment lie: what `rill verify` counts and
// checks, and what the index checks (index_check.h) compare index entries
// with. Reads only the batch headers (and with `verify_crc` the CRC); never
// decodes records. Thread safe (pure functions).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/bytes.h"
#include "lib/format/batch_scanner.h"

namespace rill::tool {

// One batch of a segment, from its header.
struct BatchLocation {
  uint64_t position = 0;  // Byte position in the `.log`.
  uint64_t size = 0;      // Bytes, length field included.
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = 0;
  int32_t record_count = 0;
};

struct SegmentScan {
  // The batches before the first corrupt one (or the end), in file order.
  std::vector<BatchLocation> batches;
  // Bytes of those batches: where the tail or the corruption starts.
  uint64_t valid_bytes = 0;
  // What follows the last batch when the scan ended cleanly: nothing, a cut-off
  // batch (torn write) or zero bytes (preallocated space).
  format::BatchScanner::Tail tail = format::BatchScanner::Tail::kNone;
  uint64_t tail_bytes = 0;
  // OK, or DataLoss "<path>: batch at byte N: <why>" for the first batch whose
  // framing, header or (with verify_crc) CRC is bad; the scan stopped there.
  absl::Status error;
  uint64_t error_position = 0;  // N, when there is an error.
};

// Scans `data`, the bytes of the segment file `path` (named in errors).
SegmentScan ScanSegment(const std::string& path, ByteSpan data, bool verify_crc);

// The batch of `scan` that starts at byte `position`, or nullptr.
const BatchLocation* FindBatchAt(const SegmentScan& scan, uint64_t position);
// The batch that holds byte `position` (start or inside), or nullptr.
const BatchLocation* FindBatchHolding(const SegmentScan& scan, uint64_t position);
// The batch whose offsets [base, last] hold `offset`, or nullptr. REQUIRES:
// the batches' offsets increase (as in any valid segment).
const BatchLocation* FindBatchWithOffset(const SegmentScan& scan, int64_t offset);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_SEGMENT_SCAN_H_
