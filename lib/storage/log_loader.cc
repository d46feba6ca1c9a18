// Log::Open: what Kafka's LogLoader does. Finish or discard interrupted
// cleaner swaps, drop leftovers, open the segments, and after an unclean
// stop rescan every segment from the one holding the recovery point:
// validate each batch, rebuild the indexes, cut the log after the last valid
// batch. After a clean shutdown nothing is scanned.

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_view.h"
#include "lib/storage/log.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {
namespace {

// The offset after the last complete batch of the `.log`-format file at
// `path`; -1 if it holds none.
absl::StatusOr<int64_t> NextOffsetOfFile(FileSystem* fs, const std::string& path) {
  RILL_ASSIGN_OR_RETURN(auto file, fs->Open(path, FileSystem::OpenMode::kReadOnly));
  RILL_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  if (size == 0) return -1;
  RILL_ASSIGN_OR_RETURN(auto map, file->Map(size, false));
  format::BatchScanner scanner(ByteSpan(map->data(), size));
  format::BatchScanner::Slice slice;
  int64_t next = -1;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok() || !*more) break;
    auto batch = format::RecordBatchView::Parse(slice.bytes);
    if (!batch.ok()) break;
    next = batch->next_offset();
  }
  return next;
}

std::string WithoutSuffix(const std::string& name, absl::string_view suffix) {
  return name.substr(0, name.size() - suffix.size());
}

}  // namespace

absl::StatusOr<std::unique_ptr<Log>> Log::Open(const LogOpenParams& params, LogLoadReport* report) {
  if (params.fs == nullptr) return absl::InvalidArgumentError("Log::Open needs a FileSystem");
  RILL_RETURN_IF_ERROR(params.config.Validate());
  std::unique_ptr<Log> log(new Log(params));
  LogLoadReport local;
  RILL_RETURN_IF_ERROR(log->Load(report != nullptr ? report : &local));
  return log;
}

absl::Status Log::CompleteSwaps(const std::vector<std::string>& names, LogLoadReport* report) {
  int64_t min_cleaned = INT64_MAX;
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (parsed && parsed->temporary == kCleanedSuffix) min_cleaned = std::min(min_cleaned, parsed->offset);
  }
  std::set<std::string> swaps;
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (!parsed || parsed->temporary.empty()) continue;
    std::string path = JoinPath(dir_, name);
    bool interrupted_split = parsed->temporary == kSwapSuffix && parsed->offset >= min_cleaned;
    if (parsed->temporary != kSwapSuffix || interrupted_split) {
      // .deleted and .cleaned leftovers, and swaps of an interrupted split.
      RILL_RETURN_IF_ERROR(fs_->RemoveFile(path));
    } else {
      swaps.insert(name);
    }
  }
  if (swaps.empty()) return absl::OkStatus();
  // The swap was durable: finish it. Segments it replaces are the ones whose
  // base lies in [smallest swap base, largest swap next offset).
  int64_t low = INT64_MAX, high = -1;
  for (const std::string& name : swaps) {
    auto parsed = ParseFileName(name);
    low = std::min(low, parsed->offset);
    if (parsed->kind == kLogSuffix) {
      RILL_ASSIGN_OR_RETURN(int64_t next, NextOffsetOfFile(fs_, JoinPath(dir_, name)));
      high = std::max(high, std::max(next, parsed->offset + 1));
    }
  }
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (parsed && parsed->temporary.empty() && parsed->offset >= low && parsed->offset < high &&
        parsed->kind != kSnapshotSuffix) {
      RILL_RETURN_IF_ERROR(fs_->RemoveFile(JoinPath(dir_, name)));
    }
  }
  for (const std::string& name : swaps) {
    RILL_RETURN_IF_ERROR(fs_->Rename(JoinPath(dir_, name),
                                     JoinPath(dir_, WithoutSuffix(name, kSwapSuffix))));
    if (ParseFileName(name)->kind == kLogSuffix) ++report->completed_swaps;
  }
  return fs_->SyncDir(dir_);
}

