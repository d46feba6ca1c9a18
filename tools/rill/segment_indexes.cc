#include "tools/rill/segment_indexes.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/log_file_names.h"
#include "tools/rill/index_check.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;

// The file at `path` copied (an active segment's index is trimmed when the
// segment rolls, and indexes are small), or null when it does not exist.
absl::StatusOr<std::unique_ptr<MappedFile>> CopyIfPresent(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) return std::unique_ptr<MappedFile>();
  return MappedFile::Copy(path);
}

template <typename Entry>
absl::Status CheckOrder(const std::string& path, const IndexEntries<Entry>& index) {
  for (size_t i = 0; i < index.entries.size(); ++i) {
    RILL_RETURN_IF_ERROR(
        CheckEntryOrder(path, i, index.entries[i], i > 0 ? &index.entries[i - 1] : nullptr));
  }
  return absl::OkStatus();
}

// Whole entries, in order, and pointing at the log.
template <typename Entry, typename AgainstLog>
absl::Status CheckIndex(const std::string& path, ByteSpan bytes, const IndexEntries<Entry>& index,
                        size_t entry_bytes, const SegmentScan& log, AgainstLog against_log) {
  if (index.partial_bytes > 0) {
    return PartialEntryError(path, index.partial_bytes, bytes.size(), entry_bytes);
  }
  RILL_RETURN_IF_ERROR(CheckOrder(path, index));
  return against_log(path, index.entries, log);
}

}  // namespace

std::string SiblingPath(const std::string& log_path, const std::string& suffix) {
  return fs::path(log_path).replace_extension(suffix).string();
}

absl::Status PartialEntryError(const std::string& path, size_t partial_bytes, size_t file_bytes,
                               size_t entry_bytes) {
  return absl::DataLossError(absl::StrCat(path, ": ", partial_bytes, " bytes at byte ",
                                          file_bytes - partial_bytes, " are not a whole ",
                                          entry_bytes, "-byte entry"));
}

absl::StatusOr<std::optional<SegmentIndexes>> SegmentIndexes::Open(const std::string& log_path) {
  std::optional<storage::ParsedFileName> name =
      storage::ParseFileName(fs::path(log_path).filename().string());
  if (!name || name->kind != storage::kLogSuffix || !name->temporary.empty()) return std::nullopt;
  SegmentIndexes indexes;
  indexes.base_offset_ = name->offset;
  indexes.index_path_ = SiblingPath(log_path, std::string(storage::kIndexSuffix));
  indexes.time_index_path_ = SiblingPath(log_path, std::string(storage::kTimeIndexSuffix));
  RILL_ASSIGN_OR_RETURN(indexes.index_, CopyIfPresent(indexes.index_path_));
  RILL_ASSIGN_OR_RETURN(indexes.time_index_, CopyIfPresent(indexes.time_index_path_));
  return indexes;
}

SegmentIndexReport SegmentIndexes::Check(const SegmentScan& log) const {
  SegmentIndexReport report;
  report.index_path = index_path_;
  report.time_index_path = time_index_path_;
  report.has_index = index_ != nullptr;
  report.has_time_index = time_index_ != nullptr;
  if (index_ != nullptr) {
    IndexEntries<OffsetIndexEntry> index = ReadOffsetIndex(index_->bytes(), base_offset_);
    report.index_entries = index.entries.size();
    report.index_zero_tail_bytes = index.zero_tail_bytes;
    report.status = CheckIndex(index_path_, index_->bytes(), index, kOffsetIndexEntryBytes, log,
                               CheckOffsetIndexAgainstLog);
  }
  if (time_index_ != nullptr && report.status.ok()) {
    IndexEntries<TimeIndexEntry> index = ReadTimeIndex(time_index_->bytes(), base_offset_);
    report.time_index_entries = index.entries.size();
    report.time_index_zero_tail_bytes = index.zero_tail_bytes;
    report.status = CheckIndex(time_index_path_, time_index_->bytes(), index, kTimeIndexEntryBytes,
                               log, CheckTimeIndexAgainstLog);
  }
  return report;
}

}  // namespace rill::tool
