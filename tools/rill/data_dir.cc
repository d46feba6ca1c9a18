#include "tools/rill/data_dir.h"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <tuple>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/bytes.h"
#include "lib/base/status_macros.h"
#include "lib/format/record_batch_format.h"
#include "lib/storage/log_file_names.h"
#include "lib/storage/log_manager.h"
#include "tools/rill/checkpoints.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;

absl::Status ListError(const std::string& dir, const std::error_code& error) {
  std::string message = absl::StrCat(dir, ": ", error.message());
  if (error == std::errc::no_such_file_or_directory) return absl::NotFoundError(message);
  return absl::ErrnoToStatus(error.value(), message);
}

bool IsDirectory(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

// Files the data directory itself holds (kafka-reference §2.1).
bool IsDataDirFile(const std::string& name) {
  if (name == storage::kLockFile || name == storage::kCleanShutdownMarker ||
      name == "meta.properties") {
    return true;
  }
  return absl::c_any_of(kDataDirCheckpoints, [&](const char* c) { return name == c; });
}

// Whether the segment file starts with a batch's length field: a segment
// just created is empty, or preallocated and zero.
bool HoldsABatch(const std::string& log_path) {
  std::ifstream file(log_path, std::ios::binary);
  char head[format::kLogOverheadBytes] = {};
  if (!file.read(head, sizeof head)) return false;
  return LoadBigEndian32(reinterpret_cast<const uint8_t*>(head) + format::kLengthOffset) != 0;
}

// Whether the data directory holding the segment `log_path` was closed
// cleanly.
bool ClosedCleanly(const std::string& log_path) {
  fs::path data_dir = fs::absolute(log_path).lexically_normal().parent_path().parent_path();
  std::error_code error;
  return fs::exists(data_dir / storage::kCleanShutdownMarker, error);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListNames(const std::string& dir) {
  std::error_code error;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  if (error) return ListError(dir, error);
  absl::c_sort(names);
  return names;
}

absl::StatusOr<std::vector<PartitionDir>> ListPartitionDirs(const std::string& data_dir) {
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(data_dir));
  std::vector<PartitionDir> partitions;
  for (const std::string& name : names) {
    auto parsed = storage::ParsePartitionDirName(name);
    std::string path = (fs::path(data_dir) / name).string();
    if (!parsed || !IsDirectory(path)) continue;
    partitions.push_back(PartitionDir{parsed->first, parsed->second, path});
  }
  absl::c_sort(partitions, [](const PartitionDir& a, const PartitionDir& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return partitions;
}

absl::StatusOr<std::vector<std::string>> ListSegmentFiles(const std::string& dir) {
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(dir));
  std::vector<std::string> kafka_named, other;
  for (const std::string& name : names) {
    if (!absl::EndsWith(name, storage::kLogSuffix)) continue;
    std::string path = (fs::path(dir) / name).string();
    std::error_code error;
    if (!fs::is_regular_file(path, error)) continue;
    // Zero-padded names sort in offset order.
    (storage::ParseFileName(name) ? kafka_named : other).push_back(path);
  }
  kafka_named.insert(kafka_named.end(), other.begin(), other.end());
  return kafka_named;
}

std::vector<bool> SegmentsThatMayShrink(const std::vector<std::string>& log_paths) {
  std::vector<bool> may_shrink(log_paths.size(), false);
  if (log_paths.empty() || ClosedCleanly(log_paths.front())) return may_shrink;
  for (size_t i = log_paths.size(); i-- > 0;) {
    may_shrink[i] = true;
    if (HoldsABatch(log_paths[i])) break;
  }
  return may_shrink;
}

bool SegmentMayShrink(const std::string& log_path) {
  absl::StatusOr<std::vector<std::string>> segments =
      ListSegmentFiles(fs::path(log_path).parent_path().string());
  // Unlistable: assume the worst, which only costs a copy.
  if (!segments.ok()) return true;
  std::vector<bool> may_shrink = SegmentsThatMayShrink(*segments);
  for (size_t i = 0; i < segments->size(); ++i) {
    if (fs::path((*segments)[i]).filename() == fs::path(log_path).filename()) return may_shrink[i];
  }
  return true;
}

absl::StatusOr<bool> LooksLikeDataDir(const std::string& dir) {
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(dir));
  return absl::c_any_of(names, [&](const std::string& name) {
    if (IsDataDirFile(name)) return true;
    return storage::ParsePartitionDirName(name) && IsDirectory((fs::path(dir) / name).string());
  });
}

}  // namespace rill::tool
