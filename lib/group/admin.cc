// rill::Admin: the group half of Kafka's Admin client, over the broker's
// coordinator.

#include "rill/admin.h"

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/broker/broker_impl.h"

namespace rill {
namespace {

broker::GroupService* Groups(Broker* broker) {
  return static_cast<broker::BrokerImpl*>(broker)->groups();
}

}  // namespace

const char* GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Unknown";
}

Admin::Admin(Broker* broker) : broker_(broker) {}

absl::StatusOr<std::vector<GroupListing>> Admin::ListGroups() const {
  return Groups(broker_)->ListGroups();
}

absl::StatusOr<GroupDescription> Admin::DescribeGroup(const std::string& group_id) const {
  return Groups(broker_)->Describe(group_id);
}

absl::StatusOr<std::map<TopicPartition, CommittedOffset>> Admin::ListGroupOffsets(
    const std::string& group_id) const {
  RILL_RETURN_IF_ERROR(Groups(broker_)->Describe(group_id).status());
  return Groups(broker_)->Committed(group_id, {});
}

absl::StatusOr<std::vector<PartitionLag>> Admin::Lag(const std::string& group_id) const {
  RILL_ASSIGN_OR_RETURN(GroupDescription d, DescribeGroup(group_id));
  RILL_ASSIGN_OR_RETURN(auto offsets, Groups(broker_)->Committed(group_id, {}));
  std::map<TopicPartition, PartitionLag> rows;
  for (const auto& [tp, o] : offsets) {
    rows[tp].committed_offset = o.offset;
    rows[tp].commit_timestamp_ms = o.commit_timestamp_ms;
  }
  for (const MemberDescription& m : d.members) {
    for (const TopicPartition& tp : m.assignment) rows[tp].member_id = m.member_id;
  }
  std::vector<PartitionLag> out;
  for (auto& [tp, row] : rows) {
    row.partition = tp;
    Topic* topic = broker_->topic(tp.topic);
    Partition* p = topic != nullptr ? topic->partition(tp.partition) : nullptr;
    if (p == nullptr) continue;  // Committed for a topic since deleted.
    row.log_end_offset = p->high_watermark();
    row.lag = row.log_end_offset - row.committed_offset.value_or(p->log_start_offset());
    out.push_back(row);
  }
  return out;
}

absl::Status Admin::DeleteGroup(const std::string& group_id) {
  return Groups(broker_)->DeleteGroup(group_id);
}

absl::StatusOr<std::map<TopicPartition, int64_t>> Admin::ResetOffsets(const std::string& group_id,
                                                                      const std::string& topic_name,
                                                                      const OffsetResetSpec& spec) {
  Topic* topic = broker_->topic(topic_name);
  if (topic == nullptr) {
    return absl::NotFoundError(absl::StrCat("Topic '", topic_name, "' does not exist."));
  }
  absl::StatusOr<GroupDescription> d = DescribeGroup(group_id);
  if (d.ok() && !d->members.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Assignments can only be reset if the group '", group_id,
                     "' is inactive, but the current state is ", GroupStateName(d->state), " with ",
                     d->members.size(), " members"));
  }
  broker::CommitRequest request;
  request.group_id = group_id;
  std::map<TopicPartition, int64_t> out;
  for (int32_t p = 0; p < topic->partition_count(); ++p) {
    auto* partition = static_cast<broker::PartitionImpl*>(topic->partition(p));
    int64_t start = partition->log_start_offset(), end = partition->high_watermark();
    int64_t offset = end;
    switch (spec.kind) {
      case OffsetResetSpec::Kind::kEarliest:
        offset = start;
        break;
      case OffsetResetSpec::Kind::kLatest:
        break;
      case OffsetResetSpec::Kind::kOffset:
        offset = std::clamp(spec.offset, start, end);
        break;
      case OffsetResetSpec::Kind::kDatetime: {
        RILL_ASSIGN_OR_RETURN(auto found, partition->log()->OffsetForTimestamp(spec.timestamp_ms));
        if (found) offset = found->offset;
        break;
      }
    }
    TopicPartition tp{topic_name, p};
    request.offsets[tp] = OffsetAndMetadata{offset, "", std::nullopt};
    out[tp] = offset;
  }
  RILL_RETURN_IF_ERROR(Groups(broker_)->Commit(request));
  return out;
}

}  // namespace rill
