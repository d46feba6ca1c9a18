#ifndef RILL_TOOLS_RILL_INDEX_CHECK_H_
#define RILL_TOOLS_RILL_INDEX_CHECK_H_

// Holds a segment's `.index` and `.timeindex` entries against its `.log`
// (`rill dump --deep`, `rill verify`), by the meaning Kafka gives them
// (kafka-reference §2.2-2.4):
//
//  - An offset-index entry (O, P) points at the start of a batch, and O is
//    that batch's last offset. A Kafka follower appends a whole fetched chunk
//    of batches at once and indexes it as (the chunk's last offset, the
//    chunk's start), so O may also be the last offset of a later batch that
//    starts before the next entry's position. An entry that points inside a
//    batch is what breaks the sparse-interval rule, and is always an error.
//  - A time-index entry (T, O) names the batch holding offset O, whose max
//    timestamp is T, and no earlier batch of the segment has a later one
//    ("any record with a timestamp above T lies after O").
//
// When the log ends in a tail (zero or cut-off bytes: its owner is writing it
// or crashed), entries past its last whole batch are not errors: the index
// may be ahead of the data on disk, and Kafka's recovery rebuilds it.
// Entry order is checked separately (CheckEntryOrder in index_entries.h).
// Thread safe (pure functions). Errors: DataLoss "<index path>: entry I at
// byte B (...): <why>" for the first entry that does not hold.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tools/rill/index_entries.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {

// REQUIRES: `log` scanned without error.
absl::Status CheckOffsetIndexAgainstLog(const std::string& path,
                                        const std::vector<OffsetIndexEntry>& entries,
                                        const SegmentScan& log);
absl::Status CheckTimeIndexAgainstLog(const std::string& path,
                                      const std::vector<TimeIndexEntry>& entries,
                                      const SegmentScan& log);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_INDEX_CHECK_H_
