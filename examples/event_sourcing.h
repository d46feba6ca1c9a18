#ifndef RILL_EXAMPLES_EVENT_SOURCING_H_
#define RILL_EXAMPLES_EVENT_SOURCING_H_

// An account-balance service built by event sourcing on two topics:
//
//  * `account-events` (cleanup.policy=delete, kept forever): the source of
//    truth, one record per event, keyed by account: "deposit 500",
//    "withdraw 200", "close".
//  * `account-balances` (cleanup.policy=compact): a snapshot of the state,
//    one record per account keyed "account/<id>" with value
//    "<balance> <next event offset applied>", a tombstone once the account
//    is closed, and the key "position" holding the next event offset the
//    whole snapshot covers. Compaction keeps it as small as the state.
//
// A command validates against the state, appends its event, applies it and
// writes the snapshot records. Start() rebuilds the state from the snapshot
// topic and replays only the events past its position, skipping an event an
// account's record already covers, so a crash between the event and its
// snapshot loses and doubles nothing.
//
// One service instance must be the only writer of the two topics. Not
// thread safe. Errors: the broker's, FailedPrecondition for a withdrawal
// above the balance or a command on a closed account, InvalidArgument for
// a non-positive amount.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rill/rill.h"

namespace event_sourcing {

inline constexpr char kEventsTopic[] = "account-events";
inline constexpr char kBalancesTopic[] = "account-balances";

struct ServiceOptions {
  // segment.bytes of the snapshot topic: small segments let the cleaner
  // compact it early.
  int32_t snapshot_segment_bytes = 64 << 10;
  // delete.retention.ms of the snapshot topic: how long a closed account's
  // tombstone stays for readers of the snapshot.
  int64_t snapshot_delete_retention_ms = 24 * 3600 * 1000LL;
};

class AccountService {
 public:
  // Creates the topics if missing and rebuilds the state. `broker` must
  // outlive the service.
  static absl::StatusOr<std::unique_ptr<AccountService>> Start(rill::Broker* broker,
                                                               const ServiceOptions& options = {});

  absl::Status Deposit(const std::string& account, int64_t amount);
  absl::Status Withdraw(const std::string& account, int64_t amount);
  // Removes the account (whatever its balance); a later deposit opens it
  // again from zero.
  absl::Status CloseAccount(const std::string& account);

  // The balance of an open account (one with a deposit since it was
  // last closed), or nullopt.
  std::optional<int64_t> Balance(const std::string& account) const;
  // Every open account's balance.
  std::map<std::string, int64_t> Balances() const;
  // How many events Start() applied beyond the snapshot.
  int64_t events_replayed() const { return events_replayed_; }

 private:
  struct Account {
    int64_t balance = 0;
    int64_t next_event = 0;  // The offset after the last event applied.
  };

  explicit AccountService(rill::Broker* broker);
  absl::Status Rebuild();
  absl::Status LoadSnapshot(int64_t* position);
  absl::Status Replay(int64_t position);
  // Appends `event` for `account`, applies it and snapshots the account.
  absl::Status Record(const std::string& account, const std::string& event);
  // Applies the event at `offset` to the state (no validation: events are
  // facts) and writes the snapshot records.
  absl::Status Apply(const std::string& account, absl::string_view event, int64_t offset);
  absl::StatusOr<int64_t> Send(const char* topic, const std::string& key,
                               std::optional<std::string> value);

  rill::Broker* broker_;
  std::unique_ptr<rill::Producer> producer_;
  std::map<std::string, Account> accounts_;
  int64_t events_replayed_ = 0;
};

}  // namespace event_sourcing

#endif  // RILL_EXAMPLES_EVENT_SOURCING_H_
