#include "rill/consumer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/broker/broker_impl.h"
#include "lib/format/control_record.h"
#include "lib/format/record_batch_builder.h"
#include "rill/producer.h"
#include "test/support/broker_fixture.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill {
namespace {

using testing::BrokerCase;
using testing::OpenBroker;
using testing::TempDir;

constexpr int64_t kTimestamp = 1'700'000'000'000;

broker::PartitionImpl* PartitionOf(Broker* broker, const std::string& topic, int32_t partition) {
  return static_cast<broker::BrokerImpl*>(broker)->topic_impl(topic)->partition_impl(partition);
}

// Appends one batch of `values` (keys "k0", "k1", ...) through the broker's
// internal path, so a test controls batch boundaries and codecs.
void AppendBatch(Broker* broker, const std::string& topic, int32_t partition,
                 const std::vector<std::string>& values,
                 format::CompressionType codec = format::CompressionType::kNone,
                 int64_t timestamp = kTimestamp) {
  format::RecordBatchBuilder builder(format::BatchOptions{.compression = codec});
  for (size_t i = 0; i < values.size(); ++i) {
    REQUIRE_OK(
        builder.Append(timestamp + static_cast<int64_t>(i), absl::StrCat("k", i), values[i]));
  }
  auto bytes = builder.Build();
  REQUIRE_OK(bytes);
  auto info =
      PartitionOf(broker, topic, partition)->Append(*bytes, storage::AppendOrigin::kClient, true);
  REQUIRE_OK(info);
}

std::vector<std::string> Values(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat(prefix, i));
  return out;
}

// A record copied out of its views.
struct Got {
  TopicPartition tp;
  int64_t offset = -1;
  std::optional<std::string> key, value;
  int64_t timestamp = -1;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

std::optional<std::string> Copy(std::optional<absl::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

Got Copy(const ConsumerRecord& r) {
  Got g{{std::string(r.topic()), r.partition()},
        r.offset(),
        Copy(r.key()),
        Copy(r.value()),
        r.timestamp(),
        {}};
  for (const Header& h : r.headers()) g.headers.emplace_back(std::string(h.key), Copy(h.value));
  return g;
}

// Polls until `n` records came, or a Poll waited 10 s for nothing.
std::vector<Got> PollN(Consumer& consumer, size_t n) {
  std::vector<Got> got;
  while (got.size() < n) {
    auto records = consumer.Poll(absl::Seconds(10));
    REQUIRE_OK(records);
    if (records->empty()) break;
    for (const ConsumerRecord& r : *records) got.push_back(Copy(r));
  }
  return got;
}

std::vector<int64_t> Offsets(const std::vector<Got>& got) {
  std::vector<int64_t> out;
  for (const Got& g : got) out.push_back(g.offset);
  return out;
}

ConsumerOptions Earliest() { return ConsumerOptions{.auto_offset_reset = OffsetReset::kEarliest}; }

TEST_CASE("produced records come back in order from one and many partitions",
          "[client][consumer]") {
  bool in_memory = GENERATE(true, false);
  int32_t partitions = GENERATE(1, 4);
  INFO("in memory: " << in_memory << ", partitions: " << partitions);
  BrokerCase c = OpenBroker(in_memory);
  REQUIRE_OK(c.broker->CreateTopic("orders", {.partitions = partitions}));
  constexpr int kRecords = 2000;
  {
    Producer producer(c.broker.get(), {.batch_size = 1024, .linger_ms = 1});
    Header headers[] = {{"trace", "abc"}, {"none", std::nullopt}};
    for (int i = 0; i < kRecords; ++i) {
      std::string key = absl::StrCat("customer-", i % 37);
      std::string value = absl::StrCat("order-", i);
      producer.Send({.topic = "orders",
                     .partition = i % partitions,
                     .key = key,
                     .value = value,
                     .headers = headers,
                     .timestamp = kTimestamp + i},
                    nullptr);
    }
    producer.Flush();
  }
  Consumer consumer(c.broker.get(), Earliest());
  std::vector<TopicPartition> assignment;
  for (int32_t p = 0; p < partitions; ++p) assignment.push_back({"orders", p});
  REQUIRE_OK(consumer.Assign(assignment));
  CHECK(consumer.Assignment() == assignment);
  std::vector<Got> got = PollN(consumer, kRecords);
  REQUIRE(got.size() == kRecords);
  std::map<int32_t, std::vector<Got>> by_partition;
  for (Got& g : got) by_partition[g.tp.partition].push_back(std::move(g));
  for (int32_t p = 0; p < partitions; ++p) {
    const std::vector<Got>& records = by_partition[p];
    REQUIRE(records.size() == static_cast<size_t>(kRecords / partitions));
    for (size_t j = 0; j < records.size(); ++j) {
      int i = static_cast<int>(j) * partitions + p;
      CHECK(records[j].offset == static_cast<int64_t>(j));
      CHECK(records[j].tp.topic == "orders");
      CHECK(records[j].key == absl::StrCat("customer-", i % 37));
      CHECK(records[j].value == absl::StrCat("order-", i));
      CHECK(records[j].timestamp == kTimestamp + i);
      REQUIRE(records[j].headers.size() == 2);
      CHECK(records[j].headers[0].second == "abc");
      CHECK(!records[j].headers[1].second.has_value());
    }
    auto position = consumer.Position({"orders", p});
    REQUIRE_OK(position);
    CHECK(*position == static_cast<int64_t>(records.size()));
  }
  // Nothing more: the next Poll waits its timeout and returns empty.
  auto more = consumer.Poll(absl::Milliseconds(1));
  REQUIRE_OK(more);
  CHECK(more->empty());
}

TEST_CASE("records of a Poll are grouped by partition", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 3}));
  for (int32_t p = 0; p < 3; ++p) AppendBatch(c.broker.get(), "t", p, Values("v", 5));
  Consumer consumer(c.broker.get(), Earliest());
  REQUIRE_OK(consumer.Assign({{"t", 0}, {"t", 1}, {"t", 2}}));
  auto records = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(records);
  CHECK(records->count() == 15);
  CHECK(records->partitions() == std::vector<TopicPartition>{{"t", 0}, {"t", 1}, {"t", 2}});
  absl::Span<const ConsumerRecord> one = records->records({"t", 1});
  REQUIRE(one.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(one[i].partition() == 1);
    CHECK(one[i].offset() == i);
    CHECK(one[i].timestamp_type() == TimestampType::kCreateTime);
  }
  CHECK(records->records({"t", 7}).empty());
  // A copy shares the bytes: it stays valid when the original goes.
  ConsumerRecords copy = *records;
  records = ConsumerRecords();
  CHECK(copy.records({"t", 2})[4].value() == "v4");
}

