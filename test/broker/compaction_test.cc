// Compaction through the broker: RunMaintenance() with a ManualClock cleans
// compacted topics (the in-memory file system included), Partition::Compact
// cleans now, and delete-policy topics are left alone.

#include <catch2/catch.hpp>

#include "lib/broker/partition_impl.h"
#include "lib/format/record_batch_builder.h"
#include "rill/broker.h"
#include "test/support/broker_fixture.h"
#include "test/support/status_matchers.h"

namespace rill {
namespace {

void Put(Partition* p, const std::string& key, const std::string& value, int64_t ts) {
  format::RecordBatchBuilder builder;
  REQUIRE(builder.Append(ts, absl::string_view(key), absl::string_view(value)).ok());
  auto built = builder.Build();
  REQUIRE(built.ok());
  auto* impl = static_cast<broker::PartitionImpl*>(p);
  REQUIRE_OK(impl->Append(*built, storage::AppendOrigin::kClient, true));
}

TEST_CASE("RunMaintenance compacts a compacted topic and leaves a delete topic alone",
          "[broker][cleaner]") {
  ManualClock clock;
  auto broker = Broker::OpenInMemory(testing::ManualBrokerOptions(&clock));
  REQUIRE_OK(broker);
  TopicOptions compacted;
  compacted.cleanup_policy = CleanupPolicy::kCompact;
  compacted.segment_bytes = 1024;
  TopicOptions deleting = compacted;
  deleting.cleanup_policy = CleanupPolicy::kDelete;
  deleting.retention_ms = -1;
  REQUIRE_OK((*broker)->CreateTopic("snapshots", compacted));
  REQUIRE_OK((*broker)->CreateTopic("events", deleting));
  Partition* snap = (*broker)->topic("snapshots")->partition(0);
  Partition* events = (*broker)->topic("events")->partition(0);
  for (int i = 0; i < 200; ++i) {
    Put(snap, "key" + std::to_string(i % 5), "value" + std::to_string(i), clock.NowMs());
    Put(events, "key" + std::to_string(i % 5), "value" + std::to_string(i), clock.NowMs());
  }
  uint64_t snap_before = snap->size_bytes(), events_before = events->size_bytes();
  REQUIRE_OK((*broker)->RunMaintenance());
  CHECK(snap->size_bytes() < snap_before / 2);
  CHECK(events->size_bytes() == events_before);
  CHECK(snap->log_end_offset() == 200);

  for (int i = 0; i < 50; ++i) Put(snap, "key" + std::to_string(i % 5), "again", clock.NowMs());
  auto result = snap->Compact();
  REQUIRE_OK(result);
  CHECK(result->bytes_after <= result->bytes_before);
  CHECK(result->records_after <= result->records_before);
  CHECK(result->first_dirty_offset > 200);
  CHECK(events->Compact().status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE_OK((*broker)->Close());
}

TEST_CASE("broker properties name the log cleaner's configs", "[broker][cleaner]") {
  auto options = BrokerOptions::FromProperties({{"log.cleaner.threads", "2"},
                                                {"log.cleaner.dedupe.buffer.size", "1048576"},
                                                {"log.cleaner.io.max.bytes.per.second", "1e6"},
                                                {"log.cleaner.backoff.ms", "100"},
                                                {"log.cleaner.delete.retention.ms", "5"}});
  REQUIRE_OK(options);
  CHECK(options->log_cleaner_threads == 2);
  CHECK(options->log_cleaner_dedupe_buffer_size == 1048576);
  CHECK(options->log_cleaner_io_max_bytes_per_second == 1e6);
  CHECK(options->log_cleaner_backoff_ms == 100);
  CHECK(options->default_topic.delete_retention_ms == 5);
  CHECK_FALSE(BrokerOptions::FromProperties({{"log.cleaner.threads", "-1"}}).ok());
}

TEST_CASE("cleaner threads compact while producers append", "[broker][cleaner]") {
  BrokerOptions options;
  options.log_cleaner_backoff_ms = 1;
  auto broker = Broker::OpenInMemory(options);
  REQUIRE_OK(broker);
  TopicOptions compacted;
  compacted.cleanup_policy = CleanupPolicy::kCompact;
  compacted.segment_bytes = 2048;
  compacted.min_cleanable_dirty_ratio = 0.1;
  REQUIRE_OK((*broker)->CreateTopic("t", compacted));
  Partition* p = (*broker)->topic("t")->partition(0);
  for (int i = 0; i < 3000; ++i) {
    Put(p, "key" + std::to_string(i % 7), "value" + std::to_string(i), 1'700'000'000'000);
  }
  CHECK(p->log_end_offset() == 3000);
  REQUIRE_OK((*broker)->Close());
}

}  // namespace
}  // namespace rill
