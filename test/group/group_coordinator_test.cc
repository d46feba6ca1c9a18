#include "lib/group/group_coordinator.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <latch>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/broker/broker_impl.h"
#include "lib/broker/topic_name.h"
#include "lib/format/record_batch_builder.h"
#include "lib/group/offsets_format.h"
#include "rill/admin.h"
#include "rill/consumer.h"
#include "rill/producer.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill {
namespace {

using testing::TempDir;

struct Env {
  ManualClock clock;
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>();
  std::unique_ptr<Broker> broker;
  BrokerOptions options;

  Env() {
    options.clock = &clock;
    options.background_threads = false;
    options.offsets_topic_num_partitions = 5;
    Reopen();
  }
  void Reopen() {
    broker.reset();
    auto b = Broker::Open(dir->path(), options);
    REQUIRE_OK(b);
    broker = std::move(*b);
  }
  void Topic(const std::string& name, int32_t partitions) {
    REQUIRE_OK(broker->CreateTopic(name, {.partitions = partitions}));
  }
  // Appends `n` records to partition `p`.
  void Produce(const std::string& topic, int32_t p, int n) {
    format::RecordBatchBuilder builder;
    for (int i = 0; i < n; ++i)
      REQUIRE_OK(builder.Append(1'700'000'000'000, "k", absl::StrCat("v", i)));
    auto bytes = builder.Build();
    REQUIRE_OK(bytes);
    auto* impl = static_cast<broker::BrokerImpl*>(broker.get());
    REQUIRE_OK(impl->topic_impl(topic)->partition_impl(p)->Append(
        *bytes, storage::AppendOrigin::kClient, true));
  }
  void Maintain() { REQUIRE_OK(broker->RunMaintenance()); }
};

ConsumerOptions Opts(const std::string& group,
                     std::vector<Assignor> strategy = {Assignor::kRange}) {
  ConsumerOptions o;
  o.group_id = group;
  o.auto_offset_reset = OffsetReset::kEarliest;
  o.enable_auto_commit = false;
  o.partition_assignment_strategy = std::move(strategy);
  return o;
}

std::string Names(absl::Span<const TopicPartition> ps) {
  return absl::StrJoin(
      ps, ",", [](std::string* out, const TopicPartition& tp) { out->append(tp.ToString()); });
}

class Recorder : public ConsumerRebalanceListener {
 public:
  void OnPartitionsRevoked(absl::Span<const TopicPartition> ps) override {
    events.push_back("revoked:" + Names(ps));
  }
  void OnPartitionsAssigned(absl::Span<const TopicPartition> ps) override {
    events.push_back("assigned:" + Names(ps));
  }
  void OnPartitionsLost(absl::Span<const TopicPartition> ps) override {
    events.push_back("lost:" + Names(ps));
  }
  std::vector<std::string> events;
};

int PollCount(Consumer& c) {
  auto records = c.Poll(absl::ZeroDuration());
  REQUIRE_OK(records);
  return static_cast<int>(records->count());
}

// Polls every consumer until they all sit in the same generation of a
// stable group.
void Settle(std::vector<Consumer*> consumers) {
  for (int round = 0; round < 10; ++round) {
    for (Consumer* c : consumers) PollCount(*c);
    std::set<int32_t> generations;
    for (Consumer* c : consumers) generations.insert(c->GroupMetadata().generation_id);
    if (generations.size() == 1 && *generations.begin() >= 0) return;
  }
  FAIL("group did not settle");
}

TEST_CASE("members split partitions, commit, and a later member resumes from the commits",
          "[group][consumer]") {
  Env env;
  env.Topic("orders", 4);
  {
    Consumer a(env.broker.get(), Opts("billing")), b(env.broker.get(), Opts("billing"));
    REQUIRE_OK(a.Subscribe({"orders"}));
    REQUIRE_OK(b.Subscribe({"orders"}));
    Settle({&a, &b});
    CHECK(a.Assignment().size() == 2);
    CHECK(b.Assignment().size() == 2);
    auto d = Admin(env.broker.get()).DescribeGroup("billing");
    REQUIRE_OK(d);
    CHECK(d->state == GroupState::kStable);
    CHECK(d->protocol == "range");
    CHECK(d->members.size() == 2);
    for (int p = 0; p < 4; ++p) env.Produce("orders", p, 5);
    // Consume everything, commit, with metadata on one partition.
    int total = 0;
    for (int i = 0; i < 3; ++i) total += PollCount(a) + PollCount(b);
    CHECK(total == 20);
    REQUIRE_OK(a.CommitSync());
    REQUIRE_OK(b.CommitSync({{b.Assignment()[0], {3, "checkpoint-7", std::nullopt}}}));
    CHECK(a.Close().ok());
    CHECK(b.Close().ok());
  }
  env.Reopen();  // Offsets are reloaded from __consumer_offsets.
  Admin admin(env.broker.get());
  auto offsets = admin.ListGroupOffsets("billing");
  REQUIRE_OK(offsets);
  CHECK(offsets->size() == 3);
  int with_metadata = 0;
  for (const auto& [tp, o] : *offsets)
    with_metadata += o.metadata == "checkpoint-7" && o.offset == 3;
  CHECK(with_metadata == 1);
  Consumer c(env.broker.get(), Opts("billing"));
  REQUIRE_OK(c.Subscribe({"orders"}));
  int again = 0;
  for (int i = 0; i < 4; ++i) again += PollCount(c);
  CHECK(again == 2 + 5);  // The rest of b's partition at offset 3, and the one b never committed.
  auto d = admin.DescribeGroup("billing");
  REQUIRE_OK(d);
  CHECK(d->generation >= 2);  // The generation survived the restart.
}

TEST_CASE("an eager rebalance revokes everything before it assigns the new set",
          "[group][consumer]") {
  Env env;
  env.Topic("t", 4);
  Recorder ra, rb;
  Consumer a(env.broker.get(), Opts("g")), b(env.broker.get(), Opts("g"));
  REQUIRE_OK(a.Subscribe({"t"}, &ra));
  PollCount(a);
  REQUIRE_OK(b.Subscribe({"t"}, &rb));
  Settle({&a, &b});
  CHECK(ra.events == std::vector<std::string>{"assigned:t-0,t-1,t-2,t-3", "revoked:t-0,t-1,t-2,t-3",
                                              "assigned:t-0,t-1"});
  CHECK(rb.events == std::vector<std::string>{"assigned:t-2,t-3"});
  REQUIRE_OK(b.Close());
  CHECK(rb.events.back() == "revoked:t-2,t-3");
  Settle({&a});
  CHECK(a.Assignment().size() == 4);
}

TEST_CASE("cooperative-sticky revokes only the partitions that move", "[group][consumer]") {
  Env env;
  env.Topic("t", 6);
  Recorder ra, rb, rc;
  auto opts = Opts("g", {Assignor::kCooperativeSticky});
  Consumer a(env.broker.get(), opts), b(env.broker.get(), opts), c(env.broker.get(), opts);
  REQUIRE_OK(a.Subscribe({"t"}, &ra));
  REQUIRE_OK(b.Subscribe({"t"}, &rb));
  Settle({&a, &b});
  auto a_before = a.Assignment(), b_before = b.Assignment();
  CHECK(a_before.size() == 3);
  ra.events.clear();
  rb.events.clear();
  REQUIRE_OK(c.Subscribe({"t"}, &rc));
  for (int i = 0; i < 4; ++i) Settle({&a, &b, &c});
  CHECK(a.Assignment().size() == 2);
  CHECK(b.Assignment().size() == 2);
  CHECK(c.Assignment().size() == 2);
  // Each old member revoked exactly one partition, and kept the others throughout.
  for (Recorder* r : {&ra, &rb}) {
    int revoked = 0;
    for (const std::string& e : r->events) {
      if (e.rfind("revoked:", 0) == 0) {
        ++revoked;
        CHECK(e.find(',') == std::string::npos);
      }
    }
    CHECK(revoked == 1);
  }
  for (const auto& tp : a.Assignment())
    CHECK(std::count(a_before.begin(), a_before.end(), tp) == 1);
}

TEST_CASE("a member that stops polling past max.poll.interval.ms is removed and its commit fails",
          "[group][consumer]") {
  Env env;
  env.Topic("t", 2);
  env.Produce("t", 0, 3);
  auto opts = Opts("g");
  opts.max_poll_interval_ms = 10'000;
  Recorder ra;
  Consumer a(env.broker.get(), opts), b(env.broker.get(), opts);
  REQUIRE_OK(a.Subscribe({"t"}, &ra));
  REQUIRE_OK(b.Subscribe({"t"}));
  Settle({&a, &b});
  PollCount(a);
  env.clock.Advance(absl::Seconds(6));
  PollCount(b);  // b stays alive.
  env.clock.Advance(absl::Seconds(6));
  env.Maintain();  // a has not polled for 12 s: it is out.
  PollCount(b);
  CHECK(b.Assignment().size() == 2);
  absl::Status commit = a.CommitSync();
  CHECK(absl::IsFailedPrecondition(commit));
  CHECK(commit.message().find("UNKNOWN_MEMBER_ID") != std::string::npos);
  // Its next Poll reports the partitions lost and rejoins.
  PollCount(a);
  CHECK(ra.events.back().rfind("lost:", 0) == 0);
  Settle({&a, &b});
  CHECK(a.Assignment().size() == 1);
}

TEST_CASE("a static member back within session.timeout.ms keeps its assignment with no rebalance",
          "[group][consumer]") {
  Env env;
  env.Topic("t", 4);
  auto s1 = Opts("g");
  s1.group_instance_id = "worker-1";
  s1.session_timeout_ms = 10'000;
  auto s2 = s1;
  s2.group_instance_id = "worker-2";
  Consumer other(env.broker.get(), s2);
  REQUIRE_OK(other.Subscribe({"t"}));
  std::vector<TopicPartition> mine;
  int32_t generation = 0;
  {
    Consumer a(env.broker.get(), s1);
    REQUIRE_OK(a.Subscribe({"t"}));
    Settle({&a, &other});
    mine = a.Assignment();
    generation = a.GroupMetadata().generation_id;
    REQUIRE_OK(a.Close());  // Static: no LeaveGroup.
  }
  env.clock.Advance(absl::Seconds(5));
  env.Maintain();
  PollCount(other);
  CHECK(other.Assignment().size() == 2);  // Nothing moved while worker-1 is away.
  {
    Consumer back(env.broker.get(), s1);
    REQUIRE_OK(back.Subscribe({"t"}));
    PollCount(back);
    CHECK(back.Assignment() == mine);
    CHECK(back.GroupMetadata().generation_id == generation);
    REQUIRE_OK(back.Close());
  }
  SECTION("past the session timeout its partitions move") {
    env.clock.Advance(absl::Seconds(11));
    env.Maintain();
    Settle({&other});
    CHECK(other.Assignment().size() == 4);
    CHECK(other.GroupMetadata().generation_id > generation);
  }
}

TEST_CASE("commits are fenced by generation and member id and bounded by the log end",
          "[group][offsets]") {
  Env env;
  env.Topic("t", 1);
  env.Produce("t", 0, 3);
  Consumer a(env.broker.get(), Opts("g"));
  REQUIRE_OK(a.Subscribe({"t"}));
  Settle({&a});
  auto* groups = static_cast<broker::BrokerImpl*>(env.broker.get())->groups();
  broker::CommitRequest zombie;
  zombie.group_id = "g";
  zombie.member_id = a.GroupMetadata().member_id;
  zombie.generation = a.GroupMetadata().generation_id - 1;
  zombie.offsets[{"t", 0}] = {1, "", std::nullopt};
  absl::Status s = groups->Commit(zombie);
  CHECK(absl::IsFailedPrecondition(s));
  CHECK(s.message().find("ILLEGAL_GENERATION") != std::string::npos);
  zombie.member_id = "nobody";
  CHECK(groups->Commit(zombie).message().find("UNKNOWN_MEMBER_ID") != std::string::npos);
  CHECK(absl::IsOutOfRange(a.CommitSync({{{"t", 0}, {4, "", std::nullopt}}})));
  CHECK(absl::IsNotFound(a.CommitSync({{{"t", 7}, {0, "", std::nullopt}}})));
  REQUIRE_OK(a.CommitSync({{{"t", 0}, {3, "", std::nullopt}}}));
  // A standalone (Assign) commit is refused while the group has members.
  Consumer standalone(env.broker.get(), Opts("g"));
  REQUIRE_OK(standalone.Assign({{"t", 0}}));
  CHECK(absl::IsFailedPrecondition(standalone.CommitSync({{{"t", 0}, {1, "", std::nullopt}}})));
  REQUIRE_OK(a.Close());
  REQUIRE_OK(standalone.CommitSync({{{"t", 0}, {1, "", std::nullopt}}}));
}

TEST_CASE("commits go to the __consumer_offsets partition Kafka would choose", "[group][offsets]") {
  Env env;
  env.Topic("t", 1);
  env.Produce("t", 0, 1);
  Consumer a(env.broker.get(), Opts("billing"));
  REQUIRE_OK(a.Assign({{"t", 0}}));
  REQUIRE_OK(a.CommitSync({{{"t", 0}, {1, "m", std::nullopt}}}));
  auto d = env.broker->DescribeTopic(broker::kConsumerOffsetsTopic);
  REQUIRE_OK(d);
  CHECK(d->internal);
  CHECK(d->options.cleanup_policy == CleanupPolicy::kCompact);
  int32_t expected = group::OffsetsPartitionFor("billing", 5);
  for (const auto& p : d->partitions) CHECK((p.log_end_offset > 0) == (p.partition == expected));
}

TEST_CASE("offsets of a group empty for offsets.retention.minutes expire as tombstones",
          "[group][offsets]") {
  Env env;
  env.options.offsets_retention_minutes = 60;
  env.Reopen();
  env.Topic("t", 1);
  env.Produce("t", 0, 2);
  {
    Consumer a(env.broker.get(), Opts("g"));
    REQUIRE_OK(a.Subscribe({"t"}));
    Settle({&a});
    PollCount(a);
    REQUIRE_OK(a.CommitSync());
  }
  Admin admin(env.broker.get());
  env.clock.Advance(absl::Minutes(59));
  env.Maintain();
  REQUIRE_OK(admin.ListGroupOffsets("g"));
  env.clock.Advance(absl::Minutes(2));
  env.Maintain();
  CHECK(absl::IsNotFound(admin.ListGroupOffsets("g").status()));
  env.Reopen();
  CHECK(absl::IsNotFound(Admin(env.broker.get()).ListGroupOffsets("g").status()));
}

TEST_CASE("a pattern subscription takes new matching topics; new partitions rebalance",
          "[group][consumer]") {
  Env env;
  env.Topic("events.a", 1);
  env.Topic("other", 1);
  Consumer a(env.broker.get(), Opts("g"));
  REQUIRE_OK(a.SubscribePattern("events\\..*"));
  Settle({&a});
  CHECK(a.Assignment() == std::vector<TopicPartition>{{"events.a", 0}});
  env.Topic("events.b", 2);
  Settle({&a});
  PollCount(a);
  CHECK(a.Assignment().size() == 3);
  REQUIRE_OK(env.broker->CreatePartitions("events.a", 3));
  env.Maintain();
  for (int i = 0; i < 3; ++i) PollCount(a);
  CHECK(a.Assignment().size() == 5);
}

TEST_CASE("admin deletes and resets only groups without members", "[group][admin]") {
  Env env;
  env.Topic("t", 2);
  env.Produce("t", 0, 10);
  env.Produce("t", 1, 4);
  Admin admin(env.broker.get());
  Consumer a(env.broker.get(), Opts("g"));
  REQUIRE_OK(a.Subscribe({"t"}));
  Settle({&a});
  CHECK(absl::IsFailedPrecondition(admin.DeleteGroup("g")));
  CHECK(absl::IsFailedPrecondition(admin.ResetOffsets("g", "t", {}).status()));
  REQUIRE_OK(a.Close());
  auto reset = admin.ResetOffsets("g", "t", {.kind = OffsetResetSpec::Kind::kOffset, .offset = 7});
  REQUIRE_OK(reset);
  CHECK((*reset)[{"t", 0}] == 7);
  CHECK((*reset)[{"t", 1}] == 4);  // Clamped to the log end.
  auto lag = admin.Lag("g");
  REQUIRE_OK(lag);
  REQUIRE(lag->size() == 2);
  CHECK((*lag)[0].lag == 3);
  CHECK((*lag)[1].lag == 0);
  auto groups = admin.ListGroups();
  REQUIRE_OK(groups);
  REQUIRE(groups->size() == 1);
  CHECK((*groups)[0].state == GroupState::kEmpty);
  REQUIRE_OK(admin.DeleteGroup("g"));
  CHECK(absl::IsNotFound(admin.DescribeGroup("g").status()));
}

TEST_CASE("consumers in threads with a producer: each record goes to one member per generation",
          "[group][consumer][threads]") {
  TempDir dir;
  BrokerOptions bo;
  bo.maintenance_interval_ms = 10;
  bo.offsets_topic_num_partitions = 3;
  auto broker = Broker::Open(dir.path(), bo);
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic("jobs", {.partitions = 8}));
  constexpr int kRecords = 4000;
  std::atomic<int> delivered{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  // (generation, partition, offset) -> member: must be unique.
  std::map<std::tuple<int32_t, int32_t, int64_t>, std::string> seen;
  std::set<std::pair<int32_t, int64_t>> distinct;
  bool duplicate_in_generation = false;
  std::atomic<int> subscribe_failures{0};
  auto worker = [&](int id) {
    auto o = Opts("workers", {Assignor::kCooperativeSticky});
    o.client_id = absl::StrCat("w", id);
    Consumer c(broker->get(), o);
    // Catch2 assertions are not thread safe: failures are counted instead.
    if (!c.Subscribe({"jobs"}).ok()) subscribe_failures.fetch_add(1);
    // Worker 0 leaves half way, so partitions move under load.
    for (int polls = 0; !stop.load() && !(id == 0 && delivered.load() > kRecords / 2); ++polls) {
      auto records = c.Poll(absl::Milliseconds(20));
      if (!records.ok()) continue;
      ConsumerGroupMetadata md = c.GroupMetadata();
      {
        std::lock_guard<std::mutex> lock(mu);
        for (const ConsumerRecord& r : *records) {
          auto key = std::make_tuple(md.generation_id, r.partition(), r.offset());
          auto [it, inserted] = seen.emplace(key, md.member_id);
          if (!inserted && it->second != md.member_id) duplicate_in_generation = true;
          if (distinct.insert({r.partition(), r.offset()}).second) delivered.fetch_add(1);
        }
      }
      if (!records->empty()) c.CommitSync().IgnoreError();  // Fenced: someone else re-reads.
    }
    c.Close().IgnoreError();
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(worker, i);
  Producer producer(broker->get(), {.linger_ms = 1});
  for (int i = 0; i < kRecords; ++i) {
    producer.Send({.topic = "jobs", .key = absl::StrCat("k", i), .value = "v"}, nullptr);
  }
  producer.Flush();
  absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (delivered.load() < kRecords && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(5));
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(subscribe_failures.load() == 0);
  CHECK(delivered.load() == kRecords);
  CHECK_FALSE(duplicate_in_generation);
}

TEST_CASE("Close(timeout) commits what was consumed, revokes, and another member takes over",
          "[group][consumer]") {
  Env env;
  env.Topic("t", 2);
  auto opts = Opts("g");
  opts.enable_auto_commit = true;
  Recorder ra, rb;
  Consumer a(env.broker.get(), opts), b(env.broker.get(), opts);
  REQUIRE_OK(a.Subscribe({"t"}, &ra));
  REQUIRE_OK(b.Subscribe({"t"}, &rb));
  Settle({&a, &b});
  env.Produce("t", 0, 3);
  env.Produce("t", 1, 3);
  std::vector<TopicPartition> owned = a.Assignment();
  REQUIRE(owned.size() == 1);
  CHECK(PollCount(a) == 3);
  int32_t generation = b.GroupMetadata().generation_id;
  REQUIRE_OK(a.Close(absl::Seconds(5)));
  CHECK(ra.events.back() == "revoked:" + Names(owned));
  auto committed = b.Committed(owned);
  REQUIRE_OK(committed);
  CHECK(committed->at(owned[0]).offset == 3);  // The auto-commit on close.
  // a left: b's next Poll rebalances, with no timer to wait for, and
  // resumes a's partition after what a consumed.
  int read = 0;
  for (int i = 0; i < 3; ++i) read += PollCount(b);
  CHECK(b.Assignment().size() == 2);
  CHECK(b.GroupMetadata().generation_id == generation + 1);
  CHECK(read == 3);  // Only b's own partition.
  CHECK(rb.events.back() == "assigned:t-0,t-1");
}

TEST_CASE("Close is idempotent, runs commit callbacks, and ends closed after a failed commit",
          "[group][consumer]") {
  Env env;
  env.Topic("t", 1);
  auto opts = Opts("g");
  opts.enable_auto_commit = true;
  opts.max_poll_interval_ms = 10'000;
  Recorder r;
  Consumer c(env.broker.get(), opts);
  REQUIRE_OK(c.Subscribe({"t"}, &r));
  Settle({&c});
  absl::Status async = absl::UnknownError("callback not run");
  c.CommitAsync([&](const auto&, const absl::Status& s) { async = s; });
  CHECK(absl::IsInvalidArgument(c.Close(-absl::Seconds(1))));  // Still open.
  REQUIRE_OK(c.Position({"t", 0}));
  env.clock.Advance(absl::Seconds(11));
  env.Maintain();  // Removed: Poll was not called within max.poll.interval.ms.
  absl::Status closed = c.Close(absl::ZeroDuration());
  CHECK(absl::IsFailedPrecondition(closed));
  CHECK(absl::StrContains(closed.message(), "UNKNOWN_MEMBER_ID"));
  CHECK_OK(async);  // Committed before the removal; reported inside Close.
  CHECK(r.events.back() == "revoked:t-0");
  CHECK_OK(c.Close());
  CHECK_OK(c.Close(absl::Seconds(1)));
  CHECK(c.Assignment().empty());
  auto poll = c.Poll(absl::ZeroDuration());
  CHECK(absl::IsFailedPrecondition(poll.status()));
  CHECK(absl::StrContains(poll.status().message(), "closed"));
}

// Closes its consumer from inside every callback.
class Closer : public ConsumerRebalanceListener {
 public:
  explicit Closer(Consumer* consumer) : consumer_(consumer) {}
  void OnPartitionsRevoked(absl::Span<const TopicPartition>) override {
    statuses.push_back(consumer_->Close());
  }
  void OnPartitionsAssigned(absl::Span<const TopicPartition>) override {
    statuses.push_back(consumer_->Close());
  }
  std::vector<absl::Status> statuses;

 private:
  Consumer* const consumer_;
};

TEST_CASE("a listener may close its consumer: the Poll fails and the member has left",
          "[group][consumer]") {
  Env env;
  env.Topic("t", 2);
  Consumer c(env.broker.get(), Opts("g"));
  Closer closer(&c);
  REQUIRE_OK(c.Subscribe({"t"}, &closer));
  auto polled = c.Poll(absl::ZeroDuration());
  CHECK(absl::IsFailedPrecondition(polled.status()));
  // Assigned closes; that Close revokes, whose nested Close returns at once.
  REQUIRE(closer.statuses.size() == 2);
  CHECK_OK(closer.statuses[0]);
  CHECK_OK(closer.statuses[1]);
  auto d = Admin(env.broker.get()).DescribeGroup("g");
  REQUIRE_OK(d);
  CHECK(d->members.empty());
}

TEST_CASE("EnforceRebalance makes every member rejoin in a new generation", "[group][consumer]") {
  Env env;
  env.Topic("t", 4);
  Consumer no_group(env.broker.get(), ConsumerOptions{.enable_auto_commit = false});
  CHECK(absl::IsFailedPrecondition(no_group.EnforceRebalance("why")));
  Consumer assigned(env.broker.get(), Opts("g"));
  REQUIRE_OK(assigned.Assign({{"t", 0}}));
  CHECK(absl::IsFailedPrecondition(assigned.EnforceRebalance()));

  SECTION("eager: each member revokes everything, then gets its partitions back") {
    Recorder ra, rb;
    Consumer a(env.broker.get(), Opts("g")), b(env.broker.get(), Opts("g"));
    REQUIRE_OK(a.Subscribe({"t"}, &ra));
    REQUIRE_OK(b.Subscribe({"t"}, &rb));
    Settle({&a, &b});
    int32_t generation = a.GroupMetadata().generation_id;
    ra.events.clear();
    rb.events.clear();
    REQUIRE_OK(a.EnforceRebalance("new user data"));
    // Already pending: the same rebalance.
    REQUIRE_OK(a.EnforceRebalance());
    CHECK(a.GroupMetadata().generation_id == generation);  // Nothing until Poll.
    Settle({&a, &b});
    CHECK(a.GroupMetadata().generation_id == generation + 1);
    CHECK(b.GroupMetadata().generation_id == generation + 1);
    CHECK(ra.events == std::vector<std::string>{"revoked:t-0,t-1", "assigned:t-0,t-1"});
    CHECK(rb.events == std::vector<std::string>{"revoked:t-2,t-3", "assigned:t-2,t-3"});
    auto d = Admin(env.broker.get()).DescribeGroup("g");
    REQUIRE_OK(d);
    CHECK(d->generation == generation + 1);
  }
  SECTION("cooperative: nothing moves, and the listener hears of an empty addition") {
    Recorder r;
    Consumer c(env.broker.get(), Opts("h", {Assignor::kCooperativeSticky}));
    REQUIRE_OK(c.Subscribe({"t"}, &r));
    Settle({&c});
    int32_t generation = c.GroupMetadata().generation_id;
    r.events.clear();
    REQUIRE_OK(c.EnforceRebalance());
    PollCount(c);
    CHECK(c.GroupMetadata().generation_id == generation + 1);
    CHECK(r.events == std::vector<std::string>{"assigned:"});
    CHECK(c.Assignment().size() == 4);
  }
}

// Holds the consumer's thread inside OnPartitionsAssigned until released.
class Blocker : public ConsumerRebalanceListener {
 public:
  explicit Blocker(Consumer* consumer) : consumer_(consumer) {}
  void OnPartitionsRevoked(absl::Span<const TopicPartition>) override {}
  void OnPartitionsAssigned(absl::Span<const TopicPartition> ps) override {
    if (ps.empty()) return;
    nested = consumer_->Position(ps[0]).status();  // Same thread: allowed.
    inside.count_down();
    release.wait();
  }
  absl::Status nested = absl::UnknownError("listener not run");
  std::latch inside{1};
  std::latch release{1};

 private:
  Consumer* const consumer_;
};

TEST_CASE("a second thread calling into a consumer in use gets FailedPrecondition",
          "[group][consumer][threads]") {
  Env env;
  env.Topic("t", 1);
  Consumer c(env.broker.get(), Opts("g"));
  Blocker blocker(&c);
  REQUIRE_OK(c.Subscribe({"t"}, &blocker));
  absl::Status polled = absl::UnknownError("Poll did not return");
  std::thread owner([&] { polled = c.Poll(absl::ZeroDuration()).status(); });
  blocker.inside.wait();  // The owner is inside Poll, in the listener.
  absl::StatusOr<int64_t> position = c.Position({"t", 0});
  CHECK(absl::IsFailedPrecondition(position.status()));
  CHECK(absl::StrContains(position.status().message(), "not safe for multi-threaded access"));
  CHECK(absl::StrContains(position.status().message(), "Position()"));
  CHECK(absl::IsFailedPrecondition(c.Close()));
  CHECK(c.Assignment().empty());
  absl::Status async;
  c.CommitAsync([&](const auto&, const absl::Status& s) { async = s; });
  CHECK(absl::StrContains(async.message(), "CommitAsync()"));
  c.Wakeup();  // Any thread: makes the owner's next Poll return Cancelled.
  blocker.release.count_down();
  owner.join();
  CHECK_OK(polled);
  CHECK_OK(blocker.nested);
  // The owner has left: this thread may use the consumer now.
  CHECK(absl::IsCancelled(c.Poll(absl::ZeroDuration()).status()));
  auto after = c.Position({"t", 0});
  REQUIRE_OK(after);
  CHECK(*after == 0);
  CHECK_OK(c.Close());
}

}  // namespace
}  // namespace rill
