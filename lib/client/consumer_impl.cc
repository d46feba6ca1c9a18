#include "lib/client/consumer_impl.h"

#include <algorithm>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"

namespace rill {
namespace {

client::FetchLimits LimitsFrom(const ConsumerOptions& o) {
  client::FetchLimits limits;
  limits.max_records = o.max_poll_records;
  limits.max_bytes = o.fetch_max_bytes;
  limits.max_partition_bytes = o.max_partition_fetch_bytes;
  limits.check_crcs = o.check_crcs;
  limits.read_committed = o.isolation_level == IsolationLevel::kReadCommitted;
  return limits;
}

std::string Names(const std::vector<TopicPartition>& partitions) {
  return absl::StrJoin(partitions, ", ", [](std::string* out, const TopicPartition& tp) {
    out->append(tp.ToString());
  });
}

// KafkaConsumer.close()'s default timeout.
constexpr absl::Duration kDefaultCloseTimeout = absl::Seconds(30);

}  // namespace

Consumer::Impl::Impl(Broker* broker, const ConsumerOptions& options)
    : broker_(static_cast<broker::BrokerImpl*>(broker)),
      options_(options),
      limits_(LimitsFrom(options)) {
  config_status_ = options_.Validate();
  cooperative_ = !options_.partition_assignment_strategy.empty();
  for (Assignor a : options_.partition_assignment_strategy) {
    cooperative_ &= a == Assignor::kCooperativeSticky;
  }
}

// Close's error is an auto-commit's; a destructor has no one to tell.
Consumer::Impl::~Impl() { Close(kDefaultCloseTimeout).IgnoreError(); }

absl::Status Consumer::Impl::CheckOpen() const {
  if (!config_status_.ok()) return config_status_;
  if (closed_) return absl::FailedPreconditionError("This consumer has already been closed.");
  return absl::OkStatus();
}

absl::StatusOr<Consumer::Impl::PartitionRef> Consumer::Impl::Lookup(
    const TopicPartition& tp) const {
  if (tp.partition < 0) {
    return absl::InvalidArgumentError(absl::StrCat("partition ", tp.ToString(), " is negative"));
  }
  PartitionRef ref;
  ref.topic = broker_->FindTopic(tp.topic);
  if (ref.topic == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("partition ", tp.ToString(), ": topic '", tp.topic, "' does not exist"));
  }
  ref.partition = ref.topic->partition_impl(tp.partition);
  if (ref.partition == nullptr) {
    return absl::NotFoundError(absl::StrCat("partition ", tp.ToString(), " does not exist: topic '",
                                            tp.topic, "' has ", ref.topic->partition_count(),
                                            " partitions"));
  }
  return ref;
}

absl::StatusOr<Consumer::Impl::PartitionState*> Consumer::Impl::Assigned(
    const TopicPartition& tp) const {
  auto it = by_partition_.find(tp);
  if (it == by_partition_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("No current assignment for partition ", tp.ToString()));
  }
  return it->second;
}

absl::StatusOr<std::vector<Consumer::Impl::PartitionState*>> Consumer::Impl::AssignedOrAll(
    absl::Span<const TopicPartition> partitions) const {
  std::vector<PartitionState*> states;
  if (partitions.empty()) {
    for (const auto& state : order_) states.push_back(state.get());
    return states;
  }
  for (const TopicPartition& tp : partitions) {
    RILL_ASSIGN_OR_RETURN(PartitionState * state, Assigned(tp));
    states.push_back(state);
  }
  return states;
}

absl::Status Consumer::Impl::Assign(absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  // Look everything up first, so a failure leaves the assignment as it was.
  absl::flat_hash_map<TopicPartition, PartitionState*> next;
  std::vector<std::unique_ptr<PartitionState>> added;
  for (const TopicPartition& tp : partitions) {
    if (next.contains(tp)) continue;
    auto it = by_partition_.find(tp);
    if (it != by_partition_.end() && !it->second->ref.topic->deleted()) {
      next[tp] = it->second;
      continue;
    }
    RILL_ASSIGN_OR_RETURN(PartitionRef ref, Lookup(tp));
    auto state = std::make_unique<PartitionState>();
    state->tp = tp;
    state->ref = std::move(ref);
    next[tp] = state.get();
    added.push_back(std::move(state));
  }
  std::vector<std::unique_ptr<PartitionState>> order;
  for (auto& state : order_) {
    auto it = next.find(state->tp);
    if (it != next.end() && it->second == state.get()) {
      order.push_back(std::move(state));
    } else {
      Release(state.get());
    }
  }
  for (auto& state : added) {
    state->ref.partition->AddWatcher(&notifier_);
    order.push_back(std::move(state));
  }
  order_ = std::move(order);
  by_partition_ = std::move(next);
  return absl::OkStatus();
}

