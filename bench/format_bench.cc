// Format-layer speed: CRC-32C throughput, and encode / decode+iterate rates of
// the shared records in Kafka v2 batches, uncompressed and per codec. One
// JSON line per measurement; every line carries its ratio to a baseline
// measured in this process (memcpy of the same bytes), because absolute
// numbers on a shared machine mean little.
//
//   format_bench [--full] [--n N] [--value-bytes V] [--batch-bytes B] [--reps R]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bench/shared_records.h"
#include "lib/base/byte_buffer.h"
#include "lib/format/compression.h"
#include "lib/format/crc32c.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"

namespace rill::bench {
namespace {

using Clock = std::chrono::steady_clock;
using format::CompressionType;

struct Config {
  size_t n = 1'000'000;
  size_t value_bytes = 100;
  size_t batch_bytes = 16384;  // The producer's batch.size default.
  int reps = 3;
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Median of `reps` runs of `fn`, which returns seconds.
template <typename Fn>
double Median(int reps, Fn fn) {
  std::vector<double> runs;
  for (int r = 0; r < reps; ++r) runs.push_back(fn());
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

volatile uint64_t g_sink;  // Keeps measured work from being optimized away.

// The records, generated once so the timed loops measure only the format.
struct Records {
  std::vector<char> keys;    // n × 12
  std::vector<char> values;  // n × V
  size_t value_bytes;
  absl::string_view key(size_t i) const { return {keys.data() + i * kKeyBytes, kKeyBytes}; }
  absl::string_view value(size_t i) const {
    return {values.data() + i * value_bytes, value_bytes};
  }
};

Records MakeRecords(const Config& c) {
  Records r{std::vector<char>(c.n * kKeyBytes), std::vector<char>(c.n * c.value_bytes),
            c.value_bytes};
  char key[kKeyBytes + 1];
  for (size_t i = 0; i < c.n; ++i) {
    MakeKey(i, 100'000, key);
    std::memcpy(r.keys.data() + i * kKeyBytes, key, kKeyBytes);
    MakeValue(42, i, r.values.data() + i * c.value_bytes, c.value_bytes);
  }
  return r;
}

void PrintLine(const char* metric, const char* codec, double value, const char* unit,
               double baseline, const Config& c) {
  std::printf(
      "{\"bench\":\"format\",\"metric\":\"%s\",\"codec\":\"%s\",\"%s\":%.4g,"
      "\"baseline\":\"memcpy\",\"baseline_%s\":%.4g,\"ratio_to_baseline\":%.3f,"
      "\"n\":%zu,\"value_bytes\":%zu,\"batch_bytes\":%zu,\"reps\":%d}\n",
      metric, codec, unit, value, unit, baseline, value / baseline, c.n, c.value_bytes,
      c.batch_bytes, c.reps);
  std::fflush(stdout);
}

void BenchCrc(const Config& c) {
  std::vector<uint8_t> src(1 << 20), dst(1 << 20);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 131 + 7);
  const int rounds = c.n >= 2'000'000 ? 4000 : 1000;
  double copy_s = Median(c.reps, [&] {
    auto t0 = Clock::now();
    for (int i = 0; i < rounds; ++i) {
      src[0] = static_cast<uint8_t>(i);
      std::memcpy(dst.data(), src.data(), src.size());
      g_sink = g_sink + dst[i & 1023];
    }
    return Seconds(t0, Clock::now());
  });
  double crc_s = Median(c.reps, [&] {
    auto t0 = Clock::now();
    uint32_t acc = 0;
    for (int i = 0; i < rounds; ++i) acc ^= format::Crc32c(ByteSpan(src.data(), src.size()));
    g_sink = g_sink + acc;
    return Seconds(t0, Clock::now());
  });
  double gb = static_cast<double>(rounds) * src.size() / 1e9;
  PrintLine("crc32c_1mib", "none", gb / crc_s, "gb_per_s", gb / copy_s, c);
}

// Encodes every record into batches of ~batch_bytes; returns the batches.
std::vector<std::string> Encode(const Records& r, const Config& c, CompressionType codec) {
  std::vector<std::string> batches;
  format::BatchOptions options;
  options.compression = codec;
  format::RecordBatchBuilder builder(options);
  auto flush = [&] {
    absl::StatusOr<ByteSpan> built = builder.Build();
    if (!built.ok()) {
      std::fprintf(stderr, "build failed: %s\n", built.status().ToString().c_str());
      std::exit(1);
    }
    batches.emplace_back(reinterpret_cast<const char*>(built->data()), built->size());
    builder.Reset(options);
  };
  for (size_t i = 0; i < c.n; ++i) {
    if (!builder.Append(1'700'000'000'000 + i, r.key(i), r.value(i)).ok()) std::exit(1);
    if (builder.uncompressed_bytes() >= c.batch_bytes) flush();
  }
  if (!builder.empty()) flush();
  return batches;
}

// Times encoding into a reused builder, without keeping the batches.
double TimeEncode(const Records& r, const Config& c, CompressionType codec) {
  format::BatchOptions options;
  options.compression = codec;
  format::RecordBatchBuilder builder(options);
  auto t0 = Clock::now();
  for (size_t i = 0; i < c.n; ++i) {
    (void)builder.Append(1'700'000'000'000 + i, r.key(i), r.value(i));
    if (builder.uncompressed_bytes() >= c.batch_bytes) {
      g_sink = g_sink + builder.Build()->size();
      builder.Reset(options);
    }
  }
  if (!builder.empty()) g_sink = g_sink + builder.Build()->size();
  return Seconds(t0, Clock::now());
}

// The baseline: copying the same records, framed as u32 length ‖ key ‖ value.
double TimeFramedCopy(const Records& r, const Config& c) {
  std::vector<char> buf(c.batch_bytes + 4096);
  auto t0 = Clock::now();
  size_t at = 0;
  for (size_t i = 0; i < c.n; ++i) {
    uint32_t len = static_cast<uint32_t>(kKeyBytes + c.value_bytes);
    std::memcpy(buf.data() + at, &len, 4);
    std::memcpy(buf.data() + at + 4, r.key(i).data(), kKeyBytes);
    std::memcpy(buf.data() + at + 4 + kKeyBytes, r.value(i).data(), c.value_bytes);
    at += 4 + len;
    if (at >= c.batch_bytes) {
      g_sink = g_sink + buf[at / 2];
      at = 0;
    }
  }
  return Seconds(t0, Clock::now());
}

double TimeDecode(const std::vector<std::string>& batches) {
  ByteBuffer scratch;
  format::RecordReader reader;
  format::RecordView record;
  auto t0 = Clock::now();
  uint64_t acc = 0;
  for (const std::string& b : batches) {
    auto view = format::RecordBatchView::Parse(AsBytes(b));
    if (!view.ok() || !view->VerifyCrc().ok() || !reader.Open(*view, &scratch).ok()) std::exit(1);
    while (true) {
      absl::StatusOr<bool> more = reader.Next(&record);
      if (!more.ok()) std::exit(1);
      if (!*more) break;
      acc += record.key->size() + record.value->size() + static_cast<uint8_t>((*record.value)[0]);
    }
  }
  g_sink = g_sink + acc;
  return Seconds(t0, Clock::now());
}

// The decode baseline: walking the framed copy and touching each record.
double TimeFramedScan(const Records& r, const Config& c) {
  std::vector<char> frames;
  for (size_t i = 0; i < c.n; ++i) {
    uint32_t len = static_cast<uint32_t>(kKeyBytes + c.value_bytes);
    frames.insert(frames.end(), reinterpret_cast<char*>(&len), reinterpret_cast<char*>(&len) + 4);
    frames.insert(frames.end(), r.key(i).begin(), r.key(i).end());
    frames.insert(frames.end(), r.value(i).begin(), r.value(i).end());
  }
  auto t0 = Clock::now();
  uint64_t acc = 0;
  for (size_t at = 0; at < frames.size();) {
    uint32_t len;
    std::memcpy(&len, frames.data() + at, 4);
    acc += len + static_cast<uint8_t>(frames[at + 4 + kKeyBytes]);
    at += 4 + len;
  }
  g_sink = g_sink + acc;
  return Seconds(t0, Clock::now());
}

void BenchCodecs(const Config& c) {
  Records r = MakeRecords(c);
  double copy_rate = c.n / Median(c.reps, [&] { return TimeFramedCopy(r, c); });
  double scan_rate = c.n / Median(c.reps, [&] { return TimeFramedScan(r, c); });
  const CompressionType codecs[] = {CompressionType::kNone, CompressionType::kGzip,
                                    CompressionType::kSnappy, CompressionType::kLz4,
                                    CompressionType::kZstd};
  for (CompressionType codec : codecs) {
    std::string name(format::CompressionName(codec));
    double enc = c.n / Median(c.reps, [&] { return TimeEncode(r, c, codec); });
    PrintLine("encode", name.c_str(), enc, "records_per_s", copy_rate, c);
    std::vector<std::string> batches = Encode(r, c, codec);
    double dec = c.n / Median(c.reps, [&] { return TimeDecode(batches); });
    PrintLine("decode_iterate", name.c_str(), dec, "records_per_s", scan_rate, c);
  }
}

Config ParseFlags(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto next = [&]() -> size_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "format_bench: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return std::strtoull(argv[++i], nullptr, 10);
    };
    if (flag == "--full") c.n = 5'000'000, c.reps = 5;
    else if (flag == "--n") c.n = next();
    else if (flag == "--value-bytes") c.value_bytes = next();
    else if (flag == "--batch-bytes") c.batch_bytes = next();
    else if (flag == "--reps") c.reps = static_cast<int>(next());
    else {
      std::fprintf(stderr,
                   "usage: format_bench [--full] [--n N] [--value-bytes V] [--batch-bytes B] "
                   "[--reps R]\n");
      std::exit(2);
    }
  }
  if (c.n == 0 || c.value_bytes == 0 || c.reps <= 0) {
    std::fprintf(stderr, "format_bench: --n, --value-bytes and --reps must be positive\n");
    std::exit(2);
  }
  return c;
}

}  // namespace
}  // namespace rill::bench

int main(int argc, char** argv) {
  rill::bench::Config c = rill::bench::ParseFlags(argc, argv);
  rill::bench::BenchCrc(c);
  rill::bench::BenchCodecs(c);
  return 0;
}
