// Writes `__consumer_offsets` through rill's public API for
// check_rill_group_offsets.py: consumer groups join, commit offsets with
// metadata strings (and one leader epoch) and leave; one group is deleted.
// Prints, as one JSON object, what a reader of the directory must find:
//
//   {"partitions": 50,
//    "offsets": [{"group", "topic", "partition", "offset", "metadata",
//                 "leader_epoch"}],   // The final committed offsets.
//    "groups": [{"group", "protocol", "topics"}],
//    "deleted": ["group", ...]}
//
//   rill_interop_group_writer DATA_DIR

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "rill/rill.h"

namespace {

using Offsets = std::map<rill::TopicPartition, rill::OffsetAndMetadata>;

struct GroupPlan {
  std::string group;
  rill::Assignor assignor;
  Offsets offsets;
};

absl::Status Produce(rill::Broker& broker, const std::string& topic, int32_t partitions) {
  auto created = broker.CreateTopic(topic, {.partitions = partitions});
  if (!created.ok()) return created.status();
  rill::Producer producer(&broker, {});
  for (int32_t p = 0; p < partitions; ++p) {
    for (int i = 0; i < 20; ++i) {
      std::string value = absl::StrCat("v", i);
      producer.Send({.topic = topic, .partition = p, .value = value}, nullptr);
    }
  }
  return producer.Close();
}

// Joins `plan.group` subscribed to `topics`, commits `plan.offsets` and
// leaves.
absl::Status RunGroup(rill::Broker& broker, const GroupPlan& plan,
                      const std::vector<std::string>& topics) {
  auto consumer =
      rill::Consumer::Create(&broker, {.group_id = plan.group,
                                       .auto_offset_reset = rill::OffsetReset::kEarliest,
                                       .enable_auto_commit = false,
                                       .partition_assignment_strategy = {plan.assignor},
                                       .client_id = "interop-writer"});
  if (!consumer.ok()) return consumer.status();
  if (absl::Status s = (*consumer)->Subscribe(topics); !s.ok()) return s;
  for (int i = 0; i < 50 && (*consumer)->Assignment().empty(); ++i) {
    auto records = (*consumer)->Poll(absl::Milliseconds(20));
    if (!records.ok()) return records.status();
  }
  if (absl::Status s = (*consumer)->CommitSync(plan.offsets); !s.ok()) return s;
  return (*consumer)->Close();
}

nlohmann::json Expected(const std::vector<GroupPlan>& kept, const std::vector<std::string>& topics,
                        const std::vector<std::string>& deleted, int32_t partitions) {
  nlohmann::json out = {{"partitions", partitions}, {"deleted", deleted}};
  out["offsets"] = nlohmann::json::array();
  out["groups"] = nlohmann::json::array();
  const char* names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
  for (const GroupPlan& g : kept) {
    out["groups"].push_back({{"group", g.group},
                             {"protocol", names[static_cast<int>(g.assignor)]},
                             {"topics", topics}});
    for (const auto& [tp, o] : g.offsets) {
      out["offsets"].push_back({{"group", g.group},
                                {"topic", tp.topic},
                                {"partition", tp.partition},
                                {"offset", o.offset},
                                {"metadata", o.metadata},
                                {"leader_epoch", o.leader_epoch.value_or(-1)}});
    }
  }
  return out;
}

absl::Status Main(const std::string& dir) {
  rill::BrokerOptions options;
  options.background_threads = false;
  auto broker = rill::Broker::Open(dir, options);
  if (!broker.ok()) return broker.status();
  const std::vector<std::string> topics = {"orders", "payments"};
  for (const std::string& t : topics) {
    if (absl::Status s = Produce(**broker, t, 3); !s.ok()) return s;
  }
  std::vector<GroupPlan> kept = {
      {"billing",
       rill::Assignor::kRange,
       {{{"orders", 0}, {3, "first"}},
        {{"orders", 2}, {20, ""}},
        {{"payments", 1}, {7, "checkpoint \xc3\xbc\xe2\x82\xac", 0}}}},
      // A non-ASCII group id: its partition comes from Java's UTF-16 hash.
      {"r\xc3\xa9"
       "conciliation-\xf0\x9f\x92\xb6",
       rill::Assignor::kCooperativeSticky,
       {{{"payments", 0}, {11, "{\"batch\": 4}"}}}},
  };
  for (const GroupPlan& g : kept) {
    if (absl::Status s = RunGroup(**broker, g, topics); !s.ok()) return s;
  }
  // Recommitting moves an offset; the last value is what a reader keeps.
  kept[0].offsets[{"orders", 0}] = {5, "second"};
  if (absl::Status s = RunGroup(**broker, kept[0], topics); !s.ok()) return s;

  GroupPlan temp = {"short-lived", rill::Assignor::kRoundRobin, {{{"orders", 1}, {2, ""}}}};
  if (absl::Status s = RunGroup(**broker, temp, topics); !s.ok()) return s;
  rill::Admin admin(broker->get());
  if (absl::Status s = admin.DeleteGroup(temp.group); !s.ok()) return s;

  std::cout << Expected(kept, topics, {temp.group}, options.offsets_topic_num_partitions).dump()
            << "\n";
  return (*broker)->Close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: rill_interop_group_writer DATA_DIR\n";
    return 2;
  }
  absl::Status s = Main(argv[1]);
  if (!s.ok()) std::cerr << s << "\n";
  return s.ok() ? 0 : 1;
}
