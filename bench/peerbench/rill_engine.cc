// rill as a peerbench engine (../shared/bench/peerbench/README.md, "Adding an
// engine"), through rill's public API only, with rill-bench's configuration:
// one topic "peerbench" with one partition, default broker, producer and
// consumer options.
//
//   append: one Producer::Send per record; Producer::Flush() at each commit
//           point. Send encodes key and value into the partition's open
//           batch before it returns (producer.h: "their bytes need to live
//           only during Send"), so the harness's reused buffers need no copy.
//   os:     Flush() returns once every batch sent so far was appended to the
//           log: Log::AppendBatches -> Segment::AppendBatches pwritev()s
//           the partition's closed batches into the segment file (segments
//           are pwrite, not mmap, by default), so they are in the page
//           cache, visible to any process; nothing is fsync'ed.
//   batch:  as os, and the topic has flush.messages = B.
//           Log::AppendBatches (lib/storage/log.cc) counts the records
//           appended since the last flush and, when the count reaches
//           flush.messages, fdatasyncs the segment (Log::FlushLocked ->
//           Segment::FlushLog -> fdatasync) before it returns; the producer
//           completes a batch only after the append returned, and Flush()
//           waits for every batch sent before
//           it (lib/client/producer_impl.cc, Producer::Impl::Flush / Drain).
//           Flush() also closes the open batch, so no batch spans two commit
//           points: each window of B records reaches the count exactly with
//           its last batch, which is fdatasync'ed before Flush() returns —
//           one fdatasync per commit point (strace of N = 100,000: 100
//           fdatasyncs of the segment, each after its window's last pwrite,
//           plus the syncs of open and close). A final window shorter than B
//           (N not a multiple of B) gets flush.messages = its size first
//           (Broker::AlterConfigs applies to the next append at once; it
//           also rewrites the topic's metadata file, once, inside the timing).
//   scan:   a fresh Broker on the directory, one Consumer assigned partition
//           0 with auto.offset.reset=earliest, Poll until N records.
//
// Background work: the producer's I/O thread appends closed batches, but
// commit() waits for all of them (Flush); the broker thread runs only
// maintenance (no flush.ms, no retention within a run). Close (timed as
// close_s) flushes and fsyncs the logs and writes the checkpoints.
//
// Options: --opt rill.linger_ms=L (linger.ms, default 5),
//          --opt rill.background_threads=0 (no I/O or broker thread: Send
//          appends full batches itself, Flush the rest),
//          --opt rill.zero_fill_ahead=0 (BrokerOptions::zero_fill_ahead off).

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "bench.h"
#include "rill/rill.h"

namespace {

using namespace peerbench;

constexpr char kTopic[] = "peerbench";

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) die("rill %s: %s", what, s.ToString().c_str());
}

class RillEngine final : public Engine {
 public:
  void open(const Config& cfg, bool for_read) override {
    cfg_ = cfg;
    rill::BrokerOptions broker_options;
    broker_options.background_threads = cfg.opt_int("rill.background_threads", 1) != 0;
    broker_options.zero_fill_ahead = cfg.opt_int("rill.zero_fill_ahead", 1) != 0;
    auto broker = rill::Broker::Open(cfg.dir, broker_options);
    Check(broker.status(), "open");
    broker_ = std::move(*broker);
    if (for_read) {
      OpenConsumer();
    } else {
      OpenProducer();
    }
  }

  void append(uint64_t, std::string_view key, std::string_view value) override {
    record_.key = absl::string_view(key.data(), key.size());
    record_.value = absl::string_view(value.data(), value.size());
    producer_->Send(record_, callback_);
    ++sent_;
  }

  void commit() override {
    producer_->Flush();
    if (counts_.failed.load() != 0) {
      std::lock_guard<std::mutex> lock(counts_.mu);
      die("rill send: %llu records failed, first: %s",
          static_cast<unsigned long long>(counts_.failed.load()), counts_.first_error.c_str());
    }
    if (counts_.acked.load() != sent_) {
      die("rill flush returned with %llu of %llu records acknowledged",
          static_cast<unsigned long long>(counts_.acked.load()),
          static_cast<unsigned long long>(sent_));
    }
    uint64_t left = cfg_.n - sent_;
    if (cfg_.durability == Durability::kBatch && left > 0 && left < cfg_.batch) {
      Check(broker_->AlterConfigs(kTopic, {{"flush.messages", std::to_string(left)}}),
            "alter flush.messages for the last commit point");
    }
  }

