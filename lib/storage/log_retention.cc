// Log: retention (retention.ms, retention.bytes, log start offset),
// DeleteRecords, truncation, deferred file deletion, close.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/storage/log.h"
#include "lib/storage/log_file_names.h"

namespace rill::storage {

absl::StatusOr<int> Log::RunRetention() {
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  int deleted = 0;
  auto deletable = [&](auto should_delete) -> absl::Status {
    // Oldest first, stopping at the first segment that stays (Kafka's
    // deletableSegments). The active segment qualifies only when non-empty;
    // it is rolled first so the log always keeps an active segment.
    size_t n = 0;
    while (n < writer_segments_.size() && should_delete(*writer_segments_[n], n)) ++n;
    if (n == 0) return absl::OkStatus();
    if (n == writer_segments_.size()) {
      if (writer_segments_.back()->size() == 0) --n;
      else RILL_RETURN_IF_ERROR(Roll(log_end_offset_.load(std::memory_order_relaxed)));
    }
    if (n == 0) return absl::OkStatus();
    deleted += static_cast<int>(n);
    return DeleteSegments(n);
  };
  if (config_.delete_retention && config_.retention_ms >= 0) {
    int64_t now = clock_->NowMs();
    RILL_RETURN_IF_ERROR(deletable([&](const Segment& s, size_t) {
      int64_t newest = s.max_timestamp() >= 0 ? s.max_timestamp() : s.created_ms();
      return s.size() > 0 && now - newest > config_.retention_ms;
    }));
  }
  if (config_.delete_retention && config_.retention_bytes >= 0) {
    int64_t diff = static_cast<int64_t>(size_bytes()) - config_.retention_bytes;
    RILL_RETURN_IF_ERROR(deletable([&](const Segment& s, size_t) {
      if (s.size() == 0 || diff - static_cast<int64_t>(s.size()) < 0) return false;
      diff -= static_cast<int64_t>(s.size());
      return true;
    }));
  }
  int64_t start = log_start_offset_.load(std::memory_order_relaxed);
  RILL_RETURN_IF_ERROR(deletable([&](const Segment&, size_t i) {
    return i + 1 < writer_segments_.size() && writer_segments_[i + 1]->base_offset() <= start;
  }));
  return deleted;
}

absl::Status Log::DeleteSegments(size_t count) {
  SegmentList remaining(writer_segments_.begin() + count, writer_segments_.end());
  SegmentList doomed(writer_segments_.begin(), writer_segments_.begin() + count);
  Publish(std::move(remaining));
  int64_t new_start = std::max(log_start_offset_.load(), writer_segments_.front()->base_offset());
  log_start_offset_.store(new_start, std::memory_order_release);
  if (absl::Status s = epochs_->TruncateFromStart(new_start); !s.ok()) return Fail(s);
  int64_t due = clock_->NowMs() + config_.file_delete_delay_ms;
  for (auto& segment : doomed) {
    std::erase(unflushed_sealed_, segment);
    // Readers that still hold the segment keep their mapping: renaming and
    // unlinking a file does not unmap it.
    if (absl::Status s = segment->RenameFilesWithSuffix(kDeletedSuffix); !s.ok()) return Fail(s);
    if (config_.file_delete_delay_ms == 0) {
      if (absl::Status s = segment->DeleteFiles(); !s.ok()) return Fail(s);
    } else {
      pending_deletions_.push_back({segment, due});
    }
  }
  dir_dirty_ = true;
  return absl::OkStatus();
}

absl::Status Log::DeleteRecordsBefore(int64_t offset) {
  {
    MutexLock lock(&mu_);
    RILL_RETURN_IF_ERROR(CheckWritable());
    int64_t end = log_end_offset_.load(std::memory_order_relaxed);
    if (offset > end) {
      return absl::OutOfRangeError(absl::StrCat("cannot delete records before ", offset, " in ",
                                                dir_, ": the log ends at ", end));
    }
    if (offset <= log_start_offset_.load()) return absl::OkStatus();
    log_start_offset_.store(offset, std::memory_order_release);
  }
  return RunRetention().status();
}

absl::Status Log::TruncateTo(int64_t offset) {
  MutexLock lock(&mu_);
  RILL_RETURN_IF_ERROR(CheckWritable());
  if (offset >= log_end_offset_.load(std::memory_order_relaxed)) return absl::OkStatus();
  SegmentOptions options = config_.segment_options();
  SegmentList list = writer_segments_;
  // Segments wholly at or past the offset go at once (no delay: their data
  // must not come back).
  while (list.size() > 1 && list.back()->base_offset() >= offset) {
    if (absl::Status s = list.back()->DeleteFiles(); !s.ok()) return Fail(s);
    std::erase(unflushed_sealed_, list.back());
    list.pop_back();
  }
  if (offset < list.front()->base_offset() || offset < log_start_offset_.load()) {
    // Everything goes: start over at `offset`, as truncateFullyAndStartAt.
    if (absl::Status s = list.front()->DeleteFiles(); !s.ok()) return Fail(s);
    auto created = Segment::Create(fs_, dir_, offset, options, clock_->NowMs());
    if (!created.ok()) return Fail(created.status());
    list = {*created};
    log_start_offset_.store(offset, std::memory_order_release);
  } else {
    if (absl::Status s = list.back()->TruncateTo(offset).status(); !s.ok()) return Fail(s);
    if (!list.back()->active()) {
      int64_t base = list.back()->base_offset();
      auto reopened = Segment::Open(fs_, dir_, base, options, /*active=*/true, false);
      if (!reopened.ok()) return Fail(reopened.status());
      list.back() = *reopened;
    }
  }
  Publish(std::move(list));
  int64_t next = writer_segments_.back()->ReadNextOffset();
  int64_t end = next >= 0 ? next : writer_segments_.back()->base_offset();
  log_end_offset_.store(end, std::memory_order_release);
  if (recovery_point_.load() > end) recovery_point_.store(end, std::memory_order_release);
  dir_dirty_ = true;
  if (absl::Status s = epochs_->TruncateFromEnd(end); !s.ok()) return Fail(s);
  producer_state_.TruncateTo(end);
  if (absl::Status s = DeleteProducerSnapshots(end + 1, INT64_MAX); !s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::Status Log::RunMaintenance() {
  MutexLock lock(&mu_);
  if (closed_ || read_only_) return absl::OkStatus();
  RILL_RETURN_IF_ERROR(failure_);
  int64_t now = clock_->NowMs();
  // Kafka flushes rolled segments in the background so the recovery point
  // advances and a crash rescans only the active segment.
  if (!unflushed_sealed_.empty()) {
    for (const auto& segment : unflushed_sealed_) {
      if (absl::Status s = segment->Flush(); !s.ok()) return Fail(s);
    }
    unflushed_sealed_.clear();
    if (absl::Status s = fs_->SyncDir(dir_); !s.ok()) return Fail(s);
    dir_dirty_ = false;
    int64_t active_base = writer_segments_.back()->base_offset();
    if (recovery_point_.load() < active_base) recovery_point_.store(active_base);
  }
  if (config_.flush_ms != INT64_MAX && first_unflushed_ms_ >= 0 &&
      now - first_unflushed_ms_ >= config_.flush_ms) {
    RILL_RETURN_IF_ERROR(FlushLocked());
  }
  for (auto it = pending_deletions_.begin(); it != pending_deletions_.end();) {
    if (it->due_ms > now) {
      ++it;
      continue;
    }
    if (absl::Status s = it->segment->DeleteFiles(); !s.ok()) return Fail(s);
    it = pending_deletions_.erase(it);
  }
  return absl::OkStatus();
}

void Log::CloseForDeletion() {
  // Stop a cleaning pass and wait for it to leave the directory alone.
  abort_cleaning_.store(true, std::memory_order_release);
  { std::lock_guard<std::mutex> wait(cleaning_mu_); }
  MutexLock lock(&mu_);
  closed_ = true;
  deleted_ = true;
  pending_deletions_.clear();  // The whole directory goes.
  if (!writer_segments_.empty()) writer_segments_.back()->StopZeroFill();
}

absl::Status Log::Close() {
  MutexLock lock(&mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  if (read_only_ || writer_segments_.empty()) return absl::OkStatus();
  // Even a failed log's files get no more zeros once it is closed: the
  // directory may have a new owner soon.
  writer_segments_.back()->StopZeroFill();
  RILL_RETURN_IF_ERROR(failure_);
  // Seal (trim) first, then sync everything including the trimmed sizes: a
  // clean-shutdown marker must never stand for files whose trim was lost.
  RILL_RETURN_IF_ERROR(writer_segments_.back()->Seal());
  RILL_RETURN_IF_ERROR(WriteProducerSnapshot(log_end_offset_.load()));
  unflushed_sealed_.push_back(writer_segments_.back());
  RILL_RETURN_IF_ERROR(FlushLocked());
  for (auto& pending : pending_deletions_) RILL_RETURN_IF_ERROR(pending.segment->DeleteFiles());
  pending_deletions_.clear();
  return absl::OkStatus();
}

}  // namespace rill::storage
