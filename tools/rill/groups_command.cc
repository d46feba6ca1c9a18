#include "tools/rill/groups_command.h"

#include <iostream>
#include <memory>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "lib/base/status_macros.h"
#include "rill/admin.h"
#include "tools/rill/open_data_dir.h"
#include "tools/rill/record_json.h"
#include "tools/rill/tool_configs.h"

namespace rill::tool {
namespace {

struct GroupsArgs {
  std::string group;
  std::string topic;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<int64_t> to_offset;
  std::string to_datetime;
};

absl::StatusOr<std::unique_ptr<Broker>> Open(const GlobalFlags& globals, DataDirAccess access) {
  RILL_ASSIGN_OR_RETURN(Properties properties, LoadConfigs(globals));
  RILL_ASSIGN_OR_RETURN(SplitConfigs split, SplitByParser(properties));
  RILL_ASSIGN_OR_RETURN(BrokerOptions options, BrokerOptionsFrom(split));
  return OpenBroker(globals, access, options);
}

std::string Partitions(const std::vector<TopicPartition>& ps) {
  return absl::StrJoin(
      ps, ",", [](std::string* out, const TopicPartition& tp) { out->append(tp.ToString()); });
}

absl::Status List(const GlobalFlags& globals) {
  RILL_ASSIGN_OR_RETURN(auto broker, Open(globals, DataDirAccess::kRead));
  RILL_ASSIGN_OR_RETURN(auto groups, Admin(broker.get()).ListGroups());
  for (const GroupListing& g : groups) {
    if (globals.json) {
      Json j;
      j["group"] = g.group_id;
      j["state"] = GroupStateName(g.state);
      j["protocol_type"] = g.protocol_type;
      std::cout << JsonLine(j) << "\n";
    } else {
      std::cout << g.group_id << "\t" << GroupStateName(g.state) << "\n";
    }
  }
  return broker->Close();
}

Json LagJson(const std::string& group, const PartitionLag& row, int64_t now_ms) {
  Json j;
  j["group"] = group;
  j["topic"] = row.partition.topic;
  j["partition"] = row.partition.partition;
  j["committed_offset"] = row.committed_offset ? Json(*row.committed_offset) : Json(nullptr);
  j["end_offset"] = row.log_end_offset;
  j["lag"] = row.lag;
  j["member_id"] = row.member_id;
  j["ms_since_commit"] =
      row.commit_timestamp_ms ? Json(now_ms - *row.commit_timestamp_ms) : Json(nullptr);
  return j;
}

void PrintLagRows(const std::string& group, const std::vector<PartitionLag>& rows, bool json,
                  int64_t now_ms) {
  for (const PartitionLag& row : rows) {
    if (json) {
      std::cout << JsonLine(LagJson(group, row, now_ms)) << "\n";
      continue;
    }
    std::string committed = row.committed_offset ? absl::StrCat(*row.committed_offset) : "-";
    std::string since = row.commit_timestamp_ms
                            ? absl::StrCat((now_ms - *row.commit_timestamp_ms) / 1000, "s")
                            : "-";
    std::cout << absl::StrFormat("%-20s %-24s %10s %10d %8d %8s %s\n", group,
                                 row.partition.ToString(), committed, row.log_end_offset, row.lag,
                                 since, row.member_id.empty() ? "-" : row.member_id);
  }
}

absl::Status Describe(const GlobalFlags& globals, const std::string& group) {
  RILL_ASSIGN_OR_RETURN(auto broker, Open(globals, DataDirAccess::kRead));
  Admin admin(broker.get());
  RILL_ASSIGN_OR_RETURN(GroupDescription d, admin.DescribeGroup(group));
  RILL_ASSIGN_OR_RETURN(auto lag, admin.Lag(group));
  int64_t now = broker->clock()->NowMs();
  if (globals.json) {
    Json j;
    j["group"] = group;
    j["state"] = GroupStateName(d.state);
    j["protocol"] = d.protocol;
    j["generation"] = d.generation;
    j["leader"] = d.leader;
    Json members = Json::array();
    for (const MemberDescription& m : d.members) {
      Json mj;
      mj["member_id"] = m.member_id;
      mj["group_instance_id"] = m.group_instance_id;
      mj["client_id"] = m.client_id;
      mj["host"] = m.host;
      Json assignment = Json::array();
      for (const TopicPartition& tp : m.assignment) assignment.push_back(tp.ToString());
      mj["assignment"] = assignment;
      members.push_back(mj);
    }
    j["members"] = members;
    std::cout << JsonLine(j) << "\n";
  } else {
    std::cout << "group " << group << ": " << GroupStateName(d.state) << ", protocol "
              << (d.protocol.empty() ? "-" : d.protocol) << ", generation " << d.generation << ", "
              << d.members.size() << " members\n";
    for (const MemberDescription& m : d.members) {
      std::cout << "  member " << m.member_id << (m.member_id == d.leader ? " (leader)" : "")
                << (m.group_instance_id.empty() ? "" : " instance " + m.group_instance_id) << ": "
                << Partitions(m.assignment) << "\n";
    }
  }
  PrintLagRows(group, lag, globals.json, now);
  return broker->Close();
}

absl::StatusOr<int64_t> ParseDatetime(const std::string& text) {
  absl::Time t;
  std::string err;
  for (const char* format : {absl::RFC3339_full, "%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, text, &t, &err)) return absl::ToUnixMillis(t);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--to-datetime '", text, "': not ISO 8601 (e.g. 2024-05-01T12:00:00Z; no zone means UTC)"));
}

absl::Status Reset(const GlobalFlags& globals, const GroupsArgs& args) {
  OffsetResetSpec spec;
  int chosen =
      args.to_earliest + args.to_latest + args.to_offset.has_value() + !args.to_datetime.empty();
  if (chosen != 1) {
    return absl::InvalidArgumentError(
        "groups reset-offsets: give exactly one of --to-earliest, --to-latest, --to-offset, "
        "--to-datetime");
  }
  if (args.to_latest) spec.kind = OffsetResetSpec::Kind::kLatest;
  if (args.to_offset) {
    spec.kind = OffsetResetSpec::Kind::kOffset;
    spec.offset = *args.to_offset;
  }
  if (!args.to_datetime.empty()) {
    spec.kind = OffsetResetSpec::Kind::kDatetime;
    RILL_ASSIGN_OR_RETURN(spec.timestamp_ms, ParseDatetime(args.to_datetime));
  }
  RILL_ASSIGN_OR_RETURN(auto broker, Open(globals, DataDirAccess::kWrite));
  absl::StatusOr<std::map<TopicPartition, int64_t>> offsets =
      Admin(broker.get()).ResetOffsets(args.group, args.topic, spec);
  if (!offsets.ok()) {
    return absl::Status(offsets.status().code(),
                        absl::StrCat("group ", args.group, ": ", offsets.status().message()));
  }
  for (const auto& [tp, offset] : *offsets) {
    if (globals.json) {
      Json j;
      j["group"] = args.group;
      j["topic"] = tp.topic;
      j["partition"] = tp.partition;
      j["new_offset"] = offset;
      std::cout << JsonLine(j) << "\n";
    } else {
      std::cout << args.group << "\t" << tp.ToString() << "\t" << offset << "\n";
    }
  }
  return broker->Close();
}

absl::Status Delete(const GlobalFlags& globals, const std::string& group) {
  RILL_ASSIGN_OR_RETURN(auto broker, Open(globals, DataDirAccess::kWrite));
  absl::Status s = Admin(broker.get()).DeleteGroup(group);
  if (!s.ok()) return s;
  if (!globals.json) std::cout << "deleted group " << group << "\n";
  return broker->Close();
}

absl::Status Lag(const GlobalFlags& globals, const std::string& group) {
  RILL_ASSIGN_OR_RETURN(auto broker, Open(globals, DataDirAccess::kRead));
  Admin admin(broker.get());
  std::vector<std::string> groups;
  if (!group.empty()) {
    groups.push_back(group);
  } else {
    RILL_ASSIGN_OR_RETURN(auto listing, admin.ListGroups());
    for (const GroupListing& g : listing) groups.push_back(g.group_id);
  }
  if (!globals.json) {
    std::cout << absl::StrFormat("%-20s %-24s %10s %10s %8s %8s %s\n", "GROUP", "PARTITION",
                                 "COMMITTED", "END", "LAG", "SINCE", "MEMBER");
  }
  for (const std::string& g : groups) {
    RILL_ASSIGN_OR_RETURN(auto rows, admin.Lag(g));
    PrintLagRows(g, rows, globals.json, broker->clock()->NowMs());
  }
  return broker->Close();
}

}  // namespace

void RegisterGroupsCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<GroupsArgs>();
  CLI::App* groups =
      app->add_subcommand("groups", "List, describe, reset or delete consumer groups");
  groups->require_subcommand(1);
  CLI::App* list = groups->add_subcommand("list", "One group per line with its state");
  list->callback([=] { *run = [=] { return List(*globals); }; });
  CLI::App* describe = groups->add_subcommand(
      "describe",
      "State, protocol, members with their assignment; per partition committed "
      "offset, end offset, lag");
  describe->add_option("GROUP", args->group, "The group")->required();
  describe->callback([=] { *run = [=] { return Describe(*globals, args->group); }; });
  CLI::App* reset = groups->add_subcommand(
      "reset-offsets", "Commit new offsets for every partition of a topic (group without members)");
  reset->add_option("GROUP", args->group, "The group")->required();
  reset->add_option("--topic", args->topic, "The topic")->required();
  auto* e = reset->add_flag("--to-earliest", args->to_earliest, "The log start offsets");
  auto* l = reset->add_flag("--to-latest", args->to_latest, "The log end offsets");
  auto* o = reset->add_option("--to-offset", args->to_offset, "This offset (clamped to each log)");
  auto* d = reset->add_option("--to-datetime", args->to_datetime,
                              "The first offset at or after this ISO 8601 time");
  e->excludes(l)->excludes(o)->excludes(d);
  l->excludes(o)->excludes(d);
  o->excludes(d);
  reset->callback([=] { *run = [=] { return Reset(*globals, *args); }; });
  CLI::App* del =
      groups->add_subcommand("delete", "Delete a group's offsets (group without members)");
  del->add_option("GROUP", args->group, "The group")->required();
  del->callback([=] { *run = [=] { return Delete(*globals, args->group); }; });
}

void RegisterLagCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto group = std::make_shared<std::string>();
  CLI::App* lag = app->add_subcommand(
      "lag", "Per group and partition: committed offset, end offset, lag, time since the commit");
  lag->add_option("GROUP", *group, "Only this group (default: all)");
  lag->callback([=] { *run = [=] { return Lag(*globals, *group); }; });
}

}  // namespace rill::tool
