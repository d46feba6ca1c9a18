#ifndef RILL_PRODUCER_H_
#define RILL_PRODUCER_H_

// Producer: sends records to a Broker's topics, as Kafka's KafkaProducer.
//
//   rill::Producer producer(broker.get(), {.linger_ms = 1});
//   producer.Send({.topic = "orders", .key = "customer-42", .value = "..."},
//                 [](const absl::StatusOr<rill::RecordMetadata>& md) { ... });
//   producer.Flush();
//
// Records are encoded into the open Kafka v2 batch of their partition at
// once (their bytes need to live only during Send); a batch closes at
// batch.size, after linger.ms, on Flush() or Close(), and is compressed,
// checksummed and appended to the partition's log by the producer's I/O
// thread. Every callback runs exactly once; the callbacks of one partition run
// in offset order.
//
// Thread safety: Send, Flush and Metrics may be called from any number of
// threads. Callbacks run on the producer's I/O thread (as Kafka's run on its
// sender thread), or on a thread inside Flush() or Close() that appended
// the batch itself; with linger.ms=0, or BrokerOptions::background_threads =
// false, the sending thread appends (and runs callbacks) itself.
// Callbacks must not block for long, and must not call Flush or Close.
// Errors (through the callback or the future): NotFound for a missing topic
// or partition; InvalidArgument for a record larger than max.request.size
// or a batch larger than the topic's max.message.bytes (naming both
// sizes); DeadlineExceeded when buffer.memory stayed full for max.block.ms;
// FailedPrecondition after Close(); the log's errors (ResourceExhausted for
// a full disk, the failed log's fsync error).

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "rill/broker.h"

namespace rill {

// A record header: a key and a nullable value.
struct Header {
  absl::string_view key;
  std::optional<absl::string_view> value;
};

struct ProducerRecord {
  std::string topic;
  // Explicit partition; otherwise the partitioner chooses.
  std::optional<int32_t> partition;
  // Null (nullopt) or bytes; empty is not null.
  std::optional<absl::string_view> key;
  // Null is a tombstone on a compacted topic.
  std::optional<absl::string_view> value;
  absl::Span<const Header> headers;
  // Milliseconds since the epoch, >= 0 (Send fails a negative one with
  // InvalidArgument, as Kafka does); nullopt = the producer's clock now.
  std::optional<int64_t> timestamp;
};

struct RecordMetadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;     // -1 with acks=0, as Kafka reports it.
  int64_t timestamp = -1;  // CreateTime, or the log append time.
  int32_t serialized_key_size = -1;
  int32_t serialized_value_size = -1;
};

using SendCallback = std::function<void(const absl::StatusOr<RecordMetadata>&)>;

// Chooses a partition for records without an explicit one.
// Implementations must be thread safe.
class Partitioner {
 public:
  virtual ~Partitioner() = default;
  // `key` is nullopt for a null key. Returns a partition in
  // [0, partition_count).
  virtual int32_t Partition(absl::string_view topic, std::optional<absl::string_view> key,
                            int32_t partition_count) = 0;
  // A batch of `topic`'s `partition` was closed after `bytes` bytes (lets a
  // sticky partitioner move on).
  virtual void OnBatchClosed(absl::string_view /*topic*/, int32_t /*partition*/,
                             size_t /*bytes*/) {}
};

enum class Acks { kNone = 0, kLeader = 1, kAll = -1 };
enum class Compression { kNone, kGzip, kSnappy, kLz4, kZstd };

struct ProducerOptions {
  // acks: 0 (do not wait), 1 (appended to the leader's log) or all (every
  // in-sync replica has it). Default all.
  Acks acks = Acks::kAll;
  // batch.size: bytes of records per partition batch. Default 16384.
  int32_t batch_size = 16384;
  // linger.ms: how long a batch that is not full waits for more records.
  // Default 5 (Kafka 4.0, KIP-1030). 0 favours latency: Send appends its
  // record before it returns (on the calling thread, with any records
  // other threads sent to that partition meanwhile), so one thread sending
  // alone makes one append per record.
  int64_t linger_ms = 5;
  // buffer.memory: bytes of records waiting in batches before Send blocks.
  // Default 32 MiB.
  int64_t buffer_memory = 32 * 1024 * 1024;
  // max.block.ms: how long Send waits for buffer memory. Default 60 s.
  int64_t max_block_ms = 60'000;
  // max.request.size: the largest record (and request). Default 1 MiB.
  int32_t max_request_size = 1024 * 1024;
  // compression.type and compression.<codec>.level (nullopt = Kafka's
  // default level for the codec).
  Compression compression_type = Compression::kNone;
  std::optional<int> compression_level;
  // enable.idempotence: producer id, epoch and sequence numbers, so a
  // retried batch is not appended twice. Default true.
  bool enable_idempotence = true;
  // partitioner.ignore.keys: partition keyed records like null-key ones.
  bool partitioner_ignore_keys = false;
  // partitioner.class: nullptr = Kafka's built-in partitioner (murmur2 of
  // the key, sticky for null keys). Not owned; must outlive the producer.
  Partitioner* partitioner = nullptr;
  // client.id, for metrics and errors.
  std::string client_id;

  // Kafka's producer property names (acks, batch.size, linger.ms, ...).
  // Unknown names are InvalidArgument.
  static absl::StatusOr<ProducerOptions> FromProperties(
      const std::map<std::string, std::string>& properties);
};

// A snapshot of the producer's counters, named after Kafka's producer
// metrics.
struct ProducerMetrics {
  int64_t record_send_total = 0;     // Records acknowledged.
  int64_t record_error_total = 0;    // Records failed.
  int64_t byte_total = 0;            // Batch bytes appended.
  int64_t batch_total = 0;           // Batches appended.
  double record_send_rate = 0;       // Records/s since the producer started.
  double byte_rate = 0;              // Bytes/s since the producer started.
  double batch_size_avg = 0;         // Bytes per batch.
  double compression_rate_avg = 1;   // Compressed / uncompressed record bytes.
  int64_t buffer_available_bytes = 0;
  int64_t buffer_total_bytes = 0;
  int64_t flush_time_ns_total = 0;  // Time in Flush() (and Close()'s), all threads summed.
};

class Producer {
 public:
  // REQUIRES: `broker` outlives the producer. Invalid options do not throw:
  // every Send then fails with the InvalidArgument that Create() returns.
  Producer(Broker* broker, const ProducerOptions& options = {});
  // As the constructor, but reports invalid options at once.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(Broker* broker,
                                                          const ProducerOptions& options);
  ~Producer();  // Close(): sends what is buffered.

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Sends `record`; `callback` runs exactly once with its metadata or error.
  void Send(const ProducerRecord& record, SendCallback callback);
  // Sends `record`; the future holds its metadata or error.
  std::future<absl::StatusOr<RecordMetadata>> Send(const ProducerRecord& record);

  // Closes every open batch and returns once every record sent before the
  // call has completed (its callback has run).
  void Flush();

  // Flushes, waiting at most `timeout`, then fails what is left and stops.
  // Idempotent.
  absl::Status Close(absl::Duration timeout = absl::InfiniteDuration());

  ProducerMetrics Metrics() const;
  // The options in effect (after validation).
  const ProducerOptions& options() const;
  // The producer id (-1 without idempotence) and epoch.
  int64_t producer_id() const;
  int16_t producer_epoch() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rill

#endif  // RILL_PRODUCER_H_
