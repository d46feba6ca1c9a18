#include "lib/group/assignor.h"

#include <algorithm>
#include <set>

namespace rill::group {
namespace {

// Kafka's MemberInfo order: static members by instance id, then dynamic
// members by member id.
std::vector<const AssignorMember*> Ordered(const std::vector<AssignorMember>& members) {
  std::vector<const AssignorMember*> out;
  for (const AssignorMember& m : members) out.push_back(&m);
  std::sort(out.begin(), out.end(), [](const AssignorMember* a, const AssignorMember* b) {
    if (a->group_instance_id.has_value() != b->group_instance_id.has_value()) {
      return a->group_instance_id.has_value();
    }
    if (a->group_instance_id && *a->group_instance_id != *b->group_instance_id) {
      return *a->group_instance_id < *b->group_instance_id;
    }
    return a->member_id < b->member_id;
  });
  return out;
}

bool Subscribes(const AssignorMember& m, const std::string& topic) {
  return std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end();
}

GroupAssignment Empty(const std::vector<AssignorMember>& members) {
  GroupAssignment out;
  for (const AssignorMember& m : members) out[m.member_id];
  return out;
}

void SortAll(GroupAssignment* assignment) {
  for (auto& [member, partitions] : *assignment) std::sort(partitions.begin(), partitions.end());
}

// Partitions of topics somebody subscribes to, sorted by topic then partition.
std::vector<TopicPartition> SubscribedPartitions(const std::map<std::string, int32_t>& counts,
                                                 const std::vector<AssignorMember>& members) {
  std::set<std::string> topics;
  for (const AssignorMember& m : members) topics.insert(m.topics.begin(), m.topics.end());
  std::vector<TopicPartition> out;
  for (const std::string& t : topics) {
    auto it = counts.find(t);
    if (it == counts.end()) continue;
    for (int32_t p = 0; p < it->second; ++p) out.push_back({t, p});
  }
  return out;
}

class RangeAssignor final : public PartitionAssignor {
 public:
  absl::string_view name() const override { return "range"; }
  GroupAssignment Assign(const std::map<std::string, int32_t>& counts,
                         const std::vector<AssignorMember>& members) const override {
    GroupAssignment out = Empty(members);
    std::vector<const AssignorMember*> ordered = Ordered(members);
    for (const auto& [topic, partitions] : counts) {
      std::vector<const AssignorMember*> subscribed;
      for (const AssignorMember* m : ordered) {
        if (Subscribes(*m, topic)) subscribed.push_back(m);
      }
      if (subscribed.empty()) continue;
      int32_t c = static_cast<int32_t>(subscribed.size());
      int32_t per = partitions / c, extra = partitions % c;
      for (int32_t i = 0; i < c; ++i) {
        int32_t start = per * i + std::min(i, extra);
        int32_t length = per + (i < extra ? 1 : 0);
        for (int32_t p = start; p < start + length; ++p) {
          out[subscribed[i]->member_id].push_back({topic, p});
        }
      }
    }
    SortAll(&out);
    return out;
  }
};

class RoundRobinAssignor final : public PartitionAssignor {
 public:
  absl::string_view name() const override { return "roundrobin"; }
  GroupAssignment Assign(const std::map<std::string, int32_t>& counts,
                         const std::vector<AssignorMember>& members) const override {
    GroupAssignment out = Empty(members);
    std::vector<const AssignorMember*> ordered = Ordered(members);
    if (ordered.empty()) return out;
    size_t next = 0;
    for (const TopicPartition& tp : SubscribedPartitions(counts, members)) {
      while (!Subscribes(*ordered[next], tp.topic)) next = (next + 1) % ordered.size();
      out[ordered[next]->member_id].push_back(tp);
      next = (next + 1) % ordered.size();
    }
    SortAll(&out);
    return out;
  }
};

// AbstractStickyAssignor: balance first (counts differ by at most one
// where subscriptions allow), then stickiness (members keep what they
// owned).
class StickyAssignor : public PartitionAssignor {
 public:
  absl::string_view name() const override { return "sticky"; }
  GroupAssignment Assign(const std::map<std::string, int32_t>& counts,
                         const std::vector<AssignorMember>& members) const override {
    std::vector<const AssignorMember*> ordered = Ordered(members);
    std::vector<TopicPartition> all = SubscribedPartitions(counts, members);
    std::map<TopicPartition, std::string> owner = PreviousOwners(members, all);
    GroupAssignment out =
        Identical(ordered) ? Constrained(ordered, all, owner) : General(ordered, all, owner);
    SortAll(&out);
    return out;
  }

