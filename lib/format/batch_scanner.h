#ifndef RILL_FORMAT_BATCH_SCANNER_H_
#define RILL_FORMAT_BATCH_SCANNER_H_

// Walks the batches laid end to end in a buffer (a `.log` segment, a fetch
// response) by their length fields, with the rules of Kafka's
// FileLogInputStream: 17 or fewer bytes left, or a batch whose declared size
// runs past the end, is a partial tail (end of data, not an error); a length
// field below 14 is corruption. A tail of zero bytes, as a preallocated
// segment has, is reported as such rather than as corruption.
//
// It checks framing only: callers Parse/Validate the batches it returns.
// Not thread safe. Errors: DataLoss naming the byte position; OutOfRange
// from Next() when `start_position` lies past the end of the buffer.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/base/bytes.h"

namespace rill::format {

class BatchScanner {
 public:
  enum class Tail {
    kNone,        // Ended exactly at the end of the buffer.
    kPartial,     // A batch (or its header) is cut off.
    kZeroFilled,  // Only zero bytes remain.
  };

  struct Slice {
    size_t position = 0;  // Byte position of the batch within the buffer.
    ByteSpan bytes;
  };

  explicit BatchScanner(ByteSpan data, size_t start_position = 0)
      : data_(data), position_(start_position) {}

  // The next batch into `*out`; false at the end (see tail()).
  absl::StatusOr<bool> Next(Slice* out);

  // Where the next batch would start: after the end, the valid prefix length.
  size_t position() const { return position_; }
  Tail tail() const { return tail_; }
  size_t tail_bytes() const { return position_ < data_.size() ? data_.size() - position_ : 0; }

 private:
  bool RestIsZero() const;

  ByteSpan data_;
  size_t position_;
  Tail tail_ = Tail::kNone;
};

}  // namespace rill::format

#endif  // RILL_FORMAT_BATCH_SCANNER_H_
