#!/usr/bin/python3
"""rill opens a data directory laid out by kafka-python, as a broker would.

Builds RecordBatch v2 batches with kafka-python's DefaultRecordBatchBuilder
(Debian's python3-kafka 2.0.2, an independent implementation) and lays them
out the way a Kafka broker's log directory looks (kafka-reference.md
section 2): partitions "legacy-0" (log start 0) and "kafka-python-2" (a topic
with a dash, whose first segment starts at 1000 and whose log start offset
is 1005, as after DeleteRecords), several `<20-digit base offset>.log`
segments each with contiguous offsets and every codec, idempotent-producer
batches in one partition, leader epochs 3 then 5; some segments with
`.index`/`.timeindex` built by Kafka's index.interval.bytes rule (trimmed),
one with none, one with only `.index`; leader-epoch-checkpoint and
partition.metadata per partition; meta.properties,
recovery-point-offset-checkpoint, log-start-offset-checkpoint and
replication-offset-checkpoint at the root.

--variant clean:   with .kafka_cleanshutdown, as after a clean stop.
--variant unclean: without it, as after a crash: the recovery point lies in
                   an older segment, "legacy-0" ends in a torn half batch,
                   and "kafka-python-2"'s last segment has a zero-filled
                   tail and preallocated (zero-padded) indexes.

Then runs `rill_interop_log_writer read` (LogManager opens the directory,
reads every record through Log::Read, validating every batch, and closes)
and checks: every record (offset, timestamp, key, value, headers) from the
log start on, the log start and end offsets, what the load report says was
recovered and cut; and afterwards, that the directory rill closed is still a
valid Kafka directory (log_dir_checks.py: every batch decodes with
kafka-python, indexes trimmed and per Kafka's rule, checkpoints in Kafka's
text format, .kafka_cleanshutdown written).

Exit status: 0 all equal; 1 a mismatch (each one printed); 77 (ctest:
skipped) when kafka-python or a codec module is missing. Run with
/usr/bin/python3.
"""

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys

from kafka_or_skip import require_codecs

from kafka.record.default_records import DefaultRecordBatchBuilder
import log_dir_checks as checks

INDEX_INTERVAL = 4096  # index.interval.bytes, Kafka's and rill's default.
BASE_TIME = 1700000000000


class Partition:
    def __init__(self, topic, partition, first_offset, log_start, seed, idempotent):
        self.topic = topic
        self.partition = partition
        self.first_offset = first_offset
        self.log_start = log_start
        self.rng = random.Random(seed)
        self.idempotent = idempotent
        self.segments = []  # [(base offset, [batch bytes])]
        self.records = []   # Expected, as the reader prints them.
        self.next_offset = first_offset
        self.sequence = 0
        self.epochs = []    # [(epoch, start offset)]

    @property
    def name(self):
        return "%s-%d" % (self.topic, self.partition)


def random_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def make_record(rng, offset):
    kind = rng.randrange(10)
    key = None if kind == 0 else ("key-%d" % offset).encode()
    if kind == 1:
        value = None
    elif kind == 2:
        value = b""
    elif kind == 3:
        value = random_bytes(rng, rng.randrange(1, 200))
    else:
        words = [b"kafka ", b"python ", b"segment ", b"offset ", b"index "]
        value = b"".join(rng.choice(words) for _ in range(rng.randrange(1, 400)))
    headers = []
    if rng.randrange(3) == 0:
        headers = [("trace", b"t%d" % offset), ("null", None)]
    timestamp = BASE_TIME + offset * 7 - rng.randrange(30)
    return key, value, headers, timestamp


def build_batch(p, codec, epoch, count):
    """One batch at p.next_offset, built by kafka-python and given its base
    offset and leader epoch as a broker does (both outside the CRC)."""
    if p.idempotent:
        builder = DefaultRecordBatchBuilder(2, codec, False, 4242, 1, p.sequence, 1 << 20)
        p.sequence += count
    else:
        builder = DefaultRecordBatchBuilder(2, codec, False, -1, -1, -1, 1 << 20)
    for delta in range(count):
        offset = p.next_offset + delta
        key, value, headers, timestamp = make_record(p.rng, offset)
        if builder.append(delta, timestamp, key, value, headers) is None:
            raise RuntimeError("batch full")
        p.records.append({
            "offset": offset, "timestamp": timestamp,
            "key": checks.b64(key), "value": checks.b64(value),
            "headers": [[checks.b64(k.encode()), checks.b64(v)] for k, v in headers],
        })
    batch = bytearray(builder.build())
    struct.pack_into(">q", batch, 0, p.next_offset)
    struct.pack_into(">i", batch, 12, epoch)
    if not p.epochs or p.epochs[-1][0] != epoch:
        p.epochs.append((epoch, p.next_offset))
    p.next_offset += count
    return bytes(batch)


