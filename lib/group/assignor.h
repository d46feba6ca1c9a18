#ifndef RILL_GROUP_ASSIGNOR_H_
#define RILL_GROUP_ASSIGNOR_H_

// The consumer partition assignors of Kafka's clients (RangeAssignor,
// RoundRobinAssignor, StickyAssignor, CooperativeStickyAssignor), run by
// the group leader's side of the in-process coordinator.
//
// Members are ordered as Kafka's MemberInfo: members with a
// group.instance.id first, by instance id, then dynamic members by member
// id. Thread safe (stateless).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "rill/consumer.h"

namespace rill::group {

struct AssignorMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::string> topics;    // The subscription.
  std::vector<TopicPartition> owned;  // What it owned (sticky assignors).
  int32_t generation = -1;            // The generation `owned` is from.
};

// member id -> its partitions, each list sorted.
using GroupAssignment = std::map<std::string, std::vector<TopicPartition>>;

class PartitionAssignor {
 public:
  virtual ~PartitionAssignor() = default;
  // Kafka's protocol name: "range", "roundrobin", "sticky", "cooperative-sticky".
  virtual absl::string_view name() const = 0;
  // Whether it supports the COOPERATIVE rebalance protocol (KIP-429).
  virtual bool cooperative() const { return false; }
  // Assigns the partitions of the subscribed topics in `partitions_per_topic`
  // (topic -> partition count; topics missing there are skipped). Every
  // member gets an entry, possibly empty.
  virtual GroupAssignment Assign(const std::map<std::string, int32_t>& partitions_per_topic,
                                 const std::vector<AssignorMember>& members) const = 0;
};

// The assignor for a protocol name, or nullptr.
const PartitionAssignor* FindAssignor(absl::string_view name);

}  // namespace rill::group

#endif  // RILL_GROUP_ASSIGNOR_H_
