// The account-balance service of event_sourcing.h: commands become events
// in `account-events`, the state lives in the compacted `account-balances`.

#include "examples/event_sourcing.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace event_sourcing {
namespace {

constexpr char kAccountPrefix[] = "account/";
constexpr char kPositionKey[] = "position";

absl::Status CreateIfMissing(rill::Broker* broker, const std::string& name,
                             const rill::TopicOptions& options) {
  absl::StatusOr<rill::Topic*> topic = broker->CreateTopic(name, options);
  if (topic.ok() || absl::IsAlreadyExists(topic.status())) return absl::OkStatus();
  return topic.status();
}

// Calls `fn(record)` for every record of partition 0 of `topic` from
// `from` up to the end the log has now.
template <typename Fn>
absl::Status ReadToEnd(rill::Broker* broker, const std::string& topic, int64_t from, Fn&& fn) {
  rill::Consumer consumer(broker, {.auto_offset_reset = rill::OffsetReset::kEarliest});
  rill::TopicPartition tp{topic, 0};
  if (absl::Status s = consumer.Assign({tp}); !s.ok()) return s;
  if (absl::Status s = consumer.Seek(tp, from); !s.ok()) return s;
  absl::StatusOr<std::map<rill::TopicPartition, int64_t>> end = consumer.EndOffsets({tp});
  if (!end.ok()) return end.status();
  while (true) {
    absl::StatusOr<int64_t> position = consumer.Position(tp);
    if (!position.ok()) return position.status();
    if (*position >= end->at(tp)) break;
    // Zero timeout: the records are there, nothing needs waiting for.
    absl::StatusOr<rill::ConsumerRecords> records = consumer.Poll(absl::ZeroDuration());
    if (!records.ok()) return records.status();
    for (const rill::ConsumerRecord& r : *records) {
      if (absl::Status s = fn(r); !s.ok()) return s;
    }
  }
  return consumer.Close();
}

absl::Status Corrupt(const rill::ConsumerRecord& r) {
  return absl::DataLossError(
      absl::StrCat("cannot parse record at ", r.topic(), "-", r.partition(), "@", r.offset()));
}

}  // namespace

AccountService::AccountService(rill::Broker* broker) : broker_(broker) {}

absl::StatusOr<std::unique_ptr<AccountService>> AccountService::Start(
    rill::Broker* broker, const ServiceOptions& options) {
  rill::TopicOptions events;
  events.retention_ms = -1;  // The events are the source of truth: keep them all.
  rill::TopicOptions balances;
  balances.cleanup_policy = rill::CleanupPolicy::kCompact;
  balances.segment_bytes = options.snapshot_segment_bytes;
  balances.delete_retention_ms = options.snapshot_delete_retention_ms;
  if (absl::Status s = CreateIfMissing(broker, kEventsTopic, events); !s.ok()) return s;
  if (absl::Status s = CreateIfMissing(broker, kBalancesTopic, balances); !s.ok()) return s;
  std::unique_ptr<AccountService> service(new AccountService(broker));
  absl::StatusOr<std::unique_ptr<rill::Producer>> producer =
      rill::Producer::Create(broker, {.linger_ms = 0});
  if (!producer.ok()) return producer.status();
  service->producer_ = *std::move(producer);
  if (absl::Status s = service->Rebuild(); !s.ok()) return s;
  return service;
}

absl::Status AccountService::Rebuild() {
  int64_t position = 0;
  if (absl::Status s = LoadSnapshot(&position); !s.ok()) return s;
  return Replay(position);
}

absl::Status AccountService::LoadSnapshot(int64_t* position) {
  return ReadToEnd(broker_, kBalancesTopic, 0, [&](const rill::ConsumerRecord& r) {
    absl::string_view key = r.key().value_or("");
    if (key == kPositionKey) {
      return absl::SimpleAtoi(r.value().value_or(""), position) ? absl::OkStatus() : Corrupt(r);
    }
    if (!absl::ConsumePrefix(&key, kAccountPrefix)) return Corrupt(r);
    if (!r.value()) {  // A closed account.
      accounts_.erase(std::string(key));
      return absl::OkStatus();
    }
    std::vector<absl::string_view> fields = absl::StrSplit(*r.value(), ' ');
    Account a;
    if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &a.balance) ||
        !absl::SimpleAtoi(fields[1], &a.next_event)) {
      return Corrupt(r);
    }
    accounts_[std::string(key)] = a;
    return absl::OkStatus();
  });
}

