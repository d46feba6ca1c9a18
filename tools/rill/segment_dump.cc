#include "tools/rill/segment_dump.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/status_macros.h"
#include "lib/format/batch_scanner.h"
#include "lib/format/control_record.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"
#include "lib/storage/log_file_names.h"
#include "tools/rill/live_segment.h"
#include "tools/rill/mapped_file.h"
#include "tools/rill/record_json.h"
#include "tools/rill/segment_indexes.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {
namespace {

namespace fs = std::filesystem;
using format::BatchScanner;
using format::ControlRecordType;
using format::RecordBatchView;
using format::RecordView;

const char* Bool(bool b) { return b ? "true" : "false"; }

std::string ToString(absl::string_view s) { return std::string(s.data(), s.size()); }

// `path` made absolute and without "." / ".." / a trailing slash, so that its
// filename() is the real last component.
fs::path Normalize(const fs::path& path) {
  fs::path normal = fs::absolute(path).lexically_normal();
  return normal.has_filename() ? normal : normal.parent_path();
}

// Kafka names a partition's directory `<topic>-<partition>`
// (UnifiedLog.parseTopicPartitionName); anything else has no topic.
RecordSource SourceFromDirectory(const fs::path& dir) {
  RecordSource source;
  if (auto parsed = storage::ParsePartitionDirName(dir.filename().string())) {
    source.topic = parsed->first;
    source.partition = parsed->second;
  }
  return source;
}

// A record's sequence number as Kafka's DefaultRecord.sequence() reports it:
// baseSequence + offsetDelta, wrapping past INT32_MAX to 0; -1 without one.
int64_t RecordSequence(const RecordBatchView& batch, const RecordView& record) {
  if (batch.base_sequence() < 0) return format::kNoSequence;
  int64_t sequence = int64_t{batch.base_sequence()} + record.offset_delta;
  return sequence > INT32_MAX ? sequence - INT32_MAX - 1 : sequence;
}

int64_t SizeOrMinusOne(format::NullableBytes bytes) {
  return bytes ? static_cast<int64_t>(bytes->size()) : -1;
}

// Bytes for a human: UTF-8 as is with control characters escaped, "null",
// or "base64:..." for anything else. --json is the lossless form.
std::string BytesToText(format::NullableBytes bytes) {
  if (!bytes) return "null";
  if (!IsValidUtf8(*bytes)) return absl::StrCat("base64:", absl::Base64Escape(*bytes));
  std::string text;
  for (char c : *bytes) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      text.push_back(c);
    } else {
      absl::StrAppendFormat(&text, "\\x%02x", u);
    }
  }
  return text;
}

const char* ControlTypeName(std::optional<ControlRecordType> type) {
  if (!type) return "UNKNOWN";
  switch (*type) {
    case ControlRecordType::kAbort:
      return "ABORT";
    case ControlRecordType::kCommit:
      return "COMMIT";
    case ControlRecordType::kLeaderChange:
      return "LEADER_CHANGE";
    case ControlRecordType::kSnapshotHeader:
      return "SNAPSHOT_HEADER";
    case ControlRecordType::kSnapshotFooter:
      return "SNAPSHOT_FOOTER";
    case ControlRecordType::kKraftVersion:
      return "KRAFT_VERSION";
    case ControlRecordType::kKraftVoters:
      return "KRAFT_VOTERS";
  }
  return "UNKNOWN";
}

Json BatchJson(const RecordBatchView& batch, size_t position, bool crc_valid,
               const std::string& path) {
  std::optional<int64_t> horizon = batch.delete_horizon_ms();
  Json json;
  json["base_offset"] = batch.base_offset();
  json["last_offset"] = batch.last_offset();
  json["record_count"] = batch.record_count();
  json["position"] = position;
  json["size_bytes"] = batch.size_bytes();
  json["crc"] = batch.stored_crc();
  json["crc_valid"] = crc_valid;
  json["compression"] = ToString(format::CompressionName(batch.compression()));
  json["timestamp_type"] = TimestampTypeJsonName(batch.timestamp_type());
  json["base_timestamp"] = batch.base_timestamp();
  json["max_timestamp"] = batch.max_timestamp();
  json["producer_id"] = batch.producer_id();
  json["producer_epoch"] = batch.producer_epoch();
  json["base_sequence"] = batch.base_sequence();
  json["last_sequence"] = batch.last_sequence();
  json["partition_leader_epoch"] = batch.partition_leader_epoch();
  json["is_transactional"] = batch.is_transactional();
  json["is_control"] = batch.is_control();
  json["delete_horizon_ms"] = horizon ? Json(*horizon) : Json(nullptr);
  json["file"] = path;
  return json;
}

