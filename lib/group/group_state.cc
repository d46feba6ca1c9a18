#include "lib/group/group_state.h"

#include <algorithm>

namespace rill::group {
namespace {

// ClassicGroupState's valid previous states.
bool Allowed(GroupState from, GroupState to) {
  switch (to) {
    case GroupState::kPreparingRebalance:
      return from == GroupState::kStable || from == GroupState::kCompletingRebalance ||
             from == GroupState::kEmpty;
    case GroupState::kCompletingRebalance:
      return from == GroupState::kPreparingRebalance;
    case GroupState::kStable:
      return from == GroupState::kCompletingRebalance;
    case GroupState::kEmpty:
      return from == GroupState::kPreparingRebalance;
    case GroupState::kDead:
      return true;
  }
  return false;
}

}  // namespace

bool Group::TransitionTo(GroupState next, int64_t now_ms) {
  if (!Allowed(state_, next)) return false;
  state_ = next;
  state_timestamp_ms_ = now_ms;
  return true;
}

bool Group::AllJoined() const {
  return std::all_of(members.begin(), members.end(), [](const auto& m) { return m.second.joined; });
}

bool Group::SupportsProtocols(const std::vector<std::string>& protocols) const {
  for (const std::string& p : protocols) {
    bool all = std::all_of(members.begin(), members.end(), [&](const auto& m) {
      const auto& mine = m.second.protocols;
      return std::find(mine.begin(), mine.end(), p) != mine.end();
    });
    if (all) return true;
  }
  return members.empty();
}

std::optional<std::string> Group::SelectProtocol() const {
  const Member* first = FirstJoined();
  if (first == nullptr) return std::nullopt;
  std::vector<std::string> candidates;
  for (const std::string& p : first->protocols) {
    bool all = std::all_of(members.begin(), members.end(), [&](const auto& m) {
      const auto& mine = m.second.protocols;
      return std::find(mine.begin(), mine.end(), p) != mine.end();
    });
    if (all) candidates.push_back(p);
  }
  if (candidates.empty()) return std::nullopt;
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members) {
    for (const std::string& p : m.protocols) {
      if (std::find(candidates.begin(), candidates.end(), p) != candidates.end()) {
        ++votes[p];
        break;
      }
    }
  }
  std::string best = candidates[0];
  for (const std::string& p : candidates) {
    if (votes[p] > votes[best]) best = p;
  }
  return best;
}

Member* Group::FindMember(const std::string& member_id) {
  auto it = members.find(member_id);
  return it == members.end() ? nullptr : &it->second;
}

Member* Group::FindStatic(const std::string& instance_id) {
  for (auto& [id, m] : members) {
    if (!instance_id.empty() && m.group_instance_id == instance_id) return &m;
  }
  return nullptr;
}

const Member* Group::FirstJoined() const {
  const Member* first = nullptr;
  for (const auto& [id, m] : members) {
    if (first == nullptr || m.join_order < first->join_order) first = &m;
  }
  return first;
}

}  // namespace rill::group
