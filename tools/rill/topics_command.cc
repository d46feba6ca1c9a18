#include "tools/rill/topics_command.h"

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status_macros.h"
#include "rill/broker.h"
#include "tools/rill/open_data_dir.h"
#include "tools/rill/record_json.h"
#include "tools/rill/tool_configs.h"

namespace rill::tool {
namespace {

// What the topics subcommands were given.
struct TopicsArgs {
  std::string name;
  int32_t partitions = 1;
  CLI::Option* partitions_option = nullptr;  // Given when count() > 0.
  std::vector<std::string> configs;          // --config k=v.
};

// `status` as "topic <name>: <why>".
absl::Status InTopic(const std::string& name, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat("topic ", name, ": ", status.message()));
}

// Opens the data directory with the broker configs of --config-file (its
// producer configs do not apply here) and runs `work` on it, then closes the
// broker cleanly. The first error wins.
absl::Status WithBroker(const GlobalFlags& globals, DataDirAccess access,
                        const std::function<absl::Status(Broker*)>& work) {
  RILL_ASSIGN_OR_RETURN(Properties properties, LoadConfigs(globals));
  RILL_ASSIGN_OR_RETURN(SplitConfigs split, SplitByParser(properties));
  RILL_ASSIGN_OR_RETURN(BrokerOptions options, BrokerOptionsFrom(split));
  // A command runs for a moment: nothing periodic is due, and Close() flushes.
  options.background_threads = false;
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<Broker> broker, OpenBroker(globals, access, options));
  absl::Status status = work(broker.get());
  absl::Status closed = broker->Close();
  return status.ok() ? closed : status;
}

Json ConfigsJson(const std::map<std::string, std::string>& configs) {
  Json json = Json::object();
  for (const auto& [name, value] : configs) json[name] = value;
  return json;
}

// The `topics list --json` object of `topic`.
Json TopicSummaryJson(const Topic& topic) {
  Json json;
  json["name"] = topic.name();
  json["partitions"] = topic.partition_count();
  json["configs"] = ConfigsJson(topic.options().NonDefaultProperties());
  return json;
}

absl::Status PrintSummary(Broker* broker, const std::string& name, std::ostream* out) {
  Topic* topic = broker->topic(name);
  if (topic == nullptr)
    return absl::NotFoundError(absl::StrCat("Topic '", name, "' does not exist."));
  *out << JsonLine(TopicSummaryJson(*topic)) << "\n";
  return absl::OkStatus();
}

// The topic configs of --config, refusing the partition count and the
// replication factor, which TopicOptions::FromProperties also takes but
// which are not Kafka topic configs.
absl::StatusOr<std::map<std::string, std::string>> TopicConfigs(const TopicsArgs& args) {
  std::map<std::string, std::string> configs = PropertyValues(ConfigFlagProperties(args.configs));
  for (const char* name : {"partitions", "num.partitions", "replication.factor"}) {
    if (configs.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown topic config '", name, "'",
                       std::string(name) == "replication.factor" ? "" : " (use --partitions)"));
    }
  }
  return configs;
}

absl::Status Create(Broker* broker, const TopicsArgs& args, bool json, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(auto configs, TopicConfigs(args));
  if (args.partitions_option->count() > 0) configs["partitions"] = absl::StrCat(args.partitions);
  RILL_ASSIGN_OR_RETURN(TopicOptions options,
                        TopicOptions::FromProperties(configs, broker->options().default_topic));
  RILL_RETURN_IF_ERROR(broker->CreateTopic(args.name, options).status());
  if (json) return PrintSummary(broker, args.name, out);
  *out << "Created topic " << args.name << ".\n";
  return absl::OkStatus();
}

absl::Status List(Broker* broker, const TopicsArgs&, bool json, std::ostream* out) {
  for (const std::string& name : broker->ListTopics()) {
    if (json) {
      // A topic deleted meanwhile is not listed: ListTopics was the moment.
      absl::Status printed = PrintSummary(broker, name, out);
      if (!printed.ok() && !absl::IsNotFound(printed)) return printed;
    } else {
      *out << name << "\n";
    }
  }
  return absl::OkStatus();
}

Json PartitionJson(const TopicDescription& topic, const PartitionDescription& p) {
  Json json;
  json["topic"] = topic.name;
  json["partition"] = p.partition;
  json["log_start_offset"] = p.log_start_offset;
  json["log_end_offset"] = p.log_end_offset;
  json["high_watermark"] = p.high_watermark;
  json["segments"] = p.segments;
  json["size_bytes"] = p.size_bytes;
  json["configs"] = ConfigsJson(topic.options.ToProperties());
  return json;
}

void PrintDescription(const TopicDescription& topic, std::ostream* out) {
  *out << "Topic: " << topic.name << "\tTopicId: " << topic.topic_id
       << "\tPartitionCount: " << topic.partitions.size()
       << "\tReplicationFactor: " << topic.options.replication_factor << "\n";
  for (const PartitionDescription& p : topic.partitions) {
    *out << "\tPartition: " << p.partition << "\tLogStartOffset: " << p.log_start_offset
         << "\tLogEndOffset: " << p.log_end_offset << "\tHighWatermark: " << p.high_watermark
         << "\tSegments: " << p.segments << "\tSizeBytes: " << p.size_bytes << "\n";
  }
  *out << "Configs:\n";
  for (const auto& [name, value] : topic.options.ToProperties()) {
    *out << "\t" << name << "=" << value << "\n";
  }
}

