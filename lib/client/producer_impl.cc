#include "lib/client/producer_impl.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/compression.h"

namespace rill {
namespace {

// std::string's == calls memcmp out of line: ~6 ns per Send for a short
// topic name, 3 % of a record's cost. Names are at most 249 bytes, and
// usually one word or two.
bool SameName(const std::string& a, const std::string& b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, p + i, 8);
    std::memcpy(&y, q + i, 8);
    if (x != y) return false;
  }
  for (; i < n; ++i) {
    if (p[i] != q[i]) return false;
  }
  return true;
}

format::CompressionType ToFormat(Compression c) {
  switch (c) {
    case Compression::kGzip: return format::CompressionType::kGzip;
    case Compression::kSnappy: return format::CompressionType::kSnappy;
    case Compression::kLz4: return format::CompressionType::kLz4;
    case Compression::kZstd: return format::CompressionType::kZstd;
    default: return format::CompressionType::kNone;
  }
}

// The codec a topic's compression.type asks for, if it names one: the broker
// would recompress into it, so the producer writes it directly.
std::optional<format::CompressionType> TopicCodec(TopicCompression c) {
  switch (c) {
    case TopicCompression::kUncompressed: return format::CompressionType::kNone;
    case TopicCompression::kGzip: return format::CompressionType::kGzip;
    case TopicCompression::kSnappy: return format::CompressionType::kSnappy;
    case TopicCompression::kLz4: return format::CompressionType::kLz4;
    case TopicCompression::kZstd: return format::CompressionType::kZstd;
    default: return std::nullopt;
  }
}

absl::Status ValidateOptions(const ProducerOptions& o) {
  auto bad = [](const char* name, int64_t v, const char* why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid value ", v, " for producer config ", name, ": ", why));
  };
  if (o.batch_size < 0) return bad("batch.size", o.batch_size, "must be >= 0");
  if (o.linger_ms < 0) return bad("linger.ms", o.linger_ms, "must be >= 0");
  if (o.buffer_memory < 0) return bad("buffer.memory", o.buffer_memory, "must be >= 0");
  if (o.max_block_ms < 0) return bad("max.block.ms", o.max_block_ms, "must be >= 0");
  if (o.max_request_size < 0) return bad("max.request.size", o.max_request_size, "must be >= 0");
  if (o.compression_level) {
    RILL_RETURN_IF_ERROR(format::ValidateCompressionLevel(ToFormat(o.compression_type), *o.compression_level));
  }
  return absl::OkStatus();
}

}  // namespace

Producer::Impl::Impl(Broker* broker, const ProducerOptions& options)
    : broker_(broker),
      broker_impl_(static_cast<broker::BrokerImpl*>(broker)),
      options_(options),
      clock_(broker->clock()),
      started_ms_(broker->clock()->NowMs()),
      use_io_thread_(broker->options().background_threads) {
  config_status_ = ValidateOptions(options_);
  // Kafka 3.x: idempotence needs acks=all; left at its default it is turned
  // off for other acks rather than failing.
  if (options_.acks != Acks::kAll) options_.enable_idempotence = false;
  if (config_status_.ok() && options_.enable_idempotence) {
    absl::StatusOr<int64_t> id = broker_impl_->AllocateProducerId();
    if (id.ok()) {
      producer_id_ = *id;
      producer_epoch_ = 0;
    } else {
      config_status_ = id.status();
    }
  }
  // At default sizes (32 MiB buffer.memory, 16 KiB batches) the pool keeps
  // up to 64 batches, ~1.5 MiB with their record lists for ~100-byte
  // records; never more batches than a quarter of buffer.memory holds.
  const int64_t batch_bytes = std::max<int64_t>(options_.batch_size, 1);
  pool_max_ =
      static_cast<size_t>(std::clamp<int64_t>(options_.buffer_memory / 4 / batch_bytes, 1, 64));
  pool_rest_ = pool_max_ / 2;
  partitioner_ = options_.partitioner;
  if (partitioner_ == nullptr) {
    default_partitioner_ = std::make_unique<client::DefaultPartitioner>(
        options_.batch_size, options_.partitioner_ignore_keys, std::random_device{}());
    partitioner_ = default_partitioner_.get();
  }
  if (broker->options().background_threads) {
    io_thread_ = std::thread([this] { IoLoop(); });
  } else {
    maintenance_handle_ = broker_impl_->AddMaintenanceTask([this] { CloseExpiredBatches(false); });
  }
}

