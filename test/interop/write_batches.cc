// rill_interop_writer CODEC OUT_LOG OUT_JSON
//
// Writes a `.log`-like file of RecordBatch v2 batches built by rill's
// RecordBatchBuilder with CODEC (none, gzip, snappy, lz4, zstd), and a JSON
// description of every batch and record in it, for an independent reader
// (check_rill_batches.py, with kafka-python) to compare against.
//
// The content is deterministic: null, empty, binary and UTF-8 keys and
// values; headers with null, empty and binary values; a batch of many
// records; one of more than 1 MiB; producer id, epoch and sequence; a
// transaction and its COMMIT marker; LogAppendTime; a compacted batch with a
// delete horizon and offset gaps; and an emptied batch.
//
// In the JSON, bytes are base64 strings (null for null) and header keys too,
// so that the reader compares bytes, not text.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/control_record.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_format.h"
#include "nlohmann/json.hpp"

namespace rill::interop {
namespace {

using format::BatchOptions;
using format::CompressionType;
using format::Header;
using format::NullableBytes;
using format::RecordBatchBuilder;
using format::TimestampType;
using Json = nlohmann::ordered_json;

constexpr int64_t kBaseTime = 1700000000000;

// A record this program owns, with its expected offset and timestamp.
struct OwnedRecord {
  int32_t offset_delta = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

struct BatchSpec {
  BatchOptions options;
  std::vector<OwnedRecord> records;
  std::optional<int32_t> last_offset_delta;  // Overrides, as the cleaner does.
  std::optional<int64_t> max_timestamp;
  std::optional<format::EndTxnMarker> marker;  // A control batch instead.
};

NullableBytes View(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return absl::string_view(*s);
}

Json Bytes(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return absl::Base64Escape(*s);
}

std::string AllByteValues() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

// Deterministic text-like bytes (64 symbols, so codecs shrink them only
// somewhat): a 64-bit LCG, Knuth's MMIX constants.
std::string PseudoRandomText(uint64_t seed, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s(n, '\0');
  uint64_t x = seed;
  for (char& c : s) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    c = kAlphabet[(x >> 58) & 63];
  }
  return s;
}

OwnedRecord Rec(int32_t delta, int64_t ts, std::optional<std::string> key,
                std::optional<std::string> value) {
  OwnedRecord r;
  r.offset_delta = delta;
  r.timestamp = ts;
  r.key = std::move(key);
  r.value = std::move(value);
  return r;
}

BatchSpec AssortedBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  b.options.partition_leader_epoch = 7;
  b.options.producer_id = 4242;
  b.options.producer_epoch = 3;
  b.options.base_sequence = 17;
  b.records.push_back(Rec(0, kBaseTime, std::nullopt, "value with a null key"));
  b.records.push_back(Rec(1, kBaseTime + 5, "", ""));
  // An earlier timestamp than the first: a negative delta.
  b.records.push_back(
      Rec(2, kBaseTime - 1000, AllByteValues(), std::string("\xff\xfe\x00\x80", 4)));
  OwnedRecord utf8 = Rec(3, kBaseTime + 10, "ключ 🔑", "значение ✓ 值");
  utf8.headers = {{"trace", "abc"},
                  {"null-value", std::nullopt},
                  {"empty", ""},
                  {"binary", std::string("\x00\xff\xc3\x28", 4)},
                  {"ключ", "ü"}};
  b.records.push_back(utf8);
  b.records.push_back(Rec(4, kBaseTime + 11, "tombstone-key", std::nullopt));
  OwnedRecord dup = Rec(5, kBaseTime + 12, "k", "v");
  dup.headers = {{"dup", "1"}, {"dup", "2"}, {"dup", "3"}};
  b.records.push_back(dup);
  return b;
}

BatchSpec ManyRecordsBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  for (int i = 0; i < 1000; ++i) {
    OwnedRecord r = Rec(i, kBaseTime + 100 + i, absl::StrCat("key-", i % 37),
                        absl::StrCat("value-", i, "-", std::string(i % 23, 'x')));
    if (i % 10 == 0) r.headers = {{"n", absl::StrCat(i)}};
    b.records.push_back(std::move(r));
  }
  return b;
}

