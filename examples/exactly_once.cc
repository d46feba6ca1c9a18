// Exactly-once processing by external offsets: the effect of each record
// and the consumer's position are written in one SQLite transaction, so
// they are either both there or both not. On (re)start the consumer Seeks
// to the positions in the database; the group's committed offsets are
// never written or read. A crash half way through a transaction rolls it
// back with the positions it would have moved, and the records are
// processed again, once.
//
// The records are deposits, "account" -> "amount". This run produces a
// fresh set, processes some of them, "crashes" in the middle of a
// transaction, restarts (new broker, consumer and database connection) and
// finishes; then it checks that every deposit ever produced to the topic,
// in this run or an earlier one in the same directory, was counted once.
//
//   exactly_once DATA_DIR

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rill/rill.h"

namespace {

constexpr char kTopic[] = "deposits";
constexpr int32_t kPartitions = 3;
constexpr int kDepositsPerRun = 3000;

// The results and the consumer positions, in one SQLite database.
class Ledger {
 public:
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
      absl::Status s = absl::UnavailableError(absl::StrCat(path, ": ", sqlite3_errmsg(db)));
      sqlite3_close(db);
      return s;
    }
    auto ledger = std::unique_ptr<Ledger>(new Ledger(db));
    absl::Status s = ledger->Exec(
        "CREATE TABLE IF NOT EXISTS balances(account TEXT PRIMARY KEY, total INTEGER, "
        "deposits INTEGER);"
        "CREATE TABLE IF NOT EXISTS positions(topic TEXT, partition INTEGER, "
        "next_offset INTEGER, PRIMARY KEY(topic, partition));");
    if (!s.ok()) return s;
    return ledger;
  }
  // Closing with a transaction open rolls it back, as a crash would.
  ~Ledger() { sqlite3_close_v2(db_); }

  absl::Status Begin() { return Exec("BEGIN IMMEDIATE"); }
  absl::Status Commit() { return Exec("COMMIT"); }

  absl::Status Deposit(absl::string_view account, int64_t amount) {
    return Run(
        "INSERT INTO balances VALUES(?1, ?2, 1) ON CONFLICT(account) DO UPDATE SET "
        "total = total + ?2, deposits = deposits + 1",
        {std::string(account)}, {amount});
  }
  absl::Status SavePosition(const rill::TopicPartition& tp, int64_t next_offset) {
    return Run("INSERT OR REPLACE INTO positions VALUES(?1, ?2, ?3)", {tp.topic},
               {tp.partition, next_offset});
  }
  // The stored position of `tp`, or -1 if it has none.
  absl::StatusOr<int64_t> Position(const rill::TopicPartition& tp) {
    return Query("SELECT next_offset FROM positions WHERE topic = ?1 AND partition = ?2",
                 {tp.topic}, {tp.partition}, -1);
  }
  absl::StatusOr<int64_t> DepositsCounted() {
    return Query("SELECT SUM(deposits) FROM balances", {}, {}, 0);
  }

 private:
  explicit Ledger(sqlite3* db) : db_(db) {}

  absl::Status Error(const char* what) {
    return absl::InternalError(absl::StrCat("sqlite ", what, ": ", sqlite3_errmsg(db_)));
  }
  absl::Status Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Error(sql);
    return absl::OkStatus();
  }
  // Prepares `sql` and binds ?1.. to `texts`, then `ints`.
  absl::StatusOr<sqlite3_stmt*> Prepare(const char* sql, const std::vector<std::string>& texts,
                                        const std::vector<int64_t>& ints) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return Error(sql);
    int i = 1;
    for (const std::string& t : texts)
      sqlite3_bind_text(stmt, i++, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    for (int64_t v : ints) sqlite3_bind_int64(stmt, i++, v);
    return stmt;
  }
  absl::Status Run(const char* sql, const std::vector<std::string>& texts,
                   const std::vector<int64_t>& ints) {
    absl::StatusOr<sqlite3_stmt*> stmt = Prepare(sql, texts, ints);
    if (!stmt.ok()) return stmt.status();
    int rc = sqlite3_step(*stmt);
    sqlite3_finalize(*stmt);
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(sql);
  }
  // The first column of the first row, or `fallback` for no row or NULL.
  absl::StatusOr<int64_t> Query(const char* sql, const std::vector<std::string>& texts,
                                const std::vector<int64_t>& ints, int64_t fallback) {
    absl::StatusOr<sqlite3_stmt*> stmt = Prepare(sql, texts, ints);
    if (!stmt.ok()) return stmt.status();
    int rc = sqlite3_step(*stmt);
    int64_t v = fallback;
    if (rc == SQLITE_ROW && sqlite3_column_type(*stmt, 0) != SQLITE_NULL)
      v = sqlite3_column_int64(*stmt, 0);
    sqlite3_finalize(*stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(sql);
    return v;
  }

  sqlite3* db_;
};

// On assignment, positions come from the ledger, not from the group's
// committed offsets. A partition the ledger has never seen starts at
// auto.offset.reset (earliest).
class SeekToLedger : public rill::ConsumerRebalanceListener {
 public:
  SeekToLedger(rill::Consumer* consumer, Ledger* ledger) : consumer_(consumer), ledger_(ledger) {}

  void OnPartitionsAssigned(absl::Span<const rill::TopicPartition> partitions) override {
    for (const rill::TopicPartition& tp : partitions) {
      absl::StatusOr<int64_t> next = ledger_->Position(tp);
      if (!next.ok()) {
        status_.Update(next.status());
      } else if (*next >= 0) {
        status_.Update(consumer_->Seek(tp, *next));
      }
    }
  }
  // Nothing to save: every processed record's position is already stored
  // with its result.
  void OnPartitionsRevoked(absl::Span<const rill::TopicPartition>) override {}