Producer::Impl::~Impl() { Close(absl::InfiniteDuration()).IgnoreError(); }

void Producer::Impl::Fail(SendCallback& callback, const absl::Status& status) {
  if (callback) callback(status);
}

absl::StatusOr<int32_t> Producer::Impl::ChoosePartition(TopicEntry* entry,
                                                        const ProducerRecord& record) {
  int32_t count = entry->topic->partition_count_relaxed();
  if (record.partition) {
    if (*record.partition < 0 || *record.partition >= count) {
      return absl::NotFoundError(absl::StrCat("Invalid partition given with record: ", *record.partition,
                                              " is not in the range [0...", count, ") of topic ",
                                              record.topic, "."));
    }
    return *record.partition;
  }
  // The built-in partitioner has one answer for one partition: skip hashing.
  if (count == 1 && partitioner_ == default_partitioner_.get()) return 0;
  int32_t p = partitioner_->Partition(record.topic, record.key, count);
  if (p < 0 || p >= count) {
    return absl::InternalError(absl::StrCat("partitioner chose partition ", p, " of ", count));
  }
  return p;
}

absl::StatusOr<Producer::Impl::TopicEntry*> Producer::Impl::TopicFor(const std::string& name) {
  TopicEntry* entry = last_topic_.load(std::memory_order_acquire);
  if (entry != nullptr && SameName(entry->name, name) && !entry->topic->deleted()) return entry;
  return TopicForSlow(name);
}

absl::StatusOr<Producer::Impl::TopicEntry*> Producer::Impl::TopicForSlow(const std::string& name) {
  std::unique_lock<std::mutex> lock(registry_mu_);
  auto it = topics_.find(name);
  if (it != topics_.end() && !it->second->topic->deleted()) {
    last_topic_.store(it->second.get(), std::memory_order_release);
    return it->second.get();
  }
  std::shared_ptr<broker::TopicImpl> topic = broker_impl_->FindTopic(name);
  if (topic == nullptr && broker_->options().auto_create_topics_enable) {
    lock.unlock();
    broker_->CreateTopic(name).IgnoreError();  // Lost a race to another creator: fine.
    lock.lock();
    topic = broker_impl_->FindTopic(name);
  }
  if (topic == nullptr || topic->deleted()) {
    return absl::NotFoundError(absl::StrCat("Topic ", name, " not present in metadata."));
  }
  std::unique_ptr<TopicEntry>& slot = topics_[name];
  if (slot != nullptr && slot->topic == topic) {  // Another thread got here first.
    last_topic_.store(slot.get(), std::memory_order_release);
    return slot.get();
  }
  // The topic was deleted (and maybe created again): its old entry may still
  // be in use by a concurrent Send, so it is retired, not freed.
  if (slot != nullptr) retired_topics_.push_back(std::move(slot));
  slot = std::make_unique<TopicEntry>();
  slot->name = name;
  slot->topic = std::move(topic);
  last_topic_.store(slot.get(), std::memory_order_release);
  return slot.get();
}

absl::StatusOr<Producer::Impl::PartitionQueue*> Producer::Impl::QueueFor(TopicEntry* entry,
                                                                         int32_t partition) {
  const std::vector<PartitionQueue*>* table = entry->queues.load(std::memory_order_acquire);
  if (table != nullptr && partition < static_cast<int32_t>(table->size()) &&
      (*table)[partition] != nullptr) {
    return (*table)[partition];
  }
  std::lock_guard<std::mutex> lock(registry_mu_);
  table = entry->queues.load(std::memory_order_acquire);
  if (table != nullptr && partition < static_cast<int32_t>(table->size()) &&
      (*table)[partition] != nullptr) {
    return (*table)[partition];
  }
  broker::PartitionImpl* target = entry->topic->partition_impl(partition);
  if (target == nullptr) {
    return absl::NotFoundError(absl::StrCat("partition ", entry->name, "-", partition, " does not exist"));
  }
  auto q = std::make_unique<PartitionQueue>();
  q->topic = entry->name;
  q->partition = partition;
  q->target = target;
  q->topic_impl = entry->topic.get();
  // Tables are copied, not changed in place: a concurrent reader keeps the
  // old one, which stays allocated until the producer goes.
  auto grown = std::make_unique<std::vector<PartitionQueue*>>();
  if (table != nullptr) *grown = *table;
  if (static_cast<int32_t>(grown->size()) <= partition) grown->resize(partition + 1, nullptr);
  (*grown)[partition] = q.get();
  entry->queues.store(grown.get(), std::memory_order_release);
  queue_tables_.push_back(std::move(grown));
  queues_.push_back(std::move(q));
  return queues_.back().get();
}

