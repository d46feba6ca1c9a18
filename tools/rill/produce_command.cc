#include "tools/rill/produce_command.h"

#include <atomic>
#include <iostream>
#include <memory>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/status_macros.h"
#include "rill/broker.h"
#include "rill/producer.h"
#include "tools/rill/open_data_dir.h"
#include "tools/rill/record_json.h"
#include "tools/rill/tool_configs.h"

namespace rill::tool {
namespace {

// Where a record came from, to name it if it fails.
struct RecordOrigin {
  int64_t line = 0;
  std::optional<int32_t> partition;  // When the input chose it.
};

// What the producer's callbacks report. Thread safe: callbacks run on the
// sending thread or the producer's linger thread.
class Acknowledgements {
 public:
  Acknowledgements(std::ostream* out, bool print_offsets, bool json)
      : out_(out), print_offsets_(print_offsets), json_(json) {}

  void OnCompletion(const RecordOrigin& origin, const absl::StatusOr<RecordMetadata>& metadata) {
    absl::MutexLock lock(&mu_);
    if (!metadata.ok()) {
      RecordFailure(origin, metadata.status());
      return;
    }
    ++acknowledged_;
    if (!print_offsets_) return;
    if (json_) {
      *out_ << JsonLine(Json{
          {"line", origin.line}, {"partition", metadata->partition}, {"offset", metadata->offset}});
    } else {
      *out_ << origin.line << " " << metadata->partition << " " << metadata->offset;
    }
    // At once: a script that kills the process must see every acknowledgement.
    *out_ << "\n" << std::flush;
  }

  // Whether a record failed: the reader stops sending.
  bool failed() const { return failed_.load(std::memory_order_acquire); }

  // The failed record with the lowest line, or OK. REQUIRES: every callback ran.
  absl::Status Result(const std::string& topic) {
    absl::MutexLock lock(&mu_);
    if (failures_ == 0) return absl::OkStatus();
    std::string where = absl::StrCat("stdin line ", first_failed_.line, ": topic ", topic);
    if (first_failed_.partition) absl::StrAppend(&where, " partition ", *first_failed_.partition);
    return absl::Status(first_failure_.code(),
                        absl::StrCat(where, ": ", first_failure_.message(), " (", failures_, " of ",
                                     failures_ + acknowledged_, " records failed)"));
  }

 private:
  void RecordFailure(const RecordOrigin& origin, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (failures_++ == 0 || origin.line < first_failed_.line) {
      first_failed_ = origin;
      first_failure_ = status;
    }
    failed_.store(true, std::memory_order_release);
  }

  absl::Mutex mu_;
  std::ostream* const out_ ABSL_PT_GUARDED_BY(mu_);
  const bool print_offsets_;
  const bool json_;
  int64_t acknowledged_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  RecordOrigin first_failed_ ABSL_GUARDED_BY(mu_);
  absl::Status first_failure_ ABSL_GUARDED_BY(mu_);
  // Publishes that a failure was recorded, without taking mu_ per line.
  std::atomic<bool> failed_{false};
};

struct ResolvedConfigs {
  BrokerOptions broker;
  ProducerOptions producer;
};

absl::StatusOr<ResolvedConfigs> ResolveConfigs(const GlobalFlags& globals,
                                               const ProduceArgs& args) {
  RILL_ASSIGN_OR_RETURN(Properties properties,
                        LoadConfigs(globals, ConfigFlagProperties(args.configs)));
  RILL_ASSIGN_OR_RETURN(SplitConfigs split, SplitByParser(properties));
  ResolvedConfigs resolved;
  RILL_ASSIGN_OR_RETURN(resolved.broker, BrokerOptionsFrom(split));
  for (const auto& [name, value] : args.producer_flags) split.producer[name] = value;
  absl::StatusOr<ProducerOptions> producer = ProducerOptions::FromProperties(split.producer);
  if (!producer.ok()) {
    return absl::Status(producer.status().code(),
                        absl::StrCat("producer configs: ", producer.status().message()));
  }
  resolved.producer = *std::move(producer);
  return resolved;
}

// Fails before stdin is read when the topic or the --partition is missing;
// creates the topic when auto.create.topics.enable says so.
absl::Status CheckTarget(Broker* broker, const ProduceArgs& args) {
  Topic* topic = broker->topic(args.topic);
  if (topic == nullptr && broker->options().auto_create_topics_enable) {
    RILL_ASSIGN_OR_RETURN(topic, broker->CreateTopic(args.topic));
  }
  if (topic == nullptr) {
    return absl::NotFoundError(absl::StrCat("Topic '", args.topic,
                                            "' does not exist (create it with rill topics create "
                                            "or set auto.create.topics.enable=true)"));
  }
  if (args.partition && *args.partition >= topic->partition_count()) {
    return absl::NotFoundError(absl::StrCat("partition ", *args.partition,
                                            " does not exist: the topic has ",
                                            topic->partition_count(), " partitions"));
  }
  return absl::OkStatus();
}

// Reads `*in` line by line and sends each record until the input ends, a
// line is not a record (returned) or a send failed (`acks` has it).
absl::Status SendLines(Producer* producer, const ProduceArgs& args, bool json, std::istream* in,
                       Acknowledgements* acks) {
  std::vector<std::pair<std::string, std::optional<std::string>>> flag_headers;
  for (const std::string& flag : args.headers) flag_headers.push_back(ParseHeaderFlag(flag));
  ProducerRecord record;
  record.topic = args.topic;
  InputRecord input;
  std::vector<Header> headers;
  std::string line;
  for (int64_t number = 1; !acks->failed() && std::getline(*in, line); ++number) {
    absl::Status parsed =
        json ? ParseJsonLine(line, &input) : ParseTextLine(line, args.text, &input);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("stdin line ", number, ": ", parsed.message()));
    }
    headers.clear();
    for (const auto* list : {&input.headers, &flag_headers}) {
      for (const auto& [key, value] : *list) headers.push_back({key, value});
    }
    RecordOrigin origin{number, input.partition ? input.partition : args.partition};
    record.partition = origin.partition;
    record.key = input.key;
    record.value = input.value;
    record.headers = headers;
    record.timestamp = input.timestamp;
    producer->Send(record, [acks, origin](const absl::StatusOr<RecordMetadata>& metadata) {
      acks->OnCompletion(origin, metadata);
    });
  }
  if (in->bad()) return absl::DataLossError("stdin: read error");
  return absl::OkStatus();
}

