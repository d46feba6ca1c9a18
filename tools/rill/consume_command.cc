#include "tools/rill/consume_command.h"

#include <atomic>
#include <csignal>
#include <map>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "rill/consumer.h"
#include "tools/rill/open_data_dir.h"
#include "tools/rill/record_json.h"
#include "tools/rill/tool_configs.h"

namespace rill::tool {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void OnStopSignal(int) { stop_requested.store(true); }

// Seeks newly assigned partitions to the position the flags ask for.
class StartPosition : public ConsumerRebalanceListener {
 public:
  StartPosition(Consumer* consumer, const ConsumeArgs& args) : consumer_(consumer), args_(args) {}
  void OnPartitionsRevoked(absl::Span<const TopicPartition>) override {}
  void OnPartitionsAssigned(absl::Span<const TopicPartition> partitions) override {
    status_.Update(Apply(consumer_, args_, partitions));
  }
  const absl::Status& status() const { return status_; }

  static absl::Status Apply(Consumer* c, const ConsumeArgs& args,
                            absl::Span<const TopicPartition> partitions) {
    if (partitions.empty()) return absl::OkStatus();
    if (args.offset) {
      for (const TopicPartition& tp : partitions) RILL_RETURN_IF_ERROR(c->Seek(tp, *args.offset));
    } else if (args.from_beginning) {
      return c->SeekToBeginning(partitions);
    } else if (args.from_end) {
      return c->SeekToEnd(partitions);
    } else if (args.from_time) {
      std::map<TopicPartition, int64_t> query;
      for (const TopicPartition& tp : partitions) query[tp] = *args.from_time;
      RILL_ASSIGN_OR_RETURN(auto found, c->OffsetsForTimes(query));
      for (const auto& [tp, at] : found) {
        if (at) {
          RILL_RETURN_IF_ERROR(c->Seek(tp, at->offset));
        } else {
          RILL_RETURN_IF_ERROR(c->SeekToEnd({tp}));
        }
      }
    }
    return absl::OkStatus();
  }

 private:
  Consumer* consumer_;
  const ConsumeArgs& args_;
  absl::Status status_;
};

std::string Text(std::optional<absl::string_view> bytes) {
  return bytes ? std::string(*bytes) : std::string();
}

void Print(const ConsumerRecord& r, const GlobalFlags& globals, const ConsumeArgs& args,
           std::ostream* out) {
  if (globals.json) {
    Json json;
    json["topic"] = std::string(r.topic());
    json["partition"] = r.partition();
    json["offset"] = r.offset();
    json["timestamp"] = r.timestamp();
    json["timestamp_type"] =
        r.timestamp_type() == TimestampType::kLogAppendTime ? "log_append" : "create";
    json["key"] = BytesToJson(r.key());
    json["value"] = BytesToJson(r.value());
    Json headers = Json::array();
    for (const Header& h : r.headers()) {
      Json header;
      header["key"] = std::string(h.key);
      header["value"] = BytesToJson(h.value);
      headers.push_back(header);
    }
    json["headers"] = headers;
    *out << JsonLine(json) << "\n";
  } else {
    if (args.print_key) *out << Text(r.key()) << args.key_separator;
    *out << Text(r.value()) << "\n";
  }
}

absl::StatusOr<ConsumerOptions> Options(const SplitConfigs& split, const ConsumeArgs& args) {
  std::map<std::string, std::string> props = split.consumer;
  props["enable.auto.commit"] = "false";  // It commits what it printed, once, at the end.
  if (!args.group.empty()) props["group.id"] = args.group;
  if (args.from_beginning) props["auto.offset.reset"] = "earliest";
  if (!props.contains("auto.offset.reset")) {
    // Without a group there is nothing committed: read from the start, as kcat.
    props["auto.offset.reset"] = args.group.empty() ? "earliest" : "latest";
  }
  absl::StatusOr<ConsumerOptions> o = ConsumerOptions::FromProperties(props);
  if (!o.ok())
    return absl::InvalidArgumentError(absl::StrCat("consumer configs: ", o.status().message()));
  return o;
}

absl::Status Start(Consumer* consumer, Broker* broker, const ConsumeArgs& args,
                   StartPosition* listener) {
  bool positioned = args.offset || args.from_beginning || args.from_end || args.from_time;
  if (!args.group.empty() && !args.partition) {
    return consumer->Subscribe({args.topic}, positioned ? listener : nullptr);
  }
  Topic* topic = broker->topic(args.topic);
  if (topic == nullptr)
    return absl::NotFoundError(absl::StrCat("topic '", args.topic, "' does not exist"));
  std::vector<TopicPartition> partitions;
  if (args.partition) {
    partitions.push_back({args.topic, *args.partition});
  } else {
    for (int32_t p = 0; p < topic->partition_count(); ++p) partitions.push_back({args.topic, p});
  }
  RILL_RETURN_IF_ERROR(consumer->Assign(partitions));
  return StartPosition::Apply(consumer, args, partitions);
}

// Whether every assigned partition's position is at its end.
bool CaughtUp(Consumer* consumer) {
  std::vector<TopicPartition> assigned = consumer->Assignment();
  if (assigned.empty()) return false;
  absl::StatusOr<std::map<TopicPartition, int64_t>> ends = consumer->EndOffsets(assigned);
  if (!ends.ok()) return false;
  for (const auto& [tp, end] : *ends) {
    absl::StatusOr<int64_t> position = consumer->Position(tp);
    if (!position.ok() || *position < end) return false;
  }
  return true;
}

}  // namespace

