"""Independent checks of a Kafka log directory, shared by the interop scripts.

Everything here is written from kafka-reference.md sections 1, 2 and 13, not
from rill's code: `.log` files are decoded with kafka-python's MemoryRecords
(Debian's python3-kafka 2.0.2); `.index` (8-byte `>ii` entries) and
`.timeindex` (12-byte `>qi` entries) are parsed with struct and compared with
the entries Kafka's LogSegment.append rule produces for the batches found
(an entry for a batch when more than index.interval.bytes were appended
since the last one, before adding the batch; the time index gains
(max timestamp so far, its batch's last offset) when that timestamp is
larger than the last entry's, and once more when the segment is closed).
Checkpoint files are checked against section 2.7's text format.
"""

import base64
import os
import re
import struct

from kafka.record.memory_records import MemoryRecords

SEGMENT_NAME = re.compile(r"^(\d{20})\.log$")
BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")


class Checker:
    def __init__(self):
        self.failures = []

    def equal(self, where, what, actual, expected):
        if actual != expected:
            self.failures.append("%s: %s is %r, expected %r" % (where, what, actual, expected))

    def true(self, where, what, condition):
        if not condition:
            self.failures.append("%s: %s" % (where, what))


def b64(b):
    return None if b is None else base64.b64encode(bytes(b)).decode("ascii")


def segment_files(partition_dir):
    """(base offset, path) of every `.log`, in offset order."""
    out = []
    for name in sorted(os.listdir(partition_dir)):
        m = SEGMENT_NAME.match(name)
        if m:
            out.append((int(m.group(1)), os.path.join(partition_dir, name)))
    return out


def decode_segment(check, path):
    """Every batch of a `.log`, decoded by kafka-python: a list of dicts with
    position, size, base/last offset, max timestamp, codec and records."""
    with open(path, "rb") as f:
        data = f.read()
    batches = []
    position = 0
    records = MemoryRecords(data)
    while records.has_next():
        batch = records.next_batch()
        if batch is None:
            break
        size = struct.unpack_from(">i", data, position + 8)[0] + 12
        where = "%s batch at byte %d" % (path, position)
        crc_ok = batch.validate_crc()
        check.true(where, "kafka-python's validate_crc() is False", crc_ok)
        header = BATCH_HEADER.unpack_from(data, position)
        check.equal(where, "magic", batch.magic, 2)
        decoded = []
        for r in (batch if crc_ok else []):
            decoded.append({
                "offset": r.offset,
                "timestamp": r.timestamp,
                "key": b64(r.key),
                "value": b64(r.value),
                "headers": [[b64(k.encode("utf-8")), b64(v)] for k, v in r.headers],
            })
        batches.append({
            "position": position,
            "size": size,
            "base_offset": batch.base_offset,
            "last_offset": batch.base_offset + batch.last_offset_delta,
            "max_timestamp": batch.max_timestamp,
            "codec": batch.compression_type,
            "record_count": header[12],
            "records": decoded,
        })
        position += size
    check.equal(path, "bytes after the last whole batch", len(data) - position, 0)
    return batches


def kafka_index_entries(base, batches, interval):
    """The `.index` and `.timeindex` entries Kafka writes for these batches
    appended in one session, then closed."""
    offsets, times = [], []
    since = 0
    max_ts, max_ts_offset = -1, -1
    for b in batches:
        if b["max_timestamp"] > max_ts:
            max_ts, max_ts_offset = b["max_timestamp"], b["last_offset"]
        if since > interval:
            offsets.append((b["last_offset"] - base, b["position"]))
            if not times or max_ts > times[-1][0]:
                times.append((max_ts, max_ts_offset - base))
            since = 0
        since += b["size"]
    if max_ts >= 0 and (not times or max_ts > times[-1][0]):
        times.append((max_ts, max_ts_offset - base))
    return offsets, times


