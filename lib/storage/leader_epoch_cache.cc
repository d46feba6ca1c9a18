#include "lib/storage/leader_epoch_cache.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/checkpoint_file.h"

namespace rill::storage {

absl::StatusOr<std::unique_ptr<LeaderEpochCache>> LeaderEpochCache::Load(FileSystem* fs,
                                                                          const std::string& dir,
                                                                          bool read_only) {
  std::string path = JoinPath(dir, kLeaderEpochCheckpoint);
  std::unique_ptr<LeaderEpochCache> cache(new LeaderEpochCache(fs, path, read_only));
  RILL_ASSIGN_OR_RETURN(bool exists, fs->Exists(path));
  if (!exists) return cache;
  RILL_ASSIGN_OR_RETURN(auto lines, ReadCheckpoint(fs, path, 0, 2));
  for (const auto& line : lines) {
    int32_t epoch;
    int64_t offset;
    if (!absl::SimpleAtoi(line[0], &epoch) || !absl::SimpleAtoi(line[1], &offset)) {
      return absl::DataLossError(absl::StrCat(path, ": expected 'epoch startOffset' lines"));
    }
    cache->entries_.emplace_back(epoch, offset);
  }
  return cache;
}

std::optional<int32_t> LeaderEpochCache::latest_epoch() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.back().first;
}

absl::Status LeaderEpochCache::Assign(int32_t epoch, int64_t start_offset) {
  if (!entries_.empty() && entries_.back().first >= epoch) return absl::OkStatus();
  entries_.emplace_back(epoch, start_offset);
  return Persist();
}

absl::Status LeaderEpochCache::TruncateFromEnd(int64_t end_offset) {
  size_t before = entries_.size();
  while (!entries_.empty() && entries_.back().second >= end_offset) entries_.pop_back();
  return entries_.size() == before ? absl::OkStatus() : Persist();
}

absl::Status LeaderEpochCache::TruncateFromStart(int64_t start_offset) {
  size_t keep_from = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].second <= start_offset) keep_from = i;
  }
  if (keep_from == 0 && (entries_.empty() || entries_[0].second >= start_offset)) {
    return absl::OkStatus();
  }
  entries_.erase(entries_.begin(), entries_.begin() + keep_from);
  entries_[0].second = start_offset;
  return Persist();
}

absl::Status LeaderEpochCache::Persist() {
  if (read_only_) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const auto& [epoch, offset] : entries_) lines.push_back(absl::StrCat(epoch, " ", offset));
  return WriteCheckpoint(fs_, path_, 0, lines);
}

}  // namespace rill::storage
