// Event sourcing with a compacted snapshot topic: an account-balance
// service records deposits and withdrawals as events, compacts its
// snapshot, then restarts and rebuilds the same balances from the snapshot
// alone (see event_sourcing.h).
//
//   event_sourcing [DATA_DIR]     (default: an in-memory broker)

#include <iostream>

#include "absl/strings/str_cat.h"
#include "examples/event_sourcing.h"
#include "rill/rill.h"

namespace {

absl::Status Run(rill::Broker* broker) {
  // Small snapshot segments, so that this short run has some to compact.
  event_sourcing::ServiceOptions options{.snapshot_segment_bytes = 4096};
  std::map<std::string, int64_t> before;
  {
    auto service = event_sourcing::AccountService::Start(broker, options);
    if (!service.ok()) return service.status();
    for (int day = 0; day < 200; ++day) {
      std::string account = absl::StrCat("acct-", day % 7);
      if (absl::Status s = (*service)->Deposit(account, 100 + day); !s.ok()) return s;
      if (day % 3 == 0) {
        if (absl::Status s = (*service)->Withdraw(account, 50); !s.ok()) return s;
      }
    }
    if (absl::Status s = (*service)->CloseAccount("acct-6"); !s.ok()) return s;
    before = (*service)->Balances();
  }
  rill::Partition* snapshot = broker->topic(event_sourcing::kBalancesTopic)->partition(0);
  absl::StatusOr<rill::CompactionResult> compacted = snapshot->Compact();
  if (!compacted.ok()) return compacted.status();
  std::cout << "snapshot compacted from " << compacted->records_before << " to "
            << compacted->records_after << " records\n";

  auto restarted = event_sourcing::AccountService::Start(broker, options);
  if (!restarted.ok()) return restarted.status();
  for (const auto& [account, balance] : (*restarted)->Balances()) {
    std::cout << account << " " << balance << "\n";
  }
  if ((*restarted)->Balances() != before) {
    return absl::InternalError("the rebuilt balances differ from the ones before the restart");
  }
  std::cout << "rebuilt " << before.size() << " accounts, replaying "
            << (*restarted)->events_replayed() << " events\n";
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  auto broker = argc > 1 ? rill::Broker::Open(argv[1], {}) : rill::Broker::OpenInMemory({});
  if (!broker.ok()) {
    std::cerr << broker.status() << "\n";
    return 1;
  }
  absl::Status s = Run(broker->get());
  if (!s.ok()) std::cerr << s << "\n";
  absl::Status closed = (*broker)->Close();
  if (!closed.ok()) std::cerr << closed << "\n";
  return s.ok() && closed.ok() ? 0 : 1;
}
