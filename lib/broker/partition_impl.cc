#include "lib/broker/partition_impl.h"

namespace rill::broker {

absl::StatusOr<storage::AppendInfo> PartitionImpl::Append(MutableByteSpan batch,
                                                          storage::AppendOrigin origin,
                                                          bool validate_records) {
  absl::StatusOr<storage::AppendInfo> info = log_->Append(batch, origin, validate_records);
  // The fence pairs with the waiter's seq_cst increment (Dekker): either the
  // waiter then sees the new end offset, or this load sees the waiter.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (info.ok() && waiters_.load(std::memory_order_relaxed) > 0) WakeAll();
  return info;
}

void PartitionImpl::WakeAll() {
  absl::MutexLock lock(&wait_mu_);
  ++generation_;
  data_arrived_.SignalAll();
}

bool PartitionImpl::WaitForData(int64_t offset, absl::Time deadline) {
  if (high_watermark() > offset) return true;
  absl::MutexLock lock(&wait_mu_);
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  uint64_t seen = generation_;
  while (high_watermark() <= offset && generation_ == seen) {
    if (data_arrived_.WaitWithDeadline(&wait_mu_, deadline)) break;  // Timed out.
  }
  waiters_.fetch_sub(1, std::memory_order_seq_cst);
  return high_watermark() > offset;
}

}  // namespace rill::broker
