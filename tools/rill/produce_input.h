#ifndef RILL_TOOLS_RILL_PRODUCE_INPUT_H_
#define RILL_TOOLS_RILL_PRODUCE_INPUT_H_

// How `rill produce` turns one line of stdin into a record (spec/cli.md):
//
//  - text: the line is the value. With a key separator, the text before its
//    first occurrence is the key and the rest the value; a line without it
//    is an error, as in Kafka's console producer (parse.key=true). A value
//    equal to the null-value marker is null (a tombstone). A trailing '\r'
//    (a CRLF file) is not part of the line.
//  - JSON (--json): one object in the record form `rill dump --records
//    --json` prints: "key", "value" and each header's "key" and "value" a
//    string (its UTF-8 bytes), {"base64":"..."} or null; "headers" an array
//    of {"key","value"}; "partition" and "timestamp" (ms since the epoch)
//    integers, used when present and not null. A missing key, value or
//    headers is null, null, none. "topic", "offset" and "timestamp_type" are
//    accepted and ignored (TOPIC names the target), so what dump and consume
//    print can be produced again; any other field is an error.
//
// Thread safe (pure functions).
// Errors: InvalidArgument saying what is wrong with the line (not naming
// it: the caller knows the line number).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace rill::tool {

// One record read from stdin, owning its bytes.
struct InputRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  std::optional<int32_t> partition;
  std::optional<int64_t> timestamp;
};

struct TextInputOptions {
  // --key-separator; none when unset (the whole line is the value).
  std::optional<std::string> key_separator;
  // --null-value-marker; none when unset.
  std::optional<std::string> null_value_marker;
};

// Fills `*record` from the text `line` (without its '\n'). Reuses the
// record's buffers, so a caller may keep one record for every line.
absl::Status ParseTextLine(absl::string_view line, const TextInputOptions& options,
                           InputRecord* record);

// Fills `*record` from the JSON object `line`.
absl::Status ParseJsonLine(absl::string_view line, InputRecord* record);

// A `--header k=v` flag: key k, value v; `k` without '=' has a null value.
std::pair<std::string, std::optional<std::string>> ParseHeaderFlag(absl::string_view flag);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_PRODUCE_INPUT_H_