TEST_CASE("null keys and values stay null, and LogAppendTime records carry the broker's time",
          "[client][consumer]") {
  ManualClock clock(absl::FromUnixMillis(1'800'000'000'000));
  BrokerCase c = OpenBroker(true, &clock);
  REQUIRE_OK(c.broker->CreateTopic("t", {.message_timestamp_type = TimestampType::kLogAppendTime}));
  Producer producer(c.broker.get(), {.linger_ms = 0});
  REQUIRE_OK(
      producer.Send({.topic = "t", .key = "k", .value = std::nullopt, .timestamp = 5}).get());
  REQUIRE_OK(producer.Send({.topic = "t", .key = std::nullopt, .value = "", .timestamp = 5}).get());
  Consumer consumer(c.broker.get(), Earliest());
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  auto records = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(records);
  REQUIRE(records->count() == 2);
  const ConsumerRecord& tombstone = *records->begin();
  const ConsumerRecord& keyless = *(records->begin() + 1);
  CHECK(tombstone.key() == "k");
  CHECK(!tombstone.value().has_value());
  CHECK(!keyless.key().has_value());
  CHECK(keyless.value() == "");
  CHECK(tombstone.timestamp_type() == TimestampType::kLogAppendTime);
  CHECK(tombstone.timestamp() == 1'800'000'000'000);
  CHECK(tombstone.headers().empty());
  CHECK(tombstone.leader_epoch().has_value());
}

TEST_CASE("Seek, SeekToBeginning, SeekToEnd and Position", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  AppendBatch(c.broker.get(), "t", 0, Values("a", 10));
  AppendBatch(c.broker.get(), "t", 1, Values("b", 4));
  Consumer consumer(c.broker.get());  // auto.offset.reset=latest
  TopicPartition t0{"t", 0}, t1{"t", 1};
  REQUIRE_OK(consumer.Assign({t0, t1}));
  // latest: the position is the high watermark.
  CHECK(*consumer.Position(t0) == 10);
  CHECK(*consumer.Position(t1) == 4);

  REQUIRE_OK(consumer.Seek(t0, 7));
  CHECK(*consumer.Position(t0) == 7);
  auto got = PollN(consumer, 3);
  CHECK(Offsets(got) == std::vector<int64_t>{7, 8, 9});
  CHECK(got[0].value == "a7");

  REQUIRE_OK(consumer.SeekToBeginning({t0}));
  CHECK(*consumer.Position(t0) == 0);
  CHECK(*consumer.Position(t1) == 4);
  REQUIRE_OK(consumer.SeekToBeginning());  // Empty: every assigned partition.
  got = PollN(consumer, 14);
  CHECK(got.size() == 14);

  // SeekToEnd is lazy, as Kafka's: evaluated at the next Poll or Position.
  REQUIRE_OK(consumer.SeekToBeginning());
  REQUIRE_OK(consumer.SeekToEnd({t1}));
  AppendBatch(c.broker.get(), "t", 1, Values("late", 2));
  CHECK(*consumer.Position(t1) == 6);
  REQUIRE_OK(consumer.Seek(t0, OffsetAndMetadata{.offset = 9}));
  got = PollN(consumer, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].tp == t0);
  CHECK(got[0].offset == 9);

  CHECK(absl::IsInvalidArgument(consumer.Seek(t0, -1)));
  absl::Status unassigned = consumer.Seek({"t", 5}, 0);
  CHECK(absl::IsFailedPrecondition(unassigned));
  CHECK(absl::StrContains(unassigned.message(), "t-5"));
  CHECK(absl::IsFailedPrecondition(consumer.Position({"u", 0}).status()));
}

TEST_CASE("OffsetsForTimes finds the first record at or after each timestamp",
          "[client][consumer]") {
  BrokerCase c = OpenBroker(false);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  // Partition 0: offsets 0..9 at kTimestamp+0..9 (one batch), then 10..14
  // at kTimestamp+100..104.
  AppendBatch(c.broker.get(), "t", 0, Values("a", 10));
  AppendBatch(c.broker.get(), "t", 0, Values("b", 5), format::CompressionType::kNone,
              kTimestamp + 100);
  Consumer consumer(c.broker.get());
  auto found = consumer.OffsetsForTimes(
      {{{"t", 0}, kTimestamp + 4}, {{"t", 0}, kTimestamp + 4}, {{"t", 1}, kTimestamp}});
  REQUIRE_OK(found);
  REQUIRE(found->at({"t", 0}).has_value());
  CHECK(found->at({"t", 0})->offset == 4);
  CHECK(found->at({"t", 0})->timestamp == kTimestamp + 4);
  CHECK(!found->at({"t", 1}).has_value());  // Empty partition.

  found = consumer.OffsetsForTimes({
      {{"t", 0}, kTimestamp + 50},
  });
  REQUIRE_OK(found);
  CHECK(found->at({"t", 0})->offset == 10);
  found = consumer.OffsetsForTimes({{{"t", 0}, kTimestamp + 1000}});
  REQUIRE_OK(found);
  CHECK(!found->at({"t", 0}).has_value());  // Past the newest record.

  CHECK(absl::IsInvalidArgument(consumer.OffsetsForTimes({{{"t", 0}, -1}}).status()));
  CHECK(absl::IsNotFound(consumer.OffsetsForTimes({{{"t", 2}, 0}}).status()));
  CHECK(absl::IsNotFound(consumer.OffsetsForTimes({{{"nope", 0}, 0}}).status()));
}

