#include "lib/broker/partition_impl.h"

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

#include <algorithm>
#include <chrono>

namespace rill::broker {

uint64_t DataNotifier::epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return epoch_;
}

void DataNotifier::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  ++epoch_;
  cv_.notify_all();
}

bool DataNotifier::Wait(uint64_t seen, absl::Time deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  while (epoch_ == seen) {
    if (deadline == absl::InfiniteFuture()) {
      cv_.wait(lock);
      continue;
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    // wait_for measures on the steady clock: a wall-clock step cannot
    // stretch one wait, and the loop re-reads the deadline after each.
    cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  return true;
}

absl::StatusOr<CompactionResult> PartitionImpl::Compact() {
  if (cleaner_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(topic_, "-", id_, " is open read-only"));
  }
  CompactionResult r;
  storage::LogTally before = storage::TallyLog(*log_);
  RILL_ASSIGN_OR_RETURN(storage::CleanStats stats, cleaner_->CleanNow(topic_, id_));
  storage::LogTally after = storage::TallyLog(*log_);
  r.bytes_before = before.bytes;
  r.records_before = before.records;
  r.segments_before = before.segments;
  r.bytes_after = after.bytes;
  r.records_after = after.records;
  r.segments_after = after.segments;
  r.first_dirty_offset = stats.end_offset;
  return r;
}

absl::StatusOr<storage::AppendInfo> PartitionImpl::Append(MutableByteSpan batch,
                                                          storage::AppendOrigin origin,
                                                          bool validate_records) {
  storage::AppendInfo info;
  size_t appended = 0;
  RILL_RETURN_IF_ERROR(
      AppendBatches(absl::MakeConstSpan(&batch, 1), origin, validate_records, &info, &appended));
  return info;
}

absl::Status PartitionImpl::AppendBatches(absl::Span<const MutableByteSpan> batches,
                                          storage::AppendOrigin origin, bool validate_records,
                                          storage::AppendInfo* infos, size_t* appended) {
  absl::Status s = log_->AppendBatches(batches, origin, validate_records, infos, appended);
  if (*appended == 0) return s;
  // An RMW rather than a fence and a load (TSan does not model fences): in
  // waiters_'s modification order either the waiter's BeginWait comes first
  // and this reads it, or this comes first and the waiter's increment
  // acquires it, and with it the end offset the log published before.
  if (waiters_.fetch_add(0, std::memory_order_acq_rel) > 0) WakeAll();
  return s;
}

void PartitionImpl::AddWatcher(DataNotifier* notifier) {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  watchers_.push_back(notifier);
}

void PartitionImpl::RemoveWatcher(DataNotifier* notifier) {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  auto it = std::find(watchers_.begin(), watchers_.end(), notifier);
  if (it != watchers_.end()) watchers_.erase(it);
}

void PartitionImpl::WakeAll() {
  std::lock_guard<std::mutex> lock(watchers_mu_);
  for (DataNotifier* notifier : watchers_) notifier->Notify();
}

bool PartitionImpl::WaitForData(int64_t offset, absl::Time deadline) {
  if (high_watermark() > offset) return true;
  DataNotifier notifier;
  AddWatcher(&notifier);
  uint64_t seen = notifier.epoch();
  BeginWait();
  // Any notification ends the wait: an append here, or WakeAll (close).
  if (high_watermark() <= offset) notifier.Wait(seen, deadline);
  EndWait();
  RemoveWatcher(&notifier);
  return high_watermark() > offset;
}

}  // namespace rill::broker
