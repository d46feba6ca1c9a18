#ifndef RILL_TEST_STORAGE_LOG_CONTENT_H_
#define RILL_TEST_STORAGE_LOG_CONTENT_H_

// Deterministic log content for the crash, corruption and interop tests: the
// record at offset `o` and the batch that starts at base offset `b` are pure
// functions of (seed, o) and (seed, b). A test that finds a batch in a log
// can rebuild it from its base offset alone and compare bytes, whether or not
// the writer lived to acknowledge it.
//
// The batch at base `b` holds RecordsAt(seed, b) records and uses
// CodecAt(seed, b); record `o` has KeyAt / ValueAt / TimestampAt / a header
// on every fourth offset. Sizes vary from empty values to 12 KiB ones; keys
// and values may be null. Timestamps mostly increase but not always, so the
// time index sees batches whose maxTimestamp goes down.
//
// Thread safe (pure functions).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_builder.h"
#include "lib/format/record_batch_format.h"

namespace rill::testing {

inline constexpr int64_t kContentBaseTimeMs = 1700000000000;

// SplitMix64: a good 64-bit mix of (seed, n).
inline uint64_t Mix(uint64_t seed, uint64_t n) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (n + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::optional<std::string> KeyAt(uint64_t seed, int64_t o) {
  if (Mix(seed ^ 0x6B, o) % 11 == 0) return std::nullopt;
  return absl::StrCat("key-", o);
}

inline std::optional<std::string> ValueAt(uint64_t seed, int64_t o) {
  uint64_t h = Mix(seed ^ 0x76, o);
  if (h % 29 == 0) return std::nullopt;  // A tombstone.
  size_t n = h % 13 == 0 ? 3000 + (h >> 20) % 9000 : (h >> 20) % 400;
  // Words from a small vocabulary: compressible, but not trivially.
  static constexpr const char* kWords[] = {"alpha ",   "bravo ", "charlie ", "delta ", "echo ",
                                           "foxtrot ", "golf ",  "hotel ",   "india ", "juliet "};
  std::string v = absl::StrCat(o, ":");
  uint64_t x = h;
  while (v.size() < n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    v += kWords[(x >> 59) % 10];
    if ((x >> 40) % 7 == 0) v.push_back(static_cast<char>(x >> 32));  // Any byte value.
  }
  v.resize(n);
  return v;
}

inline int64_t TimestampAt(uint64_t seed, int64_t o) {
  return kContentBaseTimeMs + o * 10 - static_cast<int64_t>(Mix(seed ^ 0x74, o) % 40);
}

// A header on every fourth offset.
inline bool HasHeaderAt(int64_t o) { return o % 4 == 0; }
inline std::string HeaderValueAt(int64_t o) { return absl::StrCat("h", o); }

inline int32_t RecordsAt(uint64_t seed, int64_t base) {
  uint64_t h = Mix(seed ^ 0x72, base);
  return h % 10 == 0 ? 60 + static_cast<int32_t>((h >> 8) % 60)
                     : 1 + static_cast<int32_t>((h >> 8) % 24);
}

// None for 40% of batches, each codec for 15%. `compress` false: always none.
inline format::CompressionType CodecAt(uint64_t seed, int64_t base, bool compress = true) {
  if (!compress) return format::CompressionType::kNone;
  uint64_t h = Mix(seed ^ 0x63, base) % 20;
  if (h < 8) return format::CompressionType::kNone;
  return static_cast<format::CompressionType>(1 + (h - 8) / 3);
}

// The batch at `base` exactly as a log stores it: base offset `base`,
// partition leader epoch `leader_epoch` (both outside the CRC, so a log that
// patches them leaves the other bytes as built).
inline absl::StatusOr<std::vector<uint8_t>> BuildBatchAt(uint64_t seed, int64_t base,
                                                         int32_t leader_epoch = 0,
                                                         bool compress = true) {
  format::BatchOptions options;
  options.compression = CodecAt(seed, base, compress);
  options.base_offset = base;
  options.partition_leader_epoch = leader_epoch;
  format::RecordBatchBuilder builder(options);
  int32_t n = RecordsAt(seed, base);
  for (int64_t o = base; o < base + n; ++o) {
    std::optional<std::string> key = KeyAt(seed, o), value = ValueAt(seed, o);
    std::string header_value = HeaderValueAt(o);
    std::vector<format::Header> headers;
    if (HasHeaderAt(o)) headers.push_back({"h", absl::string_view(header_value)});
    format::NullableBytes k, v;
    if (key) k = absl::string_view(*key);
    if (value) v = absl::string_view(*value);
    RILL_RETURN_IF_ERROR(builder.Append(TimestampAt(seed, o), k, v, headers));
  }
  RILL_ASSIGN_OR_RETURN(ByteSpan bytes, builder.Build());
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace rill::testing

#endif  // RILL_TEST_STORAGE_LOG_CONTENT_H_
