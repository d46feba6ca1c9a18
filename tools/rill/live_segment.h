#ifndef RILL_TOOLS_RILL_LIVE_SEGMENT_H_
#define RILL_TOOLS_RILL_LIVE_SEGMENT_H_

// Reading the active segment of a partition another process is appending
// to. A read can overtake the owner's append: it sees the length field of
// the next batch still zero while bytes after it are already written, or a
// batch header whose body is not all there yet. That looks like corruption
// but is not, and a second read tells: by then a valid batch stands where
// the first read failed, in different bytes. Bytes before the failure are
// whole batches, which the owner never rewrites, so only the failure point
// needs a second look. A failure that reads the same bytes twice (a record
// that does not decode in a batch whose CRC holds) is real.
// Thread safe (no state).

#include <cstdint>
#include <memory>
#include <string>

#include "lib/base/bytes.h"
#include "tools/rill/mapped_file.h"
#include "tools/rill/segment_scan.h"

namespace rill::tool {

// A fresh copy of `path` when the failure at byte `position` of `seen` (the
// bytes read before) was a read overtaking the owner's append, as above;
// nullptr when it was not, or the file cannot be read again.
std::unique_ptr<MappedFile> RereadIfOwnerWasWriting(const std::string& path, uint64_t position,
                                                    ByteSpan seen);

// Whether the batch that failed at byte `position` of `data` is the last
// thing in it (only zero bytes follow the length it claims) and broken in
// its framing or CRC: a batch its owner is still writing (perhaps
// descheduled halfway), or was writing when it crashed — a torn tail, which
// recovery truncates, not corruption.
bool IsTornTail(ByteSpan data, uint64_t position);

// When `scan` (of `data`) failed at a torn tail, makes the failure its
// partial tail and returns true.
bool ForgiveTornTail(ByteSpan data, SegmentScan* scan);

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_LIVE_SEGMENT_H_
