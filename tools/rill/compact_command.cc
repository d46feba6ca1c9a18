#include "tools/rill/compact_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "rill/broker.h"
#include "tools/rill/open_data_dir.h"
#include "tools/rill/record_json.h"
#include "tools/rill/tool_configs.h"

namespace rill::tool {
namespace {

struct CompactArgs {
  std::string topic;
  int32_t partition = -1;  // -1: all.
};

void Print(const std::string& topic, int32_t partition, const CompactionResult& r, bool json,
           std::ostream* out) {
  if (json) {
    Json j;
    j["topic"] = topic;
    j["partition"] = partition;
    j["bytes_before"] = r.bytes_before;
    j["bytes_after"] = r.bytes_after;
    j["records_before"] = r.records_before;
    j["records_after"] = r.records_after;
    j["segments_before"] = r.segments_before;
    j["segments_after"] = r.segments_after;
    j["first_dirty_offset"] = r.first_dirty_offset;
    *out << j.dump() << "\n";
    return;
  }
  *out << topic << "-" << partition << ": " << r.bytes_before << " -> " << r.bytes_after
       << " bytes, " << r.records_before << " -> " << r.records_after << " records, "
       << r.segments_before << " -> " << r.segments_after << " segments, compacted below offset "
       << r.first_dirty_offset << "\n";
}

absl::Status Compact(const GlobalFlags& globals, const CompactArgs& args, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(Properties properties, LoadConfigs(globals));
  RILL_ASSIGN_OR_RETURN(SplitConfigs split, SplitByParser(properties));
  RILL_ASSIGN_OR_RETURN(BrokerOptions options, BrokerOptionsFrom(split));
  options.background_threads = false;
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<Broker> broker,
                        OpenBroker(globals, DataDirAccess::kWrite, options));
  auto work = [&]() -> absl::Status {
    Topic* topic = broker->topic(args.topic);
    if (topic == nullptr) {
      return absl::NotFoundError(absl::StrCat("topic ", args.topic, ": does not exist"));
    }
    if (args.partition >= topic->partition_count()) {
      return absl::NotFoundError(absl::StrCat("topic ", args.topic, ": has no partition ",
                                              args.partition));
    }
    for (int32_t p = 0; p < topic->partition_count(); ++p) {
      if (args.partition >= 0 && p != args.partition) continue;
      absl::StatusOr<CompactionResult> r = topic->partition(p)->Compact();
      if (!r.ok()) {
        return absl::Status(r.status().code(),
                            absl::StrCat("topic ", args.topic, ": ", r.status().message()));
      }
      Print(args.topic, p, *r, globals.json, out);
    }
    return absl::OkStatus();
  };
  absl::Status status = work();
  absl::Status closed = broker->Close();
  return status.ok() ? closed : status;
}

}  // namespace

void RegisterCompactCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<CompactArgs>();
  CLI::App* cmd = app->add_subcommand(
      "compact", "Run the log cleaner over a compacted topic now and report what it removed");
  cmd->add_option("topic", args->topic, "The topic (cleanup.policy compact or compact,delete)")
      ->required();
  cmd->add_option("--partition", args->partition, "Only this partition (default: all)");
  cmd->callback([globals, run, args] {
    *run = [globals, args] { return Compact(*globals, *args, &std::cout); };
  });
}

}  // namespace rill::tool