 protected:
  // The valid previous owner of each partition: the member claiming it from
  // the highest generation; a partition two members claim from the same
  // generation has none. Only partitions that still exist and the owner
  // still subscribes to count.
  static std::map<TopicPartition, std::string> PreviousOwners(
      const std::vector<AssignorMember>& members, const std::vector<TopicPartition>& all) {
    std::set<TopicPartition> exists(all.begin(), all.end());
    struct Claim {
      int32_t generation;
      std::string member;
      bool conflict;
    };
    std::map<TopicPartition, Claim> claims;
    for (const AssignorMember& m : members) {
      for (const TopicPartition& tp : m.owned) {
        if (!exists.contains(tp) || !Subscribes(m, tp.topic)) continue;
        auto it = claims.find(tp);
        if (it == claims.end() || m.generation > it->second.generation) {
          claims[tp] = {m.generation, m.member_id, false};
        } else if (m.generation == it->second.generation && m.member_id != it->second.member) {
          it->second.conflict = true;
        }
      }
    }
    std::map<TopicPartition, std::string> owner;
    for (auto& [tp, claim] : claims) {
      if (!claim.conflict) owner[tp] = claim.member;
    }
    return owner;
  }

 private:
  static bool Identical(const std::vector<const AssignorMember*>& ordered) {
    for (const AssignorMember* m : ordered) {
      std::set<std::string> a(m->topics.begin(), m->topics.end());
      std::set<std::string> b(ordered[0]->topics.begin(), ordered[0]->topics.end());
      if (a != b) return false;
    }
    return true;
  }

  static std::map<std::string, std::vector<TopicPartition>> OwnedBy(
      const std::map<TopicPartition, std::string>& owner) {
    std::map<std::string, std::vector<TopicPartition>> by;
    for (const auto& [tp, member] : owner) by[member].push_back(tp);
    return by;
  }

  // All members subscribe to the same topics: quotas ⌊P/C⌋ and ⌈P/C⌉, with
  // exactly P mod C members at the larger one.
  static GroupAssignment Constrained(const std::vector<const AssignorMember*>& ordered,
                                     const std::vector<TopicPartition>& all,
                                     const std::map<TopicPartition, std::string>& owner) {
    GroupAssignment out;
    if (ordered.empty()) return out;
    size_t c = ordered.size();
    size_t min_quota = all.size() / c, max_quota = (all.size() + c - 1) / c;
    size_t max_slots = all.size() % c;
    auto owned = OwnedBy(owner);
    std::set<TopicPartition> kept;
    for (const AssignorMember* m : ordered) {
      std::vector<TopicPartition>& mine = out[m->member_id];
      const std::vector<TopicPartition>& had = owned[m->member_id];
      size_t keep = had.size();
      if (keep > min_quota) {
        if (max_slots > 0 && max_quota > min_quota) {
          keep = max_quota;
          --max_slots;
        } else {
          keep = min_quota;
        }
      }
      for (size_t i = 0; i < keep && i < had.size(); ++i) {
        mine.push_back(had[i]);
        kept.insert(had[i]);
      }
    }
    std::vector<TopicPartition> free;
    for (const TopicPartition& tp : all) {
      if (!kept.contains(tp)) free.push_back(tp);
    }
    // Deal round robin to members below the minimum quota, then one more
    // each to members at the minimum while larger-quota slots remain.
    size_t next = 0;
    for (bool dealt = true; dealt && next < free.size();) {
      dealt = false;
      for (const AssignorMember* m : ordered) {
        std::vector<TopicPartition>& mine = out[m->member_id];
        if (next < free.size() && mine.size() < min_quota) {
          mine.push_back(free[next++]);
          dealt = true;
        }
      }
    }
    for (const AssignorMember* m : ordered) {
      std::vector<TopicPartition>& mine = out[m->member_id];
      if (next < free.size() && max_slots > 0 && mine.size() == min_quota) {
        mine.push_back(free[next++]);
        --max_slots;
      }
    }
    return out;
  }