TEST_CASE("BeginningOffsets and EndOffsets follow appends and retention", "[client][consumer]") {
  ManualClock clock(absl::FromUnixMillis(kTimestamp));
  BrokerCase c = OpenBroker(true, &clock);
  REQUIRE_OK(c.broker->CreateTopic(
      "t",
      {.partitions = 2, .file_delete_delay_ms = 0, .retention_ms = 60'000, .segment_bytes = 1024}));
  for (int i = 0; i < 20; ++i) AppendBatch(c.broker.get(), "t", 0, {std::string(100, 'x')});
  Consumer consumer(c.broker.get());
  TopicPartition t0{"t", 0}, t1{"t", 1};
  auto begin = consumer.BeginningOffsets({t0, t1});
  auto end = consumer.EndOffsets({t0, t1});
  REQUIRE_OK(begin);
  REQUIRE_OK(end);
  CHECK(begin->at(t0) == 0);
  CHECK(end->at(t0) == 20);
  CHECK(begin->at(t1) == 0);
  CHECK(end->at(t1) == 0);
  clock.Advance(absl::Hours(1));
  REQUIRE_OK(c.broker->RunMaintenance());
  begin = consumer.BeginningOffsets({t0});
  REQUIRE_OK(begin);
  CHECK(begin->at(t0) > 0);
  CHECK(begin->at(t0) <= 20);
  CHECK(absl::IsNotFound(consumer.EndOffsets({{"t", 2}}).status()));
}

TEST_CASE("max.poll.records caps each Poll and partitions take turns", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 3}));
  for (int32_t p = 0; p < 3; ++p) {
    for (int b = 0; b < 4; ++b) AppendBatch(c.broker.get(), "t", p, Values("v", 5));
  }
  ConsumerOptions options = Earliest();
  options.max_poll_records = 7;
  Consumer consumer(c.broker.get(), options);
  REQUIRE_OK(consumer.Assign({{"t", 0}, {"t", 1}, {"t", 2}}));
  std::vector<int32_t> first_partition;
  std::map<int32_t, int64_t> next;  // Per partition: the offset expected next.
  size_t total = 0;
  while (total < 60) {
    auto records = consumer.Poll(absl::Seconds(10));
    REQUIRE_OK(records);
    REQUIRE(!records->empty());
    CHECK(records->count() <= 7);
    first_partition.push_back(records->begin()->partition());
    for (const ConsumerRecord& r : *records) {
      CHECK(r.offset() == next[r.partition()]);
      next[r.partition()] = r.offset() + 1;
    }
    total += records->count();
  }
  CHECK(total == 60);
  // Round robin: a partition that returned records goes to the back.
  REQUIRE(first_partition.size() >= 3);
  CHECK(first_partition[0] == 0);
  CHECK(first_partition[1] == 1);
  CHECK(first_partition[2] == 2);
  CHECK(first_partition[3] == 0);
}

TEST_CASE("paused partitions return nothing until resumed", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  AppendBatch(c.broker.get(), "t", 0, Values("a", 3));
  AppendBatch(c.broker.get(), "t", 1, Values("b", 3));
  Consumer consumer(c.broker.get(), Earliest());
  TopicPartition t0{"t", 0}, t1{"t", 1};
  REQUIRE_OK(consumer.Assign({t0, t1}));
  REQUIRE_OK(consumer.Pause({t0}));
  CHECK(consumer.Paused() == std::vector<TopicPartition>{t0});
  auto got = PollN(consumer, 3);
  REQUIRE(got.size() == 3);
  for (const Got& g : got) CHECK(g.tp == t1);
  REQUIRE_OK(consumer.Pause({t1}));
  auto none = consumer.Poll(absl::Milliseconds(5));
  REQUIRE_OK(none);
  CHECK(none->empty());
  REQUIRE_OK(consumer.Resume({t0}));
  got = PollN(consumer, 3);
  REQUIRE(got.size() == 3);
  for (const Got& g : got) CHECK(g.tp == t0);
  CHECK(consumer.Paused() == std::vector<TopicPartition>{t1});
  CHECK(absl::IsFailedPrecondition(consumer.Pause({{"t", 9}})));
}

TEST_CASE("Wakeup interrupts a Poll blocked in another thread", "[client][consumer][threads]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  Consumer consumer(c.broker.get());
  REQUIRE_OK(consumer.Assign({{"t", 0}, {"t", 1}}));

  // Woken before it polls: the next Poll returns Cancelled, the one after works.
  consumer.Wakeup();
  CHECK(absl::IsCancelled(consumer.Poll(absl::Seconds(60)).status()));
  auto normal = consumer.Poll(absl::ZeroDuration());
  REQUIRE_OK(normal);

  std::atomic<bool> polling{false};
  absl::Status status;
  absl::Duration elapsed;
  std::thread poller([&] {
    polling = true;
    absl::Time start = absl::Now();
    status = consumer.Poll(absl::Seconds(60)).status();
    elapsed = absl::Now() - start;
  });
  while (!polling) std::this_thread::yield();
  consumer.Wakeup();  // Whether Poll already blocks or is about to.
  poller.join();
  CHECK(absl::IsCancelled(status));
  CHECK(elapsed < absl::Seconds(30));  // Well before the timeout.
}

TEST_CASE("a blocked Poll returns when another thread appends to any assigned partition",
          "[client][consumer][threads]") {
  BrokerCase c = OpenBroker(GENERATE(true, false));
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 4}));
  Consumer consumer(c.broker.get());  // latest: waits for new records.
  REQUIRE_OK(consumer.Assign({{"t", 0}, {"t", 1}, {"t", 2}, {"t", 3}}));
  for (int32_t target : {3, 0, 2}) {
    std::atomic<bool> polling{false};
    absl::StatusOr<ConsumerRecords> records;
    absl::Duration elapsed;
    std::thread poller([&] {
      polling = true;
      absl::Time start = absl::Now();
      records = consumer.Poll(absl::Seconds(60));
      elapsed = absl::Now() - start;
    });
    while (!polling) std::this_thread::yield();
    Producer producer(c.broker.get(), {.linger_ms = 0});
    REQUIRE_OK(producer.Send({.topic = "t", .partition = target, .value = "wake"}).get());
    poller.join();
    REQUIRE_OK(records);
    REQUIRE(records->count() == 1);
    CHECK(records->begin()->partition() == target);
    CHECK(records->begin()->value() == "wake");
    CHECK(elapsed < absl::Seconds(30));  // Woken by the append, not the timeout.
  }
}