// Kafka's kafka-dump-log.sh batch line, plus baseTimestamp.
std::string BatchText(const RecordBatchView& batch, size_t position, bool crc_valid) {
  std::string line =
      absl::StrCat("baseOffset: ", batch.base_offset(), " lastOffset: ", batch.last_offset(),
                   " count: ", batch.record_count(), " baseSequence: ", batch.base_sequence(),
                   " lastSequence: ", batch.last_sequence(), " producerId: ", batch.producer_id(),
                   " producerEpoch: ", batch.producer_epoch(),
                   " partitionLeaderEpoch: ", batch.partition_leader_epoch(),
                   " isTransactional: ", Bool(batch.is_transactional()),
                   " isControl: ", Bool(batch.is_control()));
  if (std::optional<int64_t> horizon = batch.delete_horizon_ms()) {
    absl::StrAppend(&line, " deleteHorizonMs: ", *horizon);
  }
  absl::StrAppend(&line, " position: ", position, " baseTimestamp: ", batch.base_timestamp(), " ",
                  format::TimestampTypeName(batch.timestamp_type()), ": ", batch.max_timestamp(),
                  " size: ", batch.size_bytes(), " magic: ", int{batch.magic()},
                  " compresscodec: ", format::CompressionName(batch.compression()),
                  " crc: ", batch.stored_crc(), " isvalid: ", Bool(crc_valid));
  return line;
}

// A control record's type, and for COMMIT/ABORT its marker.
struct ControlRecord {
  std::optional<ControlRecordType> type;
  std::optional<format::EndTxnMarker> marker;
};

absl::StatusOr<ControlRecord> DecodeControlRecord(const RecordView& record) {
  ControlRecord control;
  RILL_ASSIGN_OR_RETURN(control.type, format::ParseControlRecordKey(record.key));
  if (control.type == ControlRecordType::kCommit || control.type == ControlRecordType::kAbort) {
    RILL_ASSIGN_OR_RETURN(control.marker, format::ParseEndTxnMarker(record));
  }
  return control;
}

// cli.md's record form with `control_type` (and for a marker
// `coordinator_epoch`) in place of key, value and headers; a control record
// that is not a marker keeps its key and value.
Json ControlRecordJson(const RecordSource& source, format::TimestampType type,
                       const RecordView& record, const ControlRecord& control) {
  Json json;
  json["topic"] = source.topic;
  json["partition"] = source.partition;
  json["offset"] = record.offset;
  json["timestamp"] = record.timestamp;
  json["timestamp_type"] = TimestampTypeJsonName(type);
  json["control_type"] = ControlTypeName(control.type);
  if (control.marker) {
    json["coordinator_epoch"] = control.marker->coordinator_epoch;
  } else {
    json["key"] = BytesToJson(record.key);
    json["value"] = BytesToJson(record.value);
  }
  return json;
}

// Dumps one segment file's bytes. Not thread safe.
class SegmentDumper {
 public:
  SegmentDumper(const DumpOptions& options, std::string path, RecordSource source,
                std::ostream* out)
      : options_(options), path_(std::move(path)), source_(std::move(source)), out_(out) {}

  absl::Status Dump(ByteSpan data);
  // Where Dump() failed, if it did.
  std::optional<size_t> failure_position() const { return failure_position_; }

 private:
  absl::Status DumpBatch(const BatchScanner::Slice& slice);
  absl::Status ReadRecords(const RecordBatchView& batch, size_t position);
  void PrintBatch(const RecordBatchView& batch, size_t position, bool crc_valid);
  void PrintRecord(const RecordBatchView& batch, const RecordView& record);
  absl::Status PrintControlRecord(const RecordBatchView& batch, const RecordView& record);
  std::string RecordTextPrefix(const RecordBatchView& batch, const RecordView& record) const;
  void PrintTail(const BatchScanner& scanner);
  // `status` from the batch at `position`, its message prefixed with both.
  absl::Status AtBatch(size_t position, const absl::Status& status) const;

  const DumpOptions& options_;
  const std::string path_;
  const RecordSource source_;
  std::ostream* out_;
  ByteBuffer scratch_;  // Decompressed records, reused across batches.
  std::optional<size_t> failure_position_;
};