  void read(const std::string&, ScanSink& sink) override {
    while (sink.count() < cfg_.n) {
      auto records = consumer_->Poll(absl::Seconds(1));
      Check(records.status(), "poll");
      if (records->empty()) break;  // Nothing within a second: short, fails verification.
      for (const rill::ConsumerRecord& r : *records) {
        absl::string_view k = r.key().value_or(absl::string_view());
        absl::string_view v = r.value().value_or(absl::string_view());
        sink.record(k.data(), k.size(), v.data(), v.size());
      }
    }
  }

  void close() override {
    if (producer_ != nullptr) Check(producer_->Close(), "producer close");
    if (consumer_ != nullptr) Check(consumer_->Close(), "consumer close");
    Check(broker_->Close(), "broker close");
    producer_.reset();
    consumer_.reset();
    broker_.reset();
  }

  std::string note() const override { return note_; }

 private:
  // Written by the producer's I/O thread (or Flush's), read after Flush().
  struct Counts {
    std::atomic<uint64_t> acked{0};
    std::atomic<uint64_t> failed{0};
    std::mutex mu;
    std::string first_error;  // Guarded by mu.
  };

  void OpenProducer() {
    rill::TopicOptions topic;
    topic.partitions = 1;
    if (cfg_.durability == Durability::kBatch) {
      topic.flush_messages = static_cast<int64_t>(cfg_.batch);
    }
    Check(broker_->CreateTopic(kTopic, topic).status(), "create topic");
    rill::ProducerOptions options;
    options.linger_ms = cfg_.opt_int("rill.linger_ms", options.linger_ms);
    auto producer = rill::Producer::Create(broker_.get(), options);
    Check(producer.status(), "producer");
    producer_ = std::move(*producer);
    record_.topic = kTopic;
    Counts* counts = &counts_;
    callback_ = [counts](const absl::StatusOr<rill::RecordMetadata>& md) {
      if (md.ok()) {
        counts->acked.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (counts->failed.fetch_add(1) == 0) {
        std::lock_guard<std::mutex> lock(counts->mu);
        counts->first_error = md.status().ToString();
      }
    };
    const rill::ProducerOptions& o = producer_->options();
    note_ = "rill " + std::string(rill::Version()) + ", 1 topic x 1 partition, Send per record" +
            ", Flush per commit point, flush.messages=" +
            (cfg_.durability == Durability::kBatch ? std::to_string(cfg_.batch) : "never") +
            ", acks=all, linger.ms=" + std::to_string(o.linger_ms) +
            ", batch.size=" + std::to_string(o.batch_size) +
            ", idempotence=" + (o.enable_idempotence ? "on" : "off") +
            ", compression=none, background_threads=" +
            (broker_->options().background_threads ? "on" : "off");
  }

  void OpenConsumer() {
    if (broker_->topic(kTopic) == nullptr) {
      die("rill: no topic '%s' in %s", kTopic, cfg_.dir.c_str());
    }
    rill::ConsumerOptions options;
    options.auto_offset_reset = rill::OffsetReset::kEarliest;
    auto consumer = rill::Consumer::Create(broker_.get(), options);
    Check(consumer.status(), "consumer");
    consumer_ = std::move(*consumer);
    Check(consumer_->Assign({rill::TopicPartition{kTopic, 0}}), "assign");
    const rill::ConsumerOptions& o = consumer_->options();
    note_ = "rill " + std::string(rill::Version()) +
            ", one Consumer assigned partition 0 from the beginning, fetch.max.bytes=" +
            std::to_string(o.fetch_max_bytes) +
            ", max.partition.fetch.bytes=" + std::to_string(o.max_partition_fetch_bytes) +
            ", max.poll.records=" + std::to_string(o.max_poll_records) +
            ", check.crcs=" + (o.check_crcs ? "true" : "false") +
            ", background_threads=" + (broker_->options().background_threads ? "on" : "off");
  }

  Config cfg_;
  std::unique_ptr<rill::Broker> broker_;
  std::unique_ptr<rill::Producer> producer_;
  std::unique_ptr<rill::Consumer> consumer_;
  rill::ProducerRecord record_;
  rill::SendCallback callback_;
  Counts counts_;
  uint64_t sent_ = 0;
  std::string note_;
};

}  // namespace

PEERBENCH_ENGINE("rill", "rill: Kafka's log embedded (Producer / Consumer, one partition)",
                 RillEngine);
