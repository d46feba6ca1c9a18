#ifndef RILL_TOOLS_RILL_SEGMENT_DUMP_H_
#define RILL_TOOLS_RILL_SEGMENT_DUMP_H_

// `rill dump` of one `.log` segment: its batches, like Kafka's
// kafka-dump-log.sh, and with --records every record. With --deep or
// --records every record is decoded; with --deep the segment's `.index` and
// `.timeindex`, when it has any, are then checked against its batches
// (index_check.h).
//
// Records print with topic and partition taken from the segment's directory
// name when it reads `<topic>-<partition>`, else topic "" and partition -1.
//
// Text output, one line per batch (Kafka's field names):
//   baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -1 lastSequence: -1
//   producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0
//   isTransactional: false isControl: false position: 0
//   baseTimestamp: 1700000000000 CreateTime: 1700000000000 size: 70 magic: 2
//   compresscodec: none crc: 3919285720 isvalid: true
// (`deleteHorizonMs: N` after isControl when the cleaner set one), and per
// record `| offset: ... key: ... payload: ...`. With --json one object per
// batch (snake_case fields), per record (cli.md's record form, or for a
// transaction marker `control_type` and `coordinator_epoch` in place of key,
// value and headers) and per note. The index check prints one line:
//   index check: <.index>: N entries; <.timeindex>: M entries: consistent with the log
// (--json: {"check":"indexes","file":...,"index_entries":N,...,"ok":true}).
//
// A cut-off or zero-filled tail after the last batch is a note, not an error;
// so is a torn last batch (bad framing or CRC, nothing but zeros after it) in
// a segment whose owner may be appending to it (`may_shrink`), or one the
// owner finished between two reads (live_segment.h): "note: <file>: the
// batch at byte N is being written ..." (--json: {"note":"being_written"}).
// Errors: DataLoss "<file>: batch at byte N: <why>" at the first corrupt batch
// (framing, header, CRC, and with --deep or --records any record), printed
// after everything before it; DataLoss "<index file>: entry I at byte B
// (...): <why>" for the first index entry that does not hold; the errno of a
// file that cannot be read.

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "tools/rill/dump_options.h"

namespace rill::tool {

// Writes the dump of the segment file `path` to `*out`. `may_shrink`: its
// owner may trim it meanwhile (the last segment of a live partition), so it
// is read by copy, not mapped (mapped_file.h).
absl::Status DumpSegment(const DumpOptions& options, const std::string& path, bool may_shrink,
                         std::ostream* out);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_SEGMENT_DUMP_H_