absl::Status AccountService::Replay(int64_t position) {
  return ReadToEnd(broker_, kEventsTopic, position, [&](const rill::ConsumerRecord& r) {
    std::string account(r.key().value_or(""));
    auto it = accounts_.find(account);
    // The account's snapshot already has it: the crash came between that
    // record and the position.
    if (it != accounts_.end() && it->second.next_event > r.offset()) return absl::OkStatus();
    ++events_replayed_;
    return Apply(account, r.value().value_or(""), r.offset());
  });
}

absl::Status AccountService::Deposit(const std::string& account, int64_t amount) {
  if (amount <= 0)
    return absl::InvalidArgumentError(absl::StrCat("deposit of ", amount, " to ", account));
  return Record(account, absl::StrCat("deposit ", amount));
}

absl::Status AccountService::Withdraw(const std::string& account, int64_t amount) {
  if (amount <= 0)
    return absl::InvalidArgumentError(absl::StrCat("withdrawal of ", amount, " from ", account));
  std::optional<int64_t> balance = Balance(account);
  if (!balance || *balance < amount) {
    return absl::FailedPreconditionError(absl::StrCat("withdrawal of ", amount, " from ", account,
                                                      " with balance ", balance.value_or(0)));
  }
  return Record(account, absl::StrCat("withdraw ", amount));
}

absl::Status AccountService::CloseAccount(const std::string& account) {
  if (!accounts_.contains(account)) {
    return absl::FailedPreconditionError(absl::StrCat("account ", account, " is not open"));
  }
  return Record(account, "close");
}

std::optional<int64_t> AccountService::Balance(const std::string& account) const {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return std::nullopt;
  return it->second.balance;
}

std::map<std::string, int64_t> AccountService::Balances() const {
  std::map<std::string, int64_t> out;
  for (const auto& [name, a] : accounts_) out[name] = a.balance;
  return out;
}

absl::Status AccountService::Record(const std::string& account, const std::string& event) {
  absl::StatusOr<int64_t> offset = Send(kEventsTopic, account, event);
  if (!offset.ok()) return offset.status();
  return Apply(account, event, *offset);
}

absl::Status AccountService::Apply(const std::string& account, absl::string_view event,
                                   int64_t offset) {
  std::vector<absl::string_view> fields = absl::StrSplit(event, ' ');
  int64_t amount = 0;
  std::optional<std::string> snapshot;  // nullopt: a tombstone.
  if (fields.size() == 1 && fields[0] == "close") {
    accounts_.erase(account);
  } else if (fields.size() == 2 && absl::SimpleAtoi(fields[1], &amount) &&
             (fields[0] == "deposit" || fields[0] == "withdraw")) {
    Account& a = accounts_[account];
    a.balance += fields[0] == "deposit" ? amount : -amount;
    a.next_event = offset + 1;
    snapshot = absl::StrCat(a.balance, " ", a.next_event);
  } else {
    return absl::DataLossError(
        absl::StrCat("unknown event \"", event, "\" at ", kEventsTopic, "@", offset));
  }
  absl::StatusOr<int64_t> written = Send(kBalancesTopic, kAccountPrefix + account, snapshot);
  if (!written.ok()) return written.status();
  return Send(kBalancesTopic, kPositionKey, absl::StrCat(offset + 1)).status();
}

absl::StatusOr<int64_t> AccountService::Send(const char* topic, const std::string& key,
                                             std::optional<std::string> value) {
  rill::ProducerRecord record{.topic = topic, .partition = 0, .key = key};
  if (value) record.value = *value;
  std::future<absl::StatusOr<rill::RecordMetadata>> sent = producer_->Send(record);
  producer_->Flush();  // Each command is durable in the log before it returns.
  absl::StatusOr<rill::RecordMetadata> md = sent.get();
  if (!md.ok()) return md.status();
  return md->offset;
}

}  // namespace event_sourcing