TEST_CASE("compressed batches of every codec are read, and a Seek into one skips what precedes it",
          "[client][consumer][compression]") {
  using format::CompressionType;
  CompressionType codec =
      GENERATE(CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
               CompressionType::kLz4, CompressionType::kZstd);
  INFO("codec " << static_cast<int>(codec));
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  AppendBatch(c.broker.get(), "t", 0, Values("first-", 100), codec);
  AppendBatch(c.broker.get(), "t", 0, Values("second-", 100), codec);
  Consumer consumer(c.broker.get(), Earliest());
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  auto all = PollN(consumer, 200);
  REQUIRE(all.size() == 200);
  CHECK(all[0].value == "first-0");
  CHECK(all[150].value == "second-50");
  CHECK(all[150].key == "k50");
  CHECK(all[150].timestamp == kTimestamp + 50);

  REQUIRE_OK(consumer.Seek({"t", 0}, 42));
  auto records = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(records);
  REQUIRE(records->count() == 158);
  CHECK(records->begin()->offset() == 42);
  CHECK(records->begin()->value() == "first-42");
  CHECK(*consumer.Position({"t", 0}) == 200);
}

TEST_CASE("a Poll stopped by max.poll.records inside a compressed batch resumes there",
          "[client][consumer][compression]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  AppendBatch(c.broker.get(), "t", 0, Values("v", 50), format::CompressionType::kZstd);
  ConsumerOptions options = Earliest();
  options.max_poll_records = 20;
  Consumer consumer(c.broker.get(), options);
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  std::vector<int64_t> sizes;
  std::vector<Got> got;
  while (got.size() < 50) {
    auto records = consumer.Poll(absl::Seconds(10));
    REQUIRE_OK(records);
    REQUIRE(!records->empty());
    sizes.push_back(static_cast<int64_t>(records->count()));
    for (const ConsumerRecord& r : *records) got.push_back(Copy(r));
  }
  CHECK(sizes == std::vector<int64_t>{20, 20, 10});
  for (int i = 0; i < 50; ++i) CHECK(got[i].value == absl::StrCat("v", i));
}

TEST_CASE("Polls go on inside a fetched batch; earlier results stay valid; a Seek drops the rest",
          "[client][consumer][compression]") {
  using format::CompressionType;
  CompressionType codec = GENERATE(CompressionType::kNone, CompressionType::kLz4);
  // The records' timestamps are the clock's: retention keeps them.
  ManualClock clock(absl::FromUnixMillis(kTimestamp));
  BrokerCase c = OpenBroker(GENERATE(true, false), &clock);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  for (int b = 0; b < 3; ++b) {
    AppendBatch(c.broker.get(), "t", 0, Values(absl::StrCat(b, "-"), 30), codec);
  }
  AppendBatch(c.broker.get(), "t", 0, Values("3-", 10));  // Uncompressed after compressed.
  auto value_of = [](int64_t offset) { return absl::StrCat(offset / 30, "-", offset % 30); };
  ConsumerOptions options = Earliest();
  options.max_poll_records = 7;  // Never a batch boundary: 7 does not divide 30.
  // Records already fetched are returned at once: a Poll that only
  // continues a batch must not wait for fetch.min.bytes of new data.
  options.fetch_max_wait_ms = 600'000;
  Consumer consumer(c.broker.get(), options);
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  const absl::Time start = absl::Now();

  // Every result is kept: the records of each must still read right after
  // later Polls went on in the batch it stopped in, and past it.
  std::vector<ConsumerRecords> kept;
  int64_t next = 0;
  while (next < 100) {
    auto records = consumer.Poll(absl::Seconds(10));
    REQUIRE_OK(records);
    REQUIRE(!records->empty());
    CHECK(records->count() == static_cast<size_t>(std::min<int64_t>(7, 100 - next)));
    for (const ConsumerRecord& r : *records) CHECK(r.offset() == next++);
    kept.push_back(*std::move(records));
  }
  int64_t offset = 0;
  for (const ConsumerRecords& records : kept) {
    for (const ConsumerRecord& r : records) {
      CHECK(r.offset() == offset);
      CHECK(r.value() == value_of(offset));
      ++offset;
    }
  }
  CHECK(offset == 100);
  // A Poll that waited would have taken its whole 10 s timeout.
  CHECK(absl::Now() - start < absl::Seconds(5));

  // A Seek back into a batch a Poll stopped in, and one forward over the
  // rest of the fetch: the Poll after each starts exactly there.
  REQUIRE_OK(consumer.Seek({"t", 0}, 3));
  auto first = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(first);
  REQUIRE(first->count() == 7);
  CHECK(first->begin()->offset() == 3);
  REQUIRE_OK(consumer.Seek({"t", 0}, 45));
  std::vector<Got> rest = PollN(consumer, 55);
  REQUIRE(rest.size() == 55);
  for (size_t i = 0; i < rest.size(); ++i) {
    CHECK(rest[i].offset == 45 + static_cast<int64_t>(i));
    CHECK(rest[i].value == value_of(45 + static_cast<int64_t>(i)));
  }
  // A Seek to where the consumer already is changes nothing.
  REQUIRE_OK(consumer.Seek({"t", 0}, 10));
  auto ten = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(ten);
  REQUIRE(ten->count() == 7);
  CHECK(ten->begin()->offset() == 10);
  REQUIRE_OK(consumer.Seek({"t", 0}, 17));
  auto same = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(same);
  REQUIRE(!same->empty());
  CHECK(same->begin()->offset() == 17);
}

