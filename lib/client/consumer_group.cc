// Consumer::Impl's group membership: Kafka's ConsumerCoordinator over the
// broker's in-process GroupService (lib/broker/group_service.h).

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/broker/topic_name.h"
#include "lib/client/consumer_impl.h"

namespace rill {
namespace {

std::vector<TopicPartition> Minus(const std::vector<TopicPartition>& a,
                                  const std::vector<TopicPartition>& b) {
  std::vector<TopicPartition> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::string AssignorProtocolName(Assignor a) {
  switch (a) {
    case Assignor::kRange:
      return "range";
    case Assignor::kRoundRobin:
      return "roundrobin";
    case Assignor::kSticky:
      return "sticky";
    case Assignor::kCooperativeSticky:
      return "cooperative-sticky";
  }
  return "range";
}

}  // namespace

absl::Status Consumer::Impl::CheckGroup() const {
  RILL_RETURN_IF_ERROR(CheckOpen());
  if (options_.group_id.empty()) {
    return absl::InvalidArgumentError(
        "To use the group management or offset commit APIs, you must provide a valid group.id "
        "in the consumer configuration.");
  }
  return absl::OkStatus();
}

absl::Status Consumer::Impl::UserAssign(absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckOpen());
  if (subscribed_) {
    return absl::FailedPreconditionError(
        "Subscription to topics, partitions and pattern are mutually exclusive: "
        "Unsubscribe() before Assign()");
  }
  return Assign(partitions);
}

absl::Status Consumer::Impl::Subscribe(const std::vector<std::string>& topics,
                                       ConsumerRebalanceListener* listener) {
  RILL_RETURN_IF_ERROR(CheckGroup());
  if (topics.empty()) return Unsubscribe();
  if (!subscribed_ && !order_.empty()) {
    return absl::FailedPreconditionError(
        "Subscription to topics, partitions and pattern are mutually exclusive: "
        "Assign({}) before Subscribe()");
  }
  for (const std::string& t : topics) {
    if (t.empty())
      return absl::InvalidArgumentError(
          "Topic collection to subscribe to cannot contain null or empty topic");
  }
  topics_ = topics;
  pattern_.reset();
  listener_ = listener;
  subscribed_ = true;
  if (RefreshSubscription()) need_join_ = true;
  return absl::OkStatus();
}

absl::Status Consumer::Impl::SubscribePattern(const std::string& pattern,
                                              ConsumerRebalanceListener* listener) {
  RILL_RETURN_IF_ERROR(CheckGroup());
  if (!subscribed_ && !order_.empty()) {
    return absl::FailedPreconditionError(
        "Subscription to topics, partitions and pattern are mutually exclusive: "
        "Assign({}) before SubscribePattern()");
  }
  // std::regex reports a bad pattern by throwing; rill does not throw, so
  // the exception stops here.
  try {
    pattern_.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscription pattern '", pattern, "' is not a valid regex: ", e.what()));
  }
  topics_.clear();
  listener_ = listener;
  subscribed_ = true;
  if (RefreshSubscription()) need_join_ = true;
  return absl::OkStatus();
}

bool Consumer::Impl::RefreshSubscription() {
  std::vector<std::string> next;
  if (pattern_) {
    for (const std::string& t : broker_->ListTopics()) {
      // exclude.internal.topics=true, as Kafka's default.
      if (!broker::IsInternalTopic(t) && std::regex_match(t, *pattern_)) next.push_back(t);
    }
  } else {
    next = topics_;
  }
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  if (next == subscription_) return false;
  subscription_ = std::move(next);
  return true;
}

absl::Status Consumer::Impl::Unsubscribe() {
  RILL_RETURN_IF_ERROR(CheckOpen());
  absl::Status status = LeaveGroup();
  RILL_RETURN_IF_ERROR(Assign({}));
  subscribed_ = false;
  topics_.clear();
  pattern_.reset();
  subscription_.clear();
  listener_ = nullptr;
  return status;
}

// KIP-568: Kafka's requestRejoin. The next PollGroup joins, which moves a
// stable group to PreparingRebalance and so calls every member back; a
// rebalance already under way takes this join instead, as Kafka's no-op.
absl::Status Consumer::Impl::EnforceRebalance() {
  RILL_RETURN_IF_ERROR(CheckOpen());
  if (options_.group_id.empty()) {
    return absl::FailedPreconditionError(
        "Tried to force a rebalance but consumer does not have a group (no group.id).");
  }
  if (!subscribed_) {
    return absl::FailedPreconditionError(
        "Tried to force a rebalance but consumer does not use group subscription: "
        "Subscribe() first");
  }
  need_join_ = true;
  return absl::OkStatus();
}

// Auto-commit, revoke through the listener, leave (a static member only
// detaches). Called by Unsubscribe and Close.
absl::Status Consumer::Impl::LeaveGroup() {
  if (options_.group_id.empty()) return absl::OkStatus();
  absl::Status status;
  if (options_.enable_auto_commit && (!subscribed_ || !member_id_.empty())) {
    status = CommitOffsets(Consumed());
  }
  RunCommitCallbacks();
  if (subscribed_ && !member_id_.empty()) {
    std::vector<TopicPartition> owned = Assignment();
    if (listener_ != nullptr && !owned.empty()) listener_->OnPartitionsRevoked(owned);
    broker_->groups()->Leave(options_.group_id, member_id_);
  }
  member_id_.clear();
  generation_ = -1;
  need_join_ = false;
  return status;
}

absl::Status Consumer::Impl::PollGroup() {
  if (RefreshSubscription()) need_join_ = true;
  // A few rounds: an unknown member rejoins, a cooperative revocation
  // rejoins at once.
  for (int round = 0; round < 4; ++round) {
    // A commit callback or the listener may have closed the consumer.
    RILL_RETURN_IF_ERROR(CheckOpen());
    broker::MemberView view;
    if (member_id_.empty() || need_join_) {
      RILL_ASSIGN_OR_RETURN(view, JoinGroup());
    } else {
      view = broker_->groups()->Heartbeat(options_.group_id, member_id_);
    }
    if (view.error == broker::MemberView::Error::kFencedInstanceId) {
      return absl::FailedPreconditionError(absl::StrCat(
          "group '", options_.group_id, "': group.instance.id '", options_.group_instance_id,
          "' was taken over by another consumer (FENCED_INSTANCE_ID); close this one"));
    }
    if (view.error == broker::MemberView::Error::kUnknownMemberId) {
      LoseAssignment();
      continue;
    }
    member_id_ = view.member_id;
    need_join_ = view.must_join;
    if (need_join_) continue;
    if (view.generation >= 0 && view.generation != generation_) ApplyAssignment(view);
    if (!need_join_) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<broker::MemberView> Consumer::Impl::JoinGroup() {
  // Eager protocol: give everything up before joining.
  if (!cooperative_) RevokeAll();
  broker::JoinGroupRequest r;
  r.group_id = options_.group_id;
  r.member_id = member_id_;
  r.group_instance_id = options_.group_instance_id;
  r.client_id = options_.client_id;
  r.session_timeout_ms = options_.session_timeout_ms;
  r.rebalance_timeout_ms = options_.max_poll_interval_ms;
  for (Assignor a : options_.partition_assignment_strategy) {
    r.protocols.push_back(AssignorProtocolName(a));
  }
  r.topics = subscription_;
  if (cooperative_) r.owned = Assignment();
  r.generation = generation_;
  r.notifier = &notifier_;
  return broker_->groups()->Join(r);
}

void Consumer::Impl::RevokeAll() {
  std::vector<TopicPartition> owned = Assignment();
  if (owned.empty()) return;
  if (options_.enable_auto_commit && !member_id_.empty()) {
    // Commits before revocation are accepted while the group prepares the
    // rebalance; a failure only means another member re-reads them.
    CommitOffsets(Consumed()).IgnoreError();
  }
  if (listener_ != nullptr) listener_->OnPartitionsRevoked(owned);
  Assign({}).IgnoreError();  // Unassigning looks nothing up: it cannot fail.
}

void Consumer::Impl::LoseAssignment() {
  std::vector<TopicPartition> owned = Assignment();
  if (listener_ != nullptr && !owned.empty()) listener_->OnPartitionsLost(owned);
  Assign({}).IgnoreError();  // As above.
  member_id_.clear();
  generation_ = -1;
  need_join_ = true;
}

void Consumer::Impl::ApplyAssignment(const broker::MemberView& view) {
  std::vector<TopicPartition> next = view.assignment;
  std::sort(next.begin(), next.end());
  std::vector<TopicPartition> owned = Assignment();
  generation_ = view.generation;
  // Partitions of topics deleted since the assignment are skipped by
  // Assign's lookup failing; the next metadata check rebalances.
  auto assign = [this](const std::vector<TopicPartition>& partitions) {
    std::vector<TopicPartition> live;
    for (const TopicPartition& tp : partitions) {
      if (Lookup(tp).ok()) live.push_back(tp);
    }
    Assign(live).IgnoreError();  // Every partition was just looked up.
  };
  if (!cooperative_) {
    assign(next);
    if (listener_ != nullptr) listener_->OnPartitionsAssigned(next);
    return;
  }
  // KIP-429: revoke only what moved, then rejoin so the next generation can
  // hand it to its new owner.
  std::vector<TopicPartition> revoked = Minus(owned, next);
  std::vector<TopicPartition> added = Minus(next, owned);
  if (!revoked.empty()) {
    if (options_.enable_auto_commit) {
      std::map<TopicPartition, OffsetAndMetadata> offsets = Consumed();
      std::erase_if(offsets, [&](const auto& e) {
        return !std::binary_search(revoked.begin(), revoked.end(), e.first);
      });
      CommitOffsets(offsets).IgnoreError();  // As in RevokeAll.
    }
    if (listener_ != nullptr) listener_->OnPartitionsRevoked(revoked);
  }
  assign(next);
  if (listener_ != nullptr) listener_->OnPartitionsAssigned(added);
  if (!revoked.empty()) need_join_ = true;
}

absl::Status Consumer::Impl::ResolveCommitted(PartitionState* state) {
  if (options_.group_id.empty()) return absl::OkStatus();
  RILL_ASSIGN_OR_RETURN(auto committed,
                        broker_->groups()->Committed(options_.group_id, {state->tp}));
  auto it = committed.find(state->tp);
  if (it != committed.end()) state->position = it->second.offset;
  return absl::OkStatus();
}

// --- Commits --------------------------------------------------------------

std::map<TopicPartition, OffsetAndMetadata> Consumer::Impl::Consumed() const {
  std::map<TopicPartition, OffsetAndMetadata> out;
  for (const auto& state : order_) {
    if (state->position) out[state->tp] = OffsetAndMetadata{*state->position, "", std::nullopt};
  }
  return out;
}

absl::Status Consumer::Impl::CommitOffsets(
    const std::map<TopicPartition, OffsetAndMetadata>& offsets) {
  if (offsets.empty()) return absl::OkStatus();
  broker::CommitRequest r;
  r.group_id = options_.group_id;
  if (subscribed_) {
    r.member_id = member_id_;
    r.group_instance_id = options_.group_instance_id;
    r.generation = generation_;
    if (member_id_.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("Commit cannot be completed: this consumer has not joined group '",
                       options_.group_id, "' yet (or was removed from it); Poll first"));
    }
  }
  r.offsets = offsets;
  return broker_->groups()->Commit(r);
}

absl::Status Consumer::Impl::CommitSync(
    const std::map<TopicPartition, OffsetAndMetadata>* offsets) {
  RILL_RETURN_IF_ERROR(CheckGroup());
  RunCommitCallbacks();
  return CommitOffsets(offsets != nullptr ? *offsets : Consumed());
}

void Consumer::Impl::CommitAsync(const std::map<TopicPartition, OffsetAndMetadata>* offsets,
                                 OffsetCommitCallback callback) {
  PendingCallback pending;
  pending.status = CheckGroup();
  pending.offsets = offsets != nullptr ? *offsets : Consumed();
  if (pending.status.ok()) pending.status = CommitOffsets(pending.offsets);
  if (!callback) return;
  pending.callback = std::move(callback);
  callbacks_.push_back(std::move(pending));
}

void Consumer::Impl::RunCommitCallbacks() {
  while (!callbacks_.empty()) {
    PendingCallback pending = std::move(callbacks_.front());
    callbacks_.pop_front();
    pending.callback(pending.offsets, pending.status);
  }
}

void Consumer::Impl::MaybeAutoCommit() {
  if (options_.group_id.empty() || !options_.enable_auto_commit) return;
  if (subscribed_ && member_id_.empty()) return;
  int64_t now = broker_->clock()->NowMs();
  if (next_auto_commit_ms_ == 0) next_auto_commit_ms_ = now + options_.auto_commit_interval_ms;
  if (now < next_auto_commit_ms_) return;
  next_auto_commit_ms_ = now + options_.auto_commit_interval_ms;
  // Kafka's auto-commit is asynchronous and not retried; a fenced one is
  // followed by a rejoin, and the records are read again by someone.
  CommitOffsets(Consumed()).IgnoreError();
}

absl::StatusOr<std::map<TopicPartition, OffsetAndMetadata>> Consumer::Impl::Committed(
    absl::Span<const TopicPartition> partitions) {
  RILL_RETURN_IF_ERROR(CheckGroup());
  RILL_ASSIGN_OR_RETURN(
      auto committed,
      broker_->groups()->Committed(
          options_.group_id, std::vector<TopicPartition>(partitions.begin(), partitions.end())));
  std::map<TopicPartition, OffsetAndMetadata> out;
  for (const auto& [tp, c] : committed)
    out[tp] = OffsetAndMetadata{c.offset, c.metadata, c.leader_epoch};
  return out;
}

ConsumerGroupMetadata Consumer::Impl::GroupMetadata() const {
  return {options_.group_id, generation_, member_id_, options_.group_instance_id};
}

}  // namespace rill
