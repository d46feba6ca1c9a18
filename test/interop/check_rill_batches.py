#!/usr/bin/python3
"""kafka-python reads the batches rill writes.

Runs rill_interop_writer for one codec (a .log-like file of batches plus a
JSON description of what it wrote), then reads the file with kafka-python's
MemoryRecords (Debian's python3-kafka 2.0.2, an independent implementation of
RecordBatch v2) and checks, for every batch, that validate_crc() is True and
that the header fields and every record (offset, timestamp, key, value,
headers) are the ones the writer meant to write. kafka-python has no public
properties for partitionLeaderEpoch, producerId, producerEpoch, baseSequence
and recordsCount; they come from its `_header_data` tuple (indices 2, 9, 10,
11, 12; see kafka-reference.md section 13).

With --rill it also runs `rill dump FILE --records --json` on the same file
and checks that its JSON (cli.md's lossless form) decodes back to the same
bytes, batch fields and COMMIT marker.

Exit status: 0 all equal; 1 a mismatch (each one printed); 77 (ctest: skipped)
when kafka-python or a codec module is not installed. Run with /usr/bin/python3.
"""

import argparse
import base64
import json
import os
import subprocess
import sys

from kafka_or_skip import require_codecs

from kafka.record.memory_records import MemoryRecords

CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

# kafka-python's _header_data indices for the fields without a property.
PARTITION_LEADER_EPOCH = 2
PRODUCER_ID = 9
PRODUCER_EPOCH = 10
BASE_SEQUENCE = 11
RECORD_COUNT = 12

DELETE_HORIZON_BIT = 0x40


def unb64(value):
    return None if value is None else base64.b64decode(value)


class Checker:
    def __init__(self):
        self.failures = []

    def equal(self, where, what, actual, expected):
        if actual != expected:
            self.failures.append("%s: %s is %r, expected %r" % (where, what, actual, expected))

    def true(self, where, what, condition):
        if not condition:
            self.failures.append("%s: %s" % (where, what))


def check_header(check, where, batch, want):
    header = batch._header_data  # No public properties for some fields.
    check.equal(where, "base_offset", batch.base_offset, want["base_offset"])
    check.equal(where, "magic", batch.magic, want["magic"])
    check.equal(where, "compression_type", batch.compression_type, want["compression"])
    check.equal(where, "timestamp_type", batch.timestamp_type, want["timestamp_type"])
    check.equal(where, "is_transactional", batch.is_transactional, want["is_transactional"])
    check.equal(where, "is_control_batch", batch.is_control_batch, want["is_control"])
    check.equal(where, "delete horizon bit", bool(batch.attributes & DELETE_HORIZON_BIT),
                want["has_delete_horizon"])
    check.equal(where, "last_offset_delta", batch.last_offset_delta, want["last_offset_delta"])
    check.equal(where, "first_timestamp", batch.first_timestamp, want["first_timestamp"])
    check.equal(where, "max_timestamp", batch.max_timestamp, want["max_timestamp"])
    check.equal(where, "partitionLeaderEpoch", header[PARTITION_LEADER_EPOCH],
                want["partition_leader_epoch"])
    check.equal(where, "producerId", header[PRODUCER_ID], want["producer_id"])
    check.equal(where, "producerEpoch", header[PRODUCER_EPOCH], want["producer_epoch"])
    check.equal(where, "baseSequence", header[BASE_SEQUENCE], want["base_sequence"])
    check.equal(where, "recordsCount", header[RECORD_COUNT], want["record_count"])


def check_records(check, where, batch, want):
    try:
        records = list(batch)
    except Exception as e:  # kafka-python raises CorruptRecordException and codec errors
        check.failures.append("%s: kafka-python cannot read the records: %r" % (where, e))
        return
    check.equal(where, "number of records", len(records), len(want["records"]))
    for record, expected in zip(records, want["records"]):
        at = "%s record at offset %d" % (where, expected["offset"])
        check.equal(at, "offset", record.offset, expected["offset"])
        check.equal(at, "timestamp", record.timestamp, expected["timestamp"])
        check.equal(at, "timestamp_type", record.timestamp_type, want["timestamp_type"])
        check.equal(at, "key", record.key, unb64(expected["key"]))
        check.equal(at, "value", record.value, unb64(expected["value"]))
        headers = [(key.encode("utf-8"), value) for key, value in record.headers]
        expected_headers = [(unb64(key), unb64(value)) for key, value in expected["headers"]]
        check.equal(at, "headers", headers, expected_headers)


