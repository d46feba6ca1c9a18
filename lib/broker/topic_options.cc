// TopicOptions: validation and Kafka's dotted names, table-driven so that
// every config is named, parsed, printed and bounded in one place.

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rill/topic_options.h"

namespace rill {
namespace {

struct EnumName {
  int value;
  const char* name;
};

constexpr EnumName kCleanupPolicies[] = {{static_cast<int>(CleanupPolicy::kDelete), "delete"},
                                         {static_cast<int>(CleanupPolicy::kCompact), "compact"},
                                         {static_cast<int>(CleanupPolicy::kCompactDelete), "compact,delete"}};
constexpr EnumName kTimestampTypes[] = {
    {static_cast<int>(TimestampType::kCreateTime), "CreateTime"},
    {static_cast<int>(TimestampType::kLogAppendTime), "LogAppendTime"}};
constexpr EnumName kCompressions[] = {
    {static_cast<int>(TopicCompression::kProducer), "producer"},
    {static_cast<int>(TopicCompression::kUncompressed), "uncompressed"},
    {static_cast<int>(TopicCompression::kGzip), "gzip"},
    {static_cast<int>(TopicCompression::kSnappy), "snappy"},
    {static_cast<int>(TopicCompression::kLz4), "lz4"},
    {static_cast<int>(TopicCompression::kZstd), "zstd"}};

// One config: where it lives in TopicOptions and its legal range.
struct ConfigDef {
  const char* name;
  std::variant<int64_t TopicOptions::*, int32_t TopicOptions::*, int16_t TopicOptions::*,
               bool TopicOptions::*, double TopicOptions::*, CleanupPolicy TopicOptions::*,
               TimestampType TopicOptions::*, TopicCompression TopicOptions::*>
      field;
  double min;
  double max;
};

const std::vector<ConfigDef>& Defs() {
  static const std::vector<ConfigDef> defs = {
      {"cleanup.policy", &TopicOptions::cleanup_policy, 0, 0},
      {"compression.type", &TopicOptions::compression_type, 0, 0},
      {"delete.retention.ms", &TopicOptions::delete_retention_ms, 0, 9.3e18},
      {"file.delete.delay.ms", &TopicOptions::file_delete_delay_ms, 0, 9.3e18},
      {"flush.messages", &TopicOptions::flush_messages, 1, 9.3e18},
      {"flush.ms", &TopicOptions::flush_ms, 0, 9.3e18},
      {"index.interval.bytes", &TopicOptions::index_interval_bytes, 0, INT32_MAX},
      {"max.compaction.lag.ms", &TopicOptions::max_compaction_lag_ms, 1, 9.3e18},
      {"max.message.bytes", &TopicOptions::max_message_bytes, 0, INT32_MAX},
      {"message.timestamp.type", &TopicOptions::message_timestamp_type, 0, 0},
      {"message.timestamp.before.max.ms", &TopicOptions::message_timestamp_before_max_ms, 0, 9.3e18},
      {"message.timestamp.after.max.ms", &TopicOptions::message_timestamp_after_max_ms, 0, 9.3e18},
      {"min.cleanable.dirty.ratio", &TopicOptions::min_cleanable_dirty_ratio, 0, 1},
      {"min.compaction.lag.ms", &TopicOptions::min_compaction_lag_ms, 0, 9.3e18},
      {"min.insync.replicas", &TopicOptions::min_insync_replicas, 1, INT32_MAX},
      {"preallocate", &TopicOptions::preallocate, 0, 1},
      {"retention.bytes", &TopicOptions::retention_bytes, -1, 9.3e18},
      {"retention.ms", &TopicOptions::retention_ms, -1, 9.3e18},
      {"segment.bytes", &TopicOptions::segment_bytes, 14, INT32_MAX},
      {"segment.index.bytes", &TopicOptions::segment_index_bytes, 4, INT32_MAX},
      {"segment.jitter.ms", &TopicOptions::segment_jitter_ms, 0, 9.3e18},
      {"segment.ms", &TopicOptions::segment_ms, 1, 9.3e18},
      {"unclean.leader.election.enable", &TopicOptions::unclean_leader_election_enable, 0, 1},
  };
  return defs;
}

template <size_t N>
std::string EnumToName(const EnumName (&names)[N], int value) {
  for (const EnumName& e : names) {
    if (e.value == value) return e.name;
  }
  return "unknown";
}

template <size_t N>
std::optional<int> EnumFromName(const EnumName (&names)[N], absl::string_view text) {
  std::string lowered = absl::AsciiStrToLower(text);
  if (lowered == "delete,compact") lowered = "compact,delete";  // Kafka accepts either order.
  for (const EnumName& e : names) {
    if (absl::AsciiStrToLower(e.name) == lowered) return e.value;
  }
  return std::nullopt;
}

absl::Status BadValue(const char* name, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for topic config ", name, ": ", why));
}

std::string Format(const TopicOptions& o, const ConfigDef& def) {
  return std::visit(
      [&](auto field) -> std::string {
        using T = std::decay_t<decltype(o.*field)>;
        if constexpr (std::is_same_v<T, bool>) return o.*field ? "true" : "false";
        else if constexpr (std::is_same_v<T, CleanupPolicy>) return EnumToName(kCleanupPolicies, static_cast<int>(o.*field));
        else if constexpr (std::is_same_v<T, TimestampType>) return EnumToName(kTimestampTypes, static_cast<int>(o.*field));
        else if constexpr (std::is_same_v<T, TopicCompression>) return EnumToName(kCompressions, static_cast<int>(o.*field));
        else return absl::StrCat(o.*field);
      },
      def.field);
}

absl::Status Parse(TopicOptions* o, const ConfigDef& def, absl::string_view text) {
  return std::visit(
      [&](auto field) -> absl::Status {
        using T = std::decay_t<decltype(o->*field)>;
        std::string v(absl::StripAsciiWhitespace(text));
        if constexpr (std::is_same_v<T, bool>) {
          std::string lower = absl::AsciiStrToLower(v);
          if (lower != "true" && lower != "false") return BadValue(def.name, text, "expected true or false");
          o->*field = lower == "true";
        } else if constexpr (std::is_same_v<T, CleanupPolicy>) {
          auto e = EnumFromName(kCleanupPolicies, v);
          if (!e) return BadValue(def.name, text, "expected delete, compact or compact,delete");
          o->*field = static_cast<T>(*e);
        } else if constexpr (std::is_same_v<T, TimestampType>) {
          auto e = EnumFromName(kTimestampTypes, v);
          if (!e) return BadValue(def.name, text, "expected CreateTime or LogAppendTime");
          o->*field = static_cast<T>(*e);
        } else if constexpr (std::is_same_v<T, TopicCompression>) {
          auto e = EnumFromName(kCompressions, v);
          if (!e) return BadValue(def.name, text, "expected producer, uncompressed, gzip, snappy, lz4 or zstd");
          o->*field = static_cast<T>(*e);
        } else if constexpr (std::is_same_v<T, double>) {
          double d;
          if (!absl::SimpleAtod(v, &d) || std::isnan(d)) return BadValue(def.name, text, "expected a number");
          o->*field = d;
        } else {
          int64_t n;
          if (!absl::SimpleAtoi(v, &n)) return BadValue(def.name, text, "expected an integer");
          if (n < std::numeric_limits<T>::min() || n > std::numeric_limits<T>::max()) {
            return BadValue(def.name, text, "out of range for its type");
          }
          o->*field = static_cast<T>(n);
        }
        return absl::OkStatus();
      },
      def.field);
}

double NumericValue(const TopicOptions& o, const ConfigDef& def) {
  return std::visit(
      [&](auto field) -> double {
        using T = std::decay_t<decltype(o.*field)>;
        if constexpr (std::is_arithmetic_v<T>) return static_cast<double>(o.*field);
        else return 0;
      },
      def.field);
}

}  // namespace

absl::Status TopicOptions::Validate() const {
  if (partitions < 1) {
    return absl::InvalidArgumentError(absl::StrCat("invalid partitions ", partitions, ": must be at least 1"));
  }
  if (replication_factor != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid replication.factor ", replication_factor, ": a single embedded broker holds exactly 1 replica"));
  }
  for (const ConfigDef& def : Defs()) {
    if (def.min == 0 && def.max == 0) continue;  // Enums: valid by construction.
    double v = NumericValue(*this, def);
    if (v < def.min || v > def.max) {
      return absl::InvalidArgumentError(absl::StrCat("invalid value ", Format(*this, def), " for topic config ",
                                                     def.name, ": must be in [", def.min, ", ", def.max, "]"));
    }
  }
  if (min_insync_replicas > replication_factor) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min.insync.replicas ", min_insync_replicas, " is larger than replication.factor ", replication_factor));
  }
  return absl::OkStatus();
}

