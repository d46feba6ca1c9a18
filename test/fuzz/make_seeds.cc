// Writes the seed corpus of record_batch_fuzzer into the directory given as
// argv[1] (created if missing): valid batches of every codec (with headers, null keys and values,
// a control marker), a log of several batches with a zero-filled tail, the
// records sections in the fuzzer's "records" layout, and bare compressed
// streams of every codec.

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/compression.h"
#include "lib/format/control_record.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"

namespace rill::format {
namespace {

constexpr CompressionType kCodecs[] = {CompressionType::kNone, CompressionType::kGzip,
                                       CompressionType::kSnappy, CompressionType::kLz4,
                                       CompressionType::kZstd};

bool Write(const std::string& dir, const std::string& name, ByteSpan bytes) {
  std::string path = dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

std::vector<uint8_t> Batch(CompressionType codec, int64_t base_offset, int records) {
  BatchOptions options;
  options.compression = codec;
  options.base_offset = base_offset;
  options.producer_id = 7;
  options.producer_epoch = 1;
  options.base_sequence = 0;
  RecordBatchBuilder builder(options);
  const std::vector<Header> headers = {{"h", absl::string_view("v")}, {"", std::nullopt}};
  for (int i = 0; i < records; ++i) {
    std::string value = "value-" + std::to_string(i);
    NullableBytes key = i % 3 == 0 ? NullableBytes() : NullableBytes("key");
    absl::Status s =
        builder.Append(1700000000000 + i, key, value,
                       i % 2 ? absl::Span<const Header>(headers) : absl::Span<const Header>());
    if (!s.ok()) return {};
  }
  absl::StatusOr<ByteSpan> batch = builder.Build();
  if (!batch.ok()) return {};
  return std::vector<uint8_t>(batch->begin(), batch->end());
}

int Run(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  bool ok = !error;
  std::vector<uint8_t> log;
  for (CompressionType codec : kCodecs) {
    std::string name(CompressionName(codec));
    std::vector<uint8_t> batch = Batch(codec, 0, 4);
    ok = ok && !batch.empty() && Write(dir, "batch-" + name, ByteSpan(batch.data(), batch.size()));
    log.insert(log.end(), batch.begin(), batch.end());
    // The fuzzer's records layout: attributes, count, delta slack, flags,
    // then the records section.
    std::vector<uint8_t> records = {static_cast<uint8_t>(codec), 4, 0, 0};
    records.insert(records.end(), batch.begin() + kRecordsOffset, batch.end());
    ok = ok && Write(dir, "records-" + name, ByteSpan(records.data(), records.size()));
    if (codec != CompressionType::kNone) {
      ByteBuffer stream;
      ok = ok &&
           Compress(codec, std::nullopt, AsBytes("a stream of bytes, bytes, bytes"), &stream).ok();
      ok = ok && Write(dir, "stream-" + name, stream.span());
    }
  }
  log.resize(log.size() + 64, 0);
  ok = ok && Write(dir, "log-with-zero-tail", ByteSpan(log.data(), log.size()));

  RecordBatchBuilder builder;
  absl::StatusOr<ByteSpan> marker =
      BuildEndTxnMarkerBatch({ControlRecordType::kCommit, 3}, 1000, 0, 5, 1700000000000, &builder);
  ok = ok && marker.ok() && Write(dir, "commit-marker", *marker);

  BatchOptions options;
  options.timestamp_type = TimestampType::kLogAppendTime;
  options.log_append_time_ms = 1800000000000;
  options.delete_horizon_ms = 1900000000000;
  builder.Reset(options);
  ok = ok && builder.Append(-5, absl::string_view("k"), std::nullopt).ok();
  absl::StatusOr<ByteSpan> stamped = builder.Build();
  ok = ok && stamped.ok() && Write(dir, "log-append-time", *stamped);

  if (!ok) std::fprintf(stderr, "make_seeds: could not write the seeds into %s\n", dir.c_str());
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace rill::format

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  return rill::format::Run(argv[1]);
}