def check_file(log_path, expected):
    check = Checker()
    with open(log_path, "rb") as f:
        data = f.read()
    records = MemoryRecords(data)
    batches = []
    while records.has_next():
        batches.append(records.next_batch())
    check.equal(log_path, "valid bytes", records.valid_bytes(), len(data))
    check.equal(log_path, "number of batches", len(batches), len(expected["batches"]))
    for batch, want in zip(batches, expected["batches"]):
        where = "%s: %s batch at byte %d (base offset %d)" % (
            log_path, expected["codec"], want["position"], want["base_offset"])
        # validate_crc() must come before iterating (kafka-python asserts so).
        check.true(where, "validate_crc() is False", batch.validate_crc())
        check_header(check, where, batch, want)
        check_records(check, where, batch, want)
    return check.failures


def from_json_bytes(value):
    """Inverts spec/cli.md's encoding: string -> UTF-8, {"base64": ...} -> bytes."""
    if value is None or isinstance(value, str):
        return None if value is None else value.encode("utf-8")
    return base64.b64decode(value["base64"])


def check_rill_dump(rill, log_path, expected):
    """`rill dump --records --json` reads back exactly what the writer meant."""
    check = Checker()
    result = subprocess.run([rill, "dump", log_path, "--records", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    where = "rill dump %s" % log_path
    check.equal(where, "exit status", result.returncode, 0)
    check.equal(where, "stderr", result.stderr, b"")
    lines = [json.loads(l) for l in result.stdout.decode("utf-8").splitlines()]
    batches = [l for l in lines if "base_offset" in l]
    records = [l for l in lines if "offset" in l]
    check.equal(where, "number of batches", len(batches), len(expected["batches"]))
    names = dict((v, k) for k, v in CODEC_IDS.items())
    for got, want in zip(batches, expected["batches"]):
        at = "%s: batch at byte %d" % (where, want["position"])
        check.equal(at, "position", got["position"], want["position"])
        check.equal(at, "size_bytes", got["size_bytes"], want["size_bytes"])
        check.equal(at, "crc_valid", got["crc_valid"], True)
        check.equal(at, "compression", got["compression"], names[want["compression"]])
        check.equal(at, "last_offset", got["last_offset"],
                    want["base_offset"] + want["last_offset_delta"])
        for field in ("base_offset", "record_count", "max_timestamp", "producer_id",
                      "producer_epoch", "base_sequence", "partition_leader_epoch",
                      "is_transactional", "is_control"):
            check.equal(at, field, got[field], want[field])
        check.equal(at, "delete_horizon_ms", got["delete_horizon_ms"],
                    want["first_timestamp"] if want["has_delete_horizon"] else None)
    wanted = [(b, r) for b in expected["batches"] for r in b["records"]]
    check.equal(where, "number of records", len(records), len(wanted))
    for got, (batch, want) in zip(records, wanted):
        at = "%s: record at offset %d" % (where, want["offset"])
        check.equal(at, "offset", got["offset"], want["offset"])
        check.equal(at, "timestamp", got["timestamp"], want["timestamp"])
        check.equal(at, "timestamp_type", got["timestamp_type"],
                    "log_append" if batch["timestamp_type"] else "create")
        if batch["is_control"]:
            check.equal(at, "control marker", (got.get("control_type"), got.get("coordinator_epoch")),
                        ("COMMIT", 9))
            continue
        check.equal(at, "key", from_json_bytes(got["key"]), unb64(want["key"]))
        check.equal(at, "value", from_json_bytes(got["value"]), unb64(want["value"]))
        check.equal(at, "headers",
                    [(from_json_bytes(h["key"]), from_json_bytes(h["value"])) for h in got["headers"]],
                    [(unb64(k), unb64(v)) for k, v in want["headers"]])
    return check.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writer", required=True, help="the rill_interop_writer binary")
    parser.add_argument("--codec", required=True, choices=sorted(CODEC_IDS))
    parser.add_argument("--work-dir", required=True, help="where to write the files")
    parser.add_argument("--rill", help="the rill binary: also check `rill dump` on the file")
    args = parser.parse_args()

    require_codecs([args.codec])
    os.makedirs(args.work_dir, exist_ok=True)
    log_path = os.path.join(args.work_dir, "00000000000000000000.log")
    json_path = os.path.join(args.work_dir, "expected.json")
    subprocess.run([args.writer, args.codec, log_path, json_path], check=True)
    with open(json_path, encoding="utf-8") as f:
        expected = json.load(f)

    failures = check_file(log_path, expected)
    if args.rill:
        failures += check_rill_dump(args.rill, log_path, expected)
    for failure in failures:
        print("MISMATCH " + failure)
    if failures:
        return 1
    total = sum(len(b["records"]) for b in expected["batches"])
    print("ok: kafka-python%s read %d %s batches (%d records) rill wrote; every CRC valid, "
          "every field and record equal" % (" and rill dump" if args.rill else "",
                                            len(expected["batches"]), args.codec, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
