#include "lib/group/group_coordinator.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"
#include "lib/broker/topic_name.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/group/assignor.h"
#include "lib/group/offsets_format.h"

namespace rill {
namespace broker {

std::unique_ptr<GroupService> NewGroupService(BrokerImpl* broker) {
  return std::make_unique<group::GroupCoordinator>(broker);
}

}  // namespace broker

namespace group {
namespace {

// offset.metadata.max.bytes
constexpr size_t kMaxMetadataBytes = 4096;

int64_t NowMs(const broker::BrokerImpl* broker) { return broker->clock()->NowMs(); }

}  // namespace

GroupCoordinator::GroupCoordinator(broker::BrokerImpl* broker) : broker_(broker) {
  if (!broker_->options().read_only) {
    task_ = broker_->AddMaintenanceTask([this] { RunTimers(); });
  }
}

GroupCoordinator::~GroupCoordinator() { Close(); }

void GroupCoordinator::Close() {
  // Not under mu_: removal waits for a running task, which takes mu_.
  if (task_ >= 0) broker_->RemoveMaintenanceTask(task_);
  task_ = -1;
  MutexLock lock(&mu_);
  closed_ = true;
  for (auto& [id, group] : groups_) Notify(*group);
}

Group* GroupCoordinator::Find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

Group& GroupCoordinator::FindOrCreate(const std::string& group_id) {
  std::unique_ptr<Group>& group = groups_[group_id];
  if (group == nullptr) group = std::make_unique<Group>(group_id);
  return *group;
}

void GroupCoordinator::Notify(const Group& group) {
  for (const auto& [id, m] : group.members) {
    if (m.notifier != nullptr) m.notifier->Notify();
  }
}

broker::MemberView GroupCoordinator::ViewOf(const Group& group, const Member& member) {
  broker::MemberView view;
  view.member_id = member.member_id;
  view.must_join = group.state() == GroupState::kPreparingRebalance && !member.joined;
  if (group.state() == GroupState::kStable) {
    view.generation = group.generation;
    view.protocol = group.protocol;
    view.assignment = member.assignment;
  }
  return view;
}

// --- Membership -----------------------------------------------------------

absl::StatusOr<broker::MemberView> GroupCoordinator::Join(const broker::JoinGroupRequest& r) {
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError("the broker's group coordinator is closed");
  if (r.protocols.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("group '", r.group_id, "': partition.assignment.strategy is empty"));
  }
  int64_t now = NowMs(broker_);
  Group& group = FindOrCreate(r.group_id);
  Member* member = nullptr;
  if (r.member_id.empty()) {
    if (!r.group_instance_id.empty()) {
      if (auto view = RejoinStatic(group, r, now)) return *view;
    }
  } else {
    member = group.FindMember(r.member_id);
    if (member == nullptr) {
      broker::MemberView view;
      view.error = group.fenced.contains(r.member_id) ? broker::MemberView::Error::kFencedInstanceId
                                                      : broker::MemberView::Error::kUnknownMemberId;
      return view;
    }
  }
  // INCONSISTENT_GROUP_PROTOCOL: the others' assignors must still overlap.
  std::string self = member != nullptr ? member->member_id : "";
  Group probe(group.id());
  for (const auto& [id, m] : group.members) {
    if (id != self) probe.members[id] = m;
  }
  if (!probe.SupportsProtocols(r.protocols)) {
    return absl::InvalidArgumentError(
        absl::StrCat("group '", r.group_id,
                     "': the member's partition.assignment.strategy shares no "
                     "assignor with the group's members (INCONSISTENT_GROUP_PROTOCOL)"));
  }
  if (member == nullptr) member = &AddMember(group, r, now);
  member->protocols = r.protocols;
  member->topics = r.topics;
  member->owned = r.owned;
  member->owned_generation = r.generation;
  member->notifier = r.notifier;
  member->session_timeout_ms = r.session_timeout_ms;
  member->rebalance_timeout_ms = r.rebalance_timeout_ms;
  member->last_heartbeat_ms = member->last_poll_ms = now;
  std::string id = member->member_id;
  if (group.state() != GroupState::kPreparingRebalance) PrepareRebalance(group, now);
  group.FindMember(id)->joined = true;
  MaybeCompleteJoin(group, now);
  return ViewOf(group, *group.FindMember(id));
}

Member& GroupCoordinator::AddMember(Group& group, const broker::JoinGroupRequest& r, int64_t now) {
  Member m;
  std::string prefix = !r.group_instance_id.empty() ? r.group_instance_id
                       : !r.client_id.empty()       ? r.client_id
                                                    : "consumer";
  // Kafka appends a UUID; a sequence keeps ids unique within the broker
  // and makes dynamic members sort in the order they joined.
  m.member_id = absl::StrFormat("%s-%012d", prefix, next_member_++);
  m.group_instance_id = r.group_instance_id;
  m.client_id = r.client_id;
  m.join_order = next_member_;
  m.last_heartbeat_ms = m.last_poll_ms = now;
  std::string id = m.member_id;
  return group.members[id] = std::move(m);
}

std::optional<broker::MemberView> GroupCoordinator::RejoinStatic(Group& group,
                                                                 const broker::JoinGroupRequest& r,
                                                                 int64_t now) {
  Member* old = group.FindStatic(r.group_instance_id);
  if (old == nullptr) return std::nullopt;
  // KIP-345: the new consumer takes over the identity under a new member
  // id; the old id is fenced.
  Member m = *old;
  std::string old_id = m.member_id;
  if (m.notifier != nullptr) m.notifier->Notify();  // A live predecessor learns it is fenced.
  group.members.erase(old_id);
  group.fenced.insert(old_id);
  m.member_id = absl::StrFormat("%s-%012d", r.group_instance_id, next_member_++);
  m.notifier = r.notifier;
  m.last_heartbeat_ms = m.last_poll_ms = now;
  bool same = m.protocols == r.protocols && m.topics == r.topics;
  if (group.leader == old_id) group.leader = m.member_id;
  std::string id = m.member_id;
  group.members[id] = std::move(m);
  if (!same || group.state() != GroupState::kStable) return std::nullopt;
  // Unchanged subscription in a stable group: no rebalance, same assignment.
  WriteGroupMetadata(group)
      .IgnoreError();  // The member id is advisory; the next generation rewrites it.
  return ViewOf(group, group.members[id]);
}

broker::MemberView GroupCoordinator::Heartbeat(const std::string& group_id,
                                               const std::string& member_id) {
  MutexLock lock(&mu_);
  broker::MemberView view;
  Group* group = Find(group_id);
  Member* member = group != nullptr ? group->FindMember(member_id) : nullptr;
  if (member == nullptr) {
    view.error = group != nullptr && group->fenced.contains(member_id)
                     ? broker::MemberView::Error::kFencedInstanceId
                     : broker::MemberView::Error::kUnknownMemberId;
    return view;
  }
  int64_t now = NowMs(broker_);
  member->last_heartbeat_ms = member->last_poll_ms = now;
  // The leader watches its topics' metadata (partition counts, new topics).
  if (group->state() == GroupState::kStable && member_id == group->leader &&
      PartitionCounts(*group) != group->partition_counts) {
    PrepareRebalance(*group, now);
  }
  return ViewOf(*group, *group->FindMember(member_id));
}

void GroupCoordinator::Leave(const std::string& group_id, const std::string& member_id) {
  MutexLock lock(&mu_);
  Group* group = Find(group_id);
  Member* member = group != nullptr ? group->FindMember(member_id) : nullptr;
  if (member == nullptr) return;
  int64_t now = NowMs(broker_);
  if (!member->group_instance_id.empty()) {
    member->notifier = nullptr;
    member->last_heartbeat_ms = now;
    return;
  }
  RemoveMember(*group, member_id, now);
}

void GroupCoordinator::RemoveMember(Group& group, const std::string& member_id, int64_t now) {
  group.members.erase(member_id);
  if (group.leader == member_id) group.leader.clear();
  if (group.state() != GroupState::kPreparingRebalance) PrepareRebalance(group, now);
  MaybeCompleteJoin(group, now);
}

void GroupCoordinator::PrepareRebalance(Group& group, int64_t now) {
  if (!group.TransitionTo(GroupState::kPreparingRebalance, now)) return;
  int64_t timeout = 0;
  for (auto& [id, m] : group.members) {
    m.joined = false;
    timeout = std::max<int64_t>(timeout, m.rebalance_timeout_ms);
  }
  group.rebalance_deadline_ms = now + timeout;
  Notify(group);
}

void GroupCoordinator::MaybeCompleteJoin(Group& group, int64_t now) {
  if (group.state() == GroupState::kPreparingRebalance && group.AllJoined())
    CompleteJoin(group, now);
}

std::map<std::string, int32_t> GroupCoordinator::PartitionCounts(const Group& group) const {
  std::map<std::string, int32_t> counts;
  for (const auto& [id, m] : group.members) {
    for (const std::string& t : m.topics) {
      std::shared_ptr<broker::TopicImpl> topic = broker_->FindTopic(t);
      if (topic != nullptr && !topic->deleted()) counts[t] = topic->partition_count();
    }
  }
  return counts;
}

void GroupCoordinator::CompleteJoin(Group& group, int64_t now) {
  ++group.generation;
  if (group.members.empty()) {
    group.protocol.clear();
    group.leader.clear();
    group.partition_counts.clear();
    group.TransitionTo(GroupState::kEmpty, now);
    // A failed write leaves the previous generation on disk; after a
    // restart the group loads Empty either way.
    WriteGroupMetadata(group).IgnoreError();
    return;
  }
  group.protocol = group.SelectProtocol().value_or("");
  if (group.FindMember(group.leader) == nullptr) group.leader = group.FirstJoined()->member_id;
  group.TransitionTo(GroupState::kCompletingRebalance, now);
  // The leader's part: run the chosen assignor over the subscriptions.
  group.partition_counts = PartitionCounts(group);
  std::vector<AssignorMember> members;
  for (const auto& [id, m] : group.members) {
    AssignorMember a{id, std::nullopt, m.topics, m.owned, m.owned_generation};
    if (!m.group_instance_id.empty()) a.group_instance_id = m.group_instance_id;
    members.push_back(std::move(a));
  }
  const PartitionAssignor* assignor = FindAssignor(group.protocol);
  GroupAssignment assignment;
  if (assignor != nullptr) assignment = assignor->Assign(group.partition_counts, members);
  for (auto& [id, m] : group.members) {
    m.assignment = assignment[id];
    m.joined = false;
  }
  group.TransitionTo(GroupState::kStable, now);
  WriteGroupMetadata(group).IgnoreError();  // As above: metadata is advisory after a restart.
  Notify(group);
}

// --- Timers ---------------------------------------------------------------

void GroupCoordinator::RunTimers() {
  MutexLock lock(&mu_);
  if (closed_) return;
  int64_t now = NowMs(broker_);
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& group = *it->second;
    ExpireMembers(group, now);
    if (group.state() == GroupState::kStable && PartitionCounts(group) != group.partition_counts) {
      PrepareRebalance(group, now);
    }
    if (ExpireOffsets(group, now)) {
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
}

void GroupCoordinator::ExpireMembers(Group& group, int64_t now) {
  std::vector<std::string> gone;
  for (const auto& [id, m] : group.members) {
    bool attached = m.notifier != nullptr;
    if (!attached && now - m.last_heartbeat_ms >= m.session_timeout_ms) gone.push_back(id);
    // The Java client's heartbeat thread leaves the group when poll() is
    // not called within max.poll.interval.ms.
    if (attached && now - m.last_poll_ms >= m.rebalance_timeout_ms) gone.push_back(id);
  }
  if (group.state() == GroupState::kPreparingRebalance && now >= group.rebalance_deadline_ms) {
    // Members that did not rejoin within the rebalance timeout are out.
    for (const auto& [id, m] : group.members) {
      if (!m.joined && std::find(gone.begin(), gone.end(), id) == gone.end()) gone.push_back(id);
    }
  }
  for (const std::string& id : gone) RemoveMember(group, id, now);
}

bool GroupCoordinator::ExpireOffsets(Group& group, int64_t now) {
  if (group.state() != GroupState::kEmpty) return false;
  int64_t retention_ms = broker_->options().offsets_retention_minutes * 60'000;
  if (!group.offsets.empty() && now - group.state_timestamp_ms() < retention_ms) return false;
  Records records;
  for (const auto& [tp, offset] : group.offsets) {
    records.push_back({EncodeOffsetCommitKey({group.id(), tp.topic, tp.partition}), std::nullopt});
  }
  records.push_back({EncodeGroupMetadataKey(group.id()), std::nullopt});
  // Retried at the next pass if the append fails.
  if (!Append(group.id(), records).ok()) return false;
  group.TransitionTo(GroupState::kDead, now);
  return true;
}

// --- Offsets --------------------------------------------------------------

absl::Status GroupCoordinator::CheckCommit(Group* group, const broker::CommitRequest& r) {
  if (r.member_id.empty() && r.generation < 0) {
    if (group != nullptr && !group->members.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Commit cannot be completed: group '", r.group_id,
          "' has active members, and this commit comes from outside the group "
          "(generation -1; a consumer with Assign() may commit only for an empty group)"));
    }
    return absl::OkStatus();
  }
  Member* member = group != nullptr ? group->FindMember(r.member_id) : nullptr;
  if (member == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "Commit cannot be completed since the consumer is not part of an active group '",
        r.group_id, "' (UNKNOWN_MEMBER_ID ", r.member_id,
        "): it was removed, e.g. because Poll was not called within max.poll.interval.ms; "
        "the next Poll rejoins"));
  }
  if (r.generation != group->generation) {
    return absl::FailedPreconditionError(
        absl::StrCat("Commit cannot be completed since the group '", r.group_id,
                     "' has already rebalanced and assigned the partitions to another member "
                     "(ILLEGAL_GENERATION: commit from generation ",
                     r.generation, ", group is at ", group->generation, ")"));
  }
  if (group->state() == GroupState::kCompletingRebalance) {
    return absl::UnavailableError(
        absl::StrCat("group '", r.group_id, "' is rebalancing (REBALANCE_IN_PROGRESS); retry"));
  }
  return absl::OkStatus();
}