absl::Status Producer::Impl::ReserveMemory(int64_t bytes) {
  auto try_reserve = [&] {
    int64_t used = memory_used_.load(std::memory_order_seq_cst);
    while (used + bytes <= options_.buffer_memory) {
      if (memory_used_.compare_exchange_weak(used, used + bytes, std::memory_order_seq_cst)) return true;
    }
    return false;
  };
  if (try_reserve()) return absl::OkStatus();  // The usual case: no lock.
  // buffer.memory is full: wait for batches to complete, up to max.block.ms.
  std::unique_lock<std::mutex> lock(memory_mu_);
  memory_waiters_.fetch_add(1, std::memory_order_seq_cst);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.max_block_ms);
  bool reserved = try_reserve();
  while (!reserved) {
    bool timed_out = memory_cv_.wait_until(lock, deadline) == std::cv_status::timeout;
    reserved = try_reserve();
    if (timed_out) break;
  }
  memory_waiters_.fetch_sub(1, std::memory_order_seq_cst);
  if (reserved) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(
      "Failed to allocate ", bytes, " bytes within the configured max blocking time ",
      options_.max_block_ms, " ms (buffer.memory ", options_.buffer_memory, " is in use)."));
}

void Producer::Impl::ReleaseMemory(int64_t bytes) {
  if (bytes == 0) return;
  // seq_cst on both sides (Dekker): a waiter either sees the freed bytes or
  // is seen here and signalled under memory_mu_.
  memory_used_.fetch_sub(bytes, std::memory_order_seq_cst);
  if (memory_waiters_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(memory_mu_);
    memory_cv_.notify_all();
  }
}

format::BatchOptions Producer::Impl::BatchOptionsFor(broker::TopicImpl* topic) const {
  format::BatchOptions b;
  b.compression = TopicCodec(topic->compression_type()).value_or(ToFormat(options_.compression_type));
  if (b.compression == ToFormat(options_.compression_type)) b.compression_level = options_.compression_level;
  b.producer_id = producer_id_;
  b.producer_epoch = producer_epoch_;
  b.base_sequence = producer_id_ >= 0 ? 0 : format::kNoSequence;  // Set when closed.
  return b;
}

std::unique_ptr<Producer::Impl::Batch> Producer::Impl::TakeBatch() {
  {
    std::lock_guard<AdaptiveMutex> lock(pool_mu_);
    if (pool_.size() > pool_rest_) {
      std::unique_ptr<Batch> batch = std::move(pool_.front());
      pool_.pop_front();
      return batch;
    }
  }
  return std::make_unique<Batch>();
}

void Producer::Impl::ReturnBatch(std::unique_ptr<Batch> batch) {
  // A batch grown past batch.size by one large record is not kept: the
  // pool holds batch.size buffers, as Kafka's does.
  if (batch->builder.uncompressed_bytes() > static_cast<size_t>(options_.batch_size) * 2) return;
  batch->records.clear();
  batch->reserved_bytes = 0;
  std::lock_guard<AdaptiveMutex> lock(pool_mu_);
  if (pool_.size() < pool_max_) pool_.push_back(std::move(batch));
}

