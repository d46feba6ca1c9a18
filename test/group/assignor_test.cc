#include "lib/group/assignor.h"

#include <catch2/catch.hpp>

namespace rill::group {
namespace {

TopicPartition TP(const std::string& t, int32_t p) { return {t, p}; }

AssignorMember M(const std::string& id, std::vector<std::string> topics,
                 std::vector<TopicPartition> owned = {}, int32_t generation = 1) {
  return AssignorMember{id, std::nullopt, std::move(topics), std::move(owned), generation};
}

GroupAssignment Run(const std::string& name, const std::map<std::string, int32_t>& counts,
                    const std::vector<AssignorMember>& members) {
  const PartitionAssignor* a = FindAssignor(name);
  REQUIRE(a != nullptr);
  return a->Assign(counts, members);
}

TEST_CASE("range assigns contiguous ranges per topic as RangeAssignor's javadoc example",
          "[group][assignor]") {
  auto out = Run("range", {{"t0", 3}, {"t1", 3}}, {M("C0", {"t0", "t1"}), M("C1", {"t0", "t1"})});
  CHECK(out["C0"] ==
        std::vector<TopicPartition>{TP("t0", 0), TP("t0", 1), TP("t1", 0), TP("t1", 1)});
  CHECK(out["C1"] == std::vector<TopicPartition>{TP("t0", 2), TP("t1", 2)});
}

TEST_CASE("roundrobin deals partitions in turn as RoundRobinAssignor's javadoc examples",
          "[group][assignor]") {
  SECTION("identical subscriptions") {
    auto out =
        Run("roundrobin", {{"t0", 3}, {"t1", 3}}, {M("C0", {"t0", "t1"}), M("C1", {"t0", "t1"})});
    CHECK(out["C0"] == std::vector<TopicPartition>{TP("t0", 0), TP("t0", 2), TP("t1", 1)});
    CHECK(out["C1"] == std::vector<TopicPartition>{TP("t0", 1), TP("t1", 0), TP("t1", 2)});
  }
  SECTION("different subscriptions") {
    auto out = Run("roundrobin", {{"t0", 1}, {"t1", 2}, {"t2", 3}},
                   {M("C0", {"t0"}), M("C1", {"t0", "t1"}), M("C2", {"t0", "t1", "t2"})});
    CHECK(out["C0"] == std::vector<TopicPartition>{TP("t0", 0)});
    CHECK(out["C1"] == std::vector<TopicPartition>{TP("t1", 0)});
    CHECK(out["C2"] ==
          std::vector<TopicPartition>{TP("t1", 1), TP("t2", 0), TP("t2", 1), TP("t2", 2)});
  }
}

TEST_CASE("sticky balances first and keeps owned partitions as StickyAssignor's javadoc examples",
          "[group][assignor]") {
  std::map<std::string, int32_t> counts{{"t0", 2}, {"t1", 2}, {"t2", 2}, {"t3", 2}};
  std::vector<std::string> all{"t0", "t1", "t2", "t3"};
  auto first = Run("sticky", counts, {M("C0", all), M("C1", all), M("C2", all)});
  CHECK(first["C0"] == std::vector<TopicPartition>{TP("t0", 0), TP("t1", 1), TP("t3", 0)});
  CHECK(first["C1"] == std::vector<TopicPartition>{TP("t0", 1), TP("t2", 0), TP("t3", 1)});
  CHECK(first["C2"] == std::vector<TopicPartition>{TP("t1", 0), TP("t2", 1)});

  // C1 leaves: C0 and C2 keep all they had and split C1's three partitions.
  auto second = Run("sticky", counts, {M("C0", all, first["C0"]), M("C2", all, first["C2"])});
  CHECK(second["C0"].size() == 4);
  CHECK(second["C2"].size() == 4);
  for (const auto& tp : first["C0"])
    CHECK(std::count(second["C0"].begin(), second["C0"].end(), tp) == 1);
  for (const auto& tp : first["C2"])
    CHECK(std::count(second["C2"].begin(), second["C2"].end(), tp) == 1);

  SECTION("different subscriptions") {
    std::map<std::string, int32_t> c{{"t0", 1}, {"t1", 2}, {"t2", 3}};
    auto out =
        Run("sticky", c, {M("C0", {"t0"}), M("C1", {"t0", "t1"}), M("C2", {"t0", "t1", "t2"})});
    CHECK(out["C0"] == std::vector<TopicPartition>{TP("t0", 0)});
    CHECK(out["C1"] == std::vector<TopicPartition>{TP("t1", 0), TP("t1", 1)});
    CHECK(out["C2"] == std::vector<TopicPartition>{TP("t2", 0), TP("t2", 1), TP("t2", 2)});
    // C0 leaves: only t0p0 moves (roundrobin would reshuffle everything).
    auto after = Run("sticky", c,
                     {M("C1", {"t0", "t1"}, out["C1"]), M("C2", {"t0", "t1", "t2"}, out["C2"])});
    CHECK(after["C1"] == std::vector<TopicPartition>{TP("t0", 0), TP("t1", 0), TP("t1", 1)});
    CHECK(after["C2"] == out["C2"]);
  }
}

TEST_CASE("more consumers than partitions leaves some idle", "[group][assignor]") {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    auto out = Run(name, {{"t", 2}}, {M("a", {"t"}), M("b", {"t"}), M("c", {"t"})});
    size_t total = 0, idle = 0;
    for (const auto& [m, ps] : out) {
      total += ps.size();
      idle += ps.empty();
    }
    CHECK(total == 2);
    CHECK(idle == 1);
  }
}

TEST_CASE("cooperative-sticky withholds moving partitions until their owner revoked them",
          "[group][assignor]") {
  std::map<std::string, int32_t> counts{{"t", 4}};
  std::vector<TopicPartition> a_owned{TP("t", 0), TP("t", 1)}, b_owned{TP("t", 2), TP("t", 3)};
  // c joins a group where a and b own everything.
  auto first = Run("cooperative-sticky", counts,
                   {M("a", {"t"}, a_owned), M("b", {"t"}, b_owned), M("c", {"t"}, {}, -1)});
  CHECK(first["c"].empty());  // What c will get is still owned by a or b.
  size_t kept = first["a"].size() + first["b"].size();
  CHECK(kept == 3);  // Exactly one partition is revoked, nothing else moves.
  // Second round: the revoked partition is unowned and goes to c.
  auto second =
      Run("cooperative-sticky", counts,
          {M("a", {"t"}, first["a"], 2), M("b", {"t"}, first["b"], 2), M("c", {"t"}, {}, 2)});
  CHECK(second["a"] == first["a"]);
  CHECK(second["b"] == first["b"]);
  CHECK(second["c"].size() == 1);
}

TEST_CASE("a partition claimed by two members of one generation counts as unowned",
          "[group][assignor]") {
  auto out = Run("sticky", {{"t", 2}},
                 {M("a", {"t"}, {TP("t", 0), TP("t", 1)}, 3), M("b", {"t"}, {TP("t", 1)}, 3)});
  CHECK(out["a"] == std::vector<TopicPartition>{TP("t", 0)});
  CHECK(out["b"] == std::vector<TopicPartition>{TP("t", 1)});
}

TEST_CASE("static members are ordered by instance id, ahead of dynamic ones", "[group][assignor]") {
  AssignorMember z = M("aaa", {"t"});
  z.group_instance_id = "zeta";
  AssignorMember a = M("zzz", {"t"});
  a.group_instance_id = "alpha";
  auto out = Run("range", {{"t", 3}}, {z, a, M("0-dynamic", {"t"})});
  CHECK(out["zzz"] == std::vector<TopicPartition>{TP("t", 0)});
  CHECK(out["aaa"] == std::vector<TopicPartition>{TP("t", 1)});
  CHECK(out["0-dynamic"] == std::vector<TopicPartition>{TP("t", 2)});
}

}  // namespace
}  // namespace rill::group
