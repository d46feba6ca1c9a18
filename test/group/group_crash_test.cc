// Consumer crash tests that really kill: a forked child opens a broker on
// a directory the parent filled with records, consumes them in a consumer
// group and reports through a pipe what it has done; the parent SIGKILLs
// it and checks what survived.
//
// Exactly-once by external offsets: the child stores each record and its
// partition's next position in one SQLite transaction and, on assignment,
// Seeks to the stored positions (no committed offsets). After repeated
// kills at seeded-random moments (between or inside transactions) and a
// last child that finishes, every record is in the database exactly once.
//
// At-least-once by committed offsets: a child commits part of what it
// consumed, consumes more and is killed before committing that. A new
// child — a new member of the group in a new process — gets the
// uncommitted records again and none of the committed ones.
//
// RILL_GROUP_CRASH_ROUNDS overrides the number of kills (the soak ctest
// entry runs 500); RILL_CRASH_SEED replays a seed.

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rill/rill.h"
#include "test/support/child_process.h"
#include "test/support/status_matchers.h"
#include "test/support/temp_dir.h"

namespace rill {
namespace {

using testing::ChildProcess;
using testing::CrashSeed;
using testing::EnvOr;
using testing::ExitedCleanly;
using testing::KilledBySigkill;
using testing::TempDir;

constexpr char kTopic[] = "work";
constexpr int32_t kPartitions = 4;
constexpr char kGroup[] = "crashers";

std::string BrokerDir(const TempDir& dir) { return dir.Join("broker"); }

BrokerOptions ChildBrokerOptions() {
  BrokerOptions o;
  o.background_threads = false;
  o.offsets_topic_num_partitions = 3;
  return o;
}

// The value of record `offset` of partition `p`.
std::string ValueOf(int32_t p, int64_t offset) { return absl::StrCat("p", p, "-o", offset); }

// Fills the topic with `per_partition` records in each partition, in
// batches of 10, and closes the broker cleanly.
void Fill(const TempDir& dir, int per_partition) {
  auto broker = Broker::Open(BrokerDir(dir), ChildBrokerOptions());
  REQUIRE_OK(broker);
  REQUIRE_OK((*broker)->CreateTopic(kTopic, {.partitions = kPartitions}));
  Producer producer(broker->get(), {.linger_ms = 0});
  for (int32_t p = 0; p < kPartitions; ++p) {
    for (int i = 0; i < per_partition; ++i) {
      std::string value = ValueOf(p, i);
      producer.Send({.topic = kTopic, .partition = p, .key = "k", .value = value}, nullptr);
    }
  }
  REQUIRE_OK(producer.Close());
  REQUIRE_OK((*broker)->Close());
}

// Child → parent, 24 bytes: one write(2) each, atomic on a pipe.
struct Message {
  int64_t kind;
  int64_t a;
  int64_t b;
};
enum : int64_t {
  kCommitted = 1,         // a = records in the transaction (exactly-once child).
  kRecord = 2,            // a = partition, b = offset: a record Poll returned.
  kOffsetsCommitted = 3,  // CommitSync succeeded for everything reported so far.
  kParked = 4,            // The child waits to be killed.
  kDone = 5,              // The child consumed everything and exits.
};

void Send(int fd, Message m) {
  // A 24-byte write to a pipe is not short; if the parent is gone there is
  // no one to tell.
  ssize_t n = write(fd, &m, sizeof m);
  (void)n;
}

[[noreturn]] void ChildFail(const absl::Status& s, const char* what) {
  std::cerr << "group crash child: " << what << ": " << s << std::endl;
  _exit(3);
}

// Forks `child(fd)`, which must not return, and hands each message to
// `on_message` until the child's end of the pipe closes; returns the
// child's wait status. `on_message` returns true to SIGKILL the child
// after `kill_delay_us`.
template <typename Child, typename OnMessage>
int RunChild(Child child, OnMessage on_message, int kill_delay_us = 0) {
  ChildProcess process(child);
  Message m;
  while (process.Read(&m)) {
    if (on_message(m)) process.Kill(kill_delay_us);
  }
  return process.Wait();
}

// ---- Exactly-once by external offsets ----

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Fail("open");
    // WAL with synchronous=NORMAL loses nothing to a process kill (only to
    // a power loss), and commits without an fsync.
    Exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS processed(partition INTEGER, offset INTEGER, value TEXT);"
        "CREATE TABLE IF NOT EXISTS positions(partition INTEGER PRIMARY KEY, next INTEGER);");
  }
  ~Db() { sqlite3_close_v2(db_); }

  void Exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) Fail(sql);
  }
  // The first column of the first row of `sql`, or -1.
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) Fail(sql);
    int64_t v = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return v;
  }
  // Stores `records` and their partitions' next positions in one transaction.
  void Store(const ConsumerRecords& records) {
    Exec("BEGIN IMMEDIATE");
    sqlite3_stmt* insert = Prepare("INSERT INTO processed VALUES(?1, ?2, ?3)");
    for (const ConsumerRecord& r : records) {
      sqlite3_bind_int(insert, 1, r.partition());
      sqlite3_bind_int64(insert, 2, r.offset());
      absl::string_view v = r.value().value_or("");
      sqlite3_bind_text(insert, 3, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      if (sqlite3_step(insert) != SQLITE_DONE) Fail("insert");
      sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    for (const TopicPartition& tp : records.partitions()) {
      Exec(absl::StrCat("INSERT OR REPLACE INTO positions VALUES(", tp.partition, ", ",
                        records.records(tp).back().offset() + 1, ")"));
    }
    Exec("COMMIT");
  }

 private:
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) Fail(sql);
    return stmt;
  }
  [[noreturn]] void Fail(const std::string& what) {
    std::cerr << "sqlite: " << what << ": " << sqlite3_errmsg(db_) << std::endl;
    _exit(5);
  }
  sqlite3* db_ = nullptr;
};