void Producer::Impl::Send(const ProducerRecord& record, SendCallback&& callback) {
  if (!config_status_.ok()) return Fail(callback, config_status_);
  if (closed_.load(std::memory_order_relaxed)) {
    return Fail(callback, absl::FailedPreconditionError("Cannot send after the producer is closed."));
  }
  if (record.timestamp && *record.timestamp < 0) {
    // Kafka's ProducerRecord refuses these too (-1 means "no timestamp").
    return Fail(callback, absl::InvalidArgumentError(
                              absl::StrCat("Invalid timestamp: ", *record.timestamp,
                                           ". Timestamp should always be non-negative or null.")));
  }
  absl::StatusOr<TopicEntry*> entry = TopicFor(record.topic);
  if (!entry.ok()) return Fail(callback, entry.status());
  broker::TopicImpl* topic = (*entry)->topic.get();
  absl::StatusOr<int32_t> partition = ChoosePartition(*entry, record);
  if (!partition.ok()) return Fail(callback, partition.status());
  absl::InlinedVector<format::Header, 4> headers;
  for (const Header& h : record.headers) headers.push_back({h.key, h.value});
  int64_t size = static_cast<int64_t>(
      format::RecordBatchBuilder::EncodedRecordBytes(0, 0, record.key, record.value, headers) +
      format::kBatchHeaderBytes);
  if (size > options_.max_request_size) {
    return Fail(callback, absl::InvalidArgumentError(absl::StrCat(
        "The message is ", size, " bytes when serialized which is larger than ", options_.max_request_size,
        ", which is the value of the max.request.size configuration.")));
  }
  if (size > options_.buffer_memory) {
    return Fail(callback, absl::InvalidArgumentError(absl::StrCat(
        "The message is ", size, " bytes when serialized which is larger than the total memory buffer "
        "you have configured with the buffer.memory configuration (", options_.buffer_memory, ").")));
  }
  absl::StatusOr<PartitionQueue*> queue = QueueFor(*entry, *partition);
  if (!queue.ok()) return Fail(callback, queue.status());
  PartitionQueue* q = *queue;
  const int64_t now = clock_->NowMs();
  const int64_t timestamp = record.timestamp.value_or(now);
  const size_t limit =
      static_cast<size_t>(std::min<int64_t>(options_.batch_size, topic->max_message_bytes()));
  // buffer.memory is reserved per batch, as Kafka's BufferPool does: a new
  // batch takes max(batch.size, record) bytes (at most buffer.memory), and a
  // batch that outgrows its reservation (batch.size above buffer.memory)
  // takes the shortfall. Reserving may block, so it happens outside the
  // queue lock, and the queue is looked at again afterwards; `held` is what
  // this Send reserved and has not yet handed to a batch.
  const int64_t record_bytes = size - static_cast<int64_t>(format::kBatchHeaderBytes);
  std::unique_ptr<Batch> fresh;
  int64_t held = 0;
  bool ready = false, opened = false;
  std::unique_lock<AdaptiveMutex> lock(q->mu);
  while (true) {
    if (q->open != nullptr && !q->open->records.empty() &&
        q->open->builder.uncompressed_bytes() + static_cast<size_t>(record_bytes) > limit) {
      CloseOpenBatch(q);
      ready = true;
    }
    int64_t reserve = 0;
    bool need_batch = false;
    if (q->open == nullptr && fresh != nullptr) {
      fresh->builder.Reset(BatchOptionsFor(topic));
      fresh->created_ms = now;
      q->open = std::move(fresh);
      opened = true;
    }
    if (q->open == nullptr) {
      need_batch = fresh == nullptr;
      reserve = std::min(std::max<int64_t>(options_.batch_size, size), options_.buffer_memory);
    } else {
      q->open->reserved_bytes += held;
      held = 0;
      int64_t needed = static_cast<int64_t>(q->open->builder.uncompressed_bytes()) + record_bytes;
      if (needed <= q->open->reserved_bytes) break;
      reserve = needed - q->open->reserved_bytes;
    }
    lock.unlock();
    if (need_batch) fresh = TakeBatch();
    absl::Status reserved = ReserveMemory(reserve);
    if (!reserved.ok()) {
      ReleaseMemory(held);  // Reserved on an earlier round, not yet given to a batch.
      if (fresh != nullptr) ReturnBatch(std::move(fresh));
      if (ready) MarkReady(q);
      return Fail(callback, reserved);
    }
    held += reserve;
    lock.lock();
  }
  absl::Status appended = q->open->builder.Append(timestamp, record.key, record.value, headers);
  if (appended.ok()) {
    q->open->records.emplace_back(std::move(callback), timestamp,
                                  record.key ? static_cast<int32_t>(record.key->size()) : -1,
                                  record.value ? static_cast<int32_t>(record.value->size()) : -1);
  }
  if (!q->open->records.empty() && q->open->builder.uncompressed_bytes() >= limit) {
    CloseOpenBatch(q);
    ready = true;
  }
  // linger.ms=0: the record is due now. The batch stays open until a drain
  // takes it, so records other threads send meanwhile go along (Kafka's
  // accumulator does the same while its sender is busy).
  if (options_.linger_ms == 0 && q->open != nullptr && !q->open->records.empty()) ready = true;
  lock.unlock();
  if (fresh != nullptr) ReturnBatch(std::move(fresh));  // Another Send opened a batch meanwhile.
  if (!appended.ok()) Fail(callback, appended);
  if (ready) MarkReady(q);
  if (opened && options_.linger_ms > 0) WakeForLinger();
}