void Consumer::Impl::Release(PartitionState* state) {
  state->ref.partition->RemoveWatcher(&notifier_);
}

std::vector<TopicPartition> Consumer::Impl::Sorted(bool paused_only) const {
  std::vector<TopicPartition> out;
  for (const auto& state : order_) {
    if (!paused_only || state->paused) out.push_back(state->tp);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<TopicPartition> Consumer::Impl::Assignment() const { return Sorted(false); }
std::vector<TopicPartition> Consumer::Impl::Paused() const { return Sorted(true); }

absl::Status Consumer::Impl::DropDeleted() {
  std::vector<TopicPartition> deleted;
  for (auto& state : order_) {
    if (!state->ref.topic->deleted()) continue;
    deleted.push_back(state->tp);
    Release(state.get());
    by_partition_.erase(state->tp);
    state.reset();
  }
  if (deleted.empty()) return absl::OkStatus();
  order_.erase(std::remove(order_.begin(), order_.end(), nullptr), order_.end());
  return absl::NotFoundError(absl::StrCat("the topic of assigned partitions ", Names(deleted),
                                          " was deleted; they are no longer assigned"));
}

int64_t Consumer::Impl::ResetOffset(const PartitionState& state, OffsetReset reset) const {
  const broker::PartitionImpl& p = *state.ref.partition;
  return reset == OffsetReset::kEarliest ? p.log_start_offset() : p.high_watermark();
}

absl::Status Consumer::Impl::ResolvePosition(PartitionState* state) {
  if (!state->position && !state->pending_reset) RILL_RETURN_IF_ERROR(ResolveCommitted(state));
  if (state->pending_reset) {
    state->position = ResetOffset(*state, *state->pending_reset);
    state->pending_reset.reset();
  } else if (!state->position) {
    if (options_.auto_offset_reset == OffsetReset::kNone) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Undefined offset with no reset policy for partitions: ", state->tp.ToString(),
          " (auto.offset.reset=none: Seek first)"));
    }
    state->position = ResetOffset(*state, options_.auto_offset_reset);
  }
  return absl::OkStatus();
}

absl::Status Consumer::Impl::ResetOutOfRange(PartitionState* state, const absl::Status& cause) {
  if (options_.auto_offset_reset == OffsetReset::kNone) {
    return absl::OutOfRangeError(absl::StrCat(
        "Offsets out of range with no configured reset policy for partitions: {",
        state->tp.ToString(), "=", state->fetch_position, "} (", cause.message(), ")"));
  }
  int64_t offset = ResetOffset(*state, options_.auto_offset_reset);
  state->position = offset;
  state->fetch_position = offset;
  return absl::OkStatus();
}

absl::StatusOr<ConsumerRecords> Consumer::Impl::Poll(absl::Duration timeout) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  if (timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("Poll timeout must not be negative");
  }
  absl::Time deadline = absl::Now() + timeout;  // InfiniteFuture for InfiniteDuration.
  RunCommitCallbacks();
  while (true) {
    if (TakeWakeup()) return absl::CancelledError("Poll was interrupted by Wakeup()");
    uint64_t seen = notifier_.epoch();
    if (subscribed_) RILL_RETURN_IF_ERROR(PollGroup());
    RILL_RETURN_IF_ERROR(CheckOpen());  // A listener or commit callback may have closed it.
    MaybeAutoCommit();
    RILL_RETURN_IF_ERROR(DropDeleted());
    if (order_.empty()) {
      if (!subscribed_) {
        return absl::FailedPreconditionError(
            "Consumer is not subscribed to any topics or assigned any partitions");
      }
      // Subscribed but nothing assigned (yet): wait for the group.
      if (absl::Now() >= deadline) return ConsumerRecords();
      notifier_.Wait(seen, deadline);
      continue;
    }
    bool regroup = false;
    absl::StatusOr<ConsumerRecords> records = PollOnce(deadline, seen, &regroup);
    if (!regroup) return records;
  }
}

