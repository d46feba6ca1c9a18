// ConsumerOptions: validation with Kafka's bounds (ConsumerConfig.java) and
// FromProperties with Kafka's consumer config names.

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rill/consumer.h"

namespace rill {
namespace {

absl::Status Bad(absl::string_view name, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for consumer config ", name, ": ", why));
}

absl::Status AtLeast(absl::string_view name, int64_t value, int64_t min) {
  if (value >= min) return absl::OkStatus();
  return Bad(name, absl::StrCat(value), absl::StrCat("must be at least ", min));
}

absl::Status ParseInt(const std::string& name, const std::string& value, int32_t* out) {
  int64_t n;
  if (!absl::SimpleAtoi(value, &n) || n < std::numeric_limits<int32_t>::min() ||
      n > std::numeric_limits<int32_t>::max()) {
    return Bad(name, value, "expected a 32-bit integer");
  }
  *out = static_cast<int32_t>(n);
  return absl::OkStatus();
}

absl::Status ParseBool(const std::string& name, const std::string& value, bool* out) {
  std::string v = absl::AsciiStrToLower(value);
  if (v != "true" && v != "false") return Bad(name, value, "expected true or false");
  *out = v == "true";
  return absl::OkStatus();
}

// One of `choices`, matched case-insensitively.
template <typename T, size_t N>
absl::Status ParseChoice(const std::string& name, absl::string_view value,
                         const std::pair<absl::string_view, T> (&choices)[N],
                         absl::string_view expected, T* out) {
  std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  for (const auto& [text, choice] : choices) {
    if (v == text) {
      *out = choice;
      return absl::OkStatus();
    }
  }
  return Bad(name, value, absl::StrCat("expected ", expected));
}

constexpr std::pair<absl::string_view, OffsetReset> kResets[] = {
    {"earliest", OffsetReset::kEarliest},
    {"latest", OffsetReset::kLatest},
    {"none", OffsetReset::kNone},
};

constexpr std::pair<absl::string_view, IsolationLevel> kIsolationLevels[] = {
    {"read_uncommitted", IsolationLevel::kReadUncommitted},
    {"read_committed", IsolationLevel::kReadCommitted},
};

// Kafka's short names (ConsumerPartitionAssignor.name()) and class names,
// lower-cased for the case-insensitive match.
constexpr std::pair<absl::string_view, Assignor> kAssignors[] = {
    {"range", Assignor::kRange},
    {"org.apache.kafka.clients.consumer.rangeassignor", Assignor::kRange},
    {"roundrobin", Assignor::kRoundRobin},
    {"org.apache.kafka.clients.consumer.roundrobinassignor", Assignor::kRoundRobin},
    {"sticky", Assignor::kSticky},
    {"org.apache.kafka.clients.consumer.stickyassignor", Assignor::kSticky},
    {"cooperative-sticky", Assignor::kCooperativeSticky},
    {"org.apache.kafka.clients.consumer.cooperativestickyassignor", Assignor::kCooperativeSticky},
};

absl::Status ParseAssignors(const std::string& name, const std::string& value,
                            std::vector<Assignor>* out) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    Assignor a = Assignor::kRange;
    absl::Status s = ParseChoice(name, part, kAssignors,
                                 "range, roundrobin, sticky, cooperative-sticky or their "
                                 "org.apache.kafka.clients.consumer class names",
                                 &a);
    if (!s.ok()) return s;
    out->push_back(a);
  }
  return absl::OkStatus();
}

// KIP-345's rule for group.instance.id: Kafka's topic-name characters, at
// most 249 of them.
absl::Status ValidateInstanceId(const std::string& id) {
  if (id.size() > 249) return Bad("group.instance.id", id, "longer than 249 characters");
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Bad("group.instance.id", id, "only ASCII alphanumerics, '.', '_' and '-' are allowed");
    }
  }
  return absl::OkStatus();
}

constexpr std::pair<absl::string_view, int32_t ConsumerOptions::*> kIntConfigs[] = {
    {"auto.commit.interval.ms", &ConsumerOptions::auto_commit_interval_ms},
    {"max.poll.records", &ConsumerOptions::max_poll_records},
    {"fetch.min.bytes", &ConsumerOptions::fetch_min_bytes},
    {"fetch.max.wait.ms", &ConsumerOptions::fetch_max_wait_ms},
    {"max.partition.fetch.bytes", &ConsumerOptions::max_partition_fetch_bytes},
    {"fetch.max.bytes", &ConsumerOptions::fetch_max_bytes},
    {"session.timeout.ms", &ConsumerOptions::session_timeout_ms},
    {"heartbeat.interval.ms", &ConsumerOptions::heartbeat_interval_ms},
    {"max.poll.interval.ms", &ConsumerOptions::max_poll_interval_ms},
};

