#ifndef RILL_TOOLS_RILL_PROPERTIES_FILE_H_
#define RILL_TOOLS_RILL_PROPERTIES_FILE_H_

// Kafka's config files (`server.properties`, `producer.properties`) are Java
// properties files, read here as java.util.Properties.load() reads them:
//
//   # a comment; so is a line starting with '!'
//   log.retention.hours=168
//   linger.ms: 5              ('=', ':' or whitespace ends the key)
//
// A line ending in an odd number of backslashes continues on the next one
// (whose leading whitespace is dropped). Blank lines are skipped, whitespace
// around the separator is dropped, and backslash escapes (\t \n \r \f \uXXXX, and \X for any other
// X, such as
// "\=" or "\ ") are decoded in keys and values. A later key replaces an
// earlier one. Each property remembers where it was set, so that an error
// about its name or value can name the file and line.
// Thread safe (pure functions).
// Errors: InvalidArgument "<file> line N: <why>" (an empty key, a bad \u
// escape); the errno of a file that cannot be read, naming it.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rill::tool {

// A property's value and where it was set: "<file> line N", or the flag
// that set it ("--config retention.ms=1000").
struct Property {
  std::string value;
  std::string origin;
};

// By name.
using Properties = std::map<std::string, Property>;

// Parses `text`, the contents of `file` (named in origins and errors).
absl::StatusOr<Properties> ParseProperties(absl::string_view text, const std::string& file);

// Reads and parses the file at `path`.
absl::StatusOr<Properties> ReadPropertiesFile(const std::string& path);

// The values alone, as the library's FromProperties() take them.
std::map<std::string, std::string> PropertyValues(const Properties& properties);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_PROPERTIES_FILE_H_
