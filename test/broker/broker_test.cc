#include "rill/broker.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/broker/broker_impl.h"
#include "lib/format/record_batch_builder.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill {
namespace {

using testing::TempDir;

BrokerOptions Deterministic(Clock* clock) {
  BrokerOptions o;
  o.clock = clock;
  o.background_threads = false;
  return o;
}

BrokerOptions Manual() {
  BrokerOptions o;
  o.background_threads = false;
  return o;
}

BrokerOptions ReadOnly() {
  BrokerOptions o = Manual();
  o.read_only = true;
  return o;
}

// Appends one record to a partition through the internal path.
void AppendOne(Broker* broker, const std::string& topic, int32_t partition, absl::string_view value) {
  auto* impl = static_cast<broker::BrokerImpl*>(broker);
  format::RecordBatchBuilder builder;
  REQUIRE_OK(builder.Append(1'700'000'000'000, "k", value));
  auto bytes = builder.Build();
  REQUIRE_OK(bytes);
  REQUIRE_OK(impl->topic_impl(topic)->partition_impl(partition)->Append(
      *bytes, storage::AppendOrigin::kClient, true));
}

TEST_CASE("recovery_report says what opening the directory recovered", "[broker][recovery]") {
  TempDir dir;
  std::string live = dir.Join("live"), copy = dir.Join("copy");
  auto broker = Broker::Open(live, Manual());
  REQUIRE_OK(broker);
  // A new directory had nothing to recover.
  CHECK((*broker)->recovery_report().clean_shutdown);
  CHECK((*broker)->recovery_report().partitions == 0);
  REQUIRE_OK((*broker)->CreateTopic("t", {.partitions = 2}));
  for (int i = 0; i < 50; ++i) AppendOne(broker->get(), "t", 0, "value");
  // t-1 appends fast enough to get zeros ahead (BrokerOptions::
  // zero_fill_ahead): recovery cuts them, but they are no truncation.
  for (int i = 0; i < 300; ++i) AppendOne(broker->get(), "t", 1, std::string(1000, 'v'));
  // A copy taken while the broker runs is what a killed process leaves:
  // no clean-shutdown marker. Then a torn write at the tail of t-0: 100
  // bytes of garbage where the next batch would start (the file may go on
  // with zeros written ahead, which recovery cuts too).
  std::filesystem::copy(live, copy, std::filesystem::copy_options::recursive);
  auto data_end_of = [](const std::string& path) {  // Past the last batch.
    uint64_t end = 0;
    std::ifstream in(path, std::ios::binary);
    unsigned char frame[12];
    while (in.seekg(static_cast<std::streamoff>(end)) &&
           in.read(reinterpret_cast<char*>(frame), 12)) {
      uint32_t length =
          (uint32_t{frame[8]} << 24) | (frame[9] << 16) | (frame[10] << 8) | frame[11];
      if (length == 0) break;
      end += 12 + length;
    }
    return end;
  };
  const std::string copied_log = copy + "/t-0/00000000000000000000.log";
  const uint64_t data_end = data_end_of(copied_log);
  CHECK(data_end > 0);
  const std::string zeros_log = copy + "/t-1/00000000000000000000.log";
  const uint64_t zeros = std::filesystem::file_size(zeros_log) - data_end_of(zeros_log);
  CHECK(zeros > 0);
  {
    std::fstream log(copied_log, std::ios::binary | std::ios::in | std::ios::out);
    log.seekp(static_cast<std::streamoff>(data_end));
    log << std::string(100, '\x7f');
  }
  const uint64_t cut =
      std::max<uint64_t>(std::filesystem::file_size(copied_log), data_end + 100) - data_end;
  REQUIRE_OK((*broker)->Close());

  auto recovered = Broker::Open(copy, Manual());
  REQUIRE_OK(recovered);
  const RecoveryReport& r = (*recovered)->recovery_report();
  CHECK_FALSE(r.clean_shutdown);
  CHECK(r.partitions == 2);
  CHECK(r.segments == 2);
  CHECK(r.recovered_segments == 2);
  CHECK(r.recovered_bytes > 0);
  CHECK(r.truncated_bytes == cut + zeros);
  REQUIRE(r.truncations.size() == 1);
  CHECK(
      absl::StartsWith(r.truncations[0], absl::StrCat("t-0: ", cut, " bytes cut from offset 50")));
  CHECK((*recovered)->topic("t")->partition(0)->log_end_offset() == 50);
  REQUIRE_OK((*recovered)->Close());

  auto clean = Broker::Open(copy, Manual());
  REQUIRE_OK(clean);
  CHECK(clean.value()->recovery_report().clean_shutdown);
  CHECK(clean.value()->recovery_report().recovered_segments == 0);
  CHECK(clean.value()->recovery_report().truncations.empty());

  auto memory = Broker::OpenInMemory(Manual());
  REQUIRE_OK(memory);
  CHECK((*memory)->recovery_report().clean_shutdown);
}

TEST_CASE("topics are created, described, listed and deleted", "[broker]") {
  ManualClock clock;
  auto broker = Broker::OpenInMemory(Deterministic(&clock));
  REQUIRE_OK(broker);
  auto topic = (*broker)->CreateTopic("orders", {.partitions = 3, .retention_ms = 3'600'000});
  REQUIRE_OK(topic);
  CHECK((*topic)->name() == "orders");
  CHECK((*topic)->partition_count() == 3);
  CHECK((*topic)->topic_id().size() == 22);
  AppendOne(broker->get(), "orders", 1, "v");
  auto d = (*broker)->DescribeTopic("orders");
  REQUIRE_OK(d);
  REQUIRE(d->partitions.size() == 3);
  CHECK(d->partitions[1].log_end_offset == 1);
  CHECK(d->partitions[1].high_watermark == 1);
  CHECK(d->partitions[0].log_end_offset == 0);
  CHECK(d->options.retention_ms == 3'600'000);
  CHECK((*broker)->ListTopics() == std::vector<std::string>{"orders"});
  REQUIRE_OK((*broker)->DeleteTopic("orders"));
  CHECK((*broker)->ListTopics().empty());
  CHECK(absl::IsNotFound((*broker)->DeleteTopic("orders")));
  CHECK((*broker)->topic("orders") == nullptr);
}

TEST_CASE("topic names follow Kafka's rules with Kafka's messages", "[broker]") {
  auto broker = Broker::OpenInMemory(Manual());
  REQUIRE_OK(broker);
  auto check = [&](const std::string& name, absl::string_view message) {
    absl::Status s = (*broker)->CreateTopic(name).status();
    INFO(name << ": " << s);
    CHECK(absl::IsInvalidArgument(s));
    CHECK(absl::StrContains(s.message(), message));
  };
  check("", "the empty string is not allowed");
  check(".", "'.' is not allowed");
  check("..", "'..' is not allowed");
  check(std::string(250, 'a'), "longer than the max allowed length 249");
  check("a b", "characters other than ASCII alphanumerics, '.', '_' and '-'");
  check("ünï", "characters other than ASCII alphanumerics");
  check("__consumer_offsets", "reserved for internal topics");
  REQUIRE_OK((*broker)->CreateTopic(std::string(249, 'a')));
  REQUIRE_OK((*broker)->CreateTopic("metrics.cpu"));
  check("metrics_cpu", "collides with existing topic: metrics.cpu");
  CHECK(absl::IsAlreadyExists((*broker)->CreateTopic("metrics.cpu").status()));
}

TEST_CASE("a topic with the longest legal name lives on disk across a restart", "[broker]") {
  TempDir dir;
  const std::string name(249, 'a');  // File names stop at 255 characters.
  {
    auto broker = Broker::Open(dir.path(), Manual());
    REQUIRE_OK(broker);
    REQUIRE_OK((*broker)->CreateTopic(name, {.partitions = 2}));
    REQUIRE_OK((*broker)->AlterConfigs(name, {{"retention.ms", "1000"}}));
    REQUIRE_OK((*broker)->Close());
  }
  auto broker = Broker::Open(dir.path(), Manual());
  REQUIRE_OK(broker);
  CHECK((*broker)->ListTopics() == std::vector<std::string>{name});
  CHECK((*broker)->topic(name)->options().retention_ms == 1000);
  REQUIRE_OK((*broker)->DeleteTopic(name));
  CHECK((*broker)->ListTopics().empty());
}

TEST_CASE("topic configs are validated and accepted by Kafka name", "[broker][config]") {
  auto broker = Broker::OpenInMemory(Manual());
  REQUIRE_OK(broker);
  CHECK(absl::IsInvalidArgument((*broker)->CreateTopic("t", {.partitions = 0}).status()));
  CHECK(absl::IsInvalidArgument((*broker)->CreateTopic("t", {.segment_bytes = 13}).status()));
  auto opts = TopicOptions::FromProperties({{"retention.ms", "60000"}, {"cleanup.policy", "compact"},
                                            {"message.timestamp.type", "LogAppendTime"},
                                            {"partitions", "2"}});
  REQUIRE_OK(opts);
  CHECK(opts->retention_ms == 60000);
  CHECK(opts->cleanup_policy == CleanupPolicy::kCompact);
  CHECK(opts->message_timestamp_type == TimestampType::kLogAppendTime);
  CHECK(opts->partitions == 2);
  auto unknown = TopicOptions::FromProperties({{"retention.mss", "1"}});
  CHECK(absl::IsInvalidArgument(unknown.status()));
  CHECK(absl::StrContains(unknown.status().message(), "retention.mss"));
  auto bad = TopicOptions::FromProperties({{"segment.bytes", "abc"}});
  CHECK(absl::StrContains(bad.status().message(), "segment.bytes"));
  auto range = TopicOptions::FromProperties({{"min.cleanable.dirty.ratio", "1.5"}});
  CHECK(absl::StrContains(range.status().message(), "min.cleanable.dirty.ratio"));
  CHECK(TopicOptions{}.NonDefaultProperties().empty());
  CHECK(opts->NonDefaultProperties().at("retention.ms") == "60000");
}

TEST_CASE("broker properties set the defaults of new topics", "[broker][config]") {
  auto options = BrokerOptions::FromProperties({{"num.partitions", "4"},
                                                {"log.retention.hours", "2"},
                                                {"log.segment.bytes", "1048576"}});
  REQUIRE_OK(options);
  CHECK(options->default_topic.partitions == 4);
  CHECK(options->default_topic.retention_ms == 2 * 3'600'000);
  options->background_threads = false;
  auto broker = Broker::OpenInMemory(*options);
  REQUIRE_OK(broker);
  auto topic = (*broker)->CreateTopic("t");
  REQUIRE_OK(topic);
  CHECK((*topic)->partition_count() == 4);
  CHECK((*topic)->options().segment_bytes == 1048576);
  // The finest unit wins, as in Kafka.
  auto finer = BrokerOptions::FromProperties({{"log.retention.hours", "2"}, {"log.retention.ms", "5"}});
  REQUIRE_OK(finer);
  CHECK(finer->default_topic.retention_ms == 5);
  CHECK(absl::IsInvalidArgument(BrokerOptions::FromProperties({{"log.nonsense", "1"}}).status()));
}

TEST_CASE("partitions are only ever added", "[broker]") {
  auto broker = Broker::OpenInMemory(Manual());
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t", {.partitions = 2}));
  REQUIRE_OK((*broker)->CreatePartitions("t", 5));
  CHECK((*broker)->topic("t")->partition_count() == 5);
  CHECK((*broker)->topic("t")->partition(4) != nullptr);
  CHECK((*broker)->topic("t")->partition(5) == nullptr);
  absl::Status same = (*broker)->CreatePartitions("t", 5);
  CHECK(absl::StrContains(same.message(), "Topic already has 5 partitions."));
  absl::Status fewer = (*broker)->CreatePartitions("t", 3);
  CHECK(absl::StrContains(fewer.message(), "which is higher than the requested 3"));
}

TEST_CASE("topics, configs and data survive a restart", "[broker]") {
  TempDir dir;
  std::string topic_id;
  {
    auto broker = Broker::Open(dir.path(), Manual());
    REQUIRE_OK(broker);
    REQUIRE_OK((*broker)->CreateTopic("a", {.partitions = 2}));
    REQUIRE_OK((*broker)->AlterConfigs("a", {{"retention.ms", "1234"}}));
    REQUIRE_OK((*broker)->CreatePartitions("a", 3));
    AppendOne(broker->get(), "a", 2, "x");
    topic_id = (*broker)->topic("a")->topic_id();
    REQUIRE_OK((*broker)->Close());
  }
  auto broker = Broker::Open(dir.path(), Manual());
  REQUIRE_OK(broker);
  Topic* a = (*broker)->topic("a");
  REQUIRE(a != nullptr);
  CHECK(a->topic_id() == topic_id);
  CHECK(a->partition_count() == 3);
  CHECK(a->options().retention_ms == 1234);
  CHECK(a->partition(2)->log_end_offset() == 1);
  // Kafka's partition.metadata sits in every partition directory.
  CHECK(std::filesystem::exists(dir.Join("a-0/partition.metadata")));
}

TEST_CASE("a crash in the middle of a create leaves no half-created topic", "[broker]") {
  TempDir dir;
  {
    auto broker = Broker::Open(dir.path(), Manual());
    REQUIRE_OK(broker);
    REQUIRE_OK((*broker)->CreateTopic("kept", {.partitions = 1}));
    REQUIRE_OK((*broker)->Close());
  }
  // What a crash before the topic file was written leaves: partition
  // directories no topic file accounts for, and a stray temporary file.
  std::filesystem::create_directories(dir.Join("half-0"));
  std::filesystem::create_directories(dir.Join("half-1"));
  std::filesystem::create_directories(dir.Join("kept-7"));
  { std::ofstream(dir.Join(".topics/#writing")) << "partitions=2\n"; }
  auto broker = Broker::Open(dir.path(), Manual());
  REQUIRE_OK(broker);
  CHECK((*broker)->ListTopics() == std::vector<std::string>{"kept"});
  CHECK(!std::filesystem::exists(dir.Join("half-0")));
  CHECK(!std::filesystem::exists(dir.Join("kept-7")));
  CHECK(std::filesystem::exists(dir.Join("kept-0")));
}

TEST_CASE("a second broker on the same directory fails naming it and the owner", "[broker]") {
  TempDir dir;
  auto first = Broker::Open(dir.path(), Manual());
  REQUIRE_OK(first);
  auto second = Broker::Open(dir.path(), Manual());
  REQUIRE(absl::IsFailedPrecondition(second.status()));
  CHECK(absl::StrContains(second.status().message(), dir.path()));
  CHECK(absl::StrContains(second.status().message(), "in use by process"));
  // Read-only inspection works beside the owner.
  auto reader = Broker::Open(dir.path(), ReadOnly());
  REQUIRE_OK(reader);
  CHECK(absl::IsFailedPrecondition((*reader)->CreateTopic("x").status()));
}

TEST_CASE("retention runs from RunMaintenance with a manual clock", "[broker][retention]") {
  ManualClock clock(absl::FromUnixMillis(1'700'000'000'000));
  auto broker = Broker::OpenInMemory(Deterministic(&clock));
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t", {.file_delete_delay_ms = 0, .retention_ms = 60'000,
                                          .segment_bytes = 1024}));
  for (int i = 0; i < 50; ++i) AppendOne(broker->get(), "t", 0, std::string(100, 'x'));
  Partition* p = (*broker)->topic("t")->partition(0);
  REQUIRE(p->log_end_offset() == 50);
  REQUIRE_OK((*broker)->RunMaintenance());
  CHECK(p->log_start_offset() == 0);  // Records carry 2023 timestamps...
  clock.Advance(absl::Hours(24 * 365 * 3));
  REQUIRE_OK((*broker)->RunMaintenance());  // ...three years later they are old.
  CHECK(p->log_start_offset() == 50);
  CHECK(p->log_end_offset() == 50);
}

TEST_CASE("closing is idempotent and later calls fail cleanly", "[broker]") {
  auto broker = Broker::OpenInMemory(BrokerOptions{});
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("t"));
  REQUIRE_OK((*broker)->Close());
  REQUIRE_OK((*broker)->Close());
  CHECK(absl::IsFailedPrecondition((*broker)->CreateTopic("u").status()));
}

}  // namespace
}  // namespace rill
