#ifndef RILL_FORMAT_RECORD_H_
#define RILL_FORMAT_RECORD_H_

// A record's parts as the format layer hands them in and out: keys, values
// and header values are nullable byte strings (std::nullopt = Kafka's null,
// length -1), distinct from empty ones.

#include <cstdint>
#include <optional>
#include "absl/strings/string_view.h"

#include "lib/base/bytes.h"

namespace rill::format {

using NullableBytes = std::optional<absl::string_view>;

// One record header: a non-null UTF-8 key and a nullable value.
struct Header {
  absl::string_view key;
  NullableBytes value;
};

// The headers of a decoded record: a view over bytes RecordReader already
// validated. Iterating never fails. Valid as long as the batch bytes (or the
// decompression buffer) it points into.
class HeaderList {
 public:
  class Iterator {
   public:
    Iterator(const uint8_t* p, const uint8_t* end, int32_t left);
    Header operator*() const { return current_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return left_ == other.left_; }

   private:
    void Decode();
    const uint8_t* p_;
    const uint8_t* end_;
    int32_t left_;
    Header current_;
  };

  HeaderList() = default;
  HeaderList(ByteSpan bytes, int32_t count) : bytes_(bytes), count_(count) {}

  int32_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Iterator begin() const { return Iterator(bytes_.data(), bytes_.data() + bytes_.size(), count_); }
  Iterator end() const { return Iterator(nullptr, nullptr, 0); }

 private:
  ByteSpan bytes_;
  int32_t count_ = 0;
};

// One record of a batch, decoded. Views point into the batch bytes or the
// reader's decompression buffer and are valid as long as those are.
struct RecordView {
  int64_t offset = 0;
  int64_t timestamp = -1;
  int32_t offset_delta = 0;
  NullableBytes key;
  NullableBytes value;
  HeaderList headers;
};

}  // namespace rill::format

#endif  // RILL_FORMAT_RECORD_H_