absl::Status Describe(Broker* broker, const TopicsArgs& args, bool json, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(TopicDescription topic, broker->DescribeTopic(args.name));
  if (!json) {
    PrintDescription(topic, out);
    return absl::OkStatus();
  }
  for (const PartitionDescription& p : topic.partitions) {
    *out << JsonLine(PartitionJson(topic, p)) << "\n";
  }
  return absl::OkStatus();
}

absl::Status Alter(Broker* broker, const TopicsArgs& args, bool json, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(auto configs, TopicConfigs(args));
  RILL_RETURN_IF_ERROR(broker->AlterConfigs(args.name, configs));
  if (json) return PrintSummary(broker, args.name, out);
  Topic* topic = broker->topic(args.name);
  std::map<std::string, std::string> now = topic->options().ToProperties();
  std::vector<std::string> changed;
  for (const auto& [name, value] : configs) changed.push_back(absl::StrCat(name, "=", now[name]));
  *out << "Altered topic " << args.name << ": " << absl::StrJoin(changed, ", ") << "\n";
  return absl::OkStatus();
}

absl::Status Delete(Broker* broker, const TopicsArgs& args, bool json, std::ostream* out) {
  RILL_RETURN_IF_ERROR(broker->DeleteTopic(args.name));
  if (json) {
    *out << JsonLine(Json{{"name", args.name}, {"deleted", true}}) << "\n";
  } else {
    *out << "Deleted topic " << args.name << ".\n";
  }
  return absl::OkStatus();
}

using TopicWork = std::function<absl::Status(Broker*, const TopicsArgs&, bool, std::ostream*)>;

// Adds one subcommand; parsing it stores `work` on a broker opened for
// `access` in `*run`. With a NAME argument, the work's errors name the topic.
CLI::App* AddSubcommand(CLI::App* topics, const GlobalFlags* globals, CommandRun* run,
                        std::shared_ptr<TopicsArgs> args, const char* name,
                        const std::string& description, DataDirAccess access, TopicWork work) {
  CLI::App* sub = topics->add_subcommand(name, description);
  sub->callback([=] {
    bool named = sub->get_option_no_throw("NAME") != nullptr;
    *run = [=] {
      return WithBroker(*globals, access, [&](Broker* broker) {
        absl::Status status = work(broker, *args, globals->json, &std::cout);
        return named ? InTopic(args->name, status) : status;
      });
    };
  });
  return sub;
}

void AddNameArgument(CLI::App* sub, TopicsArgs* args) {
  sub->add_option("NAME", args->name,
                  "The topic: ASCII letters, digits, '.', '_' and '-', at most 249 (Kafka's rules)")
      ->required();
}

void AddCreate(CLI::App* topics, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<TopicsArgs>();
  CLI::App* create =
      AddSubcommand(topics, globals, run, args, "create",
                    "Create a topic (creating --dir if missing), like kafka-topics.sh --create",
                    DataDirAccess::kWrite, Create);
  AddNameArgument(create, args.get());
  args->partitions_option =
      create
          ->add_option("--partitions", args->partitions,
                       "Number of partitions. Default: num.partitions from --config-file, else 1")
          ->type_name("N");
  AddConfigOption(create, &args->configs,
                  "A topic config by its Kafka name (retention.ms, cleanup.policy, "
                  "segment.bytes, ...), on top of the broker defaults of --config-file");
}

void AddList(CLI::App* topics, const GlobalFlags* globals, CommandRun* run) {
  AddSubcommand(topics, globals, run, std::make_shared<TopicsArgs>(), "list",
                "Print every topic's name, one per line (--json: name, partitions and the "
                "configs that differ from Kafka's defaults)",
                DataDirAccess::kRead, List);
}

void AddDescribe(CLI::App* topics, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<TopicsArgs>();
  CLI::App* describe = AddSubcommand(
      topics, globals, run, args, "describe",
      "Print per partition the log start offset, log end offset, high watermark, segments and "
      "bytes on disk, and the topic's effective configs (--json: one object per partition, "
      "configs included)",
      DataDirAccess::kRead, Describe);
  AddNameArgument(describe, args.get());
}

void AddAlter(CLI::App* topics, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<TopicsArgs>();
  CLI::App* alter = AddSubcommand(
      topics, globals, run, args, "alter",
      "Set topic configs (incrementally, like kafka-configs.sh --alter --add-config); they apply "
      "to new appends and segments at once",
      DataDirAccess::kWrite, Alter);
  AddNameArgument(alter, args.get());
  AddConfigOption(alter, &args->configs, "A topic config to set, by its Kafka name")->required();
}

void AddDelete(CLI::App* topics, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<TopicsArgs>();
  CLI::App* del = AddSubcommand(topics, globals, run, args, "delete",
                                "Delete a topic and all its files", DataDirAccess::kWrite, Delete);
  AddNameArgument(del, args.get());
}

}  // namespace

void RegisterTopicsCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  CLI::App* topics = app->add_subcommand(
      "topics", "Create, list, describe, alter and delete topics (like kafka-topics.sh)");
  topics->require_subcommand(1);
  AddCreate(topics, globals, run);
  AddList(topics, globals, run);
  AddDescribe(topics, globals, run);
  AddAlter(topics, globals, run);
  AddDelete(topics, globals, run);
}

}  // namespace rill::tool
