#include "rill/producer.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/broker/broker_impl.h"
#include "lib/client/murmur2.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_reader.h"
#include "test/support/broker_fixture.h"
#include "test/support/faulty_file_system.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill {
namespace {

using testing::BrokerCase;
using testing::ManualBrokerOptions;
using testing::OpenBroker;
using testing::TempDir;

// Every record of a partition, in offset order: (offset, key, value).
struct Stored {
  int64_t offset;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  int64_t timestamp;
};

std::vector<Stored> ReadAll(Broker* broker, const std::string& topic, int32_t partition) {
  auto* impl = static_cast<broker::BrokerImpl*>(broker);
  storage::Log* log = impl->topic_impl(topic)->partition_impl(partition)->log();
  std::vector<Stored> out;
  ByteBuffer scratch;
  int64_t offset = log->log_start_offset();
  while (offset < log->log_end_offset()) {
    auto read = log->Read(offset, 1 << 20);
    REQUIRE_OK(read);
    format::BatchScanner scanner(read->batches);
    format::BatchScanner::Slice slice;
    while (*scanner.Next(&slice)) {
      auto batch = format::RecordBatchView::Parse(slice.bytes);
      REQUIRE_OK(batch);
      REQUIRE_OK(batch->Validate(&scratch));
      format::RecordReader reader;
      REQUIRE_OK(reader.Open(*batch, &scratch));
      format::RecordView r;
      while (*reader.Next(&r)) {
        Stored s{r.offset, std::nullopt, std::nullopt, {}, r.timestamp};
        if (r.key) s.key = std::string(*r.key);
        if (r.value) s.value = std::string(*r.value);
        for (format::Header h : r.headers) {
          s.headers.emplace_back(std::string(h.key),
                                 h.value ? std::optional<std::string>(std::string(*h.value)) : std::nullopt);
        }
        out.push_back(std::move(s));
      }
      offset = batch->next_offset();
    }
  }
  return out;
}

TEST_CASE("a sent record comes back with its offset, and is in the log byte for byte",
          "[client][producer]") {
  bool in_memory = GENERATE(true, false);
  INFO("in memory: " << in_memory);
  BrokerCase c = OpenBroker(in_memory);
  REQUIRE_OK(c.broker->CreateTopic("orders", {.partitions = 3}));
  Producer producer(c.broker.get(), {.linger_ms = 0});
  Header headers[] = {{"trace", "abc"}, {"nullable", std::nullopt}};
  auto md = producer.Send({.topic = "orders", .partition = 1, .key = "customer-42",
                           .value = "{\"qty\":2}", .headers = headers, .timestamp = 1'700'000'000'123})
                .get();
  REQUIRE_OK(md);
  CHECK(md->topic == "orders");
  CHECK(md->partition == 1);
  CHECK(md->offset == 0);
  CHECK(md->timestamp == 1'700'000'000'123);
  CHECK(md->serialized_key_size == 11);
  auto stored = ReadAll(c.broker.get(), "orders", 1);
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].key == "customer-42");
  CHECK(stored[0].value == "{\"qty\":2}");
  CHECK(stored[0].timestamp == 1'700'000'000'123);
  REQUIRE(stored[0].headers.size() == 2);
  CHECK(stored[0].headers[0].second == "abc");
  CHECK(!stored[0].headers[1].second.has_value());
}

TEST_CASE("keyed records land on Kafka's murmur2 partition", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 7}));
  Producer producer(c.broker.get());
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> futures;
  std::vector<std::string> keys;
  for (int i = 0; i < 200; ++i) keys.push_back("user-" + std::to_string(i));
  for (const auto& k : keys) futures.push_back(producer.Send({.topic = "t", .key = k, .value = "v"}));
  producer.Flush();
  for (size_t i = 0; i < keys.size(); ++i) {
    auto md = futures[i].get();
    REQUIRE_OK(md);
    CHECK(md->partition == client::PartitionForKey(keys[i], 7));
  }
}