// More than 1 MiB of records: kafka-python's zstd reader needs the frame
// content size for that, and lz4/snappy span many blocks.
BatchSpec LargeBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  b.options.producer_id = 4242;
  b.options.producer_epoch = 3;
  b.options.base_sequence = 23;
  for (int i = 0; i < 40; ++i) {
    b.records.push_back(
        Rec(i, kBaseTime + 2000 + i, absl::StrCat("big-", i), PseudoRandomText(i + 1, 40 * 1024)));
  }
  return b;
}

BatchSpec TransactionalBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  b.options.producer_id = 5000;
  b.options.producer_epoch = 1;
  b.options.base_sequence = 0;
  b.options.is_transactional = true;
  for (int i = 0; i < 3; ++i) {
    b.records.push_back(Rec(i, kBaseTime + 3000 + i, absl::StrCat("txn-", i), "in a transaction"));
  }
  return b;
}

BatchSpec CommitMarkerBatch() {
  BatchSpec b;
  b.marker = format::EndTxnMarker{format::ControlRecordType::kCommit, 9};
  b.options.producer_id = 5000;
  b.options.producer_epoch = 1;
  b.options.is_transactional = true;
  b.options.is_control = true;
  b.options.compression = CompressionType::kNone;
  // Key: version 0, type 1 (COMMIT). Value: version 0, coordinator epoch 9.
  b.records.push_back(Rec(0, kBaseTime + 3010, std::string("\x00\x00\x00\x01", 4),
                          std::string("\x00\x00\x00\x00\x00\x09", 6)));
  return b;
}

BatchSpec LogAppendTimeBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  b.options.timestamp_type = TimestampType::kLogAppendTime;
  b.options.log_append_time_ms = kBaseTime + 99999;
  b.options.partition_leader_epoch = 8;
  for (int i = 0; i < 4; ++i) {
    b.records.push_back(Rec(i, kBaseTime + 4000 + i, absl::StrCat("lat-", i), "appended"));
  }
  return b;
}

// What the cleaner leaves: offset gaps, the original last offset, and
// (KIP-534) a delete horizon in baseTimestamp.
BatchSpec CompactedBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  b.options.delete_horizon_ms = kBaseTime + 86400000;
  b.records.push_back(Rec(0, kBaseTime + 5000, "kept-0", "a"));
  b.records.push_back(Rec(2, kBaseTime + 5002, "kept-2", std::nullopt));
  b.records.push_back(Rec(5, kBaseTime + 5005, "kept-5", "c"));
  b.last_offset_delta = 7;
  return b;
}

// A batch the cleaner emptied but kept for its producer state.
BatchSpec EmptiedBatch(CompressionType codec) {
  BatchSpec b;
  b.options.compression = codec;
  b.options.producer_id = 4242;
  b.options.producer_epoch = 3;
  b.options.base_sequence = 63;
  b.last_offset_delta = 2;
  b.max_timestamp = kBaseTime + 6000;
  return b;
}

std::vector<BatchSpec> AllBatches(CompressionType codec) {
  return {AssortedBatch(codec),      ManyRecordsBatch(codec), LargeBatch(codec),
          TransactionalBatch(codec), CommitMarkerBatch(),     LogAppendTimeBatch(codec),
          CompactedBatch(codec),     EmptiedBatch(codec)};
}

absl::StatusOr<ByteSpan> Build(const BatchSpec& spec, RecordBatchBuilder* builder) {
  if (spec.marker) {
    return format::BuildEndTxnMarkerBatch(*spec.marker, spec.options.producer_id,
                                          spec.options.producer_epoch, spec.options.base_offset,
                                          spec.records[0].timestamp, builder);
  }
  builder->Reset(spec.options);
  for (const OwnedRecord& r : spec.records) {
    std::vector<Header> headers;
    for (const auto& [key, value] : r.headers) headers.push_back(Header{key, View(value)});
    RILL_RETURN_IF_ERROR(builder->AppendWithOffsetDelta(r.offset_delta, r.timestamp, View(r.key),
                                                        View(r.value), headers));
  }
  if (spec.last_offset_delta) builder->set_last_offset_delta(*spec.last_offset_delta);
  if (spec.max_timestamp) builder->set_max_timestamp(*spec.max_timestamp);
  return builder->Build();
}