  const absl::Status& status() const { return status_; }

 private:
  rill::Consumer* consumer_;
  Ledger* ledger_;
  absl::Status status_;
};

// Applies one Poll's records and moves their partitions' positions, in one
// transaction. With `crash_mid_transaction` it stops after the first
// record without committing, as a process killed there would.
absl::Status ProcessBatch(Ledger& ledger, const rill::ConsumerRecords& records,
                          bool crash_mid_transaction) {
  if (absl::Status s = ledger.Begin(); !s.ok()) return s;
  for (const rill::TopicPartition& tp : records.partitions()) {
    absl::Span<const rill::ConsumerRecord> rs = records.records(tp);
    for (const rill::ConsumerRecord& r : rs) {
      int64_t amount = 0;
      if (!absl::SimpleAtoi(r.value().value_or(""), &amount)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad amount at ", tp.ToString(), "@", r.offset()));
      }
      if (absl::Status s = ledger.Deposit(r.key().value_or(""), amount); !s.ok()) return s;
      if (crash_mid_transaction) return absl::AbortedError("simulated crash");
    }
    if (absl::Status s = ledger.SavePosition(tp, rs.back().offset() + 1); !s.ok()) return s;
  }
  return ledger.Commit();
}

int64_t TopicEnd(rill::Broker& broker) {
  int64_t end = 0;
  for (int32_t p = 0; p < kPartitions; ++p)
    end += broker.topic(kTopic)->partition(p)->high_watermark();
  return end;
}

absl::Status ProduceDeposits(rill::Broker& broker) {
  auto topic = broker.CreateTopic(kTopic, {.partitions = kPartitions});
  if (!topic.ok() && !absl::IsAlreadyExists(topic.status())) return topic.status();
  rill::Producer producer(&broker, {.linger_ms = 1});
  for (int i = 0; i < kDepositsPerRun; ++i) {
    std::string account = absl::StrCat("account-", i % 7);
    std::string amount = absl::StrCat(1 + i % 100);
    producer.Send({.topic = kTopic, .key = account, .value = amount}, nullptr);
  }
  return producer.Close();
}

// One "process": opens everything, processes until the ledger has counted
// `stop_at` deposits (or, with `crash`, stops mid-transaction once it has
// counted at least that many), and closes everything.
absl::Status RunProcess(const std::string& dir, int64_t stop_at, bool crash) {
  auto broker = rill::Broker::Open(absl::StrCat(dir, "/broker"), rill::BrokerOptions{});
  if (!broker.ok()) return broker.status();
  auto ledger = Ledger::Open(absl::StrCat(dir, "/ledger.db"));
  if (!ledger.ok()) return ledger.status();
  // A group shares the partitions among processes; its committed offsets
  // are not used, so auto-commit is off.
  rill::Consumer consumer(broker->get(), {.group_id = "ledger",
                                          .auto_offset_reset = rill::OffsetReset::kEarliest,
                                          .enable_auto_commit = false,
                                          .max_poll_records = 200});
  SeekToLedger listener(&consumer, ledger->get());
  // The consumer calls the listener until it is closed, so on every way out
  // of this function it is closed before the listener goes (a no-op after
  // the Close at the end).
  absl::Cleanup close_first = [&consumer] { consumer.Close().IgnoreError(); };
  if (absl::Status s = consumer.Subscribe({kTopic}, &listener); !s.ok()) return s;
  while (true) {
    absl::StatusOr<int64_t> counted = (*ledger)->DepositsCounted();
    if (!counted.ok()) return counted.status();
    if (*counted >= stop_at && !crash) break;
    auto records = consumer.Poll(absl::Milliseconds(100));
    if (!records.ok()) return records.status();
    if (!listener.status().ok()) return listener.status();
    if (records->empty()) continue;
    absl::Status s = ProcessBatch(**ledger, *records, crash && *counted >= stop_at);
    if (absl::IsAborted(s)) {
      std::cout << "crashed mid-transaction after " << *counted << " deposits\n";
      return absl::OkStatus();  // The ledger's destructor rolls back.
    }
    if (!s.ok()) return s;
  }
  if (absl::Status s = consumer.Close(); !s.ok()) return s;
  return (*broker)->Close();
}

absl::Status Main(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(dir, ": ", ec.message()));
  int64_t expected = 0;
  {
    auto broker = rill::Broker::Open(absl::StrCat(dir, "/broker"), rill::BrokerOptions{});
    if (!broker.ok()) return broker.status();
    if (absl::Status s = ProduceDeposits(**broker); !s.ok()) return s;
    expected = TopicEnd(**broker);
    if (absl::Status s = (*broker)->Close(); !s.ok()) return s;
  }
  int64_t half = expected - kDepositsPerRun / 2;
  if (absl::Status s = RunProcess(dir, half, /*crash=*/true); !s.ok()) return s;
  if (absl::Status s = RunProcess(dir, expected, /*crash=*/false); !s.ok()) return s;

  auto ledger = Ledger::Open(absl::StrCat(dir, "/ledger.db"));
  if (!ledger.ok()) return ledger.status();
  absl::StatusOr<int64_t> counted = (*ledger)->DepositsCounted();
  if (!counted.ok()) return counted.status();
  std::cout << "counted " << *counted << " of " << expected << " deposits\n";
  if (*counted != expected) {
    return absl::InternalError(
        absl::StrCat("counted ", *counted, " deposits, expected ", expected));
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: exactly_once DATA_DIR\n";
    return 2;
  }
  absl::Status s = Main(argv[1]);
  if (!s.ok()) std::cerr << s << "\n";
  return s.ok() ? 0 : 1;
}