absl::Status GroupCoordinator::CheckOffset(const TopicPartition& tp,
                                           const OffsetAndMetadata& o) const {
  std::shared_ptr<broker::TopicImpl> topic = broker_->FindTopic(tp.topic);
  broker::PartitionImpl* p =
      topic != nullptr && tp.partition >= 0 ? topic->partition_impl(tp.partition) : nullptr;
  if (p == nullptr || topic->deleted()) {
    return absl::NotFoundError(
        absl::StrCat("commit for partition ", tp.ToString(), ": it does not exist"));
  }
  if (o.offset < 0 || o.offset > p->high_watermark()) {
    return absl::OutOfRangeError(absl::StrCat("commit of offset ", o.offset, " for partition ",
                                              tp.ToString(), ": outside the log [0, ",
                                              p->high_watermark(), "]"));
  }
  if (o.metadata.size() > kMaxMetadataBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("commit for partition ", tp.ToString(), ": metadata of ", o.metadata.size(),
                     " bytes is over offset.metadata.max.bytes (", kMaxMetadataBytes, ")"));
  }
  return absl::OkStatus();
}

absl::Status GroupCoordinator::Commit(const broker::CommitRequest& r) {
  MutexLock lock(&mu_);
  if (closed_) return absl::FailedPreconditionError("the broker's group coordinator is closed");
  if (r.group_id.empty()) return absl::InvalidArgumentError("commit without a group.id");
  Group* group = Find(r.group_id);
  RILL_RETURN_IF_ERROR(CheckCommit(group, r));
  int64_t now = NowMs(broker_);
  Records records;
  for (const auto& [tp, o] : r.offsets) {
    RILL_RETURN_IF_ERROR(CheckOffset(tp, o));
    OffsetCommitValue v{o.offset, o.leader_epoch.value_or(-1), o.metadata, now, std::nullopt};
    records.push_back(
        {EncodeOffsetCommitKey({r.group_id, tp.topic, tp.partition}), EncodeOffsetCommitValue(v)});
  }
  if (records.empty()) return absl::OkStatus();
  RILL_RETURN_IF_ERROR(Append(r.group_id, records));
  Group& g = FindOrCreate(r.group_id);
  if (g.members.empty() && g.offsets.empty()) g.set_state_timestamp_ms(now);
  for (const auto& [tp, o] : r.offsets) {
    g.offsets[tp] = CommittedOffset{o.offset, o.metadata, o.leader_epoch, now};
  }
  if (Member* m = g.FindMember(r.member_id)) m->last_heartbeat_ms = now;
  return absl::OkStatus();
}

