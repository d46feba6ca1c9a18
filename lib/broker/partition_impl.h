#ifndef RILL_BROKER_PARTITION_IMPL_H_
#define RILL_BROKER_PARTITION_IMPL_H_

// The broker's Partition: a storage::Log plus what the clients need around
// it — appends that wake blocked consumers, and waiting for new data without
// polling. With one replica the high watermark is the log end offset.
//
// Waiting on many partitions at once: a consumer owns one DataNotifier,
// registers it with every partition it reads (AddWatcher), and around each
// blocking wait brackets BeginWait()/EndWait() on those partitions. An
// append that sees a waiter notifies every registered notifier; an append
// that sees none pays one atomic load.
//
//   uint64_t seen = notifier.epoch();
//   for (p : partitions) p->BeginWait();
//   if (!any partition has data past the consumer's position)
//     notifier.Wait(seen, deadline);
//   for (p : partitions) p->EndWait();
//
// No wakeup is lost: BeginWait and Append (after the log published its end
// offset) both read-modify-write the waiter count, so one of them comes
// first in its modification order: either the append sees the waiter and
// bumps the notifier's epoch past `seen`, or the waiter's increment
// synchronizes with the append and its check sees the new data.
//
// Thread safety: all methods may be called from any thread. Append is
// serialized by the log. std::mutex, not absl::Mutex, so that TSan sees
// what orders a wakeup (docs/architecture.md).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/storage/log.h"
#include "lib/storage/log_cleaner.h"
#include "rill/broker.h"

namespace rill::broker {

// An event count one thread waits on and any thread bumps: a consumer's
// wakeup for appends to any of its partitions, Wakeup() and close.
// Thread safe.
class DataNotifier {
 public:
  // The current count; pass it to Wait().
  uint64_t epoch() const;
  // Bumps the count and wakes the waiter.
  void Notify();
  // Blocks until the count differs from `seen` or the real-time `deadline`
  // passes (absl::InfiniteFuture() waits for a Notify). Returns whether it
  // was notified.
  bool Wait(uint64_t seen, absl::Time deadline) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t epoch_ = 0;  // Guarded by mu_.
};

class PartitionImpl final : public Partition {
 public:
  // `cleaner` (may be null: a read-only broker) runs Compact().
  PartitionImpl(std::string topic, int32_t id, storage::Log* log,
                storage::LogCleaner* cleaner = nullptr)
      : topic_(std::move(topic)), id_(id), log_(log), cleaner_(cleaner) {}

  const std::string& topic() const override { return topic_; }
  int32_t id() const override { return id_; }
  int64_t log_start_offset() const override { return log_->log_start_offset(); }
  int64_t log_end_offset() const override { return log_->log_end_offset(); }
  int64_t high_watermark() const override { return log_->log_end_offset(); }
  uint64_t size_bytes() const override { return log_->size_bytes(); }
  absl::StatusOr<CompactionResult> Compact() override;

  storage::Log* log() const { return log_; }

  // Appends a batch (see storage::Log::Append) and wakes waiting consumers.
  absl::StatusOr<storage::AppendInfo> Append(MutableByteSpan batch, storage::AppendOrigin origin,
                                             bool validate_records);
  // Appends several batches with one write (see storage::Log::AppendBatches)
  // and wakes waiting consumers once.
  absl::Status AppendBatches(absl::Span<const MutableByteSpan> batches,
                             storage::AppendOrigin origin, bool validate_records,
                             storage::AppendInfo* infos, size_t* appended);
  // storage::Log::WriteAhead: for an appender's idle moment.
  void WriteAhead() { log_->WriteAhead(); }

  // Registers `notifier` to be notified of appends while any waiter is
  // inside BeginWait()/EndWait(), and by WakeAll(). REQUIRES: `notifier`
  // stays alive until RemoveWatcher(notifier) returns.
  void AddWatcher(DataNotifier* notifier);
  void RemoveWatcher(DataNotifier* notifier);
  // Brackets one blocking wait of a registered watcher (see above).
  void BeginWait() { waiters_.fetch_add(1, std::memory_order_acq_rel); }
  void EndWait() { waiters_.fetch_sub(1, std::memory_order_acq_rel); }

  // Blocks until the high watermark passes `offset` or `deadline` passes
  // (real time); returns whether data is there. One partition only; a
  // consumer waits on all of its partitions through a DataNotifier.
  bool WaitForData(int64_t offset, absl::Time deadline);
  // Notifies every watcher now (broker close).
  void WakeAll();

 private:
  const std::string topic_;
  const int32_t id_;
  storage::Log* const log_;
  storage::LogCleaner* const cleaner_;
  // Watchers inside BeginWait/EndWait; Append notifies only when non-zero.
  // Only ever read-modify-written (see above).
  std::atomic<int> waiters_{0};
  std::mutex watchers_mu_;
  std::vector<DataNotifier*> watchers_;  // Guarded by watchers_mu_.
};

}  // namespace rill::broker

#endif  // RILL_BROKER_PARTITION_IMPL_H_