void Producer::Impl::CloseOpenBatch(PartitionQueue* q) {
  std::unique_ptr<Batch> batch = std::move(q->open);
  ++q->closed_count;
  partitioner_->OnBatchClosed(q->topic, q->partition, batch->builder.uncompressed_bytes());
  q->closed.push_back(std::move(batch));
}

void Producer::Impl::Drain(PartitionQueue* q) {
  // Each round takes every closed batch of the queue (up to
  // kMaxBatchesPerAppend and max.request.size, as one produce request would
  // carry) and appends them with one write: fewer system calls, and larger
  // page-cache folios for the readers. Taking the next round shares a
  // critical section with completing the previous one.
  std::unique_lock<AdaptiveMutex> lock(q->mu);
  if (q->draining) return;  // The draining thread will append ours too.
  q->draining = true;
  absl::InlinedVector<std::unique_ptr<Batch>, kMaxBatchesPerAppend> taken;
  absl::InlinedVector<MutableByteSpan, kMaxBatchesPerAppend> built;
  absl::InlinedVector<storage::AppendInfo, kMaxBatchesPerAppend> infos;
  while (true) {
    // Under linger.ms=0 the open batch is due as soon as it has a record.
    if (options_.linger_ms == 0 && q->open != nullptr && !q->open->records.empty()) {
      CloseOpenBatch(q);
    }
    if (q->closed.empty()) break;
    int64_t bytes = 0;
    // A batch that may be over the topic's max.message.bytes (one record
    // larger than the limit, or the limit lowered since) goes to the log
    // alone: the log fails a whole call for one invalid batch, as Kafka
    // fails a produce request, and its neighbours must not fail with it.
    const int64_t message_limit = q->topic_impl->max_message_bytes();
    auto may_be_too_large = [&](const Batch& batch) {
      int64_t size = static_cast<int64_t>(batch.builder.uncompressed_bytes());
      // Incompressible records come out of a codec slightly larger; n/6 +
      // 128 bounds every codec's growth (snappy's is the largest, n/6 + 32,
      // plus the xerial framing).
      if (batch.builder.options().compression != format::CompressionType::kNone) {
        size += size / 6 + 128;
      }
      return size > message_limit;
    };
    while (!q->closed.empty() && taken.size() < kMaxBatchesPerAppend &&
           (taken.empty() ||
            (bytes + static_cast<int64_t>(q->closed.front()->builder.uncompressed_bytes()) <=
                 options_.max_request_size &&
             !may_be_too_large(*q->closed.front()) && !may_be_too_large(*taken.front())))) {
      std::unique_ptr<Batch> batch = std::move(q->closed.front());
      q->closed.pop_front();
      bytes += static_cast<int64_t>(batch->builder.uncompressed_bytes());
      if (producer_id_ >= 0) {
        // Sequences are numbered in append order, wrapping at INT32_MAX.
        int32_t base_sequence = q->next_sequence;
        batch->builder.set_base_sequence(base_sequence);
        int64_t next = int64_t{base_sequence} + batch->builder.record_count();
        q->next_sequence = static_cast<int32_t>(next > INT32_MAX ? next - INT32_MAX - 1 : next);
      }
      taken.push_back(std::move(batch));
    }
    lock.unlock();
    // Compression and CRC here, off the queue lock. A batch that cannot be
    // built fails with the ones after it (their sequences would follow a
    // gap). Each batch not appended fails with its own cause: the append's
    // error for the batches built, the build error for the rest.
    absl::Status build_status, append_status;
    for (auto& batch : taken) {
      absl::StatusOr<MutableByteSpan> b = batch->builder.Build();
      if (!b.ok()) {
        build_status = b.status();
        break;
      }
      built.push_back(*b);
    }
    infos.resize(taken.size());
    size_t appended = 0;
    if (!built.empty()) {
      append_status = q->target->AppendBatches(built, storage::AppendOrigin::kClient,
                                               /*validate_records=*/false, infos.data(), &appended);
      if (append_status.ok() && appended < built.size()) {
        append_status = absl::InternalError("batch was not appended");  // Not expected.
      }
    }
    for (size_t i = 0; i < taken.size(); ++i) {
      Batch* batch = taken[i].get();
      if (i < appended) {
        bytes_sent_.fetch_add(static_cast<int64_t>(built[i].size()), std::memory_order_relaxed);
        uncompressed_bytes_.fetch_add(static_cast<int64_t>(batch->builder.uncompressed_bytes()),
                                      std::memory_order_relaxed);
        batches_sent_.fetch_add(1, std::memory_order_relaxed);
        Complete(*q, batch, infos[i]);
      } else {
        Complete(*q, batch, i < built.size() ? append_status : build_status);
      }
      ReleaseMemory(batch->reserved_bytes);
    }
    // Batches not appended free their sequence numbers (one thread at a
    // time drains a queue, so none was handed out since).
    const bool reset_sequence = appended < taken.size() && producer_id_ >= 0;
    const int32_t first_unused_sequence =
        reset_sequence ? taken[appended]->builder.base_sequence() : 0;
    const size_t done = taken.size();
    for (auto& batch : taken) ReturnBatch(std::move(batch));
    lock.lock();
    if (reset_sequence) q->next_sequence = first_unused_sequence;
    q->completed_count.store(q->completed_count.load(std::memory_order_relaxed) + done,
                             std::memory_order_release);
    if (q->flush_waiters > 0) q->completed_cv.notify_all();
    taken.clear();
    built.clear();
  }
  q->draining = false;
}