// One fetch over the current assignment. Sets `*regroup` (and returns
// nothing) when a subscribed consumer woke without records: the wakeup may
// be the group's, so Poll looks at the group again.
absl::StatusOr<ConsumerRecords> Consumer::Impl::PollOnce(absl::Time deadline, uint64_t seen,
                                                         bool* regroup) {
  RILL_RETURN_IF_ERROR(StartPoll());
  client::ConsumerRecordsBuilder builder;
  client::Fetcher fetcher(limits_, &builder);
  uint64_t bytes = 0;
  std::optional<absl::Time> wait_for_bytes_until;  // fetch.max.wait.ms
  while (true) {
    RILL_ASSIGN_OR_RETURN(Round round, FetchRound(&fetcher));
    bytes += round.bytes;
    bool have = builder.count() > 0;
    absl::Time now = absl::Now();
    if (have && !wait_for_bytes_until) {
      wait_for_bytes_until = now + absl::Milliseconds(options_.fetch_max_wait_ms);
    }
    if (round.limited) break;
    if (have && (bytes >= static_cast<uint64_t>(options_.fetch_min_bytes) ||
                 now >= *wait_for_bytes_until)) {
      break;
    }
    absl::Time until = have ? std::min(deadline, *wait_for_bytes_until) : deadline;
    if (now >= until) break;
    WaitForData(until, seen);
    seen = notifier_.epoch();
    if (wakeup_.load(std::memory_order_acquire)) {
      TakeWakeup();
      return absl::CancelledError("Poll was interrupted by Wakeup()");
    }
    RILL_RETURN_IF_ERROR(DropDeleted());
    if (subscribed_ && builder.count() == 0) {
      *regroup = true;
      return ConsumerRecords();
    }
  }
  FinishPoll();
  return builder.Build();
}

absl::Status Consumer::Impl::StartPoll() {
  for (auto& state : order_) {
    if (!state->paused) RILL_RETURN_IF_ERROR(ResolvePosition(state.get()));
    state->fetch_position = state->position.value_or(0);
    state->fetched_bytes = 0;
    state->fetched_to = -1;
    state->returned = false;
  }
  return absl::OkStatus();
}

absl::StatusOr<Consumer::Impl::Round> Consumer::Impl::FetchRound(client::Fetcher* fetcher) {
  Round round;
  for (auto& state : order_) {
    if (!state->fetchable()) continue;
    int32_t before = fetcher->records();
    RILL_ASSIGN_OR_RETURN(client::PartitionFetch fetch, FetchPartition(fetcher, state.get()));
    state->fetch_position = fetch.next_position;
    state->fetched_bytes += fetch.bytes;
    state->returned |= fetcher->records() > before;
    round.bytes += fetch.bytes;
    round.limited |= fetch.limited;
  }
  return round;
}

absl::StatusOr<client::PartitionFetch> Consumer::Impl::FetchPartition(client::Fetcher* fetcher,
                                                                      PartitionState* state) {
  const broker::PartitionImpl& p = *state->ref.partition;
  // auto.offset.reset: retention deleted the position, or a Seek went past
  // the end. A retry can meet the same race with retention again; a few
  // are plenty.
  for (int attempt = 1;; ++attempt) {
    state->fetched_to = p.high_watermark();
    absl::StatusOr<client::PartitionFetch> fetch =
        fetcher->Fetch(state->tp, *p.log(), state->fetch_position, state->fetched_to,
                       state->fetched_bytes, &state->cursor);
    if (!absl::IsOutOfRange(fetch.status()) || attempt == 3) return fetch;
    RILL_RETURN_IF_ERROR(ResetOutOfRange(state, fetch.status()));
  }
}

bool Consumer::Impl::HasNewData() const {
  for (const auto& state : order_) {
    if (state->ref.topic->deleted()) return true;
    if (state->fetchable() && state->ref.partition->high_watermark() > state->fetched_to)
      return true;
  }
  return false;
}

void Consumer::Impl::WaitForData(absl::Time deadline, uint64_t seen) {
  if (wakeup_.load(std::memory_order_acquire)) return;
  // Only the partitions Poll reads: appends to paused ones need not wake it.
  for (const auto& state : order_) {
    if (state->fetchable()) state->ref.partition->BeginWait();
  }
  // BeginWait's RMW pairs with Append's (partition_impl.h): either the
  // check below sees the append, or the append sees this waiter.
  if (!HasNewData()) notifier_.Wait(seen, deadline);
  for (const auto& state : order_) {
    if (state->fetchable()) state->ref.partition->EndWait();
  }
}