// What an independent reader must find, computed from the spec (not from
// the bytes written).
Json Expected(const BatchSpec& spec, size_t position, size_t size) {
  const BatchOptions& o = spec.options;
  bool log_append = o.timestamp_type == TimestampType::kLogAppendTime;
  int32_t last_delta =
      spec.last_offset_delta.value_or(spec.records.empty() ? 0 : spec.records.back().offset_delta);
  int64_t max_ts = format::kNoTimestamp;
  for (const OwnedRecord& r : spec.records) max_ts = std::max(max_ts, r.timestamp);
  if (log_append) max_ts = o.log_append_time_ms;
  if (spec.max_timestamp) max_ts = *spec.max_timestamp;
  int64_t first_ts = o.delete_horizon_ms.value_or(
      spec.records.empty() ? format::kNoTimestamp : spec.records.front().timestamp);
  bool empty = spec.records.empty();
  Json records = Json::array();
  for (const OwnedRecord& r : spec.records) {
    Json headers = Json::array();
    for (const auto& [key, value] : r.headers)
      headers.push_back(Json::array({Bytes(key), Bytes(value)}));
    records.push_back(Json{{"offset", o.base_offset + r.offset_delta},
                           {"timestamp", log_append ? o.log_append_time_ms : r.timestamp},
                           {"key", Bytes(r.key)},
                           {"value", Bytes(r.value)},
                           {"headers", std::move(headers)}});
  }
  Json j;
  j["position"] = position;
  j["size_bytes"] = size;
  j["base_offset"] = o.base_offset;
  j["partition_leader_epoch"] = o.partition_leader_epoch;
  j["magic"] = 2;
  j["compression"] = empty ? 0 : static_cast<int>(o.compression);
  j["timestamp_type"] = log_append ? 1 : 0;
  j["is_transactional"] = o.is_transactional;
  j["is_control"] = o.is_control;
  j["has_delete_horizon"] = o.delete_horizon_ms.has_value();
  j["last_offset_delta"] = last_delta;
  j["first_timestamp"] = first_ts;
  j["max_timestamp"] = max_ts;
  j["producer_id"] = o.producer_id;
  j["producer_epoch"] = o.producer_epoch;
  j["base_sequence"] = o.base_sequence;
  j["record_count"] = spec.records.size();
  j["records"] = std::move(records);
  return j;
}

absl::StatusOr<CompressionType> ParseCodec(absl::string_view name) {
  for (CompressionType c :
       {CompressionType::kNone, CompressionType::kGzip, CompressionType::kSnappy,
        CompressionType::kLz4, CompressionType::kZstd}) {
    if (format::CompressionName(c) == name) return c;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown codec \"", name, "\""));
}

absl::Status Write(CompressionType codec, const std::string& log_path,
                   const std::string& json_path) {
  std::ofstream log(log_path, std::ios::binary | std::ios::trunc);
  if (!log) return absl::NotFoundError(absl::StrCat(log_path, ": cannot create"));
  RecordBatchBuilder builder;
  Json batches = Json::array();
  int64_t next_offset = 0;
  size_t position = 0;
  for (BatchSpec& spec : AllBatches(codec)) {
    spec.options.base_offset = next_offset;
    RILL_ASSIGN_OR_RETURN(ByteSpan bytes, Build(spec, &builder));
    log.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    Json expected = Expected(spec, position, bytes.size());
    next_offset += expected["last_offset_delta"].get<int64_t>() + 1;
    position += bytes.size();
    batches.push_back(std::move(expected));
  }
  if (!log.flush()) return absl::DataLossError(absl::StrCat(log_path, ": write failed"));
  std::ofstream json(json_path, std::ios::trunc);
  json << Json{{"codec", std::string(format::CompressionName(codec))}, {"batches", batches}}.dump()
       << "\n";
  if (!json.flush()) return absl::DataLossError(absl::StrCat(json_path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace
}  // namespace rill::interop

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: rill_interop_writer none|gzip|snappy|lz4|zstd OUT_LOG OUT_JSON\n";
    return 2;
  }
  absl::StatusOr<rill::format::CompressionType> codec = rill::interop::ParseCodec(argv[1]);
  absl::Status status =
      codec.ok() ? rill::interop::Write(*codec, argv[2], argv[3]) : codec.status();
  if (!status.ok()) {
    std::cerr << "rill_interop_writer: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