constexpr std::pair<absl::string_view, bool ConsumerOptions::*> kBoolConfigs[] = {
    {"enable.auto.commit", &ConsumerOptions::enable_auto_commit},
    {"check.crcs", &ConsumerOptions::check_crcs},
};

constexpr std::pair<absl::string_view, std::string ConsumerOptions::*> kStringConfigs[] = {
    {"group.id", &ConsumerOptions::group_id},
    {"group.instance.id", &ConsumerOptions::group_instance_id},
    {"client.id", &ConsumerOptions::client_id},
};

// The outcome of setting a config this code knows.
absl::StatusOr<bool> Known(const absl::Status& s) {
  if (!s.ok()) return s;
  return true;
}

// Sets one property; false for an unknown name.
absl::StatusOr<bool> SetProperty(const std::string& name, const std::string& value,
                                 ConsumerOptions* o) {
  for (const auto& [config, field] : kIntConfigs) {
    if (name == config) return Known(ParseInt(name, value, &(o->*field)));
  }
  for (const auto& [config, field] : kBoolConfigs) {
    if (name == config) return Known(ParseBool(name, value, &(o->*field)));
  }
  for (const auto& [config, field] : kStringConfigs) {
    if (name == config) {
      o->*field = value;
      return true;
    }
  }
  if (name == "auto.offset.reset") {
    return Known(
        ParseChoice(name, value, kResets, "earliest, latest or none", &o->auto_offset_reset));
  }
  if (name == "isolation.level") {
    return Known(ParseChoice(name, value, kIsolationLevels, "read_uncommitted or read_committed",
                             &o->isolation_level));
  }
  if (name == "partition.assignment.strategy") {
    return Known(ParseAssignors(name, value, &o->partition_assignment_strategy));
  }
  return false;
}

}  // namespace

absl::Status ConsumerOptions::Validate() const {
  absl::Status checks[] = {
      AtLeast("auto.commit.interval.ms", auto_commit_interval_ms, 0),
      AtLeast("max.poll.records", max_poll_records, 1),
      AtLeast("fetch.min.bytes", fetch_min_bytes, 0),
      AtLeast("fetch.max.wait.ms", fetch_max_wait_ms, 0),
      AtLeast("max.partition.fetch.bytes", max_partition_fetch_bytes, 0),
      AtLeast("fetch.max.bytes", fetch_max_bytes, 0),
      AtLeast("session.timeout.ms", session_timeout_ms, 1),
      AtLeast("heartbeat.interval.ms", heartbeat_interval_ms, 1),
      AtLeast("max.poll.interval.ms", max_poll_interval_ms, 1),
      ValidateInstanceId(group_instance_id),
  };
  for (const absl::Status& s : checks) {
    if (!s.ok()) return s;
  }
  if (partition_assignment_strategy.empty()) {
    return Bad("partition.assignment.strategy", "", "must name at least one assignor");
  }
  // Kafka checks this when it builds the group coordinator's heartbeat.
  if (!group_id.empty() && heartbeat_interval_ms >= session_timeout_ms) {
    return Bad("heartbeat.interval.ms", absl::StrCat(heartbeat_interval_ms),
               absl::StrCat("must be lower than session.timeout.ms (", session_timeout_ms, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ConsumerOptions> ConsumerOptions::FromProperties(
    const std::map<std::string, std::string>& properties) {
  ConsumerOptions o;
  for (const auto& [name, value] : properties) {
    absl::StatusOr<bool> known = SetProperty(name, value, &o);
    if (!known.ok()) return known.status();
    if (!*known) {
      return absl::InvalidArgumentError(absl::StrCat("unknown consumer config '", name, "'"));
    }
  }
  // Kafka: auto commit needs a group; asked for explicitly without one it
  // is an error, left at its default it is turned off.
  if (o.group_id.empty()) {
    auto it = properties.find("enable.auto.commit");
    if (it != properties.end() && o.enable_auto_commit) {
      return absl::InvalidArgumentError(
          "enable.auto.commit cannot be set to true when the default group id (none) is used");
    }
    o.enable_auto_commit = false;
  }
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  return o;
}

}  // namespace rill