absl::Status Consume(const GlobalFlags& globals, const ConsumeArgs& args, std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(Properties properties,
                        LoadConfigs(globals, ConfigFlagProperties(args.configs)));
  RILL_ASSIGN_OR_RETURN(SplitConfigs split, SplitByParser(properties));
  RILL_ASSIGN_OR_RETURN(BrokerOptions broker_options, BrokerOptionsFrom(split));
  RILL_ASSIGN_OR_RETURN(ConsumerOptions options, Options(split, args));
  bool commits = !args.group.empty() && !args.no_commit;
  RILL_ASSIGN_OR_RETURN(
      std::unique_ptr<Broker> broker,
      OpenBroker(globals, commits ? DataDirAccess::kWrite : DataDirAccess::kRead, broker_options));
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<Consumer> consumer,
                        Consumer::Create(broker.get(), options));
  StartPosition listener(consumer.get(), args);
  RILL_RETURN_IF_ERROR(Start(consumer.get(), broker.get(), args, &listener));
  stop_requested.store(false);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  std::map<TopicPartition, OffsetAndMetadata> printed;
  int64_t count = 0;
  absl::Time idle_since = absl::Now();
  absl::Status status;
  while (!stop_requested.load() && (args.count < 0 || count < args.count)) {
    absl::StatusOr<ConsumerRecords> records = consumer->Poll(absl::Milliseconds(100));
    if (!records.ok()) {
      status = records.status();
      break;
    }
    if (!listener.status().ok()) {
      status = listener.status();
      break;
    }
    for (const ConsumerRecord& r : *records) {
      if (args.count >= 0 && count >= args.count) break;
      Print(r, globals, args, out);
      printed[{std::string(r.topic()), r.partition()}] = {r.offset() + 1, "", std::nullopt};
      ++count;
    }
    out->flush();
    if (!records->empty()) idle_since = absl::Now();
    if (!args.follow && records->empty() && CaughtUp(consumer.get()) &&
        absl::Now() - idle_since >= absl::Milliseconds(args.timeout_ms)) {
      break;
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (status.ok() && commits && !printed.empty()) status = consumer->CommitSync(printed);
  absl::Status closed = consumer->Close();
  if (status.ok()) status = closed;
  absl::Status broker_closed = broker->Close();
  if (status.ok()) status = broker_closed;
  return status;
}

void RegisterConsumeCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto args = std::make_shared<ConsumeArgs>();
  CLI::App* c = app->add_subcommand(
      "consume",
      "Print records of a topic, like kcat -C: the value per line (--print-key: key first; "
      "--json: one record object per line). With --group, join the group, start from its "
      "committed offsets and commit what was printed before leaving");
  c->add_option("TOPIC", args->topic, "The topic")->required();
  c->add_option("--group", args->group, "Consumer group: join it, resume from and commit to it");
  c->add_option("--partition", args->partition, "Read only this partition (default: all)");
  auto* offset = c->add_option("--offset", args->offset, "Start at this offset");
  auto* beginning = c->add_flag("--from-beginning", args->from_beginning, "Start at the log start");
  auto* end = c->add_flag("--from-end", args->from_end, "Start at the end (only new records)");
  auto* time = c->add_option("--from-time", args->from_time,
                             "Start at the first record with timestamp >= MS (ms since the epoch)");
  offset->excludes(beginning)->excludes(end)->excludes(time);
  beginning->excludes(end)->excludes(time);
  end->excludes(time);
  c->add_option("-n", args->count, "Stop after COUNT records (default: no limit)");
  c->add_option("--timeout-ms", args->timeout_ms,
                "Stop once caught up and nothing new came for this long")
      ->capture_default_str();
  c->add_flag("--follow", args->follow, "Never stop at the end; SIGINT/SIGTERM commit and leave");
  c->add_flag("--print-key", args->print_key, "Print the key, then the separator, then the value");
  c->add_option("--key-separator", args->key_separator, "Separator after the key (default: tab)");
  c->add_flag("--no-commit", args->no_commit, "With --group: do not commit on exit");
  AddConfigOption(c, &args->configs,
                  "A consumer or broker config by its Kafka name (auto.offset.reset, "
                  "max.poll.records, partition.assignment.strategy, group.instance.id, ...)");
  c->callback([=] { *run = [=] { return Consume(*globals, *args, &std::cout); }; });
}

}  // namespace rill::tool