void Consumer::Impl::FinishPoll() {
  for (auto& state : order_) {
    if (state->fetchable()) state->position = state->fetch_position;
  }
  // Kafka's movePartitionToEnd: who returned records goes to the back, in
  // the order they were served.
  std::stable_partition(order_.begin(), order_.end(),
                        [](const auto& state) { return !state->returned; });
}

absl::Status Consumer::Impl::Seek(const TopicPartition& partition, int64_t offset) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  if (offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat("seek offset for partition ",
                                                   partition.ToString(),
                                                   " must not be a negative number: ", offset));
  }
  RILL_ASSIGN_OR_RETURN(PartitionState * state, Assigned(partition));
  state->position = offset;
  state->pending_reset.reset();
  return absl::OkStatus();
}

absl::Status Consumer::Impl::SeekToBeginning(absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  RILL_ASSIGN_OR_RETURN(std::vector<PartitionState*> states, AssignedOrAll(partitions));
  for (PartitionState* state : states) state->pending_reset = OffsetReset::kEarliest;
  return absl::OkStatus();
}

absl::Status Consumer::Impl::SeekToEnd(absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  RILL_ASSIGN_OR_RETURN(std::vector<PartitionState*> states, AssignedOrAll(partitions));
  for (PartitionState* state : states) state->pending_reset = OffsetReset::kLatest;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Consumer::Impl::Position(const TopicPartition& partition) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  RILL_ASSIGN_OR_RETURN(PartitionState * state, Assigned(partition));
  if (state->ref.topic->deleted()) {
    return absl::NotFoundError(
        absl::StrCat("the topic of assigned partition ", partition.ToString(), " was deleted"));
  }
  RILL_RETURN_IF_ERROR(ResolvePosition(state));
  return *state->position;
}

absl::StatusOr<std::optional<int64_t>> Consumer::Impl::CurrentLag(const TopicPartition& partition) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  RILL_ASSIGN_OR_RETURN(PartitionState * state, Assigned(partition));
  // Kafka's SubscriptionState.partitionLag: unknown without a position; a
  // pending reset is about to replace the one there is.
  if (!state->position || state->pending_reset || state->ref.topic->deleted()) {
    return std::nullopt;
  }
  // read_committed would use the last stable offset: the high watermark
  // without transactions.
  return state->ref.partition->high_watermark() - *state->position;
}

absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>>
Consumer::Impl::OffsetsForTimes(const std::map<TopicPartition, int64_t>& timestamps) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  std::map<TopicPartition, std::optional<OffsetAndTimestamp>> out;
  for (const auto& [tp, timestamp] : timestamps) {
    if (timestamp < 0) {
      return absl::InvalidArgumentError(absl::StrCat("The target time for partition ",
                                                     tp.ToString(), " is ", timestamp,
                                                     ". The target time cannot be negative."));
    }
    RILL_ASSIGN_OR_RETURN(PartitionRef ref, Lookup(tp));
    RILL_ASSIGN_OR_RETURN(auto found, ref.partition->log()->OffsetForTimestamp(timestamp));
    std::optional<OffsetAndTimestamp>& slot = out[tp];
    if (found) slot = OffsetAndTimestamp{found->offset, found->timestamp};
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, int64_t>> Consumer::Impl::BeginningOffsets(
    absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  std::map<TopicPartition, int64_t> out;
  for (const TopicPartition& tp : partitions) {
    RILL_ASSIGN_OR_RETURN(PartitionRef ref, Lookup(tp));
    out[tp] = ref.partition->log_start_offset();
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, int64_t>> Consumer::Impl::EndOffsets(
    absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  std::map<TopicPartition, int64_t> out;
  for (const TopicPartition& tp : partitions) {
    RILL_ASSIGN_OR_RETURN(PartitionRef ref, Lookup(tp));
    // read_committed would stop at the last stable offset, which without
    // transactions is the high watermark.
    out[tp] = ref.partition->high_watermark();
  }
  return out;
}

absl::Status Consumer::Impl::SetPaused(absl::Span<const TopicPartition> partitions, bool paused) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  if (partitions.empty()) return absl::OkStatus();  // Unlike seeks, nothing is not everything.
  RILL_ASSIGN_OR_RETURN(std::vector<PartitionState*> states, AssignedOrAll(partitions));
  for (PartitionState* state : states) state->paused = paused;
  return absl::OkStatus();
}

void Consumer::Impl::Wakeup() {
  wakeup_.store(true, std::memory_order_release);
  notifier_.Notify();
}

// In-process the final commit and the LeaveGroup complete at once, so
// nothing here waits for `timeout`: Kafka's bound on them is never reached.
absl::Status Consumer::Impl::Close(absl::Duration timeout) {
  if (timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("The timeout cannot be negative.");
  }
  if (closed_ || closing_) return absl::OkStatus();
  closing_ = true;
  absl::Status status;
  if (config_status_.ok()) status = LeaveGroup();
  RunCommitCallbacks();  // Also those of commits that failed without a group.id.
  for (auto& state : order_) Release(state.get());
  order_.clear();
  by_partition_.clear();
  closed_ = true;
  return status;
}

absl::Status Consumer::Impl::AcquireThread(absl::string_view method) {
  std::thread::id self = std::this_thread::get_id();
  // Only this thread ever stores its own id, so a relaxed load that sees
  // it is exact.
  std::thread::id owner = owner_.load(std::memory_order_relaxed);
  if (owner != self) {
    owner = std::thread::id();
    if (!owner_.compare_exchange_strong(owner, self, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      std::ostringstream message;
      message << "Consumer is not safe for multi-threaded access: " << method
              << "() was called on thread " << self << " while thread " << owner
              << " is inside the consumer (Kafka's ConcurrentModificationException); only "
                 "Wakeup() may be called from another thread";
      return absl::FailedPreconditionError(message.str());
    }
  }
  ++owner_depth_;
  return absl::OkStatus();
}

void Consumer::Impl::ReleaseThread() {
  if (--owner_depth_ == 0) owner_.store(std::thread::id(), std::memory_order_release);
}

// rill::Consumer forwards to Impl, each call holding the consumer for its
// thread (Kafka's acquire/release) except Wakeup and options.

namespace {

class ThreadGuard {
 public:
  ThreadGuard(Consumer::Impl* impl, absl::string_view method)
      : impl_(impl), status_(impl->AcquireThread(method)) {}
  ~ThreadGuard() {
    if (status_.ok()) impl_->ReleaseThread();
  }
  ThreadGuard(const ThreadGuard&) = delete;
  ThreadGuard& operator=(const ThreadGuard&) = delete;

  const absl::Status& status() const { return status_; }

 private:
  Consumer::Impl* const impl_;
  const absl::Status status_;
};

}  // namespace

// Returns the guard's error from a method returning Status or StatusOr.
#define RILL_CONSUMER_GUARD(method)       \
  ThreadGuard guard(impl_.get(), method); \
  RILL_RETURN_IF_ERROR(guard.status())

Consumer::Consumer(Broker* broker, const ConsumerOptions& options)
    : impl_(std::make_unique<Impl>(broker, options)) {}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(Broker* broker,
                                                           const ConsumerOptions& options) {
  auto consumer = std::make_unique<Consumer>(broker, options);
  RILL_RETURN_IF_ERROR(consumer->impl_->config_status());
  return consumer;
}

Consumer::~Consumer() = default;

absl::Status Consumer::Assign(absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("Assign");
  return impl_->UserAssign(partitions);
}
absl::Status Consumer::Subscribe(const std::vector<std::string>& topics,
                                 ConsumerRebalanceListener* listener) {
  RILL_CONSUMER_GUARD("Subscribe");
  return impl_->Subscribe(topics, listener);
}
absl::Status Consumer::SubscribePattern(const std::string& pattern,
                                        ConsumerRebalanceListener* listener) {
  RILL_CONSUMER_GUARD("SubscribePattern");
  return impl_->SubscribePattern(pattern, listener);
}
absl::Status Consumer::Unsubscribe() {
  RILL_CONSUMER_GUARD("Unsubscribe");
  return impl_->Unsubscribe();
}
std::vector<std::string> Consumer::Subscription() const {
  ThreadGuard guard(impl_.get(), "Subscription");
  if (!guard.status().ok()) return {};
  return impl_->Subscription();
}
absl::Status Consumer::EnforceRebalance(absl::string_view /*reason*/) {
  RILL_CONSUMER_GUARD("EnforceRebalance");
  return impl_->EnforceRebalance();
}
absl::Status Consumer::CommitSync() {
  RILL_CONSUMER_GUARD("CommitSync");
  return impl_->CommitSync(nullptr);
}
absl::Status Consumer::CommitSync(const std::map<TopicPartition, OffsetAndMetadata>& offsets) {
  RILL_CONSUMER_GUARD("CommitSync");
  return impl_->CommitSync(&offsets);
}
void Consumer::CommitAsync(OffsetCommitCallback callback) {
  ThreadGuard guard(impl_.get(), "CommitAsync");
  if (!guard.status().ok()) {
    // The owner's queue is not this thread's to touch: report here.
    if (callback) callback({}, guard.status());
    return;
  }
  impl_->CommitAsync(nullptr, std::move(callback));
}
void Consumer::CommitAsync(const std::map<TopicPartition, OffsetAndMetadata>& offsets,
                           OffsetCommitCallback callback) {
  ThreadGuard guard(impl_.get(), "CommitAsync");
  if (!guard.status().ok()) {
    if (callback) callback(offsets, guard.status());  // As above.
    return;
  }
  impl_->CommitAsync(&offsets, std::move(callback));
}
absl::StatusOr<std::map<TopicPartition, OffsetAndMetadata>> Consumer::Committed(
    absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("Committed");
  return impl_->Committed(partitions);
}
ConsumerGroupMetadata Consumer::GroupMetadata() const {
  ThreadGuard guard(impl_.get(), "GroupMetadata");
  if (!guard.status().ok()) {
    return {options().group_id, -1, "", options().group_instance_id};
  }
  return impl_->GroupMetadata();
}
std::vector<TopicPartition> Consumer::Assignment() const {
  ThreadGuard guard(impl_.get(), "Assignment");
  if (!guard.status().ok()) return {};
  return impl_->Assignment();
}
absl::StatusOr<ConsumerRecords> Consumer::Poll(absl::Duration timeout) {
  RILL_CONSUMER_GUARD("Poll");
  return impl_->Poll(timeout);
}
absl::Status Consumer::Seek(const TopicPartition& partition, int64_t offset) {
  RILL_CONSUMER_GUARD("Seek");
  return impl_->Seek(partition, offset);
}
absl::Status Consumer::Seek(const TopicPartition& partition, const OffsetAndMetadata& offset) {
  RILL_CONSUMER_GUARD("Seek");
  return impl_->Seek(partition, offset.offset);
}
absl::Status Consumer::SeekToBeginning(absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("SeekToBeginning");
  return impl_->SeekToBeginning(partitions);
}
absl::Status Consumer::SeekToEnd(absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("SeekToEnd");
  return impl_->SeekToEnd(partitions);
}
absl::StatusOr<int64_t> Consumer::Position(const TopicPartition& partition) {
  RILL_CONSUMER_GUARD("Position");
  return impl_->Position(partition);
}
absl::StatusOr<std::optional<int64_t>> Consumer::CurrentLag(const TopicPartition& partition) {
  RILL_CONSUMER_GUARD("CurrentLag");
  return impl_->CurrentLag(partition);
}
absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndTimestamp>>>
Consumer::OffsetsForTimes(const std::map<TopicPartition, int64_t>& timestamps) {
  RILL_CONSUMER_GUARD("OffsetsForTimes");
  return impl_->OffsetsForTimes(timestamps);
}
absl::StatusOr<std::map<TopicPartition, int64_t>> Consumer::BeginningOffsets(
    absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("BeginningOffsets");
  return impl_->BeginningOffsets(partitions);
}
absl::StatusOr<std::map<TopicPartition, int64_t>> Consumer::EndOffsets(
    absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("EndOffsets");
  return impl_->EndOffsets(partitions);
}
absl::Status Consumer::Pause(absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("Pause");
  return impl_->SetPaused(partitions, true);
}
absl::Status Consumer::Resume(absl::Span<const TopicPartition> partitions) {
  RILL_CONSUMER_GUARD("Resume");
  return impl_->SetPaused(partitions, false);
}
std::vector<TopicPartition> Consumer::Paused() const {
  ThreadGuard guard(impl_.get(), "Paused");
  if (!guard.status().ok()) return {};
  return impl_->Paused();
}
void Consumer::Wakeup() { impl_->Wakeup(); }
absl::Status Consumer::Close(absl::Duration timeout) {
  RILL_CONSUMER_GUARD("Close");
  return impl_->Close(timeout);
}
absl::Status Consumer::Close() { return Close(kDefaultCloseTimeout); }

#undef RILL_CONSUMER_GUARD

const ConsumerOptions& Consumer::options() const { return impl_->options(); }

}  // namespace rill