  // Heterogeneous subscriptions: keep owned partitions, give each free
  // partition (fewest eligible members first) to its least loaded eligible
  // member, then move partitions from fuller to emptier eligible members
  // while that narrows the gap by more than one.
  static GroupAssignment General(const std::vector<const AssignorMember*>& ordered,
                                 const std::vector<TopicPartition>& all,
                                 const std::map<TopicPartition, std::string>& owner) {
    GroupAssignment out;
    std::map<std::string, const AssignorMember*> by_id;
    for (const AssignorMember* m : ordered) {
      out[m->member_id];
      by_id[m->member_id] = m;
    }
    std::map<TopicPartition, std::vector<const AssignorMember*>> eligible;
    for (const TopicPartition& tp : all) {
      for (const AssignorMember* m : ordered) {
        if (Subscribes(*m, tp.topic)) eligible[tp].push_back(m);
      }
    }
    std::vector<TopicPartition> free;
    for (const TopicPartition& tp : all) {
      auto it = owner.find(tp);
      if (it != owner.end()) {
        out[it->second].push_back(tp);
      } else if (!eligible[tp].empty()) {
        free.push_back(tp);
      }
    }
    std::stable_sort(free.begin(), free.end(),
                     [&](const TopicPartition& a, const TopicPartition& b) {
                       return eligible[a].size() < eligible[b].size();
                     });
    for (const TopicPartition& tp : free) {
      const AssignorMember* best = nullptr;
      for (const AssignorMember* m : eligible[tp]) {
        if (best == nullptr || out[m->member_id].size() < out[best->member_id].size()) best = m;
      }
      out[best->member_id].push_back(tp);
    }
    Balance(ordered, eligible, &out);
    return out;
  }

  static void Balance(const std::vector<const AssignorMember*>& ordered,
                      std::map<TopicPartition, std::vector<const AssignorMember*>>& eligible,
                      GroupAssignment* out) {
    // Each move lowers the sum of squared counts, so this ends.
    for (bool moved = true; moved;) {
      moved = false;
      for (const AssignorMember* from : ordered) {
        std::vector<TopicPartition>& source = (*out)[from->member_id];
        for (size_t i = 0; i < source.size() && !moved; ++i) {
          for (const AssignorMember* to : eligible[source[i]]) {
            std::vector<TopicPartition>& target = (*out)[to->member_id];
            if (target.size() + 1 < source.size()) {
              target.push_back(source[i]);
              source.erase(source.begin() + static_cast<ptrdiff_t>(i));
              moved = true;
              break;
            }
          }
        }
      }
    }
  }
};

// KIP-429: as sticky, but a partition moving between two members is
// withheld from its new owner this round; the old owner revokes it and
// rejoins, and the next rebalance hands it over.
class CooperativeStickyAssignor final : public StickyAssignor {
 public:
  absl::string_view name() const override { return "cooperative-sticky"; }
  bool cooperative() const override { return true; }
  GroupAssignment Assign(const std::map<std::string, int32_t>& counts,
                         const std::vector<AssignorMember>& members) const override {
    GroupAssignment out = StickyAssignor::Assign(counts, members);
    std::map<TopicPartition, std::string> owner =
        PreviousOwners(members, SubscribedPartitions(counts, members));
    for (auto& [member, partitions] : out) {
      std::erase_if(partitions, [&, m = member](const TopicPartition& tp) {
        auto it = owner.find(tp);
        return it != owner.end() && it->second != m;
      });
    }
    return out;
  }
};

}  // namespace

const PartitionAssignor* FindAssignor(absl::string_view name) {
  static const RangeAssignor* range = new RangeAssignor;
  static const RoundRobinAssignor* round_robin = new RoundRobinAssignor;
  static const StickyAssignor* sticky = new StickyAssignor;
  static const CooperativeStickyAssignor* cooperative = new CooperativeStickyAssignor;
  for (const PartitionAssignor* a :
       std::initializer_list<const PartitionAssignor*>{range, round_robin, sticky, cooperative}) {
    if (a->name() == name) return a;
  }
  return nullptr;
}

}  // namespace rill::group
