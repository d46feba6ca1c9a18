// ProducerOptions::FromProperties: Kafka's producer config names.

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rill/producer.h"

namespace rill {
namespace {

absl::Status Bad(const std::string& name, const std::string& value, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value '", value, "' for producer config ", name, ": ", why));
}

template <typename T>
absl::Status ParseInt(const std::string& name, const std::string& value, T* out) {
  int64_t n;
  if (!absl::SimpleAtoi(value, &n) || n < std::numeric_limits<T>::min() ||
      n > std::numeric_limits<T>::max()) {
    return Bad(name, value, "expected an integer");
  }
  *out = static_cast<T>(n);
  return absl::OkStatus();
}

absl::Status ParseBool(const std::string& name, const std::string& value, bool* out) {
  std::string v = absl::AsciiStrToLower(value);
  if (v != "true" && v != "false") return Bad(name, value, "expected true or false");
  *out = v == "true";
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProducerOptions> ProducerOptions::FromProperties(
    const std::map<std::string, std::string>& properties) {
  ProducerOptions o;
  std::optional<int> gzip_level, lz4_level, zstd_level;
  for (const auto& [name, value] : properties) {
    absl::Status s;
    if (name == "acks") {
      std::string v = absl::AsciiStrToLower(value);
      if (v == "0") o.acks = Acks::kNone;
      else if (v == "1") o.acks = Acks::kLeader;
      else if (v == "all" || v == "-1") o.acks = Acks::kAll;
      else s = Bad(name, value, "expected 0, 1, all or -1");
    } else if (name == "batch.size") {
      s = ParseInt(name, value, &o.batch_size);
    } else if (name == "linger.ms") {
      s = ParseInt(name, value, &o.linger_ms);
    } else if (name == "buffer.memory") {
      s = ParseInt(name, value, &o.buffer_memory);
    } else if (name == "max.block.ms") {
      s = ParseInt(name, value, &o.max_block_ms);
    } else if (name == "max.request.size") {
      s = ParseInt(name, value, &o.max_request_size);
    } else if (name == "compression.type") {
      std::string v = absl::AsciiStrToLower(value);
      if (v == "none") o.compression_type = Compression::kNone;
      else if (v == "gzip") o.compression_type = Compression::kGzip;
      else if (v == "snappy") o.compression_type = Compression::kSnappy;
      else if (v == "lz4") o.compression_type = Compression::kLz4;
      else if (v == "zstd") o.compression_type = Compression::kZstd;
      else s = Bad(name, value, "expected none, gzip, snappy, lz4 or zstd");
    } else if (name == "compression.gzip.level" || name == "compression.lz4.level" ||
               name == "compression.zstd.level") {
      int level;
      s = ParseInt(name, value, &level);
      (name == "compression.gzip.level" ? gzip_level : name == "compression.lz4.level" ? lz4_level : zstd_level) = level;
    } else if (name == "enable.idempotence") {
      s = ParseBool(name, value, &o.enable_idempotence);
    } else if (name == "partitioner.ignore.keys") {
      s = ParseBool(name, value, &o.partitioner_ignore_keys);
    } else if (name == "client.id") {
      o.client_id = value;
    } else {
      s = absl::InvalidArgumentError(absl::StrCat("unknown producer config '", name, "'"));
    }
    if (!s.ok()) return s;
  }
  switch (o.compression_type) {
    case Compression::kGzip: o.compression_level = gzip_level; break;
    case Compression::kLz4: o.compression_level = lz4_level; break;
    case Compression::kZstd: o.compression_level = zstd_level; break;
    default: break;
  }
  return o;
}

}  // namespace rill
