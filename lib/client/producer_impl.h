#ifndef RILL_CLIENT_PRODUCER_IMPL_H_
#define RILL_CLIENT_PRODUCER_IMPL_H_

// The machinery behind rill::Producer: a record accumulator with one queue
// per partition (the open batch being filled, then closed batches waiting to
// be appended in order), buffer.memory accounting with max.block.ms, a
// linger timer, and the drain that builds (compresses, checksums) and
// appends batches and runs callbacks in offset order.
//
// Locking: `queues_mu_` guards the queue map; each PartitionQueue's `mu`
// guards its batches; `memory_mu_` the buffer accounting. Callbacks run with
// no lock held. One thread at a time drains a queue (`draining`), which is
// what keeps a partition's callbacks in offset order.

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "lib/broker/broker_impl.h"
#include "lib/client/default_partitioner.h"
#include "lib/format/record_batch_builder.h"
#include "rill/producer.h"

namespace rill {

class Producer::Impl {
 public:
  Impl(Broker* broker, const ProducerOptions& options);
  ~Impl();

  absl::Status config_status() const { return config_status_; }
  void Send(const ProducerRecord& record, SendCallback callback);
  void Flush();
  absl::Status Close(absl::Duration timeout);
  ProducerMetrics Metrics() const;
  const ProducerOptions& options() const { return options_; }
  int64_t producer_id() const { return producer_id_; }
  int16_t producer_epoch() const { return producer_epoch_; }

 private:
  struct PendingRecord {
    SendCallback callback;
    int64_t timestamp;
    int32_t key_size;
    int32_t value_size;
  };
  struct Batch {
    format::RecordBatchBuilder builder;
    std::vector<PendingRecord> records;
    int64_t created_ms = 0;
    int64_t reserved_bytes = 0;  // buffer.memory held by this batch.
    uint64_t ticket = 0;         // Position in its queue's close order.
  };
  struct PartitionQueue {
    std::string topic;
    int32_t partition = 0;
    broker::PartitionImpl* target = nullptr;
    absl::Mutex mu;
    std::unique_ptr<Batch> open ABSL_GUARDED_BY(mu);
    std::deque<std::unique_ptr<Batch>> closed ABSL_GUARDED_BY(mu);
    bool draining ABSL_GUARDED_BY(mu) = false;
    int32_t next_sequence ABSL_GUARDED_BY(mu) = 0;
    uint64_t closed_count ABSL_GUARDED_BY(mu) = 0;     // Batches ever closed.
    uint64_t completed_count ABSL_GUARDED_BY(mu) = 0;  // Batches whose callbacks ran.
    absl::CondVar completed_cv;
  };

  absl::StatusOr<PartitionQueue*> QueueFor(const std::string& topic, int32_t partition);
  absl::StatusOr<int32_t> ChoosePartition(broker::TopicImpl* topic, const ProducerRecord& record);
  absl::Status ReserveMemory(int64_t bytes);
  void ReleaseMemory(int64_t bytes);
  format::BatchOptions BatchOptionsFor(broker::TopicImpl* topic) const;
  void CloseOpenBatch(PartitionQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu);
  void Drain(PartitionQueue* q);
  void AppendBatch(PartitionQueue* q, Batch* batch);
  void Complete(const PartitionQueue& q, Batch* batch, const absl::StatusOr<storage::AppendInfo>& info);
  void CloseExpiredBatches(bool all);
  void LingerLoop();
  std::vector<PartitionQueue*> AllQueues();
  static void Fail(SendCallback& callback, const absl::Status& status);

  Broker* const broker_;
  broker::BrokerImpl* const broker_impl_;
  ProducerOptions options_;
  absl::Status config_status_;
  Clock* const clock_;
  std::unique_ptr<client::DefaultPartitioner> default_partitioner_;
  Partitioner* partitioner_;
  int64_t producer_id_ = -1;
  int16_t producer_epoch_ = -1;
  const int64_t started_ms_;

  absl::Mutex queues_mu_;
  absl::flat_hash_map<std::pair<std::string, int32_t>, std::unique_ptr<PartitionQueue>> queues_
      ABSL_GUARDED_BY(queues_mu_);

  // buffer.memory in use; memory_mu_ and memory_cv_ only for Sends that
  // must wait for room, counted in memory_waiters_.
  std::atomic<int64_t> memory_used_{0};
  std::atomic<int> memory_waiters_{0};
  absl::Mutex memory_mu_;
  absl::CondVar memory_cv_;

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> records_sent_{0}, records_failed_{0}, bytes_sent_{0}, batches_sent_{0};
  std::atomic<int64_t> uncompressed_bytes_{0};

  int64_t maintenance_handle_ = -1;
  absl::Mutex linger_mu_;
  absl::CondVar linger_cv_;
  bool stop_linger_ ABSL_GUARDED_BY(linger_mu_) = false;
  std::thread linger_thread_;
};

}  // namespace rill

#endif  // RILL_CLIENT_PRODUCER_IMPL_H_