absl::StatusOr<std::map<TopicPartition, CommittedOffset>> GroupCoordinator::Committed(
    const std::string& group_id, const std::vector<TopicPartition>& partitions) {
  MutexLock lock(&mu_);
  std::map<TopicPartition, CommittedOffset> out;
  Group* group = Find(group_id);
  if (group == nullptr) return out;
  if (partitions.empty()) return group->offsets;
  for (const TopicPartition& tp : partitions) {
    auto it = group->offsets.find(tp);
    if (it != group->offsets.end()) out[tp] = it->second;
  }
  return out;
}

// --- __consumer_offsets ---------------------------------------------------

absl::StatusOr<broker::PartitionImpl*> GroupCoordinator::OffsetsPartition(
    const std::string& group_id) {
  if (broker_->options().read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("broker on ", broker_->dir(), " is open read-only: cannot write offsets"));
  }
  if (offsets_topic_ == nullptr || offsets_topic_->deleted()) {
    offsets_topic_ = broker_->FindTopic(broker::kConsumerOffsetsTopic);
  }
  if (offsets_topic_ == nullptr) {
    TopicOptions options;
    options.partitions = broker_->options().offsets_topic_num_partitions;
    options.cleanup_policy = CleanupPolicy::kCompact;
    options.segment_bytes = 100 * 1024 * 1024;  // offsets.topic.segment.bytes
    options.compression_type = TopicCompression::kProducer;
    options.retention_ms = -1;
    RILL_ASSIGN_OR_RETURN(offsets_topic_,
                          broker_->CreateInternalTopic(broker::kConsumerOffsetsTopic, options));
  }
  return offsets_topic_->partition_impl(
      OffsetsPartitionFor(group_id, offsets_topic_->partition_count()));
}