def fill(p, segment_count, batches_per_segment):
    codec = 0
    for s in range(segment_count):
        base = p.next_offset
        batches = []
        for _ in range(batches_per_segment):
            epoch = 3 if s < segment_count // 2 else 5
            batches.append(build_batch(p, codec, epoch, p.rng.randrange(1, 30)))
            codec = (codec + 1) % 5
        p.segments.append((base, batches))


def index_bytes(base, data):
    """Kafka's `.index` and `.timeindex` for a closed segment of `data`."""
    batches = []
    position = 0
    while position < len(data):
        size = struct.unpack_from(">i", data, position + 8)[0] + 12
        base_offset, = struct.unpack_from(">q", data, position)
        delta, = struct.unpack_from(">i", data, position + 23)
        max_ts, = struct.unpack_from(">q", data, position + 35)
        batches.append({"position": position, "size": size, "last_offset": base_offset + delta,
                        "max_timestamp": max_ts})
        position += size
    offsets, times = checks.kafka_index_entries(base, batches, INDEX_INTERVAL)
    return (b"".join(struct.pack(">ii", *e) for e in offsets),
            b"".join(struct.pack(">qi", *e) for e in times))


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def lay_out(p, data_dir, unclean):
    """Writes the partition's directory; returns what loading should report:
    (bytes it must cut, the offset they started at or -1 for zeros)."""
    d = os.path.join(data_dir, p.name)
    os.makedirs(d)
    cut, cut_from = 0, -1
    for i, (base, batches) in enumerate(p.segments):
        stem = os.path.join(d, "%020d" % base)
        data = b"".join(batches)
        last = i == len(p.segments) - 1
        index, timeindex = index_bytes(base, data)
        if unclean and last and p.topic == "legacy":
            # A crash in the middle of writing one more batch.
            torn = build_batch(p, 1, 5, 3)
            p.records = p.records[:-3]
            p.next_offset -= 3
            data += torn[:len(torn) // 2]
            cut, cut_from = len(torn) // 2, p.next_offset
        if unclean and last and p.topic != "legacy":
            # Kafka with preallocate=true: the active files at full size.
            data += bytes(8192)
            index += bytes(4096 - len(index))
            timeindex += bytes(4092 - len(timeindex))
            cut = 8192
        write_file(stem + ".log", data)
        if i == 1:
            continue  # No index files at all.
        write_file(stem + ".index", index)
        if i == 2:
            continue  # Only the offset index.
        write_file(stem + ".timeindex", timeindex)
    write_file(os.path.join(d, "leader-epoch-checkpoint"),
               ("0\n%d\n" % len(p.epochs) + "".join("%d %d\n" % e for e in p.epochs)).encode())
    write_file(os.path.join(d, "partition.metadata"),
               b"version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n")
    return cut, cut_from


def offsets_checkpoint(entries):
    return ("0\n%d\n" % len(entries) +
            "".join("%s %d %d\n" % (t, p, o) for (t, p), o in sorted(entries.items()))).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reader", required=True, help="rill_interop_log_writer")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--variant", choices=["clean", "unclean"], required=True)
    args = parser.parse_args()
    require_codecs(["snappy", "lz4", "zstd"])
    unclean = args.variant == "unclean"

    shutil.rmtree(args.work_dir, ignore_errors=True)
    data_dir = os.path.join(args.work_dir, "data")
    os.makedirs(data_dir)
    partitions = [Partition("legacy", 0, 0, 0, 11, idempotent=False),
                  Partition("kafka-python", 2, 1000, 1005, 22, idempotent=True)]
    expected_cut = {}
    for p in partitions:
        fill(p, 5, 12)
        expected_cut[p.name] = lay_out(p, data_dir, unclean)
    # Unclean: the recovery point lies in the second-to-last segment, so the
    # last two are rescanned. Clean: it is the log end.
    recovery = {(p.topic, p.partition): (p.segments[-2][0] + 1 if unclean else p.next_offset)
                for p in partitions}
    write_file(os.path.join(data_dir, "recovery-point-offset-checkpoint"),
               offsets_checkpoint(recovery))
    write_file(os.path.join(data_dir, "log-start-offset-checkpoint"),
               offsets_checkpoint({(p.topic, p.partition): p.log_start for p in partitions}))
    write_file(os.path.join(data_dir, "replication-offset-checkpoint"),
               offsets_checkpoint({(p.topic, p.partition): p.next_offset for p in partitions}))
    write_file(os.path.join(data_dir, "meta.properties"),
               b"version=1\ncluster.id=rill-interop\nnode.id=1\n")
    if not unclean:
        write_file(os.path.join(data_dir, ".kafka_cleanshutdown"),
                   b'{"version":0,"brokerEpoch":7}')

    out_path = os.path.join(args.work_dir, "rill.json")
    subprocess.run([args.reader, "read", data_dir, out_path], check=True)
    with open(out_path) as f:
        got = json.load(f)

    check = checks.Checker()
    check.equal("rill", "opened after a clean shutdown", got["clean_shutdown"], not unclean)
    by_name = {"%s-%d" % (g["topic"], g["partition"]): g for g in got["partitions"]}
    check.equal("rill", "partitions", sorted(by_name), sorted(p.name for p in partitions))
    for p in partitions:
        g = by_name.get(p.name)
        if g is None:
            continue
        where = "rill's %s" % p.name
        check.equal(where, "log start offset", g["log_start_offset"], p.log_start)
        check.equal(where, "log end offset", g["log_end_offset"], p.next_offset)
        check.equal(where, "segments", g["segments"], len(p.segments))
        want = [r for r in p.records if r["offset"] >= p.log_start]
        records = [r for r in g["records"] if r["offset"] >= p.log_start]
        check.equal(where, "record count", len(records), len(want))
        for a, b in zip(records, want):
            check.equal(where, "record at offset %d" % b["offset"], a, b)
        report = g["report"]
        cut, cut_from = expected_cut[p.name]
        check.equal(where, "truncated bytes", report["truncated_bytes"], cut)
        check.equal(where, "truncated from offset", report["truncated_from_offset"], cut_from)
        check.equal(where, "corruption reported", report["corruption"] != "", cut_from >= 0)
        # Segment 1 had no index files and segment 2 no time index: rebuilt
        # even when trusted; unclean, the last two are rescanned as well.
        check.equal(where, "recovered segments", report["recovered_segments"], 4 if unclean else 2)

        # What rill left is still a Kafka directory, and holds the same.
        partition_dir = os.path.join(data_dir, p.name)
        _, after = checks.check_partition_dir(check, partition_dir, INDEX_INTERVAL)
        check.equal(where, "records left on disk", [r for r in after if r["offset"] >= p.log_start],
                    want)
        epochs = checks.read_checkpoint(os.path.join(partition_dir, "leader-epoch-checkpoint"))
        check.equal(where, "leader-epoch-checkpoint", epochs,
                    "0\n%d\n" % len(p.epochs) + "".join("%d %d\n" % e for e in p.epochs))
    checks.check_offset_checkpoint(
        check, os.path.join(data_dir, "recovery-point-offset-checkpoint"),
        {(p.topic, p.partition): p.next_offset for p in partitions})
    checks.check_offset_checkpoint(
        check, os.path.join(data_dir, "log-start-offset-checkpoint"),
        {(p.topic, p.partition): p.log_start for p in partitions})
    check.true(data_dir, ".kafka_cleanshutdown written on close",
               os.path.exists(os.path.join(data_dir, ".kafka_cleanshutdown")))

    for failure in check.failures[:50]:
        print("MISMATCH:", failure)
    if check.failures:
        print("%d mismatches" % len(check.failures))
        return 1
    print("ok: rill read the %s kafka-python directory %s" % (args.variant, data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