void Producer::Impl::Complete(const PartitionQueue& q, Batch* batch,
                              const absl::StatusOr<storage::AppendInfo>& info) {
  const int64_t count = static_cast<int64_t>(batch->records.size());
  if (!info.ok() && options_.acks != Acks::kNone) {
    records_failed_.fetch_add(count, std::memory_order_relaxed);
    for (PendingRecord& r : batch->records) {
      if (r.callback) r.callback(info.status());
    }
    return;
  }
  records_sent_.fetch_add(count, std::memory_order_relaxed);
  // One metadata object for the whole batch: the topic is copied once, and
  // each callback sees its own offset, timestamp and sizes.
  absl::StatusOr<RecordMetadata> md{RecordMetadata{}};
  md->topic = q.topic;
  md->partition = q.partition;
  const bool acks_none = options_.acks == Acks::kNone;
  const int64_t append_time = info.ok() ? info->log_append_time_ms : -1;
  for (int64_t i = 0; i < count; ++i) {
    PendingRecord& r = batch->records[i];
    if (!r.callback) continue;
    // acks=0: Kafka reports offset -1 (the producer never hears back).
    md->offset = acks_none ? -1 : info->first_offset + i;
    md->timestamp = append_time >= 0 ? append_time : r.timestamp;
    md->serialized_key_size = r.key_size;
    md->serialized_value_size = r.value_size;
    r.callback(md);
  }
}

std::vector<Producer::Impl::PartitionQueue*> Producer::Impl::AllQueues() {
  std::lock_guard<std::mutex> lock(registry_mu_);
  std::vector<PartitionQueue*> out;
  out.reserve(queues_.size());
  for (auto& q : queues_) out.push_back(q.get());
  return out;
}

int64_t Producer::Impl::CloseExpiredBatches(bool all) {
  // Under linger.ms=0 the sending thread appends its own record before Send
  // returns (a drain in progress takes it along); the I/O thread stays out,
  // or it could take the record between Send's lock and its drain.
  if (!all && options_.linger_ms == 0) return -1;
  int64_t now = clock_->NowMs();
  int64_t next_expiry = -1;
  for (PartitionQueue* q : AllQueues()) {
    bool ready = false;
    {
      std::lock_guard<AdaptiveMutex> lock(q->mu);
      if (q->open != nullptr && !q->open->records.empty()) {
        int64_t expiry = q->open->created_ms + options_.linger_ms;
        if (all || now >= expiry) {
          CloseOpenBatch(q);
          ready = true;
        } else if (next_expiry < 0 || expiry < next_expiry) {
          next_expiry = expiry;
        }
      }
    }
    if (ready) Drain(q);
  }
  return next_expiry;
}

