#!/usr/bin/python3
"""kafka-python decodes segments the rill log cleaner rewrote.

`rill produce` writes keyed records (some tombstones, several codecs across
runs) into a topic with cleanup.policy=compact and small segments;
kafka-python decodes every `.log` (the "before" records); `rill compact`
cleans it; kafka-python decodes the segments again and checks:

  * every batch's CRC (validate_crc) and the file ends on a whole batch;
  * the records are exactly the survivors Kafka's rule gives, computed here
    from the "before" records: below the first dirty offset `rill compact
    --json` reports, each key's latest record of that section (tombstones
    included: delete.retention.ms has not passed); from it on, everything;
  * each survivor's offset, timestamp, key, value and headers are the ones
    it had before cleaning;
  * a cleaned batch that keeps a tombstone has the delete-horizon attribute
    bit (KIP-534, 0x40) and its firstTimestamp field holds a horizon later
    than every record's timestamp, while kafka-python's record timestamps
    stay the original ones;
  * some cleaned batches have gaps (lastOffsetDelta + 1 > record count);
  * `rill verify` passes on the cleaned topic.

Exit status: 0 all equal; 1 a mismatch (each printed); 77 (ctest: skipped)
when kafka-python is missing. Run with /usr/bin/python3.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

import kafka_or_skip  # noqa: F401 - exits 77 (skipped) without kafka-python.

from kafka.record.memory_records import MemoryRecords
import log_dir_checks as checks

TOPIC = "compacted"
DELETE_HORIZON_BIT = 0x40
# kafka-python's _header_data indices: attributes, lastOffsetDelta,
# firstTimestamp, recordsCount.
ATTRIBUTES, LAST_OFFSET_DELTA, FIRST_TIMESTAMP, RECORD_COUNT = 5, 6, 7, 12


def rill(binary, data_dir, *args, stdin=None):
    result = subprocess.run([binary, "--dir", data_dir, *args], input=stdin,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise SystemExit("rill %s: exit %d\n%s" % (" ".join(args), result.returncode,
                                                  result.stderr))
    return result.stdout


def decode(check, partition_dir):
    """Every batch of every segment: header fields and records."""
    batches = []
    for _, path in checks.segment_files(partition_dir):
        with open(path, "rb") as f:
            data = f.read()
        records = MemoryRecords(data)
        position = 0
        while records.has_next():
            batch = records.next_batch()
            if batch is None:
                break
            where = "%s batch at byte %d" % (path, position)
            check.true(where, "kafka-python's validate_crc() is False", batch.validate_crc())
            header = batch._header_data  # No public properties for these fields.
            batches.append({
                "where": where,
                "base_offset": batch.base_offset,
                "attributes": header[ATTRIBUTES],
                "last_offset_delta": header[LAST_OFFSET_DELTA],
                "first_timestamp": header[FIRST_TIMESTAMP],
                "record_count": header[RECORD_COUNT],
                "records": [{"offset": r.offset, "timestamp": r.timestamp, "key": r.key,
                             "value": r.value, "headers": list(r.headers)} for r in batch],
            })
            position += struct.unpack_from(">i", data, position + 8)[0] + 12
        check.equal(path, "bytes after the last whole batch", len(data) - position, 0)
    return batches


def produce(binary, data_dir, compression, start, count):
    lines = []
    for i in range(start, start + count):
        key = "key-%d" % (i * 7 % 23)
        lines.append("%s|%s" % (key, "NULL" if i % 11 == 5 else "value %d" % i))
    rill(binary, data_dir, "produce", TOPIC, "--key-separator", "|", "--null-value-marker", "NULL",
         "--compression", compression, "--linger-ms", "0", "--batch-size", "300",
         "--header", "origin=interop", "--config", "log.cleaner.threads=0", stdin="".join(l + "\n" for l in lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rill", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    data_dir = os.path.join(args.work_dir, "data")
    rill(args.rill, data_dir, "topics", "create", TOPIC, "--config", "cleanup.policy=compact",
         "--config", "segment.bytes=4096")
    start = 0
    for compression in ["none", "gzip", "none", "lz4", "zstd", "none"]:
        produce(args.rill, data_dir, compression, start, 150)
        start += 150
    check = checks.Checker()
    partition_dir = os.path.join(data_dir, TOPIC + "-0")
    before = [r for b in decode(check, partition_dir) for r in b["records"]]
    result = json.loads(rill(args.rill, data_dir, "--json", "compact", TOPIC))
    first_dirty = result["first_dirty_offset"]
    check.true("compact", "cleaned nothing: %r" % result, 0 < first_dirty < start)

    latest = {}
    for r in before:
        if r["offset"] < first_dirty:
            latest[r["key"]] = r["offset"]
    keep = set(latest.values())
    want = [r for r in before if r["offset"] in keep or r["offset"] >= first_dirty]

    after_batches = decode(check, partition_dir)
    got = [r for b in after_batches for r in b["records"]]
    check.equal("cleaned log", "offsets", [r["offset"] for r in got], [r["offset"] for r in want])
    for g, w in zip(got, want):
        check.equal("record at %d" % w["offset"], "record", g, w)

    tombstone_batches = gaps = 0
    for b in after_batches:
        if b["base_offset"] >= first_dirty:
            continue
        if b["last_offset_delta"] + 1 > b["record_count"]:
            gaps += 1
        if any(r["value"] is None for r in b["records"]):
            tombstone_batches += 1
            check.true(b["where"], "a kept tombstone without the delete-horizon bit",
                       b["attributes"] & DELETE_HORIZON_BIT)
            check.true(b["where"], "delete horizon %d not after the records' timestamps"
                       % b["first_timestamp"],
                       all(b["first_timestamp"] > r["timestamp"] for r in b["records"]))
    check.true("cleaned log", "no cleaned batch keeps a tombstone", tombstone_batches > 0)
    check.true("cleaned log", "no cleaned batch has a gap", gaps > 0)

    verify = subprocess.run([args.rill, "--dir", data_dir, "verify", "--json"],
                            capture_output=True, text=True, timeout=120)
    check.equal("rill verify", "exit status", verify.returncode, 0)
    for line in verify.stdout.splitlines():
        obj = json.loads(line)
        check.true("rill verify", "not ok: %s" % line, obj["ok"] and not obj["problems"])

    for failure in check.failures:
        print("FAILED:", failure)
    if check.failures:
        return 1
    print("ok: kafka-python decodes the %d survivors of %d records (%d batches keep tombstones "
          "with a delete horizon, %d have gaps)" % (len(got), len(before), tombstone_batches, gaps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
