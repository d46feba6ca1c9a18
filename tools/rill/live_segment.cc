#include "tools/rill/live_segment.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "lib/format/record_batch_format.h"
#include "lib/format/record_batch_view.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {

std::unique_ptr<MappedFile> RereadIfOwnerWasWriting(const std::string& path, uint64_t position,
                                                    ByteSpan seen) {
  absl::StatusOr<std::unique_ptr<MappedFile>> fresh = MappedFile::Copy(path);
  if (!fresh.ok()) return nullptr;
  ByteSpan now = (*fresh)->bytes();
  SegmentScan scan = ScanSegment(path, now, /*verify_crc=*/true);
  const BatchLocation* batch = FindBatchAt(scan, position);
  if (batch == nullptr) return nullptr;
  ByteSpan written = now.subspan(position, batch->size);
  ByteSpan read = position < seen.size() ? seen.subspan(position, batch->size) : ByteSpan();
  if (read.size() == written.size() && std::equal(read.begin(), read.end(), written.begin())) {
    return nullptr;
  }
  return std::move(*fresh);
}

bool IsTornTail(ByteSpan data, uint64_t position) {
  if (position + format::kLogOverheadBytes > data.size()) return true;
  auto length =
      static_cast<int32_t>(LoadBigEndian32(data.data() + position + format::kLengthOffset));
  if (length < 0) return false;
  uint64_t claimed = format::kLogOverheadBytes + static_cast<uint64_t>(length);
  uint64_t end = std::min<uint64_t>(data.size(), position + claimed);
  // A whole batch whose CRC holds is no torn write, whatever else is wrong.
  absl::StatusOr<format::RecordBatchView> batch =
      format::RecordBatchView::Parse(data.subspan(position, end - position));
  if (batch.ok() && batch->VerifyCrc().ok()) return false;
  return std::all_of(data.begin() + end, data.end(), [](uint8_t b) { return b == 0; });
}

bool ForgiveTornTail(ByteSpan data, SegmentScan* scan) {
  if (scan->error.ok() || !IsTornTail(data, scan->error_position)) return false;
  scan->error = absl::OkStatus();
  scan->tail = format::BatchScanner::Tail::kPartial;
  scan->tail_bytes = data.size() - scan->error_position;
  return true;
}

}  // namespace rill::tool