void Producer::Impl::MarkReady(PartitionQueue* q) {
  // linger.ms=0 asks for latency: the sending thread appends itself rather
  // than hand the batch to the I/O thread, whose wake-up (tens of
  // microseconds on a VM, milliseconds when the cores are busy) would
  // dominate. A thread already draining this partition takes the record
  // along, so concurrent senders still share appends.
  if (!use_io_thread_ || options_.linger_ms == 0) return Drain(q);
  std::lock_guard<std::mutex> lock(io_mu_);
  if (!q->in_ready) {
    q->in_ready = true;
    ready_.push_back(q);
    ready_size_.store(ready_.size(), std::memory_order_release);
  }
  if (io_waiting_) io_cv_.notify_one();
}

void Producer::Impl::WakeForLinger() {
  if (!use_io_thread_) return;
  // Only an I/O thread asleep with no batch to time needs waking: otherwise
  // it already wakes no later than this new batch expires (all batches
  // linger alike).
  if (!linger_idle_.load(std::memory_order_seq_cst)) return;
  if (!linger_idle_.exchange(false, std::memory_order_seq_cst)) return;
  std::lock_guard<std::mutex> lock(io_mu_);
  if (io_waiting_) io_cv_.notify_one();
}

void Producer::Impl::IoLoop() {
  // Batches opened after a scan of the open batches expire no earlier than
  // scan time + linger.ms, so until `next_check` nothing needs a scan.
  int64_t next_check = 0;
  bool busy = false;  // Drained something since the last sleep.
  std::unique_lock<std::mutex> lock(io_mu_);
  while (!stop_io_) {
    if (!ready_.empty()) {
      PartitionQueue* q = ready_.front();
      ready_.pop_front();
      ready_size_.store(ready_.size(), std::memory_order_release);
      q->in_ready = false;
      lock.unlock();
      Drain(q);
      if (q->write_ahead.load(std::memory_order_relaxed) && q->write_ahead.exchange(false)) {
        q->target->WriteAhead();
      }
      busy = true;
      lock.lock();
      continue;
    }
    lock.unlock();
    bool nothing_open = false;
    int64_t now = clock_->NowMs();
    if (now >= next_check) {
      // Idle first, then scan (both seq_cst): a Send that opens a batch the
      // scan misses is guaranteed to see linger_idle_ set and wake us.
      linger_idle_.store(true, std::memory_order_seq_cst);
      int64_t expiry = CloseExpiredBatches(false);
      nothing_open = expiry < 0;
      next_check = nothing_open ? now + options_.linger_ms : expiry;
      if (!nothing_open) linger_idle_.store(false, std::memory_order_seq_cst);
    }
    if (busy) {
      // A sender producing flat out closes its next batch within tens of
      // microseconds: waiting for it here costs less than waking from a
      // sleep, which on a VM with an idle vCPU takes far longer.
      SpinUntil([&] { return ready_size_.load(std::memory_order_acquire) != 0; });
      busy = false;
    }
    lock.lock();
    if (stop_io_ || !ready_.empty()) continue;
    io_waiting_ = true;
    if (nothing_open) {
      io_cv_.wait(lock, [&] {
        return stop_io_ || !ready_.empty() || !linger_idle_.load(std::memory_order_seq_cst);
      });
    } else {
      int64_t wait_ms = std::max<int64_t>(next_check - clock_->NowMs(), 1);
      io_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                      [&] { return stop_io_ || !ready_.empty(); });
    }
    io_waiting_ = false;
  }
}

