#ifndef RILL_FORMAT_RECORD_READER_H_
#define RILL_FORMAT_RECORD_READER_H_

// Iterates the records of one batch, decoding lazily and checking every
// varint and length against the bytes that remain, each record's length
// against what it used, offset deltas increasing within lastOffsetDelta, and
// at the end that exactly recordsCount records filled the section.
//
//   RecordReader reader;
//   RILL_RETURN_IF_ERROR(reader.Open(batch, &buffer));
//   RecordView r;
//   while (true) {
//     RILL_ASSIGN_OR_RETURN(bool more, reader.Next(&r));
//     if (!more) break;
//     ...
//   }
//
// Uncompressed batches are read in place; compressed ones are decompressed
// once into the caller's reusable buffer. Views stay valid while the batch
// bytes and that buffer are unchanged.
// Not thread safe. Errors: DataLoss naming the record and byte; the codec's
// errors; ResourceExhausted past the decompression cap.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/byte_buffer.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_view.h"

namespace rill::format {

class RecordReader {
 public:
  RecordReader() = default;

  // Prepares to read `batch`. REQUIRES: `batch` and `*buffer` outlive the
  // reading; the batch passed Parse (the CRC is the caller's choice).
  absl::Status Open(const RecordBatchView& batch, ByteBuffer* buffer,
                    size_t max_decompressed = kDefaultMaxDecompressedBytes);

  // Decodes the next record into `*out`. Returns false after the last one,
  // once the end checks passed.
  absl::StatusOr<bool> Next(RecordView* out);

  int32_t records_read() const { return read_; }

 private:
  absl::Status Corrupt(const char* what, const uint8_t* at) const;

  const uint8_t* begin_ = nullptr;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  // Where the records section starts in the batch (61) when reading in place,
  // for error positions; 0 when reading decompressed bytes.
  size_t position_base_ = 0;
  bool decompressed_ = false;
  int64_t base_offset_ = 0;
  int64_t base_timestamp_ = 0;
  int64_t log_append_time_ = -1;
  bool log_append_time_type_ = false;
  int32_t last_offset_delta_ = 0;
  int32_t count_ = 0;
  int32_t read_ = 0;
  int32_t previous_delta_ = -1;
};

}  // namespace rill::format

#endif  // RILL_FORMAT_RECORD_READER_H_
