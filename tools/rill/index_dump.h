#ifndef RILL_TOOLS_RILL_INDEX_DUMP_H_
#define RILL_TOOLS_RILL_INDEX_DUMP_H_

// `rill dump` of a `.index` or `.timeindex` file (kafka-reference §2.2-2.4):
// every entry, as Kafka's kafka-dump-log.sh prints them, plus the relative
// offset stored on disk:
//
//   offset: 1042 relativeOffset: 42 position: 8231            (.index)
//   timestamp: 1700000000123 offset: 1042 relativeOffset: 42  (.timeindex)
//
// With --json one object per entry: {"entry":I,"offset":...,
// "relative_offset":...,"position":...,"file":...} (or "timestamp" in place
// of "position"). --from skips entries whose offset is below it.
//
// The zero bytes a preallocated (active) index ends in are a note, not
// entries. With --deep the entries are also checked against the segment's
// `.log` beside the file (index_check.h).
// Errors: DataLoss "<file>: entry I at byte B (...): <why>" for the first
// entry that does not increase (after printing it) or, with --deep, does
// not point at its batch; DataLoss for a length that is not whole entries;
// InvalidArgument for a name that is not `<20-digit base offset>.index`
// (the base offset comes from the name); the errno of unreadable files.

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/rill/dump_options.h"

namespace rill::tool {

absl::Status DumpOffsetIndex(const DumpOptions& options, const std::string& path,
                             std::ostream* out);
absl::Status DumpTimeIndex(const DumpOptions& options, const std::string& path, std::ostream* out);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_INDEX_DUMP_H_