// The first status that is not OK, in order; OK when all are.
absl::Status FirstError(std::initializer_list<absl::Status> statuses) {
  for (const absl::Status& status : statuses) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// The flags as CLI11 fills them; Resolve() makes them the ProduceArgs.
struct ProduceFlags {
  ProduceArgs args;
  int32_t partition = 0;
  std::string key_separator;
  std::string null_value_marker;
  std::string compression = "none";
  std::string acks = "all";
  int64_t linger_ms = 5;
  int32_t batch_size = 16384;
  CLI::Option* partition_option = nullptr;
  CLI::Option* key_separator_option = nullptr;
  CLI::Option* null_value_marker_option = nullptr;
  CLI::Option* compression_option = nullptr;
  CLI::Option* acks_option = nullptr;
  CLI::Option* linger_ms_option = nullptr;
  CLI::Option* batch_size_option = nullptr;

  // Throws CLI::ValidationError (a usage error) for flags that do not go
  // together; called while CLI11 parses.
  ProduceArgs Resolve(bool json) const {
    ProduceArgs resolved = args;
    if (partition_option->count() > 0) resolved.partition = partition;
    if (key_separator_option->count() > 0) resolved.text.key_separator = key_separator;
    if (null_value_marker_option->count() > 0) resolved.text.null_value_marker = null_value_marker;
    if (json && (resolved.text.key_separator || resolved.text.null_value_marker)) {
      throw CLI::ValidationError("--key-separator/--null-value-marker",
                                 "apply to text input, not to --json records");
    }
    auto flag = [&](CLI::Option* option, const char* name, std::string value) {
      if (option->count() > 0) resolved.producer_flags[name] = std::move(value);
    };
    flag(compression_option, "compression.type", compression);
    flag(acks_option, "acks", acks);
    flag(linger_ms_option, "linger.ms", absl::StrCat(linger_ms));
    flag(batch_size_option, "batch.size", absl::StrCat(batch_size));
    return resolved;
  }
};

void AddProducerFlags(CLI::App* produce, ProduceFlags* f) {
  f->compression_option =
      produce
          ->add_option("--compression", f->compression,
                       "The batch codec (compression.type). Default: none, or compression.type "
                       "from --config/--config-file; a topic whose compression.type names a "
                       "codec gets that codec")
          ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  f->acks_option = produce
                       ->add_option("--acks", f->acks,
                                    "When a record counts as acknowledged: 0 (not waited for; "
                                    "offset -1), 1 or all (appended to the log; one replica). "
                                    "Default: all, or acks from --config/--config-file")
                       ->check(CLI::IsMember({"0", "1", "all", "-1"}));
  f->linger_ms_option =
      produce
          ->add_option("--linger-ms", f->linger_ms,
                       "How long a batch that is not full waits for more records (linger.ms). "
                       "Default: 5, or linger.ms from --config/--config-file")
          ->type_name("N")
          ->check(CLI::NonNegativeNumber);
  f->batch_size_option =
      produce
          ->add_option("--batch-size", f->batch_size,
                       "Bytes of records per partition batch (batch.size). Default: 16384, or "
                       "batch.size from --config/--config-file")
          ->type_name("N")
          ->check(CLI::NonNegativeNumber);
}

void AddRecordFlags(CLI::App* produce, ProduceFlags* f) {
  produce
      ->add_option("TOPIC", f->args.topic,
                   "The topic to produce to; it must exist (unless auto.create.topics.enable=true)")
      ->required();
  f->partition_option =
      produce
          ->add_option("--partition", f->partition,
                       "Send every record to this partition (a --json record's \"partition\" "
                       "wins). Default: none, the partitioner chooses (murmur2 of the key; "
                       "sticky for null keys)")
          ->type_name("P")
          ->check(CLI::NonNegativeNumber);
  f->key_separator_option =
      produce
          ->add_option("--key-separator", f->key_separator,
                       "The text before the first SEP on a line is the key, the rest the value; "
                       "a line without SEP is an error. Default: none (null key, the line is the "
                       "value)")
          ->type_name("SEP")
          ->check(CLI::Validator(
              [](std::string& sep) { return sep.empty() ? "must not be empty" : ""; }, ""));
  f->null_value_marker_option =
      produce
          ->add_option("--null-value-marker", f->null_value_marker,
                       "A value equal to S is sent as null (a tombstone). Default: none")
          ->type_name("S");
}

void AddHeaderAndOutputFlags(CLI::App* produce, ProduceFlags* f) {
  produce
      ->add_option("--header", f->args.headers,
                   "Add header KEY=VALUE to every record (KEY alone: a null value); repeat for "
                   "more. Default: none")
      ->type_name("KEY=VALUE")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  produce->add_flag("--print-offsets", f->args.print_offsets,
                    "Print `LINE PARTITION OFFSET` (--json: {\"line\",\"partition\",\"offset\"}) "
                    "for each record as soon as it is acknowledged, flushed at once. Default: off");
}

}  // namespace

