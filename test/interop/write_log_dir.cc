// rill_interop_log_writer write DATA_DIR EXPECTED_JSON
// rill_interop_log_writer read DATA_DIR OUT_JSON
//
// The C++ half of the log-directory interop tests (check_rill_log_dir.py,
// check_rill_reads_kafka_dir.py).
//
// `write` creates a data directory through rill's LogManager: topic
// "interop", partition 0 (segment.bytes 96 KiB, index.interval.bytes 1024)
// and partition 1 (segment.bytes 40 KiB, index.interval.bytes 0: an index
// entry for every batch but a segment's first), each with several segments
// of the deterministic content of test/storage/log_content.h, whose batches
// use every codec. It closes the manager cleanly and writes EXPECTED_JSON:
// per partition the config, the batches (base and last offset, codec, max
// timestamp) and every record (offset, timestamp, key, value, headers)
// computed from the content functions, not read back from the files.
//
// `read` opens DATA_DIR with LogManager (recovering it if the clean-shutdown
// marker is absent), reads every record of every partition through
// Log::Read, validating each batch's CRC and records, closes, and writes
// OUT_JSON: per partition the load report, log start and end offsets and
// the records.
//
// In the JSON, bytes are base64 strings (null for null); header keys are
// base64 too, so the reader compares bytes, not text.
// Exit status: 0 done; 1 an error (printed); 2 usage.

#include <cstdint>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log.h"
#include "lib/storage/log_manager.h"
#include "nlohmann/json.hpp"
#include "test/storage/log_content.h"