TEST_CASE("a Poll that ended on the last record of a fetch goes on at once", "[client][consumer]") {
  BrokerCase c = OpenBroker(GENERATE(true, false));
  REQUIRE_OK(c.broker->CreateTopic("t"));
  for (int b = 0; b < 5; ++b) AppendBatch(c.broker.get(), "t", 0, Values(absl::StrCat(b, "-"), 10));
  ConsumerOptions options = Earliest();
  options.max_poll_records = 10;          // Each Poll ends on a batch's last record,
  options.max_partition_fetch_bytes = 1;  // and each log read holds one batch.
  Consumer consumer(c.broker.get(), options);
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  // Poll(0) cannot wait: the data is there, so every Poll must return it.
  for (int b = 0; b < 5; ++b) {
    auto records = consumer.Poll(absl::ZeroDuration());
    REQUIRE_OK(records);
    REQUIRE(records->count() == 10);
    CHECK(records->begin()->offset() == 10 * b);
  }
}

TEST_CASE("auto.offset.reset=none fails naming the partition", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("orders", {.partitions = 2}));
  AppendBatch(c.broker.get(), "orders", 1, Values("v", 3));
  Consumer consumer(c.broker.get(), {.auto_offset_reset = OffsetReset::kNone});
  REQUIRE_OK(consumer.Assign({{"orders", 1}}));
  auto records = consumer.Poll(absl::Milliseconds(1));
  CHECK(absl::IsFailedPrecondition(records.status()));
  CHECK(absl::StrContains(records.status().message(), "orders-1"));
  CHECK(absl::IsFailedPrecondition(consumer.Position({"orders", 1}).status()));

  REQUIRE_OK(consumer.Seek({"orders", 1}, 1));
  auto got = PollN(consumer, 2);
  CHECK(Offsets(got) == std::vector<int64_t>{1, 2});

  // Past the log end: out of range, and no policy to reset it.
  REQUIRE_OK(consumer.Seek({"orders", 1}, 50));
  records = consumer.Poll(absl::Milliseconds(1));
  CHECK(absl::IsOutOfRange(records.status()));
  CHECK(absl::StrContains(records.status().message(), "orders-1=50"));
}

