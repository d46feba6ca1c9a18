#!/usr/bin/python3
"""kafka-python reads a data directory `rill produce` wrote.

For every codec (none, gzip, snappy, lz4, zstd) it creates a topic with
three partitions (`rill topics create`) and pipes records into
`rill --json produce TOPIC --compression CODEC --print-offsets`: UTF-8, binary,
empty and null keys; UTF-8, binary, empty, large and null values; headers with
UTF-8, binary and null values; records with and without an explicit
partition and timestamp. A second topic gets text input
(--key-separator, --null-value-marker, --header). Then, with no rill code
involved, every `.log` is decoded with kafka-python's MemoryRecords (Debian's
python3-kafka 2.0.2) and each record must sit at the partition and offset
`--print-offsets` reported, with exactly the key, value, headers (and given
timestamp) of its input line, in batches of the asked codec with valid CRCs;
nothing else may be in the logs.

Exit status: 0 all equal; 1 a mismatch (each one printed); 77 (ctest:
skipped) when kafka-python or a codec module is missing. Run with
/usr/bin/python3.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys

from kafka_or_skip import require_codecs

import log_dir_checks as checks

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
PARTITIONS = 3
BASE_TIME = 1700000000000


def as_json(data):
    """cli.md's JSON form of bytes: a string when UTF-8, else base64."""
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def b64(data):
    return None if data is None else base64.b64encode(data).decode("ascii")


def json_records():
    """(input line object, expected record) pairs for --json input."""
    keys = [b"user-7", b"\x00\xff\xfe", b"", None, "clé".encode("utf-8")]
    values = [b"hello", b"\x80\x81binary", b"", None, b"x" * 20000, "naïve ✓".encode("utf-8")]
    out = []
    for i in range(60):
        key = keys[i % len(keys)]
        value = values[i % len(values)]
        headers = []
        if i % 3 == 0:
            headers.append((b"trace", ("t-%d" % i).encode("ascii")))
        if i % 4 == 0:
            headers.append((b"bin", b"\x00\x01\xff"))
        if i % 5 == 0:
            headers.append((b"none", None))
        line = {"key": as_json(key), "value": as_json(value),
                "headers": [{"key": as_json(k), "value": as_json(v)} for k, v in headers]}
        expected = {"key": b64(key), "value": b64(value),
                    "headers": [[b64(k), b64(v)] for k, v in headers]}
        if i % 2 == 0:
            line["partition"] = expected["partition"] = i % PARTITIONS
        if i % 7 == 0:
            line["timestamp"] = expected["timestamp"] = BASE_TIME + i
        out.append((json.dumps(line), expected))
    return out


def text_records():
    """(input line, expected record) pairs for text input with
    --key-separator '|' --null-value-marker NULL --header app=rill --header flag."""
    headers = [[b64(b"app"), b64(b"rill")], [b64(b"flag"), None]]
    out = []
    for i in range(30):
        key = ("k%d" % (i % 4)).encode("ascii")
        value = None if i % 6 == 5 else ("value %d | with bar" % i).encode("ascii")
        line = key.decode() + "|" + ("NULL" if value is None else value.decode())
        out.append((line, {"key": b64(key), "value": b64(value), "headers": headers}))
    return out


class Run:
    def __init__(self, rill, data_dir):
        self.rill = rill
        self.data_dir = data_dir

    def __call__(self, *args, stdin=None):
        result = subprocess.run([self.rill, "--dir", self.data_dir, *args], input=stdin,
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise SystemExit("rill %s: exit %d\n%s" % (" ".join(args), result.returncode,
                                                      result.stderr))
        return result.stdout


def produce(run, topic, records, flags, json_input):
    """Runs rill produce; returns {line number: (partition, offset)}."""
    stdin = "".join(line + "\n" for line, _ in records)
    args = (["--json"] if json_input else []) + ["produce", topic, "--print-offsets"] + flags
    acks = {}
    for line in run(*args, stdin=stdin).splitlines():
        if json_input:
            ack = json.loads(line)
            acks[ack["line"]] = (ack["partition"], ack["offset"])
        else:
            number, partition, offset = map(int, line.split())
            acks[number] = (partition, offset)
    return acks


def decode_topic(check, data_dir, topic):
    """(partition, offset) -> decoded record, and the codecs of its batches."""
    found, codecs = {}, set()
    for partition in range(PARTITIONS):
        pdir = os.path.join(data_dir, "%s-%d" % (topic, partition))
        for _, path in checks.segment_files(pdir):
            for batch in checks.decode_segment(check, path):
                codecs.add(batch["codec"])
                for record in batch["records"]:
                    found[(partition, record["offset"])] = record
    return found, codecs


def compare(check, topic, records, acks, found, codecs, codec):
    check.equal(topic, "acknowledged lines", sorted(acks), list(range(1, len(records) + 1)))
    check.equal(topic, "records in the logs", len(found), len(records))
    check.equal(topic, "batch codecs", codecs, {CODECS[codec]})
    for number, (_, want) in enumerate(records, start=1):
        where = "%s line %d" % (topic, number)
        if number not in acks:
            continue
        partition, offset = acks[number]
        if "partition" in want:
            check.equal(where, "partition", partition, want["partition"])
        got = found.get((partition, offset))
        if got is None:
            check.true(where, "no record at partition %d offset %d" % (partition, offset), False)
            continue
        for field in ("key", "value", "headers"):
            check.equal(where, field, got[field], want[field])
        if "timestamp" in want:
            check.equal(where, "timestamp", got["timestamp"], want["timestamp"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rill", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()
    require_codecs(["snappy", "lz4", "zstd"])

    shutil.rmtree(args.work_dir, ignore_errors=True)
    data_dir = os.path.join(args.work_dir, "data")
    run = Run(args.rill, data_dir)
    check = checks.Checker()
    for codec in CODECS:
        topic = "json-" + codec
        run("topics", "create", topic, "--partitions", str(PARTITIONS))
        records = json_records()
        acks = produce(run, topic, records, ["--compression", codec, "--linger-ms", "20"],
                       json_input=True)
        found, codecs = decode_topic(check, data_dir, topic)
        compare(check, topic, records, acks, found, codecs, codec)
    run("topics", "create", "text", "--partitions", str(PARTITIONS))
    records = text_records()
    acks = produce(run, "text", records,
                   ["--compression", "gzip", "--key-separator", "|", "--null-value-marker",
                    "NULL", "--header", "app=rill", "--header", "flag"], json_input=False)
    found, codecs = decode_topic(check, data_dir, "text")
    compare(check, "text", records, acks, found, codecs, "gzip")

    for failure in check.failures:
        print("FAILED:", failure)
    if check.failures:
        return 1
    print("ok: kafka-python decodes what rill produce wrote (%s codecs, text and JSON input)"
          % len(CODECS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