TEST_CASE("null values are tombstones and null keys are spread", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 1}));
  Producer producer(c.broker.get(), {.linger_ms = 0});
  REQUIRE_OK(producer.Send({.topic = "t", .key = "k", .value = std::nullopt}).get());
  REQUIRE_OK(producer.Send({.topic = "t", .key = std::nullopt, .value = ""}).get());
  auto stored = ReadAll(c.broker.get(), "t", 0);
  REQUIRE(stored.size() == 2);
  CHECK(!stored[0].value.has_value());
  CHECK(!stored[1].key.has_value());
  CHECK(stored[1].value == "");
}

TEST_CASE("many threads sending to many partitions lose, duplicate and reorder nothing",
          "[client][producer][concurrency]") {
  bool in_memory = GENERATE(true, false);
  BrokerCase c = OpenBroker(in_memory);
  constexpr int kPartitions = 8, kThreads = 4, kPerThread = 5000;
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = kPartitions}));
  // linger.ms=0: the senders append themselves, taking each other's records.
  const int64_t linger_ms = GENERATE(1, 0);
  Producer producer(c.broker.get(), {.batch_size = 2048, .linger_ms = linger_ms});
  std::mutex mu;
  std::map<int32_t, std::vector<int64_t>> callback_offsets;  // Per partition, in callback order.
  std::atomic<int> callbacks{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string value = std::to_string(t) + ":" + std::to_string(i);
        producer.Send({.topic = "t", .partition = (t * 7 + i) % kPartitions, .value = value},
                      [&](const absl::StatusOr<RecordMetadata>& md) {
                        ++callbacks;
                        if (!md.ok()) {
                          ++errors;
                          return;
                        }
                        std::lock_guard<std::mutex> lock(mu);
                        callback_offsets[md->partition].push_back(md->offset);
                      });
      }
    });
  }
  for (auto& th : threads) th.join();
  producer.Flush();
  CHECK(callbacks == kThreads * kPerThread);
  CHECK(errors == 0);
  std::map<std::string, int> seen;
  std::map<int, int> last_per_thread_partition;
  for (int32_t p = 0; p < kPartitions; ++p) {
    // Callbacks of a partition fire in offset order.
    const auto& offsets = callback_offsets[p];
    for (size_t i = 0; i < offsets.size(); ++i) CHECK(offsets[i] == static_cast<int64_t>(i));
    std::map<int, int> last_i;  // Per sending thread: order preserved.
    for (const Stored& s : ReadAll(c.broker.get(), "t", p)) {
      ++seen[*s.value];
      int t = std::stoi(s.value->substr(0, s.value->find(':')));
      int i = std::stoi(s.value->substr(s.value->find(':') + 1));
      if (last_i.contains(t)) CHECK(i > last_i[t]);
      last_i[t] = i;
    }
  }
  CHECK(seen.size() == static_cast<size_t>(kThreads * kPerThread));
  for (const auto& [v, n] : seen) CHECK(n == 1);
}

TEST_CASE("sending to a missing topic or partition fails clearly", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  Producer producer(c.broker.get());
  auto missing = producer.Send({.topic = "nope", .value = "v"}).get();
  CHECK(absl::IsNotFound(missing.status()));
  CHECK(absl::StrContains(missing.status().message(), "nope"));
  auto partition = producer.Send({.topic = "t", .partition = 2, .value = "v"}).get();
  CHECK(absl::IsNotFound(partition.status()));
  CHECK(absl::StrContains(partition.status().message(), "[0...2)"));
}