absl::StatusOr<TopicOptions> TopicOptions::FromProperties(const std::map<std::string, std::string>& properties,
                                                          const TopicOptions& base) {
  TopicOptions o = base;
  for (const auto& [name, value] : properties) {
    if (name == "partitions" || name == "num.partitions") {
      if (!absl::SimpleAtoi(value, &o.partitions)) return BadValue(name.c_str(), value, "expected an integer");
      continue;
    }
    if (name == "replication.factor") {
      int32_t rf;
      if (!absl::SimpleAtoi(value, &rf) || rf < INT16_MIN || rf > INT16_MAX) {
        return BadValue(name.c_str(), value, "expected an integer");
      }
      o.replication_factor = static_cast<int16_t>(rf);
      continue;
    }
    const ConfigDef* def = nullptr;
    for (const ConfigDef& d : Defs()) {
      if (name == d.name) def = &d;
    }
    if (def == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown topic config '", name, "'"));
    if (absl::Status s = Parse(&o, *def, value); !s.ok()) return s;
  }
  if (absl::Status s = o.Validate(); !s.ok()) return s;
  return o;
}

absl::StatusOr<TopicOptions> TopicOptions::FromProperties(
    const std::map<std::string, std::string>& properties) {
  return FromProperties(properties, TopicOptions{});
}

std::map<std::string, std::string> TopicOptions::ToProperties() const {
  std::map<std::string, std::string> out;
  for (const ConfigDef& def : Defs()) out[def.name] = Format(*this, def);
  return out;
}

std::map<std::string, std::string> TopicOptions::NonDefaultProperties() const {
  std::map<std::string, std::string> out, defaults = TopicOptions{}.ToProperties();
  for (const auto& [name, value] : ToProperties()) {
    if (defaults[name] != value) out[name] = value;
  }
  return out;
}

}  // namespace rill
