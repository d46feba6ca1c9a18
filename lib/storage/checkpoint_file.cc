#include "lib/storage/checkpoint_file.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/status_macros.h"

namespace rill::storage {
namespace {

absl::Status Malformed(const std::string& path, int line, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("checkpoint ", path, " line ", line, ": ", why));
}

std::string ParentDir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

}  // namespace

absl::StatusOr<std::vector<std::vector<std::string>>> ReadCheckpoint(FileSystem* fs,
                                                                     const std::string& path,
                                                                     int version, int fields) {
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(path, FileSystem::OpenMode::kReadOnly));
  RILL_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size > (64 << 20)) return Malformed(path, 0, "larger than 64 MiB");
  std::string text(size, '\0');
  RILL_RETURN_IF_ERROR(file->ReadAt(0, MutableByteSpan(reinterpret_cast<uint8_t*>(text.data()), size)));
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  int64_t file_version = 0, count = 0;
  if (lines.size() < 2 || !absl::SimpleAtoi(lines[0], &file_version) ||
      !absl::SimpleAtoi(lines[1], &count)) {
    return Malformed(path, 1, "expected a version line and an entry-count line");
  }
  if (file_version != version) {
    return Malformed(path, 1, absl::StrCat("version ", file_version, " is not ", version));
  }
  if (count < 0 || static_cast<size_t>(count) != lines.size() - 2) {
    return Malformed(path, 2, absl::StrCat("says ", count, " entries but has ", lines.size() - 2));
  }
  std::vector<std::vector<std::string>> entries;
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<std::string> parts = absl::StrSplit(lines[i], ' ');
    if (static_cast<int>(parts.size()) != fields) {
      return Malformed(path, static_cast<int>(i + 1),
                       absl::StrCat("expected ", fields, " space-separated fields"));
    }
    entries.push_back(std::move(parts));
  }
  return entries;
}

absl::Status WriteCheckpoint(FileSystem* fs, const std::string& path, int version,
                             const std::vector<std::string>& lines) {
  std::string text = absl::StrCat(version, "\n", lines.size(), "\n");
  for (const std::string& line : lines) absl::StrAppend(&text, line, "\n");
  std::string tmp = path + ".tmp";
  {
    RILL_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(tmp, FileSystem::OpenMode::kCreate));
    RILL_RETURN_IF_ERROR(file->Truncate(0));
    RILL_RETURN_IF_ERROR(file->WriteAt(0, AsBytes(text)));
    RILL_RETURN_IF_ERROR(file->Sync());
  }
  RILL_RETURN_IF_ERROR(fs->Rename(tmp, path));
  return fs->SyncDir(ParentDir(path));
}

absl::StatusOr<PartitionOffsets> ReadPartitionOffsets(FileSystem* fs, const std::string& path) {
  RILL_ASSIGN_OR_RETURN(auto entries, ReadCheckpoint(fs, path, 0, 3));
  PartitionOffsets offsets;
  int line = 3;
  for (const auto& e : entries) {
    int32_t partition;
    int64_t offset;
    if (!absl::SimpleAtoi(e[1], &partition) || !absl::SimpleAtoi(e[2], &offset) || partition < 0) {
      return Malformed(path, line, "expected 'topic partition offset'");
    }
    offsets[{e[0], partition}] = offset;
    ++line;
  }
  return offsets;
}

absl::Status WritePartitionOffsets(FileSystem* fs, const std::string& path,
                                   const PartitionOffsets& offsets) {
  std::vector<std::string> lines;
  for (const auto& [tp, offset] : offsets) {
    lines.push_back(absl::StrCat(tp.first, " ", tp.second, " ", offset));
  }
  return WriteCheckpoint(fs, path, 0, lines);
}

}  // namespace rill::storage