TEST_CASE("a position that retention deleted is reset by auto.offset.reset",
          "[client][consumer][retention]") {
  OffsetReset reset = GENERATE(OffsetReset::kEarliest, OffsetReset::kLatest, OffsetReset::kNone);
  INFO("reset " << static_cast<int>(reset));
  ManualClock clock(absl::FromUnixMillis(kTimestamp));
  BrokerCase c = OpenBroker(false, &clock);
  REQUIRE_OK(c.broker->CreateTopic(
      "t", {.file_delete_delay_ms = 0, .retention_ms = 60'000, .segment_bytes = 1024}));
  for (int i = 0; i < 30; ++i)
    AppendBatch(c.broker.get(), "t", 0, {absl::StrCat("old-", i, std::string(100, 'x'))});
  Consumer consumer(c.broker.get(), {.auto_offset_reset = reset});
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  REQUIRE_OK(consumer.Seek({"t", 0}, 2));
  auto first = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(first);
  REQUIRE(!first->empty());
  REQUIRE_OK(consumer.Seek({"t", 0}, 3));
  // An hour later the old segments go; new records arrive after them.
  clock.Advance(absl::Hours(1));
  REQUIRE_OK(c.broker->RunMaintenance());
  Partition* p = c.broker->topic("t")->partition(0);
  int64_t log_start = p->log_start_offset();
  REQUIRE(log_start > 3);
  AppendBatch(c.broker.get(), "t", 0, Values("new-", 3), format::CompressionType::kNone,
              clock.NowMs());
  auto records = consumer.Poll(absl::Milliseconds(1));
  if (reset == OffsetReset::kNone) {
    CHECK(absl::IsOutOfRange(records.status()));
    CHECK(absl::StrContains(records.status().message(), "t-0=3"));
    return;
  }
  REQUIRE_OK(records);
  if (reset == OffsetReset::kEarliest) {
    REQUIRE(!records->empty());
    CHECK(records->begin()->offset() == log_start);
  } else {
    // latest: the high watermark when the reset happened; nothing before it.
    CHECK(records->empty());
    CHECK(*consumer.Position({"t", 0}) == p->high_watermark());
  }
}

TEST_CASE("records stay valid until the next Poll, even after retention or deletion",
          "[client][consumer][lifetime]") {
  using format::CompressionType;
  CompressionType codec = GENERATE(CompressionType::kNone, CompressionType::kLz4);
  bool delete_topic = GENERATE(false, true);
  ManualClock clock(absl::FromUnixMillis(kTimestamp));
  BrokerCase c = OpenBroker(GENERATE(true, false), &clock);
  REQUIRE_OK(c.broker->CreateTopic(
      "t", {.file_delete_delay_ms = 0, .retention_ms = 60'000, .segment_bytes = 1024}));
  for (int b = 0; b < 10; ++b)
    AppendBatch(c.broker.get(), "t", 0, Values(absl::StrCat("b", b, "-"), 10), codec);
  Consumer consumer(c.broker.get(), Earliest());
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  auto records = consumer.Poll(absl::Seconds(10));
  REQUIRE_OK(records);
  REQUIRE(records->count() == 100);
  // Every segment those records view is deleted (or the whole topic).
  clock.Advance(absl::Hours(1));
  AppendBatch(c.broker.get(), "t", 0, {"new"}, codec, clock.NowMs());
  if (delete_topic) {
    REQUIRE_OK(c.broker->DeleteTopic("t"));
  } else {
    REQUIRE_OK(c.broker->RunMaintenance());
    REQUIRE_OK(c.broker->RunMaintenance());
    REQUIRE(c.broker->topic("t")->partition(0)->log_start_offset() == 100);
  }
  int i = 0;
  for (const ConsumerRecord& r : *records) {
    CHECK(r.value() == absl::StrCat("b", i / 10, "-", i % 10));
    CHECK(r.key() == absl::StrCat("k", i % 10));
    ++i;
  }
}

TEST_CASE("a topic deleted while assigned gives a clear error and leaves the assignment",
          "[client][consumer]") {
  BrokerCase c = OpenBroker(GENERATE(true, false));
  REQUIRE_OK(c.broker->CreateTopic("gone", {.partitions = 2}));
  REQUIRE_OK(c.broker->CreateTopic("kept"));
  AppendBatch(c.broker.get(), "gone", 0, Values("g", 3));
  AppendBatch(c.broker.get(), "kept", 0, Values("k", 3));
  Consumer consumer(c.broker.get(), Earliest());
  REQUIRE_OK(consumer.Assign({{"gone", 0}, {"gone", 1}, {"kept", 0}}));
  REQUIRE_OK(c.broker->DeleteTopic("gone"));
  auto records = consumer.Poll(absl::Seconds(10));
  CHECK(absl::IsNotFound(records.status()));
  CHECK(absl::StrContains(records.status().message(), "gone-0, gone-1"));
  CHECK(consumer.Assignment() == std::vector<TopicPartition>{{"kept", 0}});
  auto got = PollN(consumer, 3);
  CHECK(got.size() == 3);

  // A topic re-created under the name is a new topic: assigning works again.
  REQUIRE_OK(c.broker->CreateTopic("gone"));
  AppendBatch(c.broker.get(), "gone", 0, Values("new", 1));
  REQUIRE_OK(consumer.Assign({{"gone", 0}}));
  got = PollN(consumer, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].value == "new0");
}

TEST_CASE("a blocked Poll notices its topic being deleted", "[client][consumer][threads]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  Consumer consumer(c.broker.get());
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  std::atomic<bool> polling{false};
  absl::Status status;
  std::thread poller([&] {
    polling = true;
    status = consumer.Poll(absl::Seconds(1)).status();
  });
  while (!polling) std::this_thread::yield();
  REQUIRE_OK(c.broker->DeleteTopic("t"));
  poller.join();
  CHECK(absl::IsNotFound(status));
  CHECK(consumer.Assignment().empty());
}

TEST_CASE("Assign checks topics and partitions, and takes added partitions", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  Consumer consumer(c.broker.get(), Earliest());
  absl::Status missing = consumer.Assign({{"nope", 0}});
  CHECK(absl::IsNotFound(missing));
  CHECK(absl::StrContains(missing.message(), "'nope' does not exist"));
  absl::Status beyond = consumer.Assign({{"t", 0}, {"t", 2}});
  CHECK(absl::IsNotFound(beyond));
  CHECK(absl::StrContains(beyond.message(), "t-2 does not exist: topic 't' has 2 partitions"));
  CHECK(consumer.Assignment().empty());  // A failed Assign changes nothing.
  CHECK(absl::IsInvalidArgument(consumer.Assign({{"t", -1}})));
  CHECK(absl::IsFailedPrecondition(consumer.Poll(absl::ZeroDuration()).status()));

  REQUIRE_OK(c.broker->CreatePartitions("t", 3));
  AppendBatch(c.broker.get(), "t", 2, Values("v", 2));
  REQUIRE_OK(consumer.Assign({{"t", 2}, {"t", 2}, {"t", 0}}));
  CHECK(consumer.Assignment() == std::vector<TopicPartition>{{"t", 0}, {"t", 2}});
  CHECK(PollN(consumer, 2).size() == 2);
  // Re-assigning keeps the positions of partitions that stay.
  REQUIRE_OK(consumer.Assign({{"t", 2}, {"t", 1}}));
  CHECK(*consumer.Position({"t", 2}) == 2);
  REQUIRE_OK(consumer.Assign({}));
  CHECK(consumer.Assignment().empty());
}

TEST_CASE("control records are skipped, and read_committed refuses transactional batches",
          "[client][consumer][transactions]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  // A transactional batch of two records, then its COMMIT marker, then a
  // plain record.
  format::RecordBatchBuilder builder(format::BatchOptions{
      .producer_id = 7, .producer_epoch = 0, .base_sequence = 0, .is_transactional = true});
  REQUIRE_OK(builder.Append(kTimestamp, "k", "txn-0"));
  REQUIRE_OK(builder.Append(kTimestamp, "k", "txn-1"));
  auto bytes = builder.Build();
  REQUIRE_OK(bytes);
  broker::PartitionImpl* p = PartitionOf(c.broker.get(), "t", 0);
  REQUIRE_OK(p->Append(*bytes, storage::AppendOrigin::kClient, true));
  format::RecordBatchBuilder marker_builder;
  auto marker = format::BuildEndTxnMarkerBatch({.type = format::ControlRecordType::kCommit}, 7, 0,
                                               2, kTimestamp, &marker_builder);
  REQUIRE_OK(marker);
  // As a follower would append it (offsets kept): the log's client and
  // coordinator paths refuse a marker's baseSequence of -1.
  ByteBuffer marker_bytes;
  marker_bytes.Append(*marker);
  REQUIRE_OK(p->Append(marker_bytes.mutable_span(), storage::AppendOrigin::kReplication, true));
  AppendBatch(c.broker.get(), "t", 0, {"plain"});
  REQUIRE(p->high_watermark() == 4);

  Consumer uncommitted(c.broker.get(), Earliest());
  REQUIRE_OK(uncommitted.Assign({{"t", 0}}));
  auto got = PollN(uncommitted, 3);
  CHECK(Offsets(got) == std::vector<int64_t>{0, 1, 3});
  CHECK(*uncommitted.Position({"t", 0}) == 4);

  ConsumerOptions options = Earliest();
  options.isolation_level = IsolationLevel::kReadCommitted;
  Consumer committed(c.broker.get(), options);
  REQUIRE_OK(committed.Assign({{"t", 0}}));
  auto records = committed.Poll(absl::Seconds(1));
  CHECK(absl::IsUnimplemented(records.status()));
  CHECK(absl::StrContains(records.status().message(), "t-0"));
  // Past the transaction it reads on.
  REQUIRE_OK(committed.Seek({"t", 0}, 2));
  got = PollN(committed, 1);
  CHECK(Offsets(got) == std::vector<int64_t>{3});
}

TEST_CASE("fetch.max.bytes and max.partition.fetch.bytes limit a Poll but always return a batch",
          "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  std::string big(4000, 'x');
  for (int b = 0; b < 3; ++b) {
    AppendBatch(c.broker.get(), "t", 0, {big, big});
    AppendBatch(c.broker.get(), "t", 1, {big, big});
  }
  SECTION("max.partition.fetch.bytes below one batch: one batch per Poll, partitions alternate") {
    ConsumerOptions options = Earliest();
    options.max_partition_fetch_bytes = 100;
    Consumer consumer(c.broker.get(), options);
    REQUIRE_OK(consumer.Assign({{"t", 0}, {"t", 1}}));
    std::vector<TopicPartition> served;
    for (int i = 0; i < 6; ++i) {
      auto records = consumer.Poll(absl::Seconds(10));
      REQUIRE_OK(records);
      REQUIRE(records->count() == 2);  // One whole batch.
      REQUIRE(records->partitions().size() == 1);
      served.push_back(records->partitions()[0]);
    }
    CHECK(served ==
          std::vector<TopicPartition>{{"t", 0}, {"t", 1}, {"t", 0}, {"t", 1}, {"t", 0}, {"t", 1}});
  }
  SECTION("fetch.max.bytes covers two batches in all") {
    ConsumerOptions options = Earliest();
    options.fetch_max_bytes = 17'000;
    Consumer consumer(c.broker.get(), options);
    REQUIRE_OK(consumer.Assign({{"t", 0}, {"t", 1}}));
    auto records = consumer.Poll(absl::Seconds(10));
    REQUIRE_OK(records);
    CHECK(records->count() == 4);
    CHECK(PollN(consumer, 8).size() == 8);
  }
}

TEST_CASE("fetch.min.bytes waits up to fetch.max.wait.ms for more", "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  AppendBatch(c.broker.get(), "t", 0, {"small"});
  ConsumerOptions options = Earliest();
  options.fetch_min_bytes = 1 << 20;
  options.fetch_max_wait_ms = 20;
  Consumer consumer(c.broker.get(), options);
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  absl::Time start = absl::Now();
  auto records = consumer.Poll(absl::Seconds(60));
  REQUIRE_OK(records);
  CHECK(records->count() == 1);
  CHECK(absl::Now() - start < absl::Seconds(30));  // fetch.max.wait.ms, not the timeout.
}

TEST_CASE("many producer threads and one consumer: nothing lost, each partition in order",
          "[client][consumer][threads]") {
  BrokerCase c = OpenBroker(GENERATE(true, false));
  constexpr int kPartitions = 4, kThreads = 4, kPerThread = 3000;
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = kPartitions}));
  Consumer consumer(c.broker.get(), Earliest());
  std::vector<TopicPartition> all;
  for (int32_t p = 0; p < kPartitions; ++p) all.push_back({"t", p});
  REQUIRE_OK(consumer.Assign(all));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      Producer producer(c.broker.get(), {.batch_size = 512, .linger_ms = 0});
      for (int i = 0; i < kPerThread; ++i) {
        producer.Send(
            {.topic = "t", .partition = (t + i) % kPartitions, .value = absl::StrCat(t, ":", i)},
            nullptr);
      }
      producer.Flush();
    });
  }
  std::map<int32_t, int64_t> next_offset;
  std::map<std::pair<int32_t, int>, int> last;  // (partition, thread) -> last i seen.
  std::map<std::string, int> seen;
  int polls_without_records = 0;
  while (seen.size() < static_cast<size_t>(kThreads * kPerThread) && polls_without_records < 10) {
    auto records = consumer.Poll(absl::Seconds(1));
    REQUIRE_OK(records);
    if (records->empty()) ++polls_without_records;
    for (const ConsumerRecord& r : *records) {
      CHECK(r.offset() == next_offset[r.partition()]);
      next_offset[r.partition()] = r.offset() + 1;
      std::string value(*r.value());
      ++seen[value];
      int t = std::stoi(value.substr(0, value.find(':')));
      int i = std::stoi(value.substr(value.find(':') + 1));
      auto key = std::make_pair(r.partition(), t);
      if (last.contains(key)) CHECK(i > last[key]);
      last[key] = i;
    }
  }
  for (auto& th : threads) th.join();
  CHECK(seen.size() == static_cast<size_t>(kThreads * kPerThread));
  for (const auto& [value, n] : seen) CHECK(n == 1);
}