absl::Status Produce(const GlobalFlags& globals, const ProduceArgs& args, std::istream* in,
                     std::ostream* out) {
  RILL_ASSIGN_OR_RETURN(ResolvedConfigs configs, ResolveConfigs(globals, args));
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<Broker> broker,
                        OpenBroker(globals, DataDirAccess::kWrite, configs.broker));
  absl::Status target = CheckTarget(broker.get(), args);
  if (!target.ok()) {
    return FirstError(
        {absl::Status(target.code(), absl::StrCat("topic ", args.topic, ": ", target.message())),
         broker->Close()});
  }
  absl::StatusOr<std::unique_ptr<Producer>> producer =
      Producer::Create(broker.get(), configs.producer);
  if (!producer.ok()) return FirstError({producer.status(), broker->Close()});
  Acknowledgements acks(out, args.print_offsets, globals.json);
  // std::cin is tied to std::cout: every read would flush std::cout from
  // this thread while callbacks write to it from others.
  std::ostream* tied = in->tie(nullptr);
  absl::Status input = SendLines(producer->get(), args, globals.json, in, &acks);
  // Close() waits for every callback; then the broker flushes and seals the logs.
  absl::Status producer_closed = (*producer)->Close();
  producer->reset();
  in->tie(tied);
  absl::Status broker_closed = broker->Close();
  return FirstError({acks.Result(args.topic), input, producer_closed, broker_closed});
}

void RegisterProduceCommand(CLI::App* app, const GlobalFlags* globals, CommandRun* run) {
  auto flags = std::make_shared<ProduceFlags>();
  CLI::App* produce = app->add_subcommand(
      "produce",
      "Send stdin to a topic, one record per line (--json: one record object per line, as "
      "dump --records --json prints them), like kafka-console-producer.sh; exits when stdin "
      "ends and every record is acknowledged, 1 if any failed");
  AddRecordFlags(produce, flags.get());
  AddProducerFlags(produce, flags.get());
  AddHeaderAndOutputFlags(produce, flags.get());
  AddConfigOption(produce, &flags->args.configs,
                  "A producer or broker config by its Kafka name (buffer.memory, "
                  "enable.idempotence, compression.zstd.level, auto.create.topics.enable, ...)");
  produce->callback([=] {
    ProduceArgs args = flags->Resolve(globals->json);
    *run = [=] { return Produce(*globals, args, &std::cin, &std::cout); };
  });
}

}  // namespace rill::tool
