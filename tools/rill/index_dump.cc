#include "tools/rill/index_dump.h"

#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/log_file_names.h"
#include "tools/rill/data_dir.h"
#include "tools/rill/index_check.h"
#include "tools/rill/index_entries.h"
#include "tools/rill/mapped_file.h"
#include "tools/rill/record_json.h"
#include "tools/rill/segment_indexes.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;

// The base offset an index file's name gives its relative offsets.
absl::StatusOr<int64_t> BaseOffsetFromName(const std::string& path, absl::string_view kind) {
  std::optional<storage::ParsedFileName> name =
      storage::ParseFileName(fs::path(path).filename().string());
  if (!name || name->kind != kind || !name->temporary.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a Kafka ", kind, " file (the name must be the segment's base offset as ",
        "20 digits, then ", kind, ")"));
  }
  return name->offset;
}

void PrintEntry(const std::string& path, size_t i, const OffsetIndexEntry& entry, bool json,
                std::ostream* out) {
  if (json) {
    Json line;
    line["entry"] = i;
    line["offset"] = entry.offset;
    line["relative_offset"] = entry.relative_offset;
    line["position"] = entry.position;
    line["file"] = path;
    *out << JsonLine(line) << "\n";
    return;
  }
  *out << "offset: " << entry.offset << " relativeOffset: " << entry.relative_offset
       << " position: " << entry.position << "\n";
}

void PrintEntry(const std::string& path, size_t i, const TimeIndexEntry& entry, bool json,
                std::ostream* out) {
  if (json) {
    Json line;
    line["entry"] = i;
    line["timestamp"] = entry.timestamp;
    line["offset"] = entry.offset;
    line["relative_offset"] = entry.relative_offset;
    line["file"] = path;
    *out << JsonLine(line) << "\n";
    return;
  }
  *out << "timestamp: " << entry.timestamp << " offset: " << entry.offset
       << " relativeOffset: " << entry.relative_offset << "\n";
}

void PrintZeroTail(const std::string& path, size_t entries, size_t position, size_t bytes,
                   bool json, std::ostream* out) {
  if (json) {
    Json line;
    line["note"] = "zero_filled_tail";
    line["file"] = path;
    line["position"] = position;
    line["bytes"] = bytes;
    *out << JsonLine(line) << "\n";
    return;
  }
  *out << "note: " << path << ": " << bytes << " zero bytes at byte " << position << " after "
       << entries << " entries (preallocated space of an active segment's index, not entries)\n";
}

void PrintCheck(const std::string& path, const std::string& log_path, size_t entries, bool json,
                std::ostream* out) {
  if (json) {
    Json line;
    line["check"] = "index";
    line["file"] = path;
    line["log"] = log_path;
    line["entries"] = entries;
    line["ok"] = true;
    *out << JsonLine(line) << "\n";
    return;
  }
  *out << "index check: " << path << ": " << entries << " entries consistent with " << log_path
       << "\n";
}

// Prints the entries, stopping after the first one out of order, then the tail.
template <typename Entry>
absl::Status PrintEntries(const DumpOptions& options, const std::string& path, ByteSpan bytes,
                          const IndexEntries<Entry>& index, size_t entry_bytes, std::ostream* out) {
  if (!options.json) *out << "Dumping " << path << "\n";
  for (size_t i = 0; i < index.entries.size(); ++i) {
    const Entry& entry = index.entries[i];
    if (!options.from || entry.offset >= *options.from) {
      PrintEntry(path, i, entry, options.json, out);
    }
    RILL_RETURN_IF_ERROR(CheckEntryOrder(path, i, entry, i > 0 ? &index.entries[i - 1] : nullptr));
  }
  if (index.zero_tail_bytes > 0) {
    PrintZeroTail(path, index.entries.size(), index.entries.size() * entry_bytes,
                  index.zero_tail_bytes, options.json, out);
  }
  if (index.partial_bytes > 0) {
    return PartialEntryError(path, index.partial_bytes, bytes.size(), entry_bytes);
  }
  return absl::OkStatus();
}

// --deep: the entries against the segment's `.log`, whose batches must be
// sound for the comparison to mean anything.
template <typename Entry, typename AgainstLog>
absl::Status CheckAgainstLog(const DumpOptions& options, const std::string& path,
                             const std::vector<Entry>& entries, AgainstLog against_log,
                             std::ostream* out) {
  std::string log_path = SiblingPath(path, std::string(storage::kLogSuffix));
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> log,
                        MappedFile::Load(log_path, SegmentMayShrink(log_path)));
  SegmentScan scan = ScanSegment(log_path, log->bytes(), /*verify_crc=*/true);
  RILL_RETURN_IF_ERROR(scan.error);
  RILL_RETURN_IF_ERROR(against_log(path, entries, scan));
  PrintCheck(path, log_path, entries.size(), options.json, out);
  return absl::OkStatus();
}

template <typename Entry, typename Read, typename AgainstLog>
absl::Status DumpIndex(const DumpOptions& options, const std::string& path, absl::string_view kind,
                       size_t entry_bytes, Read read, AgainstLog against_log, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(int64_t base_offset, BaseOffsetFromName(path, kind));
  // The index before the log, and copied: segment_indexes.h explains both.
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Copy(path));
  IndexEntries<Entry> index = read(file->bytes(), base_offset);
  RILL_RETURN_IF_ERROR(PrintEntries(options, path, file->bytes(), index, entry_bytes, out));
  if (!options.deep) return absl::OkStatus();
  return CheckAgainstLog(options, path, index.entries, against_log, out);
}

}  // namespace

absl::Status DumpOffsetIndex(const DumpOptions& options, const std::string& path,
                             std::ostream* out) {
  return DumpIndex<OffsetIndexEntry>(options, path, storage::kIndexSuffix, kOffsetIndexEntryBytes,
                                     ReadOffsetIndex, CheckOffsetIndexAgainstLog, out);
}

absl::Status DumpTimeIndex(const DumpOptions& options, const std::string& path, std::ostream* out) {
  return DumpIndex<TimeIndexEntry>(options, path, storage::kTimeIndexSuffix, kTimeIndexEntryBytes,
                                   ReadTimeIndex, CheckTimeIndexAgainstLog, out);
}

}  // namespace rill::tool