absl::Status SegmentDumper::Dump(ByteSpan data) {
  if (!options_.json) *out_ << "Dumping " << path_ << "\n";
  BatchScanner scanner(data);
  BatchScanner::Slice slice;
  while (true) {
    absl::StatusOr<bool> more = scanner.Next(&slice);
    if (!more.ok()) {
      failure_position_ = scanner.position();
      // The scanner's message already names the byte position.
      return absl::DataLossError(absl::StrCat(path_, ": ", more.status().message()));
    }
    if (!*more) break;
    if (absl::Status s = DumpBatch(slice); !s.ok()) {
      failure_position_ = slice.position;
      return s;
    }
  }
  PrintTail(scanner);
  return absl::OkStatus();
}

absl::Status SegmentDumper::DumpBatch(const BatchScanner::Slice& slice) {
  absl::StatusOr<RecordBatchView> parsed = RecordBatchView::Parse(slice.bytes);
  if (!parsed.ok()) return AtBatch(slice.position, parsed.status());
  const RecordBatchView& batch = *parsed;
  if (options_.from && batch.last_offset() < *options_.from) return absl::OkStatus();
  absl::Status crc = batch.VerifyCrc();
  // Print the header even when the CRC is wrong: it shows what was damaged.
  PrintBatch(batch, slice.position, crc.ok());
  if (!crc.ok()) return AtBatch(slice.position, crc);
  if (!options_.decodes_records()) return absl::OkStatus();
  return ReadRecords(batch, slice.position);
}

absl::Status SegmentDumper::ReadRecords(const RecordBatchView& batch, size_t position) {
  format::RecordReader reader;
  if (absl::Status s = reader.Open(batch, &scratch_); !s.ok()) return AtBatch(position, s);
  RecordView record;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&record);
    if (!more.ok()) return AtBatch(position, more.status());
    if (!*more) return absl::OkStatus();
    if (!options_.records) continue;
    if (batch.is_control()) {
      if (absl::Status s = PrintControlRecord(batch, record); !s.ok()) return AtBatch(position, s);
    } else {
      PrintRecord(batch, record);
    }
  }
}

void SegmentDumper::PrintBatch(const RecordBatchView& batch, size_t position, bool crc_valid) {
  *out_ << (options_.json ? JsonLine(BatchJson(batch, position, crc_valid, path_))
                          : BatchText(batch, position, crc_valid))
        << "\n";
}

std::string SegmentDumper::RecordTextPrefix(const RecordBatchView& batch,
                                            const RecordView& record) const {
  std::vector<std::string> header_keys;
  for (const format::Header& header : record.headers)
    header_keys.push_back(BytesToText(header.key));
  return absl::StrCat(
      "| offset: ", record.offset, " ", format::TimestampTypeName(batch.timestamp_type()), ": ",
      record.timestamp, " keySize: ", SizeOrMinusOne(record.key),
      " valueSize: ", SizeOrMinusOne(record.value), " sequence: ", RecordSequence(batch, record),
      " headerKeys: [", absl::StrJoin(header_keys, ","), "]");
}

void SegmentDumper::PrintRecord(const RecordBatchView& batch, const RecordView& record) {
  if (options_.json) {
    *out_ << JsonLine(RecordToJson(source_, batch.timestamp_type(), record)) << "\n";
    return;
  }
  *out_ << RecordTextPrefix(batch, record) << " key: " << BytesToText(record.key)
        << " payload: " << BytesToText(record.value) << "\n";
}

absl::Status SegmentDumper::PrintControlRecord(const RecordBatchView& batch,
                                               const RecordView& record) {
  RILL_ASSIGN_OR_RETURN(ControlRecord control, DecodeControlRecord(record));
  if (options_.json) {
    *out_ << JsonLine(ControlRecordJson(source_, batch.timestamp_type(), record, control)) << "\n";
    return absl::OkStatus();
  }
  *out_ << RecordTextPrefix(batch, record);
  if (control.marker) {
    *out_ << " endTxnMarker: " << ControlTypeName(control.type)
          << " coordinatorEpoch: " << control.marker->coordinator_epoch << "\n";
  } else {
    *out_ << " controlType: " << ControlTypeName(control.type) << "\n";
  }
  return absl::OkStatus();
}

void SegmentDumper::PrintTail(const BatchScanner& scanner) {
  if (scanner.tail() == BatchScanner::Tail::kNone) return;
  bool zeros = scanner.tail() == BatchScanner::Tail::kZeroFilled;
  if (options_.json) {
    Json json;
    json["note"] = zeros ? "zero_filled_tail" : "partial_tail";
    json["file"] = path_;
    json["position"] = scanner.position();
    json["bytes"] = scanner.tail_bytes();
    *out_ << JsonLine(json) << "\n";
    return;
  }
  *out_ << "note: " << path_ << ": " << scanner.tail_bytes();
  if (zeros) {
    *out_ << " zero bytes at byte " << scanner.position()
          << " after the last batch (preallocated space, not data)\n";
  } else {
    *out_ << " bytes of an incomplete batch at byte " << scanner.position()
          << " after the last complete batch (a torn write; Kafka's recovery truncates it)\n";
  }
}

