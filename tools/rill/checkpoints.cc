#include "tools/rill/checkpoints.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace rill::tool {
namespace {

bool Exists(const std::string& path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

// Entry `i` sits on line i + 3, after the version and count lines.
absl::Status BadEntry(const std::string& path, size_t i, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("checkpoint ", path, " line ", i + 3, ": ", why));
}

absl::StatusOr<LeaderEpochEntry> ParseEpochEntry(const std::string& path, size_t i,
                                                 const std::vector<std::string>& fields,
                                                 const LeaderEpochEntry* previous) {
  LeaderEpochEntry entry;
  if (!absl::SimpleAtoi(fields[0], &entry.epoch) ||
      !absl::SimpleAtoi(fields[1], &entry.start_offset) || entry.epoch < 0 ||
      entry.start_offset < 0) {
    return BadEntry(path, i, "expected 'epoch startOffset'");
  }
  if (previous != nullptr &&
      (entry.epoch <= previous->epoch || entry.start_offset < previous->start_offset)) {
    return BadEntry(path, i,
                    absl::StrCat("epoch ", entry.epoch, " at offset ", entry.start_offset,
                                 " does not follow epoch ", previous->epoch, " at offset ",
                                 previous->start_offset));
  }
  return entry;
}

}  // namespace

absl::StatusOr<std::optional<storage::PartitionOffsets>> ReadOffsetsCheckpoint(
    const std::string& path) {
  if (!Exists(path)) return std::nullopt;
  return storage::ReadPartitionOffsets(storage::FileSystem::Posix(), path);
}

absl::StatusOr<std::optional<std::vector<LeaderEpochEntry>>> ReadLeaderEpochCheckpoint(
    const std::string& path) {
  if (!Exists(path)) return std::nullopt;
  RILL_ASSIGN_OR_RETURN(std::vector<std::vector<std::string>> lines,
                        storage::ReadCheckpoint(storage::FileSystem::Posix(), path, 0, 2));
  std::vector<LeaderEpochEntry> entries;
  for (size_t i = 0; i < lines.size(); ++i) {
    RILL_ASSIGN_OR_RETURN(LeaderEpochEntry entry,
                          ParseEpochEntry(path, i, lines[i], i > 0 ? &entries.back() : nullptr));
    entries.push_back(entry);
  }
  return entries;
}

}  // namespace rill::tool