absl::Status GroupCoordinator::Append(const std::string& group_id, const Records& records) {
  RILL_ASSIGN_OR_RETURN(broker::PartitionImpl * partition, OffsetsPartition(group_id));
  format::RecordBatchBuilder builder;
  int64_t now = NowMs(broker_);
  for (const auto& [key, value] : records) {
    format::NullableBytes v;
    if (value) v = absl::string_view(*value);
    RILL_RETURN_IF_ERROR(builder.Append(now, absl::string_view(key), v));
  }
  RILL_ASSIGN_OR_RETURN(MutableByteSpan batch, builder.Build());
  return partition->Append(batch, storage::AppendOrigin::kCoordinator, true).status();
}

absl::Status GroupCoordinator::WriteGroupMetadata(const Group& group) {
  GroupMetadataValue v;
  v.generation = group.generation;
  if (!group.protocol.empty()) v.protocol = group.protocol;
  if (!group.leader.empty()) v.leader = group.leader;
  v.current_state_timestamp = group.state_timestamp_ms();
  for (const auto& [id, m] : group.members) {
    GroupMemberMetadata mm;
    mm.member_id = id;
    if (!m.group_instance_id.empty()) mm.group_instance_id = m.group_instance_id;
    mm.client_id = m.client_id;
    mm.client_host = "/in-process";
    mm.rebalance_timeout_ms = m.rebalance_timeout_ms;
    mm.session_timeout_ms = m.session_timeout_ms;
    mm.subscription = EncodeSubscription(m.topics, m.owned);
    mm.assignment = EncodeAssignment(m.assignment);
    v.members.push_back(std::move(mm));
  }
  return Append(group.id(), {{EncodeGroupMetadataKey(group.id()), EncodeGroupMetadataValue(v)}});
}

