#!/usr/bin/python3
"""kafka-python and struct read a data directory rill wrote.

Runs `rill_interop_log_writer write` (rill's LogManager writes topic
"interop", partitions 0 and 1, several segments each, every codec, then
closes cleanly) and checks the directory independently of rill:

- every `.log` decodes with kafka-python's MemoryRecords, validate_crc() is
  True for every batch, batches and records have contiguous offsets, and the
  records (offset, timestamp, key, value, headers) and batches (offsets,
  codec, max timestamp) are the ones the writer's JSON expects;
- every file name is the 20-digit base offset of its first batch;
- every `.index` / `.timeindex` parses with struct into whole entries,
  trimmed (no preallocated tail), increasing, pointing at real batches, and
  equal to what Kafka's index.interval.bytes rule gives for those batches;
- recovery-point-offset-checkpoint and log-start-offset-checkpoint are in
  Kafka's text format with the right offsets, each partition's
  leader-epoch-checkpoint is "0\\n1\\n0 0\\n", and .kafka_cleanshutdown exists.

Exit status: 0 all equal; 1 a mismatch (each one printed); 77 (ctest:
skipped) when kafka-python or a codec module is missing. Run with
/usr/bin/python3.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from kafka_or_skip import require_codecs

import log_dir_checks as checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writer", required=True, help="rill_interop_log_writer")
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()

    require_codecs(["snappy", "lz4", "zstd"])

    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    data_dir = os.path.join(args.work_dir, "data")
    expected_path = os.path.join(args.work_dir, "expected.json")
    subprocess.run([args.writer, "write", data_dir, expected_path], check=True)
    with open(expected_path) as f:
        expected = json.load(f)

    check = checks.Checker()
    recovery_points, log_starts = {}, {}
    for want in expected["partitions"]:
        topic, partition = want["topic"], want["partition"]
        partition_dir = os.path.join(data_dir, "%s-%d" % (topic, partition))
        segments, records = checks.check_partition_dir(check, partition_dir,
                                                       want["index_interval_bytes"])
        where = "%s-%d" % (topic, partition)
        check.equal(where, "segment count", len(segments), want["segments"])
        check.true(where, "several segments", len(segments) >= 5)
        check.equal(where, "record count", len(records), len(want["records"]))
        for got, exp in zip(records, want["records"]):
            check.equal(where, "record at offset %d" % exp["offset"], got, exp)
        batches = []
        for _, path in segments:
            batches.extend(checks.decode_segment(checks.Checker(), path))
        got_batches = [{"base_offset": b["base_offset"], "last_offset": b["last_offset"],
                        "codec": b["codec"], "max_timestamp": b["max_timestamp"],
                        "size": b["size"]} for b in batches]
        check.equal(where, "batches", got_batches, want["batches"])
        check.equal(where, "codecs used", sorted({b["codec"] for b in batches}), [0, 1, 2, 3, 4])
        epochs = os.path.join(partition_dir, "leader-epoch-checkpoint")
        check.equal(epochs, "text", checks.read_checkpoint(epochs), "0\n1\n0 0\n")
        recovery_points[(topic, partition)] = want["log_end_offset"]
        log_starts[(topic, partition)] = want["log_start_offset"]

    checks.check_offset_checkpoint(
        check, os.path.join(data_dir, "recovery-point-offset-checkpoint"), recovery_points)
    checks.check_offset_checkpoint(
        check, os.path.join(data_dir, "log-start-offset-checkpoint"), log_starts)
    check.true(data_dir, ".kafka_cleanshutdown exists",
               os.path.exists(os.path.join(data_dir, ".kafka_cleanshutdown")))

    for failure in check.failures[:50]:
        print("MISMATCH:", failure)
    if check.failures:
        print("%d mismatches" % len(check.failures))
        return 1
    print("ok: %d partitions of %s checked by kafka-python and struct" %
          (len(expected["partitions"]), data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
