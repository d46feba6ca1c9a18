#ifndef RILL_TOOLS_RILL_RECORD_JSON_H_
#define RILL_TOOLS_RILL_RECORD_JSON_H_

// The JSON form of records that `rill dump --records --json` and
// `rill consume --json` print (spec/cli.md "Records as JSON"):
//
//   {"topic":"orders","partition":3,"offset":1042,"timestamp":1700000000123,
//    "timestamp_type":"create","key":"user-7","value":"hello",
//    "headers":[{"key":"trace","value":"abc"}]}
//
// Keys, values and header values (and, to stay lossless, header keys) are a
// JSON string when the bytes are valid UTF-8, {"base64":"..."} (RFC 4648
// with padding) otherwise, and null when null. Thread safe (pure functions).

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "lib/format/record.h"
#include "lib/format/record_batch_format.h"
#include "nlohmann/json.hpp"

namespace rill::tool {

// Objects keep their fields in insertion order, as cli.md shows them.
using Json = nlohmann::ordered_json;

// True when `bytes` is well-formed UTF-8 (RFC 3629: shortest forms only, no
// surrogates, nothing past U+10FFFF) — what Python's and Java's strict
// decoders accept.
bool IsValidUtf8(absl::string_view bytes);

// A string, {"base64": ...} or null, as above.
Json BytesToJson(format::NullableBytes bytes);

// "create" or "log_append".
const char* TimestampTypeJsonName(format::TimestampType type);

// Where a record lives. A segment outside a `<topic>-<partition>` directory
// has topic "" and partition -1.
struct RecordSource {
  std::string topic;
  int32_t partition = -1;
};

// The record object above, fields in cli.md's order.
Json RecordToJson(const RecordSource& source, format::TimestampType type,
                  const format::RecordView& record);

// `json` as one compact line (no newline). UTF-8 stays as is; strings that
// are not UTF-8 (which BytesToJson never makes) are replaced, not thrown.
std::string JsonLine(const Json& json);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_RECORD_JSON_H_
