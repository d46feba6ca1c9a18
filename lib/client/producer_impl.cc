#include "lib/client/producer_impl.h"

#include <random>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/compression.h"

namespace rill {
namespace {

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
      started_ms_(broker->clock()->NowMs()) {
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
  partitioner_ = options_.partitioner;
  if (partitioner_ == nullptr) {
    default_partitioner_ = std::make_unique<client::DefaultPartitioner>(
        options_.batch_size, options_.partitioner_ignore_keys, std::random_device{}());
    partitioner_ = default_partitioner_.get();
  }
  if (broker->options().background_threads) {
    linger_thread_ = std::thread([this] { LingerLoop(); });
  } else {
    maintenance_handle_ = broker_impl_->AddMaintenanceTask([this] { CloseExpiredBatches(false); });
  }
}

Producer::Impl::~Impl() { Close(absl::InfiniteDuration()).IgnoreError(); }

void Producer::Impl::Fail(SendCallback& callback, const absl::Status& status) {
  if (callback) callback(status);
}

absl::StatusOr<int32_t> Producer::Impl::ChoosePartition(broker::TopicImpl* topic,
                                                        const ProducerRecord& record) {
  int32_t count = topic->partition_count();
  if (record.partition) {
    if (*record.partition < 0 || *record.partition >= count) {
      return absl::NotFoundError(absl::StrCat("Invalid partition given with record: ", *record.partition,
                                              " is not in the range [0...", count, ") of topic ",
                                              record.topic, "."));
    }
    return *record.partition;
  }
  int32_t p = partitioner_->Partition(record.topic, record.key, count);
  if (p < 0 || p >= count) {
    return absl::InternalError(absl::StrCat("partitioner chose partition ", p, " of ", count));
  }
  return p;
}

absl::StatusOr<Producer::Impl::PartitionQueue*> Producer::Impl::QueueFor(const std::string& topic,
                                                                         int32_t partition) {
  absl::MutexLock lock(&queues_mu_);
  auto& slot = queues_[{topic, partition}];
  if (slot == nullptr) {
    broker::TopicImpl* t = broker_impl_->topic_impl(topic);
    broker::PartitionImpl* p = t == nullptr ? nullptr : t->partition_impl(partition);
    if (p == nullptr) return absl::NotFoundError(absl::StrCat("partition ", topic, "-", partition, " does not exist"));
    slot = std::make_unique<PartitionQueue>();
    slot->topic = topic;
    slot->partition = partition;
    slot->target = p;
  }
  return slot.get();
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
  absl::MutexLock lock(&memory_mu_);
  memory_waiters_.fetch_add(1, std::memory_order_seq_cst);
  absl::Time deadline = absl::Now() + absl::Milliseconds(options_.max_block_ms);
  bool reserved = try_reserve();
  while (!reserved) {
    bool timed_out = memory_cv_.WaitWithDeadline(&memory_mu_, deadline);
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
  // seq_cst on both sides (Dekker): a waiter either sees the freed bytes or
  // is seen here and signalled under memory_mu_.
  memory_used_.fetch_sub(bytes, std::memory_order_seq_cst);
  if (memory_waiters_.load(std::memory_order_seq_cst) > 0) {
    absl::MutexLock lock(&memory_mu_);
    memory_cv_.SignalAll();
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

void Producer::Impl::Send(const ProducerRecord& record, SendCallback callback) {
  if (!config_status_.ok()) return Fail(callback, config_status_);
  if (closed_.load()) {
    return Fail(callback, absl::FailedPreconditionError("Cannot send after the producer is closed."));
  }
  broker::TopicImpl* topic = broker_impl_->topic_impl(record.topic);
  if (topic == nullptr && broker_->options().auto_create_topics_enable) {
    broker_->CreateTopic(record.topic).IgnoreError();  // Lost a race to another creator: fine.
    topic = broker_impl_->topic_impl(record.topic);
  }
  if (topic == nullptr) {
    return Fail(callback, absl::NotFoundError(absl::StrCat("Topic ", record.topic, " not present in metadata.")));
  }
  absl::StatusOr<int32_t> partition = ChoosePartition(topic, record);
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
  if (absl::Status s = ReserveMemory(size); !s.ok()) return Fail(callback, s);
  absl::StatusOr<PartitionQueue*> queue = QueueFor(record.topic, *partition);
  if (!queue.ok()) {
    ReleaseMemory(size);
    return Fail(callback, queue.status());
  }
  PartitionQueue* q = *queue;
  int64_t timestamp = record.timestamp.value_or(clock_->NowMs());
  size_t limit = static_cast<size_t>(std::min<int64_t>(options_.batch_size, topic->max_message_bytes()));
  bool ready = false, new_batch = false;
  {
    absl::MutexLock lock(&q->mu);
    if (q->open != nullptr && !q->open->records.empty() &&
        q->open->builder.uncompressed_bytes() + static_cast<size_t>(size) > limit) {
      CloseOpenBatch(q);
      ready = true;
    }
    if (q->open == nullptr) {
      q->open = std::make_unique<Batch>();
      q->open->builder.Reset(BatchOptionsFor(topic));
      q->open->created_ms = clock_->NowMs();
      new_batch = true;
    }
    absl::Status s = q->open->builder.Append(timestamp, record.key, record.value, headers);
    if (!s.ok()) {
      ReleaseMemory(size);
      // Unlock before running user code.
      q->mu.Unlock();
      Fail(callback, s);
      q->mu.Lock();
    } else {
      q->open->records.push_back({std::move(callback), timestamp,
                                  record.key ? static_cast<int32_t>(record.key->size()) : -1,
                                  record.value ? static_cast<int32_t>(record.value->size()) : -1});
      q->open->reserved_bytes += size;
    }
    if (q->open->builder.uncompressed_bytes() >= limit || options_.linger_ms == 0) {
      if (!q->open->records.empty()) {
        CloseOpenBatch(q);
        ready = true;
      }
    }
  }
  if (ready) Drain(q);
  if (new_batch && options_.linger_ms > 0) {
    absl::MutexLock lock(&linger_mu_);
    linger_cv_.Signal();
  }
}

void Producer::Impl::CloseOpenBatch(PartitionQueue* q) {
  std::unique_ptr<Batch> batch = std::move(q->open);
  batch->ticket = ++q->closed_count;
  partitioner_->OnBatchClosed(q->topic, q->partition, batch->builder.uncompressed_bytes());
  q->closed.push_back(std::move(batch));
}

void Producer::Impl::Drain(PartitionQueue* q) {
  {
    absl::MutexLock lock(&q->mu);
    if (q->draining) return;  // The draining thread will append ours too.
    q->draining = true;
  }
  while (true) {
    std::unique_ptr<Batch> batch;
    int32_t base_sequence = 0;
    {
      absl::MutexLock lock(&q->mu);
      if (q->closed.empty()) {
        q->draining = false;
        return;
      }
      batch = std::move(q->closed.front());
      q->closed.pop_front();
      if (producer_id_ >= 0) {
        // Sequences are numbered in append order, wrapping at INT32_MAX.
        base_sequence = q->next_sequence;
        batch->builder.set_base_sequence(base_sequence);
        int64_t next = int64_t{base_sequence} + batch->builder.record_count();
        q->next_sequence = static_cast<int32_t>(next > INT32_MAX ? next - INT32_MAX - 1 : next);
      }
    }
    bool ok = true;
    absl::StatusOr<MutableByteSpan> built = batch->builder.Build();
    absl::StatusOr<storage::AppendInfo> info =
        built.ok() ? q->target->Append(*built, storage::AppendOrigin::kClient, /*validate_records=*/false)
                   : absl::StatusOr<storage::AppendInfo>(built.status());
    if (!info.ok()) {
      ok = false;
      if (producer_id_ >= 0) {
        absl::MutexLock lock(&q->mu);
        q->next_sequence = base_sequence;  // Not appended: the numbers are free again.
      }
    } else {
      bytes_sent_.fetch_add(static_cast<int64_t>(built->size()), std::memory_order_relaxed);
      uncompressed_bytes_.fetch_add(static_cast<int64_t>(batch->builder.uncompressed_bytes()),
                                    std::memory_order_relaxed);
      batches_sent_.fetch_add(1, std::memory_order_relaxed);
    }
    (void)ok;
    Complete(*q, batch.get(), info);
    ReleaseMemory(batch->reserved_bytes);
    absl::MutexLock lock(&q->mu);
    ++q->completed_count;
    q->completed_cv.SignalAll();
  }
}

void Producer::Impl::Complete(const PartitionQueue& q, Batch* batch,
                              const absl::StatusOr<storage::AppendInfo>& info) {
  bool acks_none = options_.acks == Acks::kNone;
  int64_t i = 0;
  for (PendingRecord& r : batch->records) {
    if (!info.ok() && !acks_none) {
      records_failed_.fetch_add(1, std::memory_order_relaxed);
      if (r.callback) r.callback(info.status());
      continue;
    }
    records_sent_.fetch_add(1, std::memory_order_relaxed);
    if (!r.callback) {
      ++i;
      continue;
    }
    RecordMetadata md;
    md.topic = q.topic;
    md.partition = q.partition;
    // acks=0: Kafka reports offset -1 (the producer never hears back).
    md.offset = acks_none ? -1 : info->first_offset + i;
    md.timestamp = info.ok() && info->log_append_time_ms >= 0 ? info->log_append_time_ms : r.timestamp;
    md.serialized_key_size = r.key_size;
    md.serialized_value_size = r.value_size;
    r.callback(md);
    ++i;
  }
}

std::vector<Producer::Impl::PartitionQueue*> Producer::Impl::AllQueues() {
  absl::MutexLock lock(&queues_mu_);
  std::vector<PartitionQueue*> out;
  for (auto& [key, q] : queues_) out.push_back(q.get());
  return out;
}

void Producer::Impl::CloseExpiredBatches(bool all) {
  int64_t now = clock_->NowMs();
  for (PartitionQueue* q : AllQueues()) {
    bool ready = false;
    {
      absl::MutexLock lock(&q->mu);
      if (q->open != nullptr && !q->open->records.empty() &&
          (all || now - q->open->created_ms >= options_.linger_ms)) {
        CloseOpenBatch(q);
        ready = true;
      }
    }
    if (ready) Drain(q);
  }
}

void Producer::Impl::LingerLoop() {
  absl::MutexLock lock(&linger_mu_);
  while (!stop_linger_) {
    linger_cv_.WaitWithTimeout(&linger_mu_, absl::Milliseconds(std::max<int64_t>(options_.linger_ms, 1)));
    if (stop_linger_) break;
    linger_mu_.Unlock();
    CloseExpiredBatches(false);
    linger_mu_.Lock();
  }
}

void Producer::Impl::Flush() {
  std::vector<std::pair<PartitionQueue*, uint64_t>> targets;
  for (PartitionQueue* q : AllQueues()) {
    uint64_t target;
    {
      absl::MutexLock lock(&q->mu);
      if (q->open != nullptr && !q->open->records.empty()) CloseOpenBatch(q);
      target = q->closed_count;
    }
    Drain(q);
    targets.emplace_back(q, target);
  }
  for (auto& [q, target] : targets) {
    absl::MutexLock lock(&q->mu);
    while (q->completed_count < target) q->completed_cv.Wait(&q->mu);
  }
}

absl::Status Producer::Impl::Close(absl::Duration timeout) {
  (void)timeout;  // Appends are local and bounded: Close always completes them.
  if (closed_.exchange(true)) return absl::OkStatus();
  {
    absl::MutexLock lock(&linger_mu_);
    stop_linger_ = true;
    linger_cv_.SignalAll();
  }
  if (linger_thread_.joinable()) linger_thread_.join();
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