void Producer::Impl::Flush() {
  const auto flush_start = std::chrono::steady_clock::now();
  std::vector<std::pair<PartitionQueue*, uint64_t>> targets;
  for (PartitionQueue* q : AllQueues()) {
    uint64_t target;
    {
      std::lock_guard<AdaptiveMutex> lock(q->mu);
      if (q->open != nullptr && !q->open->records.empty()) CloseOpenBatch(q);
      target = q->closed_count;
      if (q->completed_count.load(std::memory_order_relaxed) >= target) continue;
    }
    Drain(q);  // Helps, unless the I/O thread is draining this queue.
    targets.emplace_back(q, target);
  }
  for (auto& [q, target] : targets) {
    // The I/O thread finishes the batch it is on soon: wait for it before
    // paying for a sleep and a wake-up. (Sleeping through the first half of
    // a wait expected to be an fdatasync measured no better: faster on a
    // loaded host, slower on a quiet one; docs/benchmarks.md.)
    SpinUntil(
        [&, target = target] {
          return q->completed_count.load(std::memory_order_acquire) >= target;
        },
        kFlushSpinFor);
    if (q->completed_count.load(std::memory_order_acquire) >= target) continue;
    std::unique_lock<AdaptiveMutex> lock(q->mu);
    ++q->flush_waiters;
    q->completed_cv.wait(lock, [&, target = target] {
      return q->completed_count.load(std::memory_order_relaxed) >= target;
    });
    --q->flush_waiters;
  }
  // Zeros ahead (storage::Log::WriteAhead) take ~60 us: written right after
  // a commit point, they delay batches the application is not waiting for
  // yet; written inline, they often landed inside the next Flush's wait.
  if (use_io_thread_) {
    for (auto& [q, target] : targets) q->write_ahead.store(true, std::memory_order_relaxed);
  }
  flush_time_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now() - flush_start)
                               .count(),
                           std::memory_order_relaxed);
}

absl::Status Producer::Impl::Close(absl::Duration timeout) {
  (void)timeout;  // Appends are local and bounded: Close always completes them.
  if (closed_.exchange(true)) return absl::OkStatus();
  {
    std::lock_guard<std::mutex> lock(io_mu_);
    stop_io_ = true;
    io_cv_.notify_all();
  }
  if (io_thread_.joinable()) io_thread_.join();
  if (maintenance_handle_ >= 0) broker_impl_->RemoveMaintenanceTask(maintenance_handle_);
  Flush();
  return absl::OkStatus();
}

ProducerMetrics Producer::Impl::Metrics() const {
  ProducerMetrics m;
  m.record_send_total = records_sent_.load();
  m.record_error_total = records_failed_.load();
  m.byte_total = bytes_sent_.load();
  m.batch_total = batches_sent_.load();
  double seconds = std::max<double>(1e-3, (clock_->NowMs() - started_ms_) / 1000.0);
  m.record_send_rate = m.record_send_total / seconds;
  m.byte_rate = m.byte_total / seconds;
  m.batch_size_avg = m.batch_total > 0 ? static_cast<double>(m.byte_total) / m.batch_total : 0;
  int64_t raw = uncompressed_bytes_.load();
  m.compression_rate_avg = raw > 0 ? static_cast<double>(m.byte_total) / raw : 1;
  m.buffer_total_bytes = options_.buffer_memory;
  m.buffer_available_bytes = options_.buffer_memory - memory_used_.load();
  m.flush_time_ns_total = flush_time_ns_.load();
  return m;
}

// ---- Producer: the public face --------------------------------------------

Producer::Producer(Broker* broker, const ProducerOptions& options)
    : impl_(std::make_unique<Impl>(broker, options)) {}

Producer::~Producer() = default;

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(Broker* broker, const ProducerOptions& options) {
  auto producer = std::make_unique<Producer>(broker, options);
  RILL_RETURN_IF_ERROR(producer->impl_->config_status());
  return producer;
}

void Producer::Send(const ProducerRecord& record, SendCallback callback) {
  impl_->Send(record, std::move(callback));
}

std::future<absl::StatusOr<RecordMetadata>> Producer::Send(const ProducerRecord& record) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<RecordMetadata>>>();
  auto future = promise->get_future();
  impl_->Send(record, [promise](const absl::StatusOr<RecordMetadata>& md) { promise->set_value(md); });
  return future;
}

void Producer::Flush() { impl_->Flush(); }
absl::Status Producer::Close(absl::Duration timeout) { return impl_->Close(timeout); }
ProducerMetrics Producer::Metrics() const { return impl_->Metrics(); }
const ProducerOptions& Producer::options() const { return impl_->options(); }
int64_t Producer::producer_id() const { return impl_->producer_id(); }
int16_t Producer::producer_epoch() const { return impl_->producer_epoch(); }

}  // namespace rill