absl::Status SegmentDumper::AtBatch(size_t position, const absl::Status& status) const {
  return absl::Status(status.code(),
                      absl::StrCat(path_, ": batch at byte ", position, ": ", status.message()));
}

// The dump stopped where the owner of a live segment was appending.
void PrintBeingWritten(const std::string& path, size_t position, bool json, std::ostream* out) {
  if (json) {
    Json line;
    line["note"] = "being_written";
    line["file"] = path;
    line["position"] = position;
    *out << JsonLine(line) << "\n";
    return;
  }
  *out << "note: " << path << ": the batch at byte " << position
       << " is being written (or was, when its owner crashed; recovery truncates it); the dump "
          "ends before it\n";
}

Json IndexCountJson(bool present, size_t entries) {
  return present ? Json(entries) : Json(nullptr);
}

// One line on what the index check found; the notes a live or crashed
// segment's indexes deserve.
void PrintIndexReport(const SegmentIndexReport& report, const std::string& log_path, bool json,
                      std::ostream* out) {
  if (json) {
    Json line;
    line["check"] = "indexes";
    line["file"] = log_path;
    line["index_entries"] = IndexCountJson(report.has_index, report.index_entries);
    line["time_index_entries"] = IndexCountJson(report.has_time_index, report.time_index_entries);
    line["index_zero_tail_bytes"] = report.index_zero_tail_bytes;
    line["time_index_zero_tail_bytes"] = report.time_index_zero_tail_bytes;
    line["ok"] = report.status.ok();
    *out << JsonLine(line) << "\n";
    return;
  }
  auto describe = [](const std::string& path, bool present, size_t entries, size_t zeros) {
    if (!present) return absl::StrCat(path, ": missing (recreated when the log is next opened)");
    std::string text = absl::StrCat(path, ": ", entries, " entries");
    if (zeros > 0) absl::StrAppend(&text, " and ", zeros, " preallocated zero bytes");
    return text;
  };
  *out << "index check: "
       << describe(report.index_path, report.has_index, report.index_entries,
                   report.index_zero_tail_bytes)
       << "; "
       << describe(report.time_index_path, report.has_time_index, report.time_index_entries,
                   report.time_index_zero_tail_bytes)
       << (report.status.ok() ? ": consistent with the log" : ": FAILED") << "\n";
}

// --deep: the segment's indexes against its batches. `live`: its owner may
// be appending to it, so a torn last batch is the end of the data.
absl::Status CheckIndexes(const SegmentIndexes& indexes, const std::string& path, ByteSpan data,
                          bool live, bool json, std::ostream* out) {
  SegmentScan scan = ScanSegment(path, data, /*verify_crc=*/false);
  if (live) ForgiveTornTail(data, &scan);
  RILL_RETURN_IF_ERROR(scan.error);
  SegmentIndexReport report = indexes.Check(scan);
  PrintIndexReport(report, path, json, out);
  return report.status;
}

}  // namespace

absl::Status DumpSegment(const DumpOptions& options, const std::string& path, bool may_shrink,
                         std::ostream* out) {
  // Indexes first: in a live directory every entry read then has its batch
  // in the log read after (segment_indexes.h).
  std::optional<SegmentIndexes> indexes;
  if (options.deep) {
    RILL_ASSIGN_OR_RETURN(indexes, SegmentIndexes::Open(path));
  }
  RILL_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Load(path, may_shrink));
  SegmentDumper dumper(options, path, SourceFromDirectory(Normalize(path).parent_path()), out);
  absl::Status status = dumper.Dump(file->bytes());
  std::unique_ptr<MappedFile> fresh;
  if (!status.ok() && may_shrink && dumper.failure_position()) {
    size_t position = *dumper.failure_position();
    fresh = RereadIfOwnerWasWriting(path, position, file->bytes());
    if (fresh != nullptr || IsTornTail(file->bytes(), position)) {
      PrintBeingWritten(path, position, options.json, out);
      status = absl::OkStatus();
    }
  }
  RILL_RETURN_IF_ERROR(status);
  // A bare segment (no index beside it) has nothing to check.
  if (!indexes || !indexes->has_any()) return absl::OkStatus();
  return CheckIndexes(*indexes, path, fresh != nullptr ? fresh->bytes() : file->bytes(), may_shrink,
                      options.json, out);
}

}  // namespace rill::tool
