#include "tools/rill/segment_scan.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/format/record_batch_view.h"

namespace rill::tool {
namespace {

absl::Status AtByte(const std::string& path, uint64_t position, const absl::Status& status) {
  return absl::DataLossError(
      absl::StrCat(path, ": batch at byte ", position, ": ", status.message()));
}

BatchLocation Locate(const format::RecordBatchView& batch, uint64_t position) {
  BatchLocation location;
  location.position = position;
  location.size = batch.size_bytes();
  location.base_offset = batch.base_offset();
  location.last_offset = batch.last_offset();
  location.max_timestamp = batch.max_timestamp();
  location.record_count = batch.record_count();
  return location;
}

}  // namespace

SegmentScan ScanSegment(const std::string& path, ByteSpan data, bool verify_crc) {
  SegmentScan scan;
  format::BatchScanner scanner(data);
  format::BatchScanner::Slice slice;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) {
      // The scanner's message already names the byte position.
      scan.error = absl::DataLossError(absl::StrCat(path, ": ", more.status().message()));
      scan.error_position = scanner.position();
      return scan;
    }
    if (!*more) break;
    absl::StatusOr<format::RecordBatchView> batch = format::RecordBatchView::Parse(slice.bytes);
    absl::Status valid =
        !batch.ok() ? batch.status() : (verify_crc ? batch->VerifyCrc() : absl::OkStatus());
    if (!valid.ok()) {
      scan.error = AtByte(path, slice.position, valid);
      scan.error_position = slice.position;
      return scan;
    }
    scan.batches.push_back(Locate(*batch, slice.position));
    scan.valid_bytes = slice.position + slice.bytes.size();
  }
  scan.tail = scanner.tail();
  scan.tail_bytes = scanner.tail_bytes();
  return scan;
}

const BatchLocation* FindBatchAt(const SegmentScan& scan, uint64_t position) {
  const BatchLocation* batch = FindBatchHolding(scan, position);
  return batch != nullptr && batch->position == position ? batch : nullptr;
}

const BatchLocation* FindBatchHolding(const SegmentScan& scan, uint64_t position) {
  // The last batch starting at or before `position`.
  auto after =
      std::upper_bound(scan.batches.begin(), scan.batches.end(), position,
                       [](uint64_t p, const BatchLocation& batch) { return p < batch.position; });
  if (after == scan.batches.begin()) return nullptr;
  const BatchLocation& batch = *(after - 1);
  return position < batch.position + batch.size ? &batch : nullptr;
}

const BatchLocation* FindBatchWithOffset(const SegmentScan& scan, int64_t offset) {
  // The first batch whose last offset reaches `offset`.
  auto it =
      std::lower_bound(scan.batches.begin(), scan.batches.end(), offset,
                       [](const BatchLocation& batch, int64_t o) { return batch.last_offset < o; });
  return it != scan.batches.end() && it->base_offset <= offset ? &*it : nullptr;
}

}  // namespace rill::tool