TEST_CASE("deleting a topic while threads produce to it fails their sends, never crashes",
          "[client][producer][concurrency]") {
  bool in_memory = GENERATE(true, false);
  BrokerCase c = OpenBroker(in_memory);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 4}));
  Producer producer(c.broker.get(), {.batch_size = 1024, .linger_ms = 1});
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0}, callbacks{0}, sent{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        ++sent;
        producer.Send({.topic = "t", .value = "value"}, [&](const absl::StatusOr<RecordMetadata>& md) {
          ++callbacks;
          if (md.ok()) {
            ++ok;
            return;
          }
          ++failed;
          std::lock_guard<std::mutex> lock(mu);
          errors.push_back(md.status().ToString());
        });
      }
    });
  }
  while (ok < 2000) std::this_thread::yield();
  REQUIRE_OK(c.broker->DeleteTopic("t"));
  while (failed < 100) std::this_thread::yield();
  // The same name again: the producer finds the new topic.
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  int ok_after_recreate = ok;
  while (ok < ok_after_recreate + 1000) std::this_thread::yield();
  stop = true;
  for (auto& th : threads) th.join();
  producer.Flush();
  CHECK(callbacks == sent);
  std::lock_guard<std::mutex> lock(mu);
  for (const std::string& e : errors) {
    // "not present in metadata" once the producer sees the delete; "was
    // deleted" for a batch that was already on its way to the old log.
    bool clear = absl::StrContains(e, "Topic t not present in metadata") || absl::StrContains(e, "was deleted");
    CHECK(clear);
    if (!clear) FAIL(e);
  }
  int64_t in_new_topic = 0;
  for (int32_t p = 0; p < 2; ++p) in_new_topic += c.broker->topic("t")->partition(p)->log_end_offset();
  CHECK(in_new_topic > 0);
}

TEST_CASE("a producer sees partitions added while it runs", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 1}));
  Producer producer(c.broker.get(), {.linger_ms = 0});
  REQUIRE_OK(producer.Send({.topic = "t", .key = "k", .value = "v"}).get());
  REQUIRE_OK(c.broker->CreatePartitions("t", 5));
  auto md = producer.Send({.topic = "t", .partition = 4, .value = "v"}).get();
  REQUIRE_OK(md);
  CHECK(md->partition == 4);
  // Keys are placed over the new count, as Kafka's partitioner does.
  auto keyed = producer.Send({.topic = "t", .key = "some-key", .value = "v"}).get();
  REQUIRE_OK(keyed);
  CHECK(keyed->partition == client::PartitionForKey("some-key", 5));
}