absl::Status GroupCoordinator::Load() {
  MutexLock lock(&mu_);
  offsets_topic_ = broker_->FindTopic(broker::kConsumerOffsetsTopic);
  if (offsets_topic_ == nullptr) return absl::OkStatus();
  for (int32_t p = 0; p < offsets_topic_->partition_count(); ++p) {
    RILL_RETURN_IF_ERROR(LoadPartition(offsets_topic_->partition_impl(p)));
  }
  // Groups load Empty: their members lived in the process that stopped.
  return absl::OkStatus();
}

absl::Status GroupCoordinator::LoadPartition(broker::PartitionImpl* partition) {
  const storage::Log& log = *partition->log();
  int64_t offset = log.log_start_offset();
  int64_t end = partition->high_watermark();
  ByteBuffer scratch;
  while (offset < end) {
    RILL_ASSIGN_OR_RETURN(storage::ReadResult read, log.Read(offset, 1 << 20, end));
    if (read.batches.empty()) break;
    format::BatchScanner scanner(read.batches);
    format::BatchScanner::Slice slice;
    while (true) {
      RILL_ASSIGN_OR_RETURN(bool more_batches, scanner.Next(&slice));
      if (!more_batches) break;
      RILL_ASSIGN_OR_RETURN(format::RecordBatchView batch,
                            format::RecordBatchView::Parse(slice.bytes));
      offset = batch.next_offset();
      if (batch.is_control()) continue;
      format::RecordReader reader;
      RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch));
      format::RecordView r;
      while (true) {
        RILL_ASSIGN_OR_RETURN(bool more, reader.Next(&r));
        if (!more) break;
        if (!r.key) continue;
        absl::Status s = Apply(*r.key, r.value, r.timestamp);
        if (!s.ok()) {
          return absl::DataLossError(absl::StrCat(partition->topic(), "-", partition->id(),
                                                  " offset ", r.offset, ": ", s.message()));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status GroupCoordinator::Apply(absl::string_view key_bytes,
                                     std::optional<absl::string_view> value, int64_t timestamp) {
  RILL_ASSIGN_OR_RETURN(OffsetsKey key, DecodeOffsetsKey(key_bytes));
  if (key.kind == OffsetsKey::Kind::kOther) return absl::OkStatus();
  if (key.kind == OffsetsKey::Kind::kOffsetCommit) {
    TopicPartition tp{key.offset.topic, key.offset.partition};
    if (!value) {
      if (Group* g = Find(key.group)) g->offsets.erase(tp);
      return absl::OkStatus();
    }
    RILL_ASSIGN_OR_RETURN(OffsetCommitValue v, DecodeOffsetCommitValue(*value));
    Group& g = FindOrCreate(key.group);
    std::optional<int32_t> epoch;
    if (v.leader_epoch >= 0) epoch = v.leader_epoch;
    g.offsets[tp] = CommittedOffset{v.offset, v.metadata, epoch, v.commit_timestamp};
    if (g.state_timestamp_ms() == 0) g.set_state_timestamp_ms(v.commit_timestamp);
    return absl::OkStatus();
  }
  if (!value) {
    groups_.erase(key.group);
    return absl::OkStatus();
  }
  RILL_ASSIGN_OR_RETURN(GroupMetadataValue v, DecodeGroupMetadataValue(*value));
  Group& g = FindOrCreate(key.group);
  g.generation = v.generation;
  g.protocol = v.protocol.value_or("");
  g.leader.clear();
  // A group saved with members was live when the process stopped: it has
  // been empty since this load. One saved empty has been since its timestamp.
  g.set_state_timestamp_ms(v.members.empty() && v.current_state_timestamp > 0
                               ? v.current_state_timestamp
                               : NowMs(broker_));
  (void)timestamp;
  return absl::OkStatus();
}

// --- Admin ----------------------------------------------------------------

std::vector<GroupListing> GroupCoordinator::ListGroups() {
  MutexLock lock(&mu_);
  std::vector<GroupListing> out;
  for (const auto& [id, g] : groups_) out.push_back({id, g->state(), kConsumerProtocolType});
  return out;
}

absl::StatusOr<GroupDescription> GroupCoordinator::Describe(const std::string& group_id) {
  MutexLock lock(&mu_);
  Group* g = Find(group_id);
  if (g == nullptr)
    return absl::NotFoundError(absl::StrCat("group '", group_id, "' does not exist"));
  GroupDescription d;
  d.group_id = group_id;
  d.state = g->state();
  d.protocol_type = kConsumerProtocolType;
  d.protocol = g->protocol;
  d.generation = g->generation;
  d.leader = g->leader;
  for (const auto& [id, m] : g->members) {
    d.members.push_back({id, m.group_instance_id, m.client_id, "in-process", m.assignment});
  }
  return d;
}

absl::Status GroupCoordinator::DeleteGroup(const std::string& group_id) {
  MutexLock lock(&mu_);
  Group* g = Find(group_id);
  if (g == nullptr)
    return absl::NotFoundError(absl::StrCat("group '", group_id, "' does not exist"));
  if (!g->members.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("group '", group_id, "' is not empty (NON_EMPTY_GROUP): it has ",
                     g->members.size(), " live members; close them first"));
  }
  Records records;
  for (const auto& [tp, offset] : g->offsets) {
    records.push_back({EncodeOffsetCommitKey({group_id, tp.topic, tp.partition}), std::nullopt});
  }
  records.push_back({EncodeGroupMetadataKey(group_id), std::nullopt});
  RILL_RETURN_IF_ERROR(Append(group_id, records));
  groups_.erase(group_id);
  return absl::OkStatus();
}

}  // namespace group
}  // namespace rill
