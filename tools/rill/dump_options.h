#ifndef RILL_TOOLS_RILL_DUMP_OPTIONS_H_
#define RILL_TOOLS_RILL_DUMP_OPTIONS_H_

// What `rill dump` was asked for (dump_command.h), shared by the dumpers of
// segments, indexes and directories.

#include <cstdint>
#include <optional>
#include <string>

namespace rill::tool {

struct DumpOptions {
  // A `.log` segment, a `.index` or `.timeindex` file, a partition directory
  // or a data directory.
  std::string path;
  // --records: print every record (so decode and check every record, as
  // `deep` does; indexes are checked only with `deep`).
  bool records = false;
  // --from: skip batches whose last offset (index entries whose offset) is
  // below this (unread).
  std::optional<int64_t> from;
  // --deep: decompress and decode every record (checking it) even when not
  // printing records, and check each segment's indexes against its log;
  // otherwise only framing, header and CRC are checked.
  bool deep = false;
  // The global --json.
  bool json = false;

  // Whether every record is decoded.
  bool decodes_records() const { return deep || records; }
};

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_DUMP_OPTIONS_H_
