// Log: what the log cleaner needs from a log — a consistent snapshot to
// clean from, and the crash-safe swap of cleaned segments into the list
// (Kafka's LocalLog.replaceSegments).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/log.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {

Log::CleanerSnapshot Log::SnapshotForCleaner() const {
  MutexLock lock(&mu_);
  CleanerSnapshot snap;
  snap.segments.assign(writer_segments_.begin(), writer_segments_.end());
  snap.config = config_;
  snap.log_start_offset = log_start_offset_.load(std::memory_order_relaxed);
  snap.log_end_offset = log_end_offset_.load(std::memory_order_relaxed);
  for (const auto& [id, entry] : producer_state_.producers()) {
    if (!entry.batches.empty()) snap.producer_last_offsets[id] = entry.batches.back().last_offset;
  }
  return snap;
}

absl::Status Log::ReplaceSegments(const std::vector<std::shared_ptr<const Segment>>& replaced,
                                  std::shared_ptr<Segment> cleaned) {
  MutexLock lock(&mu_);
  absl::Status writable = CheckWritable();
  auto first = replaced.empty() ? writer_segments_.end()
                                : std::find(writer_segments_.begin(), writer_segments_.end(),
                                            replaced.front());
  size_t at = static_cast<size_t>(first - writer_segments_.begin());
  bool intact = writable.ok() && first != writer_segments_.end() &&
                at + replaced.size() < writer_segments_.size() &&
                cleaned->base_offset() == replaced.front()->base_offset();
  for (size_t i = 0; intact && i < replaced.size(); ++i) {
    intact = writer_segments_[at + i] == replaced[i];
  }
  if (!intact) {
    cleaned->DeleteFiles().IgnoreError();  // Never part of the log; the loader removes leftovers.
    if (!writable.ok()) return writable;
    return absl::AbortedError(absl::StrCat("the segments of ", dir_,
                                           " changed while they were cleaned"));
  }
  // Until the `.swap` names are durable a crash discards the cleaned files.
  if (absl::Status s = cleaned->RenameFilesWithSuffix(kSwapSuffix); !s.ok()) {
    cleaned->DeleteFiles().IgnoreError();
    return s;
  }
  if (absl::Status s = fs_->SyncDir(dir_); !s.ok()) return Fail(s);
  // From here a crash completes the swap on open (log_loader.cc).
  for (size_t i = 0; i < replaced.size(); ++i) {
    if (absl::Status s = writer_segments_[at + i]->RenameFilesWithSuffix(kDeletedSuffix); !s.ok()) {
      return Fail(s);
    }
  }
  if (absl::Status s = cleaned->RenameFilesWithSuffix(""); !s.ok()) return Fail(s);
  SegmentList list;
  list.reserve(writer_segments_.size() - replaced.size() + 1);
  list.insert(list.end(), writer_segments_.begin(), writer_segments_.begin() + at);
  list.push_back(cleaned);
  list.insert(list.end(), writer_segments_.begin() + at + replaced.size(), writer_segments_.end());
  SegmentList old(writer_segments_.begin() + at, writer_segments_.begin() + at + replaced.size());
  Publish(std::move(list));
  for (const auto& segment : old) {
    std::erase(unflushed_sealed_, segment);
    // Removed at once rather than after file.delete.delay.ms: readers keep
    // their mappings, and a later cleaning of the new segment would reuse
    // these `.deleted` names.
    if (absl::Status s = segment->DeleteFiles(); !s.ok()) return Fail(s);
  }
  if (absl::Status s = fs_->SyncDir(dir_); !s.ok()) return Fail(s);
  return absl::OkStatus();
}

}  // namespace rill::storage