namespace rill::interop {
namespace {

using Json = nlohmann::ordered_json;
using storage::LogConfig;

constexpr char kTopic[] = "interop";

struct PartitionSpec {
  int32_t partition;
  uint64_t seed;
  int32_t segment_bytes;
  int32_t index_interval_bytes;
  int min_segments;
};

constexpr PartitionSpec kPartitions[] = {
    {0, 1001, 96 << 10, 1024, 5},
    {1, 2002, 40 << 10, 0, 6},
};

Json Bytes(std::optional<absl::string_view> b) {
  if (!b) return nullptr;
  return absl::Base64Escape(*b);
}

LogConfig ConfigFor(const PartitionSpec& p) {
  LogConfig c;
  c.segment_bytes = p.segment_bytes;
  c.index_interval_bytes = p.index_interval_bytes;
  c.segment_index_bytes = 1 << 20;
  c.retention_ms = -1;  // The content's timestamps are from 2023.
  return c;
}

Json ExpectedRecord(uint64_t seed, int64_t o) {
  std::optional<std::string> key = testing::KeyAt(seed, o), value = testing::ValueAt(seed, o);
  Json headers = Json::array();
  if (testing::HasHeaderAt(o)) {
    headers.push_back(
        Json::array({absl::Base64Escape("h"), absl::Base64Escape(testing::HeaderValueAt(o))}));
  }
  return Json{{"offset", o},
              {"timestamp", testing::TimestampAt(seed, o)},
              {"key", key ? Json(absl::Base64Escape(*key)) : Json(nullptr)},
              {"value", value ? Json(absl::Base64Escape(*value)) : Json(nullptr)},
              {"headers", headers}};
}

// Appends content batches until the log has `min_segments` segments, every
// codec was used and a few batches went into the last segment.
absl::StatusOr<Json> WritePartition(storage::LogManager* manager, const PartitionSpec& p) {
  RILL_ASSIGN_OR_RETURN(storage::Log * log,
                        manager->GetOrCreateLog(kTopic, p.partition, ConfigFor(p)));
  Json batches = Json::array(), records = Json::array();
  std::set<format::CompressionType> codecs;
  int extra = 4;
  while (log->segment_count() < p.min_segments || codecs.size() < 5 || extra-- > 0) {
    int64_t base = log->log_end_offset();
    RILL_ASSIGN_OR_RETURN(std::vector<uint8_t> batch,
                          testing::BuildBatchAt(p.seed, base, format::kNoPartitionLeaderEpoch));
    RILL_ASSIGN_OR_RETURN(storage::AppendInfo info,
                          log->Append(MutableByteSpan(batch.data(), batch.size())));
    if (info.first_offset != base) return absl::InternalError("unexpected base offset");
    int64_t max_ts = -1;
    for (int64_t o = info.first_offset; o <= info.last_offset; ++o) {
      max_ts = std::max(max_ts, testing::TimestampAt(p.seed, o));
      records.push_back(ExpectedRecord(p.seed, o));
    }
    format::CompressionType codec = testing::CodecAt(p.seed, base);
    codecs.insert(codec);
    batches.push_back(Json{{"base_offset", info.first_offset},
                           {"last_offset", info.last_offset},
                           {"codec", static_cast<int>(codec)},
                           {"max_timestamp", max_ts},
                           {"size", batch.size()}});
  }
  return Json{{"topic", kTopic},
              {"partition", p.partition},
              {"segment_bytes", p.segment_bytes},
              {"index_interval_bytes", p.index_interval_bytes},
              {"log_start_offset", 0},
              {"log_end_offset", log->log_end_offset()},
              {"segments", log->segment_count()},
              {"batches", batches},
              {"records", records}};
}

absl::Status Write(const std::string& data_dir, const std::string& json_path) {
  storage::LogManagerOptions options;
  options.dir = data_dir;
  RILL_ASSIGN_OR_RETURN(auto manager, storage::LogManager::Open(options));
  Json partitions = Json::array();
  for (const PartitionSpec& p : kPartitions) {
    RILL_ASSIGN_OR_RETURN(Json j, WritePartition(manager.get(), p));
    partitions.push_back(std::move(j));
  }
  RILL_RETURN_IF_ERROR(manager->Close());
  std::ofstream out(json_path);
  out << Json{{"partitions", partitions}}.dump(1) << "\n";
  return out.good() ? absl::OkStatus() : absl::InternalError("cannot write " + json_path);
}

// Every record of `log`, each batch validated (CRC and records).
absl::StatusOr<Json> ReadRecords(const storage::Log& log) {
  Json records = Json::array();
  ByteBuffer scratch;
  int64_t next = log.log_start_offset();
  while (next < log.log_end_offset()) {
    RILL_ASSIGN_OR_RETURN(storage::ReadResult read, log.Read(next, 1 << 20));
    if (read.batches.empty()) {
      return absl::DataLossError(absl::StrCat(log.dir(), ": nothing to read at offset ", next));
    }
    format::BatchScanner scanner(read.batches);
    format::BatchScanner::Slice slice;
    while (true) {
      RILL_ASSIGN_OR_RETURN(bool more, scanner.Next(&slice));
      if (!more) break;
      RILL_ASSIGN_OR_RETURN(format::RecordBatchView batch,
                            format::RecordBatchView::Parse(slice.bytes));
      RILL_RETURN_IF_ERROR(batch.Validate(&scratch));
      format::RecordReader reader;
      RILL_RETURN_IF_ERROR(reader.Open(batch, &scratch));
      format::RecordView r;
      while (true) {
        RILL_ASSIGN_OR_RETURN(bool has, reader.Next(&r));
        if (!has) break;
        if (r.offset < log.log_start_offset()) continue;  // As a consumer does.
        Json headers = Json::array();
        for (const format::Header& h : r.headers) {
          headers.push_back(Json::array({absl::Base64Escape(h.key), Bytes(h.value)}));
        }
        records.push_back(Json{{"offset", r.offset},
                               {"timestamp", r.timestamp},
                               {"key", Bytes(r.key)},
                               {"value", Bytes(r.value)},
                               {"headers", headers}});
      }
      next = batch.next_offset();
    }
  }
  return records;
}

absl::Status Read(const std::string& data_dir, const std::string& json_path) {
  storage::LogManagerOptions options;
  options.dir = data_dir;
  options.config_for = [](const std::string&) {
    LogConfig c;
    c.retention_ms = -1;
    return c;
  };
  RILL_ASSIGN_OR_RETURN(auto manager, storage::LogManager::Open(options));
  Json partitions = Json::array();
  for (const auto& [topic, partition] : manager->ListLogs()) {
    storage::Log* log = manager->GetLog(topic, partition);
    const storage::LogLoadReport& r = manager->load_reports().at({topic, partition});
    RILL_ASSIGN_OR_RETURN(Json records, ReadRecords(*log));
    partitions.push_back(Json{{"topic", topic},
                              {"partition", partition},
                              {"log_start_offset", log->log_start_offset()},
                              {"log_end_offset", log->log_end_offset()},
                              {"segments", log->segment_count()},
                              {"report",
                               {{"segments", r.segments},
                                {"recovered_segments", r.recovered_segments},
                                {"truncated_bytes", r.truncated_bytes},
                                {"truncated_from_offset", r.truncated_from_offset},
                                {"corruption", r.corruption}}},
                              {"records", records}});
  }
  bool clean = manager->opened_after_clean_shutdown();
  RILL_RETURN_IF_ERROR(manager->Close());
  std::ofstream out(json_path);
  out << Json{{"clean_shutdown", clean}, {"partitions", partitions}}.dump(1) << "\n";
  return out.good() ? absl::OkStatus() : absl::InternalError("cannot write " + json_path);
}

}  // namespace
}  // namespace rill::interop

int main(int argc, char** argv) {
  std::string mode = argc == 4 ? argv[1] : "";
  if (mode != "write" && mode != "read") {
    std::cerr << "usage: rill_interop_log_writer write|read DATA_DIR JSON\n";
    return 2;
  }
  absl::Status status = mode == "write" ? rill::interop::Write(argv[2], argv[3])
                                        : rill::interop::Read(argv[2], argv[3]);
  if (!status.ok()) {
    std::cerr << "rill_interop_log_writer " << mode << ": " << status << "\n";
    return 1;
  }
  return 0;
}