class SeekToStored : public ConsumerRebalanceListener {
 public:
  SeekToStored(Consumer* consumer, Db* db) : consumer_(consumer), db_(db) {}
  void OnPartitionsAssigned(absl::Span<const TopicPartition> partitions) override {
    for (const TopicPartition& tp : partitions) {
      int64_t next =
          db_->Int(absl::StrCat("SELECT next FROM positions WHERE partition = ", tp.partition));
      if (next < 0) continue;  // Never processed: auto.offset.reset=earliest.
      absl::Status s = consumer_->Seek(tp, next);
      if (!s.ok()) ChildFail(s, "Seek");
    }
  }
  void OnPartitionsRevoked(absl::Span<const TopicPartition>) override {}

 private:
  Consumer* consumer_;
  Db* db_;
};

[[noreturn]] void ExactlyOnceChild(const TempDir& dir, int64_t total, int max_poll_records,
                                   int fd) {
  auto broker = Broker::Open(BrokerDir(dir), ChildBrokerOptions());
  if (!broker.ok()) ChildFail(broker.status(), "Broker::Open");
  Db db(dir.Join("results.db"));
  Consumer consumer(broker->get(), {.group_id = kGroup,
                                    .auto_offset_reset = OffsetReset::kEarliest,
                                    .enable_auto_commit = false,
                                    .max_poll_records = max_poll_records});
  SeekToStored listener(&consumer, &db);
  if (absl::Status s = consumer.Subscribe({kTopic}, &listener); !s.ok()) ChildFail(s, "Subscribe");
  while (db.Int("SELECT COUNT(*) FROM processed") < total) {
    auto records = consumer.Poll(absl::Milliseconds(200));
    if (!records.ok()) ChildFail(records.status(), "Poll");
    if (records->empty()) continue;
    db.Store(*records);
    Send(fd, {kCommitted, static_cast<int64_t>(records->count()), 0});
  }
  Send(fd, {kDone, 0, 0});
  _exit(0);
}

void CheckExactlyOnce(const TempDir& dir, int64_t per_partition) {
  Db db(dir.Join("results.db"));
  const int64_t total = per_partition * kPartitions;
  CHECK(db.Int("SELECT COUNT(*) FROM processed") == total);
  CHECK(db.Int("SELECT COUNT(*) FROM (SELECT DISTINCT partition, offset FROM processed)") == total);
  CHECK(db.Int(absl::StrCat("SELECT COUNT(*) FROM processed WHERE offset < 0 OR offset >= ",
                            per_partition)) == 0);
  CHECK(db.Int("SELECT COUNT(*) FROM processed WHERE value != "
               "'p' || partition || '-o' || offset") == 0);
  CHECK(db.Int(absl::StrCat("SELECT COUNT(*) FROM positions WHERE next = ", per_partition)) ==
        kPartitions);
}

void RunExactlyOnce(int kills, int per_partition) {
  std::cout << "group crash seed " << CrashSeed() << " (replay with RILL_CRASH_SEED=" << CrashSeed()
            << ")" << std::endl;
  INFO("group crash seed " << CrashSeed() << " (RILL_CRASH_SEED)");
  std::mt19937_64 rng(CrashSeed());
  TempDir dir;
  Fill(dir, per_partition);
  const int64_t total = int64_t{per_partition} * kPartitions;
  int actual_kills = 0;
  for (int round = 0; round < kills; ++round) {
    const int kill_after = 1 + static_cast<int>(rng() % 6);
    const int delay_us = rng() % 3 == 0 ? 0 : static_cast<int>(rng() % 800);
    const int max_poll = 1 + static_cast<int>(rng() % 40);
    int commits = 0;
    bool done = false;
    int status = RunChild([&](int fd) { ExactlyOnceChild(dir, total, max_poll, fd); },
                          [&](const Message& m) {
                            if (m.kind == kDone) done = true;
                            return m.kind == kCommitted && ++commits == kill_after;
                          },
                          delay_us);
    INFO("round " << round << ": kill after " << kill_after << " commits + " << delay_us
                  << " us, max.poll.records " << max_poll);
    REQUIRE((done || KilledBySigkill(status)));
    if (done) break;
    ++actual_kills;
  }
  bool done = false;
  int status = RunChild([&](int fd) { ExactlyOnceChild(dir, total, 50, fd); },
                        [&](const Message& m) {
                          if (m.kind == kDone) done = true;
                          return false;
                        });
  REQUIRE(ExitedCleanly(status));
  REQUIRE(done);
  std::cout << "exactly-once: " << actual_kills << " kills over " << total << " records"
            << std::endl;
  CheckExactlyOnce(dir, per_partition);
}