absl::Status Log::Load(LogLoadReport* report) {
  MutexLock lock(&mu_);
  if (!read_only_) {
    RILL_ASSIGN_OR_RETURN(bool existed, fs_->Exists(dir_));
    RILL_RETURN_IF_ERROR(fs_->CreateDirs(dir_));
    // A new partition directory must itself survive a crash, or what Flush()
    // makes durable inside it could not be found again.
    if (!existed) {
      std::string parent = std::filesystem::path(dir_).parent_path().string();
      RILL_RETURN_IF_ERROR(fs_->SyncDir(parent.empty() ? "." : parent));
    }
  }
  RILL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(dir_));
  if (!read_only_) {
    RILL_RETURN_IF_ERROR(CompleteSwaps(names, report));
    RILL_ASSIGN_OR_RETURN(names, fs_->ListDir(dir_));
  }
  std::set<int64_t> bases;
  std::map<int64_t, std::vector<std::string>> index_files;
  for (const std::string& name : names) {
    auto parsed = ParseFileName(name);
    if (!parsed || !parsed->temporary.empty()) continue;
    if (parsed->kind == kLogSuffix) bases.insert(parsed->offset);
    if (parsed->kind == kIndexSuffix || parsed->kind == kTimeIndexSuffix) {
      index_files[parsed->offset].push_back(name);
    }
  }
  if (!read_only_) {
    for (const auto& [base, files] : index_files) {
      if (bases.contains(base)) continue;
      for (const std::string& f : files) RILL_RETURN_IF_ERROR(fs_->RemoveFile(JoinPath(dir_, f)));
    }
  }
  SegmentOptions options = config_.segment_options();
  SegmentList list;
  for (int64_t base : bases) {
    bool last = base == *bases.rbegin();
    RILL_ASSIGN_OR_RETURN(auto segment, Segment::Open(fs_, dir_, base, options, last, read_only_));
    list.push_back(std::move(segment));
  }
  RILL_ASSIGN_OR_RETURN(epochs_, LeaderEpochCache::Load(fs_, dir_, read_only_));
  writer_segments_ = std::move(list);
  report->segments = static_cast<int>(writer_segments_.size());

  if (read_only_) {
    if (!writer_segments_.empty()) writer_segments_.back()->ScanValidPrefix();
  } else {
    // After a clean shutdown every segment is trusted (first = size): only
    // those with a missing or corrupt index are rebuilt.
    size_t first = writer_segments_.size();
    if (!clean_shutdown_) {
      for (size_t i = 0; i < writer_segments_.size(); ++i) {
        if (writer_segments_[i]->base_offset() <= std::max<int64_t>(recovery_point_.load(), 0) ||
            i == 0) {
          first = i;
        }
      }
    }
    RILL_RETURN_IF_ERROR(RecoverFrom(first, report));
  }

  int64_t requested_start = log_start_offset_.load();
  if (writer_segments_.empty()) {
    if (read_only_) {
      Publish({});
      log_start_offset_.store(std::max<int64_t>(requested_start, 0));
      log_end_offset_.store(std::max<int64_t>(requested_start, 0));
      return absl::OkStatus();
    }
    int64_t base = std::max<int64_t>(requested_start, 0);
    RILL_ASSIGN_OR_RETURN(auto segment, Segment::Create(fs_, dir_, base, options, clock_->NowMs()));
    writer_segments_.push_back(std::move(segment));
    dir_dirty_ = true;
  }
  const Segment& last = *writer_segments_.back();
  int64_t next = last.ReadNextOffset();
  int64_t end = next >= 0 ? next : last.base_offset();
  int64_t start = std::max(requested_start, writer_segments_.front()->base_offset());
  if (start > end) start = end;
  log_end_offset_.store(end, std::memory_order_release);
  log_start_offset_.store(start, std::memory_order_release);
  Publish(writer_segments_);
  RILL_RETURN_IF_ERROR(LoadProducerState());
  if (!read_only_) {
    RILL_RETURN_IF_ERROR(DeleteProducerSnapshots(end + 1, INT64_MAX));  // Past a truncation.
    RILL_RETURN_IF_ERROR(epochs_->TruncateFromEnd(end));
    // Everything that was rescanned is made durable now, so the recovery
    // point can move to the end.
    if (!clean_shutdown_) RILL_RETURN_IF_ERROR(FlushLocked());
  }
  recovery_point_.store(end, std::memory_order_release);
  active_jitter_ms_ = NewJitter();
  return absl::OkStatus();
}

absl::Status Log::RecoverFrom(size_t first, LogLoadReport* report) {
  SegmentList& list = writer_segments_;
  std::vector<bool> recovered(list.size(), false);
  // Segments below the recovery point are trusted unless an index is gone.
  for (size_t i = 0; i < std::min(first, list.size()); ++i) {
    if (!list[i]->needs_recovery()) continue;
    recovered[i] = true;
    RILL_ASSIGN_OR_RETURN(SegmentRecovery r, list[i]->Recover());
    ++report->recovered_segments;
    report->recovered_bytes += r.valid_bytes;
  }
  for (size_t i = first; i < list.size(); ++i) {
    recovered[i] = true;
    RILL_ASSIGN_OR_RETURN(SegmentRecovery r, list[i]->Recover());
    ++report->recovered_segments;
    report->recovered_bytes += r.valid_bytes;
    report->truncated_bytes += r.truncated_bytes;
    if (!r.corruption.empty() && report->corruption.empty()) {
      report->corruption = absl::StrCat(list[i]->log_path(), ": ", r.corruption);
    }
    bool corrupt_cut = r.truncated_bytes > 0 && !r.zero_tail;
    if (corrupt_cut && report->truncated_from_offset < 0) {
      report->truncated_from_offset = r.next_offset >= 0 ? r.next_offset : list[i]->base_offset();
    }
    if (corrupt_cut && i + 1 < list.size()) {
      // Kafka: after a cut, everything later is suspect and goes.
      for (size_t j = i + 1; j < list.size(); ++j) {
        RILL_RETURN_IF_ERROR(list[j]->DeleteFiles());
        ++report->deleted_segments;
      }
      // The removals must be durable before anything is appended at the
      // cut, or a power loss would bring the old offsets back.
      dir_dirty_ = true;
      list.resize(i + 1);
      break;
    }
  }
  // The last segment must be the active one: reopen it writable if a cut
  // made an older segment the last.
  if (!list.empty() && !list.back()->active()) {
    int64_t base = list.back()->base_offset();
    // Recover() left its indexes at full size; reopened untrimmed, the zeros
    // past the entries would read as corrupt entries and the index be lost.
    RILL_RETURN_IF_ERROR(list.back()->TrimIndexes());
    list.back().reset();
    RILL_ASSIGN_OR_RETURN(list.back(), Segment::Open(fs_, dir_, base, config_.segment_options(),
                                                     /*active=*/true, /*read_only_process=*/false));
  }
  // Recovered older segments had their indexes rebuilt at full size, and
  // what recovery rewrote is flushed with the rest (the recovery point moves
  // past them).
  for (size_t i = 0; i + 1 < list.size(); ++i) {
    RILL_RETURN_IF_ERROR(list[i]->TrimIndexes());
    if (recovered[i]) unflushed_sealed_.push_back(list[i]);
  }
  return absl::OkStatus();
}

}  // namespace rill::storage
