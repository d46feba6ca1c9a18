// BrokerOptions::FromProperties: Kafka's broker property names, mapped onto
// the broker-level topic defaults they set.

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rill/broker.h"

namespace rill {
namespace {

// Broker property → the topic config it is the default of.
const std::map<std::string, std::string>& TopicDefaultNames() {
  static const auto* names = new std::map<std::string, std::string>{
      {"num.partitions", "partitions"},
      {"default.replication.factor", "replication.factor"},
      {"log.segment.bytes", "segment.bytes"},
      {"log.roll.ms", "segment.ms"},
      {"log.roll.jitter.ms", "segment.jitter.ms"},
      {"log.retention.ms", "retention.ms"},
      {"log.retention.bytes", "retention.bytes"},
      {"log.flush.interval.messages", "flush.messages"},
      {"log.flush.interval.ms", "flush.ms"},
      {"log.cleanup.policy", "cleanup.policy"},
      {"message.max.bytes", "max.message.bytes"},
      {"log.message.timestamp.type", "message.timestamp.type"},
      {"log.preallocate", "preallocate"},
      {"log.segment.delete.delay.ms", "file.delete.delay.ms"},
      {"log.index.size.max.bytes", "segment.index.bytes"},
      {"log.index.interval.bytes", "index.interval.bytes"},
      {"min.insync.replicas", "min.insync.replicas"},
      {"compression.type", "compression.type"},
      {"log.cleaner.delete.retention.ms", "delete.retention.ms"},
      {"log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio"},
      {"log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms"},
      {"log.cleaner.max.compaction.lag.ms", "max.compaction.lag.ms"},
      {"unclean.leader.election.enable", "unclean.leader.election.enable"},
  };
  return *names;
}

absl::Status Bad(const std::string& name, const std::string& value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for broker config ", name, ": ", why));
}

// log.retention.{hours,minutes} and log.roll.hours, coarsest first so a finer
// unit overrides a coarser one; the *.ms names are applied after these and
// win, as in Kafka.
absl::Status ApplyTimeUnits(const std::map<std::string, std::string>& in,
                            std::map<std::string, std::string>* topic) {
  struct Unit {
    const char* name;
    const char* target;
    int64_t ms;
  };
  const Unit units[] = {{"log.retention.hours", "retention.ms", 3'600'000},
                        {"log.retention.minutes", "retention.ms", 60'000},
                        {"log.roll.hours", "segment.ms", 3'600'000}};
  for (const Unit& u : units) {
    auto it = in.find(u.name);
    if (it == in.end()) continue;
    int64_t n;
    if (!absl::SimpleAtoi(it->second, &n) || n > INT64_MAX / u.ms) {
      return Bad(u.name, it->second, "expected an integer");
    }
    (*topic)[u.target] = absl::StrCat(n < 0 ? -1 : n * u.ms);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BrokerOptions> BrokerOptions::FromProperties(
    const std::map<std::string, std::string>& properties) {
  BrokerOptions options;
  std::map<std::string, std::string> topic;
  if (absl::Status s = ApplyTimeUnits(properties, &topic); !s.ok()) return s;
  for (const auto& [name, value] : properties) {
    if (auto it = TopicDefaultNames().find(name); it != TopicDefaultNames().end()) {
      topic[it->second] = value;
    } else if (name == "log.retention.check.interval.ms") {
      if (!absl::SimpleAtoi(value, &options.log_retention_check_interval_ms) ||
          options.log_retention_check_interval_ms < 1) {
        return Bad(name, value, "expected a positive integer");
      }
    } else if (name == "offsets.topic.num.partitions") {
      if (!absl::SimpleAtoi(value, &options.offsets_topic_num_partitions) ||
          options.offsets_topic_num_partitions < 1) {
        return Bad(name, value, "expected a positive integer");
      }
    } else if (name == "offsets.retention.minutes") {
      if (!absl::SimpleAtoi(value, &options.offsets_retention_minutes) ||
          options.offsets_retention_minutes < 1) {
        return Bad(name, value, "expected a positive integer");
      }
    } else if (name == "log.cleaner.threads") {
      if (!absl::SimpleAtoi(value, &options.log_cleaner_threads) || options.log_cleaner_threads < 0) {
        return Bad(name, value, "expected an integer >= 0");
      }
    } else if (name == "log.cleaner.dedupe.buffer.size") {
      if (!absl::SimpleAtoi(value, &options.log_cleaner_dedupe_buffer_size) ||
          options.log_cleaner_dedupe_buffer_size < 48) {
        return Bad(name, value, "expected an integer >= 48 (two 24-byte entries)");
      }
    } else if (name == "log.cleaner.io.max.bytes.per.second") {
      if (!absl::SimpleAtod(value, &options.log_cleaner_io_max_bytes_per_second) ||
          !(options.log_cleaner_io_max_bytes_per_second >= 0)) {
        return Bad(name, value, "expected a number >= 0");
      }
    } else if (name == "log.cleaner.backoff.ms") {
      if (!absl::SimpleAtoi(value, &options.log_cleaner_backoff_ms) ||
          options.log_cleaner_backoff_ms < 0) {
        return Bad(name, value, "expected an integer >= 0");
      }
    } else if (name == "auto.create.topics.enable") {
      std::string v = absl::AsciiStrToLower(value);
      if (v != "true" && v != "false") return Bad(name, value, "expected true or false");
      options.auto_create_topics_enable = v == "true";
    } else if (name != "log.retention.hours" && name != "log.retention.minutes" &&
               name != "log.roll.hours") {
      return absl::InvalidArgumentError(absl::StrCat("unknown broker config '", name, "'"));
    }
  }
  absl::StatusOr<TopicOptions> defaults = TopicOptions::FromProperties(topic);
  if (!defaults.ok()) return defaults.status();
  options.default_topic = *defaults;
  return options;
}

}  // namespace rill