TEST_CASE("Poll and the other calls fail cleanly without an assignment or after Close",
          "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t"));
  Consumer consumer(c.broker.get());
  auto none = consumer.Poll(absl::ZeroDuration());
  CHECK(absl::IsFailedPrecondition(none.status()));
  CHECK(absl::StrContains(none.status().message(), "not subscribed to any topics or assigned"));
  CHECK(absl::IsInvalidArgument(consumer.Poll(-absl::Seconds(1)).status()));
  REQUIRE_OK(consumer.Assign({{"t", 0}}));
  REQUIRE_OK(consumer.Close());
  REQUIRE_OK(consumer.Close());
  CHECK(consumer.Assignment().empty());
  CHECK(absl::IsFailedPrecondition(consumer.Poll(absl::ZeroDuration()).status()));
  CHECK(absl::IsFailedPrecondition(consumer.Assign({{"t", 0}})));
  CHECK(absl::IsFailedPrecondition(consumer.EndOffsets({{"t", 0}}).status()));
}

TEST_CASE("consumer configs are read by Kafka name and validated", "[client][consumer][config]") {
  auto o = ConsumerOptions::FromProperties({
      {"auto.offset.reset", "earliest"},
      {"max.poll.records", "10"},
      {"fetch.min.bytes", "100"},
      {"fetch.max.wait.ms", "7"},
      {"max.partition.fetch.bytes", "2048"},
      {"fetch.max.bytes", "4096"},
      {"isolation.level", "read_committed"},
      {"check.crcs", "false"},
      {"session.timeout.ms", "10000"},
      {"heartbeat.interval.ms", "1000"},
      {"max.poll.interval.ms", "60000"},
      {"group.instance.id", "worker-1"},
      {"partition.assignment.strategy",
       "org.apache.kafka.clients.consumer.RoundRobinAssignor, cooperative-sticky"},
      {"client.id", "reader"},
  });
  REQUIRE_OK(o);
  CHECK(o->auto_offset_reset == OffsetReset::kEarliest);
  CHECK(o->max_poll_records == 10);
  CHECK(o->fetch_min_bytes == 100);
  CHECK(o->fetch_max_wait_ms == 7);
  CHECK(o->max_partition_fetch_bytes == 2048);
  CHECK(o->fetch_max_bytes == 4096);
  CHECK(o->isolation_level == IsolationLevel::kReadCommitted);
  CHECK(!o->check_crcs);
  CHECK(o->group_instance_id == "worker-1");
  CHECK(o->partition_assignment_strategy ==
        std::vector<Assignor>{Assignor::kRoundRobin, Assignor::kCooperativeSticky});
  CHECK(o->client_id == "reader");
  CHECK(!o->enable_auto_commit);  // No group: auto commit is off, as in Kafka.

  ConsumerOptions defaults;
  CHECK(defaults.auto_offset_reset == OffsetReset::kLatest);
  CHECK(defaults.max_poll_records == 500);
  CHECK(defaults.fetch_max_bytes == 52'428'800);
  CHECK(defaults.max_partition_fetch_bytes == 1'048'576);
  CHECK(defaults.isolation_level == IsolationLevel::kReadUncommitted);
  CHECK(defaults.session_timeout_ms == 45'000);

  auto unknown = ConsumerOptions::FromProperties({{"bootstrap.servers", "x:9092"}});
  CHECK(absl::IsInvalidArgument(unknown.status()));
  CHECK(absl::StrContains(unknown.status().message(), "bootstrap.servers"));
  auto bad = ConsumerOptions::FromProperties({{"auto.offset.reset", "smallest"}});
  CHECK(absl::StrContains(bad.status().message(), "auto.offset.reset"));
  auto zero = ConsumerOptions::FromProperties({{"max.poll.records", "0"}});
  CHECK(absl::StrContains(zero.status().message(), "max.poll.records"));
  auto commit = ConsumerOptions::FromProperties({{"enable.auto.commit", "true"}});
  CHECK(absl::StrContains(commit.status().message(), "enable.auto.commit"));
  auto assignor = ConsumerOptions::FromProperties({{"partition.assignment.strategy", "fair"}});
  CHECK(absl::StrContains(assignor.status().message(), "partition.assignment.strategy"));
  auto instance = ConsumerOptions::FromProperties({{"group.instance.id", "a b"}});
  CHECK(absl::StrContains(instance.status().message(), "group.instance.id"));

  BrokerCase c = OpenBroker(true);
  auto invalid = Consumer::Create(c.broker.get(), {.max_poll_records = -1});
  CHECK(absl::IsInvalidArgument(invalid.status()));
  CHECK(absl::StrContains(invalid.status().message(), "max.poll.records"));
  auto group = Consumer::Create(c.broker.get(), {.group_id = "billing"});
  REQUIRE_OK(group);
  Consumer no_group(c.broker.get(), {.enable_auto_commit = false});
  auto subscribed = no_group.Subscribe({"t"});
  CHECK(absl::IsInvalidArgument(subscribed));
  CHECK(absl::StrContains(subscribed.message(), "group.id"));
  CHECK(absl::IsInvalidArgument(no_group.CommitSync()));
}

TEST_CASE("CurrentLag is the high watermark minus the position, once there is a position",
          "[client][consumer]") {
  BrokerCase c = OpenBroker(true);
  REQUIRE_OK(c.broker->CreateTopic("t", {.partitions = 2}));
  AppendBatch(c.broker.get(), "t", 0, Values("a", 5));
  ConsumerOptions o = Earliest();
  o.max_poll_records = 2;
  Consumer consumer(c.broker.get(), o);
  TopicPartition tp{"t", 0};
  CHECK(absl::IsFailedPrecondition(consumer.CurrentLag(tp).status()));  // Not assigned.
  REQUIRE_OK(consumer.Assign({tp}));
  auto lag = [&]() -> std::optional<int64_t> {
    auto l = consumer.CurrentLag(tp);
    REQUIRE_OK(l);
    return *l;
  };
  CHECK(lag() == std::nullopt);  // No position before the first Poll.
  CHECK(PollN(consumer, 2).size() == 2);
  CHECK(lag() == 3);
  AppendBatch(c.broker.get(), "t", 0, Values("b", 4));
  CHECK(lag() == 7);  // No Poll needed to see the new high watermark.
  CHECK(PollN(consumer, 7).size() == 7);
  CHECK(lag() == 0);
  REQUIRE_OK(consumer.Seek(tp, 4));
  CHECK(lag() == 5);
  REQUIRE_OK(consumer.SeekToBeginning({tp}));
  CHECK(lag() == std::nullopt);  // The pending reset decides.
  REQUIRE_OK(consumer.Position(tp));
  CHECK(lag() == 9);
  REQUIRE_OK(consumer.Close());
  CHECK(absl::IsFailedPrecondition(consumer.CurrentLag(tp).status()));
}

TEST_CASE("heartbeat.interval.ms must be lower than session.timeout.ms in a group",
          "[client][consumer][config]") {
  BrokerCase c = OpenBroker(true);
  ConsumerOptions o{.group_id = "g", .session_timeout_ms = 10'000, .heartbeat_interval_ms = 10'000};
  auto created = Consumer::Create(c.broker.get(), o);
  CHECK(absl::IsInvalidArgument(created.status()));
  CHECK(absl::StrContains(created.status().message(), "heartbeat.interval.ms"));
  CHECK(absl::StrContains(created.status().message(), "session.timeout.ms"));
  auto props = ConsumerOptions::FromProperties(
      {{"group.id", "g"}, {"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "6001"}});
  CHECK(absl::IsInvalidArgument(props.status()));
  o.heartbeat_interval_ms = 9'999;
  REQUIRE_OK(Consumer::Create(c.broker.get(), o));
  // Kafka checks it only when building the group coordinator's heartbeat.
  o.group_id.clear();
  o.enable_auto_commit = false;
  o.heartbeat_interval_ms = 20'000;
  REQUIRE_OK(Consumer::Create(c.broker.get(), o));
}

}  // namespace
}  // namespace rill
