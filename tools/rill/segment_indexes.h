#ifndef RILL_TOOLS_RILL_SEGMENT_INDEXES_H_
#define RILL_TOOLS_RILL_SEGMENT_INDEXES_H_

// The `.index` and `.timeindex` files beside one `.log` segment, copied into
// memory (mapped_file.h says why), and the checks `rill dump --deep` and `rill verify` run on
// them: whole entries, Kafka's entry order (index_entries.h), and each entry
// against the log (index_check.h).
//
// Open them before mapping the log: the owner of a live directory writes a
// batch before its index entry, so entries read first never point past the
// batches read after. Not thread safe to move; Check() is const.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/rill/index_entries.h"
#include "tools/rill/mapped_file.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {

// What Check() found.
struct SegmentIndexReport {
  std::string index_path;
  std::string time_index_path;
  bool has_index = false;
  bool has_time_index = false;
  size_t index_entries = 0;
  size_t time_index_entries = 0;
  // Preallocated zero bytes after the entries: normal for the active
  // segment, a missed trim for any other.
  size_t index_zero_tail_bytes = 0;
  size_t time_index_zero_tail_bytes = 0;
  // OK or DataLoss naming the index file and the first bad entry or byte.
  absl::Status status;
};

class SegmentIndexes {
 public:
  // The indexes of the segment whose `.log` is `log_path`, named
  // `<20-digit base offset>.log`; nullopt for a file not named so (no
  // indexes can belong to it). A missing index file is not an error.
  static absl::StatusOr<std::optional<SegmentIndexes>> Open(const std::string& log_path);

  int64_t base_offset() const { return base_offset_; }
  // Whether either index file exists.
  bool has_any() const { return index_ != nullptr || time_index_ != nullptr; }

  // Checks both indexes against `log`, the scan of the segment's `.log`.
  // REQUIRES: `log` scanned without error.
  SegmentIndexReport Check(const SegmentScan& log) const;

 private:
  SegmentIndexes() = default;

  int64_t base_offset_ = 0;
  std::string index_path_;
  std::string time_index_path_;
  std::unique_ptr<MappedFile> index_;       // Null when missing.
  std::unique_ptr<MappedFile> time_index_;  // Null when missing.
};

// The path of the file beside `log_path` with its `.log` replaced by `suffix`.
std::string SiblingPath(const std::string& log_path, const std::string& suffix);

// DataLoss "<path>: N bytes at byte B are not a whole E-byte entry".
absl::Status PartialEntryError(const std::string& path, size_t partial_bytes, size_t file_bytes,
                               size_t entry_bytes);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_SEGMENT_INDEXES_H_
