#include "lib/format/batch_scanner.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/format/record_batch_format.h"

namespace rill::format {
namespace {

// Kafka's HEADER_SIZE_UP_TO_MAGIC: offset, length, leader epoch, magic.
constexpr size_t kHeaderUpToMagic = 17;

}  // namespace

bool BatchScanner::RestIsZero() const {
  // Word at a time: a preallocated tail can be tens of MiB.
  const uint8_t* p = data_.data() + position_;
  const uint8_t* end = data_.data() + data_.size();
  for (; p + 8 <= end; p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if (word != 0) return false;
  }
  return std::all_of(p, end, [](uint8_t b) { return b == 0; });
}

absl::StatusOr<bool> BatchScanner::Next(Slice* out) {
  if (position_ > data_.size()) {
    return absl::OutOfRangeError(absl::StrCat(
        "start position ", position_, " is past the end of the ", data_.size(), "-byte buffer"));
  }
  size_t left = data_.size() - position_;
  if (left == 0) {
    tail_ = Tail::kNone;
    return false;
  }
  if (left <= kHeaderUpToMagic) {
    tail_ = RestIsZero() ? Tail::kZeroFilled : Tail::kPartial;
    return false;
  }
  const uint8_t* p = data_.data() + position_;
  int32_t length = static_cast<int32_t>(LoadBigEndian32(p + kLengthOffset));
  if (length < kMinLengthField) {
    if (RestIsZero()) {
      tail_ = Tail::kZeroFilled;
      return false;
    }
    return absl::DataLossError(absl::StrCat("batch at byte ", position_, " has length field ",
                                            length, " (the minimum is ", kMinLengthField, ")"));
  }
  size_t total = static_cast<size_t>(length) + kLogOverheadBytes;
  if (total > left) {
    tail_ = Tail::kPartial;
    return false;
  }
  out->position = position_;
  out->bytes = ByteSpan(p, total);
  position_ += total;
  return true;
}

}  // namespace rill::format

