#ifndef RILL_CLIENT_PRODUCER_IMPL_H_
#define RILL_CLIENT_PRODUCER_IMPL_H_

// The machinery behind rill::Producer: a record accumulator with one queue
// per partition (the open batch being filled, then closed batches waiting to
// be appended in order), buffer.memory accounting with max.block.ms, a
// linger timer, and the drain that builds (compresses, checksums) and
// appends batches and runs callbacks in offset order.
//
// Sending threads only encode: the I/O thread (Kafka's sender thread)
// checksums, appends and runs callbacks, so on a multi-core machine the two
// halves of producing overlap. Under linger.ms=0 the sending thread appends
// (and runs the callbacks) itself, unless another thread is appending to
// that partition, which then takes the record along: no thread hop.
//
// The Send hot path takes one lock, its partition queue's: topics and queues
// are found through lock-free caches (`last_topic_`, TopicEntry::queues)
// whose entries live as long as the producer; buffer.memory is reserved per
// batch, not per record, as Kafka's BufferPool does; the linger thread is
// woken only when it sleeps with nothing to time.
//
// Locking: `registry_mu_` guards the topic and queue registries; each
// PartitionQueue's `mu` guards its batches; `io_mu_` the I/O thread's ready
// list; `memory_mu_` only the waits for buffer memory. Callbacks run with no lock held. One thread at a time
// drains a queue (`draining`), which keeps a partition's callbacks in offset
// order. std::mutex (and AdaptiveMutex for the partition queues, taken
// per record) rather than absl::Mutex: TSan understands them.

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "lib/base/adaptive_mutex.h"
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
  // By rvalue: the public Send's by-value callback moves once, into the batch.
  void Send(const ProducerRecord& record, SendCallback&& callback);
  void Flush();
  absl::Status Close(absl::Duration timeout);
  ProducerMetrics Metrics() const;
  const ProducerOptions& options() const { return options_; }
  int64_t producer_id() const { return producer_id_; }
  int16_t producer_epoch() const { return producer_epoch_; }

 private:
  struct PendingRecord {
    // Built in place by emplace_back: an aggregate copied from a temporary
    // was assembled on the stack from two 4-byte stores and read back as
    // one 8-byte load, which the CPU cannot forward from its store buffer.
    // That load then waited for every older store to reach the cache (the
    // record just encoded into the batch among them): up to half of Send.
    PendingRecord(SendCallback&& cb, int64_t ts, int32_t key, int32_t value)
        : callback(std::move(cb)), timestamp(ts), key_size(key), value_size(value) {}
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
  };
  struct PartitionQueue {
    std::string topic;
    int32_t partition = 0;
    // Valid while the TopicEntry that made this queue holds its topic,
    // i.e. as long as the producer.
    broker::PartitionImpl* target = nullptr;
    const broker::TopicImpl* topic_impl = nullptr;  // Lives as long as `target`.
    AdaptiveMutex mu;
    std::unique_ptr<Batch> open;                // Guarded by mu.
    std::deque<std::unique_ptr<Batch>> closed;  // Guarded by mu.
    bool draining = false;                      // Guarded by mu.
    int32_t next_sequence = 0;                  // Guarded by mu.
    uint64_t closed_count = 0;                  // Batches ever closed; guarded by mu.
    // Batches whose callbacks ran: written under mu, read without it by a
    // Flush spinning for completion.
    std::atomic<uint64_t> completed_count{0};
    int flush_waiters = 0;                      // Flushes asleep on completed_cv; guarded by mu.
    std::condition_variable_any completed_cv;
    bool in_ready = false;                      // On the I/O thread's list; guarded by io_mu_.
    // Set by a Flush that waited for this queue: the I/O thread then calls
    // the partition's WriteAhead after its next drain, while the flushing
    // thread is busy sending again rather than waiting on the next Flush.
    std::atomic<bool> write_ahead{false};
  };
  // A topic as this producer knows it. Entries are never freed before the
  // producer (a deleted topic's entry is retired, not destroyed), so a
  // pointer read from a cache stays valid.
  struct TopicEntry {
    std::string name;
    std::shared_ptr<broker::TopicImpl> topic;
    // Queues by partition; replaced (never mutated) under registry_mu_.
    std::atomic<const std::vector<PartitionQueue*>*> queues{nullptr};
  };

  absl::StatusOr<TopicEntry*> TopicFor(const std::string& name);
  absl::StatusOr<TopicEntry*> TopicForSlow(const std::string& name);
  absl::StatusOr<PartitionQueue*> QueueFor(TopicEntry* entry, int32_t partition);
  absl::StatusOr<int32_t> ChoosePartition(TopicEntry* entry, const ProducerRecord& record);
  absl::Status ReserveMemory(int64_t bytes);
  void ReleaseMemory(int64_t bytes);
  format::BatchOptions BatchOptionsFor(broker::TopicImpl* topic) const;
  // Batches come from and return to a producer-wide pool, first in first
  // out, as Kafka's BufferPool recycles its buffers.
  //
  // Why FIFO and why a pool of dozens rather than one warm spare: the I/O
  // thread reads every batch it appends (CRC, then the kernel's copy), so
  // its core holds the batch's cache lines; a sending thread that rewrites
  // the same buffer at once must take each line back from that core
  // (~150 ns a line on a VM, 360 lines per 16 KiB batch with its records).
  // A batch that rested behind pool_rest_ others has been pushed out of that
  // core's private caches by the I/O thread's later work, and is rewritten
  // at cache speed: 20-40 % more records/s from one sending thread on this
  // project's 2-vCPU VM, and less CPU.
  std::unique_ptr<Batch> TakeBatch();
  void ReturnBatch(std::unique_ptr<Batch> batch);
  void CloseOpenBatch(PartitionQueue* q);  // REQUIRES: q->mu held.
  // At most this many batches of a partition go to one append (one write).
  static constexpr size_t kMaxBatchesPerAppend = 16;
  void Drain(PartitionQueue* q);
  void Complete(const PartitionQueue& q, Batch* batch,
                const absl::StatusOr<storage::AppendInfo>& info);
  // Closes open batches older than linger.ms (all with `all`); returns the
  // clock time at which the oldest batch left open expires, or -1.
  int64_t CloseExpiredBatches(bool all);
  // Hands a queue with closed batches to the I/O thread (drains it inline
  // when the broker runs no background threads).
  void MarkReady(PartitionQueue* q);
  void WakeForLinger();
  void IoLoop();
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

  // The topic of the last slow lookup: most producers send to one topic.
  std::atomic<TopicEntry*> last_topic_{nullptr};
  std::mutex registry_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<TopicEntry>> topics_;  // Guarded by registry_mu_.
  std::vector<std::unique_ptr<TopicEntry>> retired_topics_;               // Guarded by registry_mu_.
  std::vector<std::unique_ptr<const std::vector<PartitionQueue*>>> queue_tables_;  // Guarded by registry_mu_.
  std::vector<std::unique_ptr<PartitionQueue>> queues_;                  // Guarded by registry_mu_.

  // The batch pool: at most pool_max_ idle batches; one is taken only while
  // more than pool_rest_ wait behind it. Unlike Kafka's free list, pooled
  // batches are not counted in buffer.memory: pool_max_ is 64 at most and
  // a quarter of buffer.memory / batch.size, and a batch grown past twice
  // batch.size is not pooled (each also keeps its record list's capacity).
  size_t pool_max_ = 0;
  size_t pool_rest_ = 0;
  AdaptiveMutex pool_mu_;
  std::deque<std::unique_ptr<Batch>> pool_;  // Guarded by pool_mu_; oldest first.

  // buffer.memory in use; memory_mu_ and memory_cv_ only for Sends that
  // must wait for room, counted in memory_waiters_.
  std::atomic<int64_t> memory_used_{0};
  std::atomic<int> memory_waiters_{0};
  std::mutex memory_mu_;
  std::condition_variable memory_cv_;

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> records_sent_{0}, records_failed_{0}, bytes_sent_{0}, batches_sent_{0};
  std::atomic<int64_t> uncompressed_bytes_{0};
  std::atomic<int64_t> flush_time_ns_{0};

  int64_t maintenance_handle_ = -1;
  // The I/O thread (Kafka's sender thread): it appends closed batches and
  // runs their callbacks, and closes batches whose linger.ms passed, so a
  // sending thread only encodes records. It sleeps until a queue is ready,
  // the oldest open batch expires, or, with none open, a Send opens one
  // (`linger_idle_`). Without background threads, Sends drain inline and
  // the broker's maintenance closes lingering batches.
  // How long the I/O thread (and a Flush) wait for the next batch (or for
  // completion) before sleeping. Each step pauses and then yields the core,
  // so a spinner never starves the thread it waits for on a busy machine.
  static constexpr auto kSpinFor = std::chrono::microseconds(200);
  // Flush waits longer before sleeping: the batch it waits for may be in an
  // fdatasync (flush.messages), which takes 0.3-1 ms here, and the wake-up
  // after a sleep would add tens of microseconds to every commit point.
  static constexpr auto kFlushSpinFor = std::chrono::milliseconds(2);
  template <typename Done>
  static bool SpinUntil(Done done, std::chrono::microseconds spin_for = kSpinFor) {
    auto deadline = std::chrono::steady_clock::now() + spin_for;
    while (!done()) {
      for (int i = 0; i < 16; ++i) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
      }
      sched_yield();
      if (std::chrono::steady_clock::now() >= deadline) return done();
    }
    return true;
  }
  const bool use_io_thread_;
  std::mutex io_mu_;
  std::condition_variable io_cv_;
  std::deque<PartitionQueue*> ready_;  // Guarded by io_mu_.
  std::atomic<size_t> ready_size_{0};  // ready_.size(), for spinning without the lock.
  bool io_waiting_ = false;            // Guarded by io_mu_.
  bool stop_io_ = false;               // Guarded by io_mu_.
  std::atomic<bool> linger_idle_{false};
  std::thread io_thread_;
};

}  // namespace rill

#endif  // RILL_CLIENT_PRODUCER_IMPL_H_
