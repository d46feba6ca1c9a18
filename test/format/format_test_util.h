#ifndef RILL_TEST_FORMAT_FORMAT_TEST_UTIL_H_
#define RILL_TEST_FORMAT_FORMAT_TEST_UTIL_H_

// Helpers the format-layer tests share: seeded random bytes, owned copies of
// decoded records, and reading every record of a batch.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/byte_buffer.h"
#include "lib/base/bytes.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_view.h"
#include "lib/format/record_reader.h"

namespace rill::format::testing {

inline constexpr CompressionType kAllCodecs[] = {CompressionType::kNone, CompressionType::kGzip,
                                                 CompressionType::kSnappy, CompressionType::kLz4,
                                                 CompressionType::kZstd};

inline constexpr CompressionType kCompressingCodecs[] = {
    CompressionType::kGzip, CompressionType::kSnappy, CompressionType::kLz4,
    CompressionType::kZstd};

inline std::string RandomString(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  std::uniform_int_distribution<int> byte(0, 255);
  for (char& c : s) c = static_cast<char>(byte(rng));
  return s;
}

inline std::vector<uint8_t> RandomBytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : v) b = static_cast<uint8_t>(byte(rng));
  return v;
}

// Text-like bytes that every codec shrinks a lot.
inline std::string CompressibleString(size_t n) {
  static constexpr char kWords[] = "the quick brown fox jumps over the lazy dog 0123456789 ";
  std::string s;
  s.reserve(n);
  for (size_t i = 0; s.size() < n; ++i) {
    s.push_back(kWords[(i * 7 + i / 97) % (sizeof kWords - 1)]);
  }
  return s;
}

inline std::vector<uint8_t> ToVector(ByteSpan b) { return {b.begin(), b.end()}; }
inline ByteSpan Span(const std::string& s) { return AsBytes(s); }
inline ByteSpan Span(const std::vector<uint8_t>& v) { return ByteSpan(v.data(), v.size()); }
inline MutableByteSpan MutableSpan(std::vector<uint8_t>& v) {
  return MutableByteSpan(v.data(), v.size());
}

inline std::optional<std::string> Own(NullableBytes b) {
  if (!b) return std::nullopt;
  return std::string(*b);
}

struct OwnedHeader {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const OwnedHeader&) const = default;
};

// A decoded record, copied out of the batch so it outlives the buffers.
struct OwnedRecord {
  int64_t offset = 0;
  int64_t timestamp = 0;
  int32_t offset_delta = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<OwnedHeader> headers;
};

inline OwnedRecord Own(const RecordView& r) {
  OwnedRecord o{r.offset, r.timestamp, r.offset_delta, Own(r.key), Own(r.value), {}};
  for (Header h : r.headers) o.headers.push_back({std::string(h.key), Own(h.value)});
  return o;
}

// Every record of `batch` (which must pass Parse), or the reader's error.
inline absl::StatusOr<std::vector<OwnedRecord>> ReadAll(
    ByteSpan batch, size_t max_decompressed = kDefaultMaxDecompressedBytes) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
  if (!view.ok()) return view.status();
  ByteBuffer buffer;
  RecordReader reader;
  if (absl::Status s = reader.Open(*view, &buffer, max_decompressed); !s.ok()) return s;
  std::vector<OwnedRecord> out;
  RecordView r;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(&r);
    if (!more.ok()) return more.status();
    if (!*more) return out;
    out.push_back(Own(r));
  }
}

// Parse, then Validate: the first error, or OK.
inline absl::Status ParseAndValidate(ByteSpan batch,
                                     size_t max_decompressed = kDefaultMaxDecompressedBytes) {
  absl::StatusOr<RecordBatchView> view = RecordBatchView::Parse(batch);
  if (!view.ok()) return view.status();
  ByteBuffer scratch;
  return view->Validate(&scratch, max_decompressed);
}

}  // namespace rill::format::testing

#endif  // RILL_TEST_FORMAT_FORMAT_TEST_UTIL_H_
