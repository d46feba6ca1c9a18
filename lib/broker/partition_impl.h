#ifndef RILL_BROKER_PARTITION_IMPL_H_
#define RILL_BROKER_PARTITION_IMPL_H_

// The broker's Partition: a storage::Log plus what the clients need around
// it — appends that wake blocked consumers, and waiting for new data without
// polling. With one replica the high watermark is the log end offset.
//
// Thread safety: all methods may be called from any thread. Append is
// serialized by the log; WaitForData may be called by many consumers.

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/storage/log.h"
#include "rill/broker.h"

namespace rill::broker {

class PartitionImpl final : public Partition {
 public:
  PartitionImpl(std::string topic, int32_t id, storage::Log* log)
      : topic_(std::move(topic)), id_(id), log_(log) {}

  const std::string& topic() const override { return topic_; }
  int32_t id() const override { return id_; }
  int64_t log_start_offset() const override { return log_->log_start_offset(); }
  int64_t log_end_offset() const override { return log_->log_end_offset(); }
  int64_t high_watermark() const override { return log_->log_end_offset(); }
  uint64_t size_bytes() const override { return log_->size_bytes(); }

  storage::Log* log() const { return log_; }

  // Appends a batch (see storage::Log::Append) and wakes waiting consumers.
  absl::StatusOr<storage::AppendInfo> Append(MutableByteSpan batch,
                                             storage::AppendOrigin origin,
                                             bool validate_records);

  // Blocks until the high watermark passes `offset` or `deadline` passes
  // (real time); returns whether data is there. Woken by Append without
  // any polling loop.
  bool WaitForData(int64_t offset, absl::Time deadline);
  // Wakes every waiter now (consumer wakeup, close).
  void WakeAll();

 private:
  const std::string topic_;
  const int32_t id_;
  storage::Log* const log_;
  // Consumers blocked in WaitForData; Append signals only when non-zero.
  std::atomic<int> waiters_{0};
  absl::Mutex wait_mu_;
  absl::CondVar data_arrived_;
  uint64_t generation_ ABSL_GUARDED_BY(wait_mu_) = 0;
};

}  // namespace rill::broker

#endif  // RILL_BROKER_PARTITION_IMPL_H_