TEST_CASE("oversized records fail naming the size and the limit", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.max_message_bytes = 2000}));
  Producer producer(c.broker.get(), {.max_request_size = 10'000});
  std::string big(20'000, 'x');
  auto too_big = producer.Send({.topic = "t", .value = big}).get();
  CHECK(absl::IsInvalidArgument(too_big.status()));
  CHECK(absl::StrContains(too_big.status().message(), "max.request.size"));
  // Under max.request.size but over the topic's max.message.bytes.
  std::string medium(5'000, 'x');
  auto topic_limit = producer.Send({.topic = "t", .value = medium}).get();
  CHECK(absl::IsInvalidArgument(topic_limit.status()));
  CHECK(absl::StrContains(topic_limit.status().message(), "max.message.bytes (2000)"));
  // The producer stays usable.
  REQUIRE_OK(producer.Send({.topic = "t", .value = "small"}).get());
}

TEST_CASE("a negative timestamp is refused as Kafka's ProducerRecord does", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  Producer producer(c.broker.get(), {});
  auto refused = producer.Send({.topic = "t", .value = "v", .timestamp = -5}).get();
  CHECK(absl::IsInvalidArgument(refused.status()));
  CHECK(absl::StrContains(refused.status().message(), "Invalid timestamp: -5"));
  // The largest timestamp is fine, and a segment.ms check against it does not overflow.
  REQUIRE_OK(producer.Send({.topic = "t", .value = "v", .timestamp = 0}).get());
  REQUIRE_OK(producer.Send({.topic = "t", .value = "v", .timestamp = INT64_MAX}).get());
}

TEST_CASE("an oversized record fails alone, not the batches drained with it",
          "[client][producer]") {
  // A long linger keeps every batch queued until Flush drains them in one
  // round; the oversized record is a batch of its own between two others.
  ManualClock clock;
  auto broker = Broker::OpenInMemory(ManualBrokerOptions(&clock));
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t", {.max_message_bytes = 2000}));
  for (Compression codec : {Compression::kNone, Compression::kLz4}) {
    INFO("compression " << static_cast<int>(codec));
    Producer producer(
        broker->get(),
        {.linger_ms = 1'000'000, .max_request_size = 10'000, .compression_type = codec});
    std::string medium(5'000, 'x');  // lz4 squeezes it under the limit.
    auto before = producer.Send({.topic = "t", .value = "before"});
    auto oversized = producer.Send({.topic = "t", .value = medium});
    auto after = producer.Send({.topic = "t", .value = "after"});
    producer.Flush();
    absl::StatusOr<RecordMetadata> b = before.get(), o = oversized.get(), a = after.get();
    REQUIRE_OK(b);
    REQUIRE_OK(a);
    if (codec == Compression::kNone) {
      CHECK(absl::IsInvalidArgument(o.status()));
      CHECK(absl::StrContains(o.status().message(), "max.message.bytes (2000)"));
      CHECK(a->offset == b->offset + 1);
    } else {
      REQUIRE_OK(o);
      CHECK(o->offset == b->offset + 1);
      CHECK(a->offset == b->offset + 2);
    }
  }
}

TEST_CASE("a full disk fails the batch it hit, and the next batches take over its sequence",
          "[client][producer][faults]") {
  // Batches of one record each (batch.size below a record). Without
  // background threads each is appended as the next Send closes it.
  std::unique_ptr<storage::FileSystem> mem = storage::FileSystem::NewInMemory();
  testing::FaultyFileSystem faulty(mem.get());
  ManualClock clock;
  auto broker = broker::BrokerImpl::OpenOn(&faulty, nullptr, "/data", ManualBrokerOptions(&clock));
  REQUIRE_OK(broker);
  absl::StatusOr<Topic*> topic = (*broker)->CreateTopic("t");
  REQUIRE_OK(topic);
  Producer producer(broker->get(), {.batch_size = 100, .linger_ms = 1'000'000});
  REQUIRE(producer.producer_id() >= 0);  // Idempotent: the log checks sequences.
  std::string value(200, 'v');
  faulty.FailNth(testing::FsOp::kWriteAt, 2, ENOSPC, ".log");  // The second batch's write.
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(producer.Send({.topic = "t", .value = value}));
  sent.push_back(producer.Send({.topic = "t", .value = "a"}));
  producer.Flush();
  std::vector<absl::StatusOr<RecordMetadata>> md;
  for (auto& f : sent) md.push_back(f.get());
  REQUIRE_OK(md[0]);
  CHECK(md[0]->offset == 0);
  CHECK(absl::IsResourceExhausted(md[1].status()));
  // The third batch was numbered after the second; once the second failed
  // it took the second's sequence (a gap would be refused as out of order).
  REQUIRE_OK(md[2]);
  CHECK(md[2]->offset == 1);
  REQUIRE_OK(md[3]);
  CHECK(md[3]->offset == 2);
  CHECK((*topic)->partition(0)->log_end_offset() == 3);
}

TEST_CASE("a full buffer blocks Send and then fails after max.block.ms", "[client][producer]") {
  // A manual clock with no maintenance: lingering batches never close, so
  // the buffer stays full.
  ManualClock clock;
  auto broker = Broker::OpenInMemory(ManualBrokerOptions(&clock));
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t"));
  Producer producer(broker->get(), {.batch_size = 1 << 20, .linger_ms = 1'000'000,
                                    .buffer_memory = 4096, .max_block_ms = 50});
  std::string value(1000, 'v');
  std::vector<std::future<absl::StatusOr<RecordMetadata>>> sent;
  for (int i = 0; i < 3; ++i) sent.push_back(producer.Send({.topic = "t", .value = value}));
  auto blocked = producer.Send({.topic = "t", .value = value}).get();  // Over 4096 with the others.
  CHECK(absl::IsDeadlineExceeded(blocked.status()));
  CHECK(absl::StrContains(blocked.status().message(), "max blocking time 50 ms"));
  producer.Flush();
  for (auto& f : sent) REQUIRE_OK(f.get());
  CHECK(producer.Metrics().buffer_available_bytes == 4096);
}

TEST_CASE("linger.ms is driven by the broker's clock and RunMaintenance", "[client][producer]") {
  ManualClock clock;
  auto broker = Broker::OpenInMemory(ManualBrokerOptions(&clock));
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t"));
  Producer producer(broker->get(), {.linger_ms = 100});
  std::atomic<bool> done{false};
  producer.Send({.topic = "t", .value = "v"}, [&](const absl::StatusOr<RecordMetadata>&) { done = true; });
  REQUIRE_OK((*broker)->RunMaintenance());
  CHECK(!done);  // Still lingering.
  clock.Advance(absl::Milliseconds(100));
  REQUIRE_OK((*broker)->RunMaintenance());
  CHECK(done);
  CHECK((*broker)->topic("t")->partition(0)->log_end_offset() == 1);
}

TEST_CASE("linger.ms=0 appends before Send returns, on the sending thread", "[client][producer]") {
  BrokerCase c = OpenBroker(GENERATE(true, false));  // Background threads on.
  REQUIRE_OK(c.broker->CreateTopic("t"));
  // A batch.size the records fill too: a full batch closes before it is due.
  const int32_t batch_size = GENERATE(16384, 32);
  Producer producer(c.broker.get(), {.batch_size = batch_size, .linger_ms = 0});
  const std::thread::id self = std::this_thread::get_id();
  for (int i = 0; i < 20; ++i) {
    std::thread::id ran_on;
    int64_t offset = -1;
    producer.Send({.topic = "t", .value = absl::StrCat("value-", i, "-", std::string(40, 'x'))},
                  [&](const absl::StatusOr<RecordMetadata>& md) {
                    REQUIRE_OK(md);
                    offset = md->offset;
                    ran_on = std::this_thread::get_id();
                  });
    // No Flush: the record is in the log and its callback has run.
    CHECK(offset == i);
    CHECK(ran_on == self);
    CHECK(c.broker->topic("t")->partition(0)->log_end_offset() == i + 1);
  }
  std::vector<Stored> stored = ReadAll(c.broker.get(), "t", 0);
  REQUIRE(stored.size() == 20);
  for (int i = 0; i < 20; ++i) {
    CHECK(stored[i].value == absl::StrCat("value-", i, "-", std::string(40, 'x')));
  }
}

TEST_CASE("LogAppendTime topics report the broker's append time", "[client][producer]") {
  ManualClock clock(absl::FromUnixMillis(1'800'000'000'000));
  auto broker = Broker::OpenInMemory(ManualBrokerOptions(&clock));
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t", {.message_timestamp_type = TimestampType::kLogAppendTime}));
  Producer producer(broker->get(), {.linger_ms = 0});
  auto md = producer.Send({.topic = "t", .value = "v", .timestamp = 5}).get();
  REQUIRE_OK(md);
  CHECK(md->timestamp == 1'800'000'000'000);
  CHECK(ReadAll(broker->get(), "t", 0)[0].timestamp == 1'800'000'000'000);
}

TEST_CASE("compressed batches round trip through every codec", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  for (Compression codec : {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) {
    Producer producer(c.broker.get(), {.linger_ms = 1000, .compression_type = codec});
    for (int i = 0; i < 100; ++i) {
      producer.Send({.topic = "t", .key = "k", .value = "value " + std::to_string(i)}, nullptr);
    }
    producer.Flush();
  }
  auto stored = ReadAll(c.broker.get(), "t", 0);
  REQUIRE(stored.size() == 400);
  CHECK(stored[399].value == "value 99");
}

TEST_CASE("an idempotent producer's retried batch is not appended twice, across a restart",
          "[client][producer][idempotence]") {
  TempDir dir;
  std::vector<uint8_t> batch;
  int64_t pid = -1;
  auto build = [&](int32_t base_sequence) {
    format::BatchOptions options;
    options.producer_id = pid;
    options.producer_epoch = 0;
    options.base_sequence = base_sequence;
    format::RecordBatchBuilder builder(options);
    REQUIRE_OK(builder.Append(1, "k", "a"));
    REQUIRE_OK(builder.Append(1, "k", "b"));
    auto bytes = builder.Build();
    REQUIRE_OK(bytes);
    return std::vector<uint8_t>(bytes->begin(), bytes->end());
  };
  auto append = [](Broker* b, std::vector<uint8_t> bytes) {
    auto* impl = static_cast<broker::BrokerImpl*>(b);
    return impl->topic_impl("t")->partition_impl(0)->Append(MutableByteSpan(bytes.data(), bytes.size()),
                                                            storage::AppendOrigin::kClient, true);
  };
  {
    auto broker = Broker::Open(dir.path(), ManualBrokerOptions());
    REQUIRE_OK(broker);
    REQUIRE_OK((*broker)->CreateTopic("t"));
    Producer producer(broker->get());
    pid = producer.producer_id();
    REQUIRE(pid >= 0);
    auto first = append(broker->get(), build(0));
    REQUIRE_OK(first);
    CHECK(!first->duplicate);
    auto retry = append(broker->get(), build(0));
    REQUIRE_OK(retry);
    CHECK(retry->duplicate);
    CHECK(retry->first_offset == 0);
    CHECK(retry->last_offset == 1);
    auto gap = append(broker->get(), build(5));
    CHECK(absl::IsFailedPrecondition(gap.status()));
    CHECK(absl::StrContains(gap.status().message(), "expected 2, got 5"));
    REQUIRE_OK(append(broker->get(), build(2)));
    REQUIRE_OK((*broker)->Close());
  }
  auto broker = Broker::Open(dir.path(), ManualBrokerOptions());
  REQUIRE_OK(broker);
  auto retry = append(broker->get(), build(2));  // The last batch, retried after a restart.
  REQUIRE_OK(retry);
  CHECK(retry->duplicate);
  CHECK(retry->first_offset == 2);
  CHECK((*broker)->topic("t")->partition(0)->log_end_offset() == 4);
  // A new producer gets a new id.
  Producer next(broker->get());
  CHECK(next.producer_id() > pid);
}

TEST_CASE("sends after Close fail, and Close sends what was buffered", "[client][producer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  Producer producer(c.broker.get(), {.linger_ms = 100'000});
  auto pending = producer.Send({.topic = "t", .value = "v"});
  REQUIRE_OK(producer.Close());
  REQUIRE_OK(pending.get());
  CHECK(absl::IsFailedPrecondition(producer.Send({.topic = "t", .value = "w"}).get().status()));
  REQUIRE_OK(producer.Close());
}

TEST_CASE("producer configs are read by Kafka name", "[client][producer][config]") {
  auto o = ProducerOptions::FromProperties({{"acks", "1"}, {"linger.ms", "7"},
                                            {"compression.type", "zstd"},
                                            {"compression.zstd.level", "9"}, {"batch.size", "1000"}});
  REQUIRE_OK(o);
  CHECK(o->acks == Acks::kLeader);
  CHECK(o->linger_ms == 7);
  CHECK(o->compression_type == Compression::kZstd);
  CHECK(o->compression_level == 9);
  CHECK(absl::IsInvalidArgument(ProducerOptions::FromProperties({{"acks", "2"}}).status()));
  CHECK(absl::IsInvalidArgument(ProducerOptions::FromProperties({{"lingerms", "2"}}).status()));
  BrokerCase c = OpenBroker(true);
  auto bad = Producer::Create(c.broker.get(), {.linger_ms = -1});
  CHECK(absl::IsInvalidArgument(bad.status()));
  CHECK(absl::StrContains(bad.status().message(), "linger.ms"));
}

// Bytes of the `.log` files in a partition directory, zeros ahead included.
uint64_t LogFileBytesIn(const std::string& partition_dir) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(partition_dir)) {
    if (entry.path().extension() == ".log") total += entry.file_size();
  }
  return total;
}

// The log of partition 0 of topic "z".
storage::Log* LogOfZ(Broker* broker) {
  return static_cast<broker::BrokerImpl*>(broker)->topic_impl("z")->partition_impl(0)->log();
}

TEST_CASE("a topic gets zeros ahead while producing, none after close",
          "[client][producer][zero_fill][zeros_ahead]") {
  // A real directory and background threads: BrokerOptions::zero_fill_ahead
  // (on by default) needs both for a topic synced at every commit (the
  // filler thread); a topic never synced gets the writer's own zeros ahead
  // in the page cache.
  const bool zero_fill = GENERATE(true, false);
  const int64_t flush_messages = GENERATE(int64_t{10}, INT64_MAX);
  INFO("zero_fill_ahead " << zero_fill << ", flush.messages " << flush_messages);
  TempDir dir;
  const std::string partition_dir = dir.path() + "/z-0";
  auto log_file_bytes = [&] { return LogFileBytesIn(partition_dir); };
  std::vector<std::string> values;
  {
    BrokerOptions options;
    options.zero_fill_ahead = zero_fill;
    auto broker = Broker::Open(dir.path(), options);
    REQUIRE_OK(broker);
    TopicOptions topic;
    topic.partitions = 1;
    topic.flush_messages = flush_messages;
    topic.segment_bytes = 1 << 20;  // A few rolls, each cutting the zeros.
    REQUIRE_OK((*broker)->CreateTopic("z", topic));
    Producer producer(broker->get(), {.batch_size = 4096, .linger_ms = 1});
    std::atomic<int> errors{0};
    bool zeros_seen = false;
    for (int i = 0; i < 20000; ++i) {
      values.push_back(absl::StrCat("record-", i, "-", std::string(90, 'v')));
      producer.Send({.topic = "z", .partition = 0, .value = values.back()},
                    [&](const absl::StatusOr<RecordMetadata>& md) { errors += !md.ok(); });
      if (i % 100 == 99) {
        producer.Flush();
        if (log_file_bytes() > LogOfZ(broker->get())->size_bytes()) zeros_seen = true;
      }
    }
    REQUIRE_OK(producer.Close());
    CHECK(errors == 0);
    CHECK(zeros_seen == zero_fill);
    CHECK(LogOfZ(broker->get())->segment_count() > 1);
    REQUIRE_OK((*broker)->Close());
  }
  auto broker = Broker::Open(dir.path(), ManualBrokerOptions());
  REQUIRE_OK(broker);
  CHECK(log_file_bytes() == LogOfZ(broker->get())->size_bytes());
  std::vector<Stored> stored = ReadAll(broker->get(), "z", 0);
  REQUIRE(stored.size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) CHECK(*stored[i].value == values[i]);
}

TEST_CASE("after a Flush the I/O thread writes the zeros ahead early, off the next Flush's wait",
          "[client][producer][zeros_ahead]") {
  // Writing a piece of zeros takes ~60 us; inline, it often fell inside the
  // next Flush's wait. After a Flush the I/O thread writes them with the
  // next batch it drains, once fewer than a piece (256 KiB) lie ahead,
  // where the inline write waits for fewer than half a piece.
  constexpr uint64_t kPiece = 256 << 10;
  TempDir dir;
  const std::string partition_dir = dir.path() + "/z-0";
  auto log_file_bytes = [&] { return LogFileBytesIn(partition_dir); };
  auto broker = Broker::Open(dir.path(), BrokerOptions());
  REQUIRE_OK(broker);
  TopicOptions topic;
  topic.partitions = 1;
  topic.segment_bytes = 64 << 20;  // No roll; never synced.
  REQUIRE_OK((*broker)->CreateTopic("z", topic));
  storage::Log* log = LogOfZ(broker->get());
  Producer producer(broker->get(), {.batch_size = 16384, .linger_ms = 5});
  std::atomic<int> errors{0};
  int sent = 0;
  auto send = [&](int n) {
    for (int i = 0; i < n; ++i, ++sent) {
      producer.Send({.topic = "z",
                     .partition = 0,
                     .value = absl::StrCat("record-", sent, "-", std::string(90, 'v'))},
                    [&](const absl::StatusOr<RecordMetadata>& md) { errors += !md.ok(); });
    }
  };
  int due = 0;
  for (int window = 0; window < 30; ++window) {
    send(1000);
    producer.Flush();
    const uint64_t size = log->size_bytes();
    // None yet: the log asks for zeros only after 256 KiB in a second.
    if (log_file_bytes() == size) continue;
    if (log_file_bytes() >= size + kPiece) continue;  // Nothing due.
    ++due;
    INFO("window " << window << ": " << log_file_bytes() - size << " bytes of zeros ahead");
    send(200);  // At least one full batch: the I/O thread drains it.
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (log_file_bytes() < size + kPiece && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    CHECK(log_file_bytes() >= size + kPiece);
  }
  CHECK(due >= 5);
  REQUIRE_OK(producer.Close());
  CHECK(errors == 0);
  const uint64_t final_size = log->size_bytes();
  REQUIRE_OK((*broker)->Close());
  CHECK(log_file_bytes() == final_size);  // Close cut the zeros.
}

TEST_CASE("Flushes that wait for syncs return only once every record is appended and synced",
          "[client][producer][flush]") {
  // With flush.messages=1 every append syncs, so each Flush waits for an
  // fdatasync on a real disk, while another thread sends and flushes to the
  // same partition. A Flush returns only after the callbacks of everything
  // sent before it ran, and (each append syncing) the log synced it.
  TempDir dir;
  auto broker = Broker::Open(dir.path(), BrokerOptions());
  REQUIRE_OK(broker);
  TopicOptions topic;
  topic.partitions = 1;
  topic.flush_messages = 1;
  REQUIRE_OK((*broker)->CreateTopic("z", topic));
  storage::Log* log = LogOfZ(broker->get());
  Producer producer(broker->get(), {.linger_ms = 5});
  constexpr int kThreads = 2, kWindows = 60, kPerWindow = 50;
  std::atomic<int> acknowledged{0}, errors{0}, unacknowledged{0}, unsynced{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int w = 0; w < kWindows; ++w) {
        std::atomic<int> mine{0};
        std::atomic<int64_t> last_offset{-1};
        for (int i = 0; i < kPerWindow; ++i) {
          producer.Send({.topic = "z", .partition = 0, .value = absl::StrCat(t, "-", w, "-", i)},
                        [&](const absl::StatusOr<RecordMetadata>& md) {
                          errors += !md.ok();
                          ++acknowledged;
                          ++mine;
                          if (md.ok()) last_offset = std::max(last_offset.load(), md->offset);
                        });
        }
        producer.Flush();
        // Every record of this window: acknowledged, and below the point
        // the log has synced (its recovery point: offsets under it are
        // durable).
        if (mine.load() != kPerWindow) ++unacknowledged;
        if (last_offset.load() >= log->recovery_point()) ++unsynced;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(unacknowledged == 0);
  CHECK(unsynced == 0);
  CHECK(errors == 0);
  CHECK(acknowledged == kThreads * kWindows * kPerWindow);
  CHECK(log->log_end_offset() == kThreads * kWindows * kPerWindow);
  CHECK(producer.Metrics().flush_time_ns_total > 0);
  REQUIRE_OK(producer.Close());
  REQUIRE_OK((*broker)->Close());
}

}  // namespace
}  // namespace rill