TEST_CASE("results and offsets in one SQLite transaction survive repeated SIGKILLs exactly once",
          "[crash][group]") {
  const int kills = static_cast<int>(EnvOr("RILL_GROUP_CRASH_ROUNDS", 25));
  // Enough records that the children are killed `kills` times before one
  // of them finishes.
  RunExactlyOnce(kills, std::max(100, 100 * kills));
}

// ---- At-least-once by committed offsets ----

// Whether the consumer has partitions and its positions are at their ends.
bool CaughtUp(Consumer& consumer) {
  std::vector<TopicPartition> assigned = consumer.Assignment();
  if (assigned.empty()) return false;
  auto ends = consumer.EndOffsets(assigned);
  if (!ends.ok()) ChildFail(ends.status(), "EndOffsets");
  for (const TopicPartition& tp : assigned) {
    auto position = consumer.Position(tp);
    if (!position.ok()) ChildFail(position.status(), "Position");
    if (*position < ends->at(tp)) return false;
  }
  return true;
}

// Consumes and reports records; after `commit_after` of them commits
// everything consumed so far, then consumes `extra` more without
// committing and waits to be killed. With commit_after < 0 it consumes
// everything there is, commits and exits.
[[noreturn]] void AtLeastOnceChild(const TempDir& dir, int commit_after, int extra, int fd) {
  auto broker = Broker::Open(BrokerDir(dir), ChildBrokerOptions());
  if (!broker.ok()) ChildFail(broker.status(), "Broker::Open");
  Consumer consumer(broker->get(), {.group_id = kGroup,
                                    .auto_offset_reset = OffsetReset::kEarliest,
                                    .enable_auto_commit = false,
                                    .max_poll_records = 7});
  if (absl::Status s = consumer.Subscribe({kTopic}); !s.ok()) ChildFail(s, "Subscribe");
  int64_t consumed = 0;
  int64_t since_commit = -1;  // Records consumed after the commit; -1 before it.
  while (commit_after < 0 ? !CaughtUp(consumer) : since_commit < extra) {
    auto records = consumer.Poll(absl::Milliseconds(200));
    if (!records.ok()) ChildFail(records.status(), "Poll");
    for (const ConsumerRecord& r : *records) Send(fd, {kRecord, r.partition(), r.offset()});
    consumed += static_cast<int64_t>(records->count());
    if (since_commit >= 0) since_commit += static_cast<int64_t>(records->count());
    if (since_commit < 0 && commit_after >= 0 && consumed >= commit_after) {
      if (absl::Status s = consumer.CommitSync(); !s.ok()) ChildFail(s, "CommitSync");
      since_commit = 0;
      Send(fd, {kOffsetsCommitted, 0, 0});
    }
  }
  if (commit_after >= 0) {
    Send(fd, {kParked, 0, 0});
    while (true) pause();
  }
  if (absl::Status s = consumer.CommitSync(); !s.ok()) ChildFail(s, "CommitSync");
  Send(fd, {kDone, 0, 0});
  _exit(0);
}

TEST_CASE("a consumer killed before committing has its records re-delivered, and only those",
          "[crash][group]") {
  TempDir dir;
  constexpr int kPerPartition = 60;
  Fill(dir, kPerPartition);
  const int64_t total = kPerPartition * kPartitions;

  std::set<std::pair<int64_t, int64_t>> committed, uncommitted;
  bool in_commit = true;
  int status = RunChild([&](int fd) { AtLeastOnceChild(dir, 100, 50, fd); },
                        [&](const Message& m) {
                          if (m.kind == kRecord)
                            (in_commit ? committed : uncommitted).insert({m.a, m.b});
                          if (m.kind == kOffsetsCommitted) in_commit = false;
                          return m.kind == kParked;
                        });
  REQUIRE(KilledBySigkill(status));
  REQUIRE(!in_commit);
  REQUIRE(committed.size() >= 100);
  REQUIRE(uncommitted.size() >= 50);

  std::set<std::pair<int64_t, int64_t>> second;
  bool done = false;
  status = RunChild([&](int fd) { AtLeastOnceChild(dir, -1, 0, fd); },
                    [&](const Message& m) {
                      if (m.kind == kRecord) CHECK(second.insert({m.a, m.b}).second);
                      if (m.kind == kDone) done = true;
                      return false;
                    });
  REQUIRE(ExitedCleanly(status));
  REQUIRE(done);
  for (const auto& r : committed) CHECK(second.count(r) == 0);    // Never re-delivered.
  for (const auto& r : uncommitted) CHECK(second.count(r) == 1);  // Re-delivered.
  CHECK(committed.size() + second.size() == static_cast<size_t>(total));
}

}  // namespace
}  // namespace rill
