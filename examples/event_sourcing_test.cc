// The event-sourcing example on an in-memory broker with a ManualClock:
// commands, a restart from the snapshot, compaction of the snapshot topic
// by RunMaintenance(), tombstones of closed accounts, and a crash between
// an event and its snapshot.

#include "examples/event_sourcing.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "test/support/status_matchers.h"

namespace event_sourcing {
namespace {

class Fixture {
 public:
  Fixture() {
    rill::BrokerOptions options;
    options.clock = &clock;
    options.background_threads = false;
    auto opened = rill::Broker::OpenInMemory(options);
    REQUIRE_OK(opened);
    broker = *std::move(opened);
    service_options.snapshot_segment_bytes = 1024;
    service_options.snapshot_delete_retention_ms = 60'000;
  }
  ~Fixture() { broker->Close().IgnoreError(); }  // Tests check Close where it matters.

  std::unique_ptr<AccountService> Start() {
    auto service = AccountService::Start(broker.get(), service_options);
    REQUIRE_OK(service);
    return *std::move(service);
  }
  rill::Partition* snapshot() const { return broker->topic(kBalancesTopic)->partition(0); }

  rill::ManualClock clock;
  std::unique_ptr<rill::Broker> broker;
  ServiceOptions service_options;
};

TEST_CASE("commands change balances and invalid ones are refused", "[examples]") {
  Fixture f;
  auto service = f.Start();
  REQUIRE_OK(service->Deposit("alice", 100));
  REQUIRE_OK(service->Withdraw("alice", 30));
  CHECK(service->Balance("alice") == 70);
  CHECK(service->Withdraw("alice", 71).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(service->Withdraw("bob", 1).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(service->Deposit("alice", 0).code() == absl::StatusCode::kInvalidArgument);
  CHECK(service->CloseAccount("bob").code() == absl::StatusCode::kFailedPrecondition);
  CHECK(service->Balance("alice") == 70);
  // Refused commands leave no event.
  CHECK(f.broker->topic(kEventsTopic)->partition(0)->log_end_offset() == 2);
}

TEST_CASE("a restarted service rebuilds the balances from the compacted snapshot", "[examples]") {
  Fixture f;
  std::map<std::string, int64_t> before;
  {
    auto service = f.Start();
    for (int i = 0; i < 300; ++i) {
      std::string account = absl::StrCat("acct-", i % 5);
      REQUIRE_OK(service->Deposit(account, 10 + i));
      if (i % 4 == 0) REQUIRE_OK(service->Withdraw(account, 5));
    }
    before = service->Balances();
  }
  uint64_t size_before = f.snapshot()->size_bytes();
  REQUIRE_OK(f.broker->RunMaintenance());
  // Five accounts and a position: the cleaned segments hold a few records.
  CHECK(f.snapshot()->size_bytes() < size_before / 4);
  auto restarted = f.Start();
  CHECK(restarted->Balances() == before);
  CHECK(restarted->events_replayed() == 0);
  REQUIRE_OK(restarted->Deposit("acct-0", 1));
  CHECK(restarted->Balance("acct-0") == before["acct-0"] + 1);
}

TEST_CASE("a closed account's tombstone goes after delete.retention.ms", "[examples]") {
  Fixture f;
  {
    auto service = f.Start();
    REQUIRE_OK(service->Deposit("carol", 5));
    REQUIRE_OK(service->CloseAccount("carol"));
    // Enough traffic to roll the tombstone out of the active segment.
    for (int i = 0; i < 100; ++i) REQUIRE_OK(service->Deposit("dave", 1));
  }
  REQUIRE_OK(f.broker->RunMaintenance());
  CHECK_FALSE(f.Start()->Balance("carol").has_value());
  auto tally = f.snapshot()->Compact();
  REQUIRE_OK(tally);
  int64_t records_with_tombstone = tally->records_after;
  f.clock.Advance(absl::Milliseconds(f.service_options.snapshot_delete_retention_ms + 1));
  REQUIRE_OK(f.broker->RunMaintenance());
  tally = f.snapshot()->Compact();
  REQUIRE_OK(tally);
  CHECK(tally->records_after < records_with_tombstone);
  auto restarted = f.Start();
  CHECK_FALSE(restarted->Balance("carol").has_value());
  CHECK(restarted->Balance("dave") == 100);
}

TEST_CASE("events appended after the last snapshot are replayed once on start", "[examples]") {
  Fixture f;
  {
    auto service = f.Start();
    REQUIRE_OK(service->Deposit("erin", 40));
  }
  // A crash after the event reached the log but before its snapshot: the
  // event is in account-events only.
  {
    rill::Producer producer(f.broker.get(), {.linger_ms = 0});
    auto sent = producer.Send(
        {.topic = kEventsTopic, .partition = 0, .key = "erin", .value = "withdraw 15"});
    producer.Flush();
    REQUIRE_OK(sent.get());
  }
  auto service = f.Start();
  CHECK(service->Balance("erin") == 25);
  CHECK(service->events_replayed() == 1);
  // The replay wrote the snapshot: the next start replays nothing.
  auto again = f.Start();
  CHECK(again->Balance("erin") == 25);
  CHECK(again->events_replayed() == 0);
}

}  // namespace
}  // namespace event_sourcing