def check_index_files(check, base, log_path, batches, interval):
    """Parses the segment's `.index` and `.timeindex` with struct: whole,
    trimmed entries; increasing; each offset entry at the start of a batch
    whose last offset it names; each time entry naming the batch that raised
    the max timestamp; and exactly Kafka's entries for these batches."""
    stem = log_path[:-len(".log")]
    starts = {b["position"]: b for b in batches}
    by_last = {b["last_offset"]: i for i, b in enumerate(batches)}
    with open(stem + ".index", "rb") as f:
        index = f.read()
    with open(stem + ".timeindex", "rb") as f:
        timeindex = f.read()
    where = stem + ".index"
    check.equal(where, "length % 8", len(index) % 8, 0)
    entries = [struct.unpack_from(">ii", index, i) for i in range(0, len(index) - len(index) % 8, 8)]
    for i, (rel, pos) in enumerate(entries):
        w = "%s entry %d (%d, %d)" % (where, i, rel, pos)
        if i > 0:
            check.true(w, "relative offsets increase", rel > entries[i - 1][0])
            check.true(w, "positions increase", pos > entries[i - 1][1])
        b = starts.get(pos)
        check.true(w, "position is the start of a batch", b is not None)
        if b is not None:
            check.equal(w, "the batch's last offset", b["last_offset"], base + rel)
    where = stem + ".timeindex"
    check.equal(where, "length % 12", len(timeindex) % 12, 0)
    times = [struct.unpack_from(">qi", timeindex, i)
             for i in range(0, len(timeindex) - len(timeindex) % 12, 12)]
    for i, (ts, rel) in enumerate(times):
        w = "%s entry %d (%d, %d)" % (where, i, ts, rel)
        if i > 0:
            check.true(w, "timestamps increase", ts > times[i - 1][0])
            check.true(w, "offsets do not decrease", rel >= times[i - 1][1])
        j = by_last.get(base + rel)
        check.true(w, "offset is a batch's last offset", j is not None)
        if j is not None:
            check.equal(w, "the batch's max timestamp", batches[j]["max_timestamp"], ts)
            check.equal(w, "the max timestamp up to it", max(b["max_timestamp"] for b in batches[:j + 1]), ts)
    want_offsets, want_times = kafka_index_entries(base, batches, interval)
    check.equal(stem + ".index", "entries (Kafka's rule, trimmed)", entries, want_offsets)
    check.equal(stem + ".timeindex", "entries (Kafka's rule, trimmed)",
                [tuple(t) for t in times], want_times)


def check_partition_dir(check, partition_dir, interval, check_indexes=True):
    """Decodes every segment of a partition directory and checks names,
    contiguity and (if asked) the index files. Returns (segments, records)."""
    records = []
    segments = segment_files(partition_dir)
    check.true(partition_dir, "has segments", bool(segments))
    next_offset = None
    for base, path in segments:
        batches = decode_segment(check, path)
        if batches:
            check.equal(path, "file name (20-digit base offset) vs first batch", base,
                        batches[0]["base_offset"])
        if next_offset is not None:
            check.equal(path, "base offset vs the previous segment's next offset", base, next_offset)
        for b in batches:
            w = "%s batch at offset %d" % (path, b["base_offset"])
            if next_offset is not None:
                check.equal(w, "base offset (contiguous)", b["base_offset"], next_offset)
            check.equal(w, "record count", len(b["records"]), b["record_count"])
            for i, r in enumerate(b["records"]):
                check.equal(w, "record %d offset" % i, r["offset"], b["base_offset"] + i)
            next_offset = b["last_offset"] + 1
            records.extend(b["records"])
        if not batches:
            next_offset = base
        if check_indexes:
            check_index_files(check, base, path, batches, interval)
    return segments, records


def read_checkpoint(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8")


def check_offset_checkpoint(check, path, expected):
    """Section 2.7: "0\\n<count>\\n" then "topic partition offset" lines."""
    text = read_checkpoint(path)
    check.true(path, "ends with a newline", text.endswith("\n"))
    lines = text.split("\n")[:-1]
    check.true(path, "has version and count lines", len(lines) >= 2)
    if len(lines) < 2:
        return
    check.equal(path, "version line", lines[0], "0")
    check.equal(path, "count line", lines[1], str(len(lines) - 2))
    entries = {}
    for line in lines[2:]:
        parts = line.split(" ")
        check.equal(path, "fields in %r" % line, len(parts), 3)
        if len(parts) == 3:
            entries[(parts[0], int(parts[1]))] = int(parts[2])
    check.equal(path, "entries", entries, expected)
