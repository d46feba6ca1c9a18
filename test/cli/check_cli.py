#!/usr/bin/python3
"""Checks the `rill` tool end to end: `rill verify` and `rill dump` on a data
directory written by rill (rill_cli_data_writer) and on damaged copies of it;
`rill topics` and `rill produce` on fresh directories of their own.

    check_cli.py --rill RILL --writer WRITER --work DIR CASE

`write_data_dir` writes DIR/data; the verify and dump cases read it (or a copy
they damage under DIR/CASE). Index entries and batch headers are also parsed
here, independently of rill, to check what rill prints against the bytes. The
topics and produce cases check what produce acknowledged against what
`rill dump --records --json` finds in the log.
"""

import argparse
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import time

SUMMARY = re.compile(
    r"^(?P<topic>\S+)-(?P<partition>\d+): (?P<segments>\d+) segments, (?P<batches>\d+) batches, "
    r"(?P<records>\d+) records, (?P<bytes>\d+) bytes, offsets \[(?P<start>\d+), (?P<end>\d+)\): "
    r"(?P<result>.*)$")

# What rill_cli_data_writer writes: (topic, partition) -> batches of 3 records.
EXPECTED_BATCHES = {("events-log", 0): 10, ("orders", 0): 40, ("orders", 1): 25}
RECORDS_PER_BATCH = 3
PARTITION_ORDER = ["events-log-0", "orders-0", "orders-1"]
JSON_FIELDS = ["topic", "partition", "segments", "batches", "records", "bytes",
               "log_start_offset", "log_end_offset", "ok", "problems", "warnings"]


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Context:
    def __init__(self, args):
        self.rill = args.rill
        self.writer = args.writer
        self.work = os.path.abspath(args.work)
        self.data = os.path.join(self.work, "data")

    def run(self, *args, expect=0, env=None, stdin=None):
        """Runs rill with `args`; returns (stdout, stderr) after checking the exit code."""
        result = subprocess.run([self.rill, *args], capture_output=True, text=True,
                                env=env, timeout=60, input=stdin)
        check(result.returncode == expect,
              f"rill {' '.join(args)}: exit {result.returncode}, expected {expect}\n"
              f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr}")
        return result.stdout, result.stderr

    def fresh(self, name):
        """The path of a new, not yet existing directory for a case."""
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(self.work, exist_ok=True)
        return path

    def copy(self, name):
        """A fresh copy of the data directory to damage."""
        path = os.path.join(self.work, name)
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(self.data, path)
        return path


# --- Kafka's formats, parsed independently of rill -------------------------

def read_batches(log_path):
    """The batch headers of a .log file (RecordBatch v2)."""
    with open(log_path, "rb") as f:
        data = f.read()
    batches, position = [], 0
    while position + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, position)
        if length < 14:
            break
        last_delta, = struct.unpack_from(">i", data, position + 23)
        max_ts, = struct.unpack_from(">q", data, position + 35)
        count, = struct.unpack_from(">i", data, position + 57)
        batches.append({"position": position, "size": length + 12, "base": base,
                        "last": base + last_delta, "max_ts": max_ts, "count": count})
        position += length + 12
    return batches


def read_offset_index(path):
    with open(path, "rb") as f:
        data = f.read()
    return [struct.unpack_from(">iI", data, i) for i in range(0, len(data), 8)]


def read_time_index(path):
    with open(path, "rb") as f:
        data = f.read()
    return [struct.unpack_from(">qi", data, i) for i in range(0, len(data), 12)]


def segments(partition_dir):
    return sorted(os.path.join(partition_dir, n) for n in os.listdir(partition_dir)
                  if n.endswith(".log"))


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


def summaries(stdout):
    """partition name -> summary match, in output order."""
    found = {}
    for line in stdout.splitlines():
        m = SUMMARY.match(line)
        if m:
            found[f"{m['topic']}-{m['partition']}"] = m
    return found


def flip_byte(path, position):
    with open(path, "r+b") as f:
        f.seek(position)
        byte = f.read(1)
        f.seek(position)
        f.write(bytes([byte[0] ^ 0xFF]))


def patch(path, position, data):
    with open(path, "r+b") as f:
        f.seek(position)
        f.write(data)


# --- cases ------------------------------------------------------------------

CASES = {}


def case(function):
    CASES[function.__name__] = function
    return function


@case
def write_data_dir(ctx):
    shutil.rmtree(ctx.data, ignore_errors=True)
    os.makedirs(ctx.work, exist_ok=True)
    result = subprocess.run([ctx.writer, ctx.data], capture_output=True, text=True, timeout=60)
    check(result.returncode == 0, f"writer failed: {result.stderr}")
    for name in PARTITION_ORDER:
        check(len(segments(os.path.join(ctx.data, name))) > 1, f"{name}: expected several segments")


def check_clean_summaries(ctx, stdout):
    found = summaries(stdout)
    check(list(found) == PARTITION_ORDER, f"partitions {list(found)} in stdout:\n{stdout}")
    for (topic, partition), batches in EXPECTED_BATCHES.items():
        m = found[f"{topic}-{partition}"]
        pdir = os.path.join(ctx.data, f"{topic}-{partition}")
        logs = segments(pdir)
        records = batches * RECORDS_PER_BATCH
        expected = {"segments": len(logs), "batches": batches, "records": records,
                    "bytes": sum(os.path.getsize(p) for p in logs), "start": 0, "end": records}
        for field, value in expected.items():
            check(int(m[field]) == value, f"{topic}-{partition} {field}: {m[field]} != {value}")
        check(m["result"] == "OK", f"{topic}-{partition}: {m['result']}")
    check("warning" not in stdout, f"a clean directory has no warnings:\n{stdout}")


@case
def verify_clean_dir(ctx):
    stdout, _ = ctx.run("--dir", ctx.data, "verify")
    check_clean_summaries(ctx, stdout)
    # $RILL_DIR is the default --dir.
    stdout, _ = ctx.run("verify", env=dict(os.environ, RILL_DIR=ctx.data))
    check_clean_summaries(ctx, stdout)
    stdout, _ = ctx.run("--dir", ctx.data, "verify", "--json")
    objects = json_lines(stdout)
    check(len(objects) == 3, f"one object per partition:\n{stdout}")
    for obj, name in zip(objects, PARTITION_ORDER):
        check(list(obj) == JSON_FIELDS, f"fields {list(obj)}")
        check(f"{obj['topic']}-{obj['partition']}" == name, f"order: {obj}")
        check(obj["ok"] is True and obj["problems"] == [] and obj["warnings"] == [], f"{obj}")
        batches = EXPECTED_BATCHES[(obj["topic"], obj["partition"])]
        check(obj["batches"] == batches and obj["records"] == 3 * batches, f"{obj}")
        check(obj["log_start_offset"] == 0 and obj["log_end_offset"] == 3 * batches, f"{obj}")


@case
def verify_selected_topics(ctx):
    stdout, _ = ctx.run("--dir", ctx.data, "verify", "orders")
    check(list(summaries(stdout)) == ["orders-0", "orders-1"], stdout)
    stdout, stderr = ctx.run("--dir", ctx.data, "verify", "orders", "nope", expect=1)
    check(list(summaries(stdout)) == ["orders-0", "orders-1"], stdout)
    check(stderr.startswith("rill: verify: topic nope: no <topic>-<partition> directories in"),
          stderr)


@case
def verify_missing_dir(ctx):
    missing = os.path.join(ctx.work, "verify_missing_dir", "none")
    _, stderr = ctx.run("--dir", missing, "verify", expect=1)
    check(stderr == f"rill: {missing}: no such data directory (set --dir or $RILL_DIR)\n", stderr)
    check(not os.path.exists(missing), "verify must not create the directory")


@case
def dump_data_dir(ctx):
    stdout, _ = ctx.run("dump", ctx.data, "--json")
    objects = json_lines(stdout)
    batches = [o for o in objects if "base_offset" in o]
    # Partitions in topic, then partition order; segments in offset order.
    files = []
    for o in batches:
        if not files or files[-1] != o["file"]:
            files.append(o["file"])
    expected_files = [p for name in PARTITION_ORDER
                      for p in segments(os.path.join(ctx.data, name))]
    check(files == expected_files, f"segment order {files}")
    check(len(batches) == sum(EXPECTED_BATCHES.values()), f"{len(batches)} batches")
    check(all(o["crc_valid"] for o in batches), "every CRC is valid")
    # Then the data directory's checkpoints.
    tail = objects[len(objects) - 6:]
    check([o.get("checkpoint") for o in tail] ==
          ["recovery-point-offset-checkpoint"] * 3 + ["log-start-offset-checkpoint"] * 3,
          f"checkpoints last: {tail}")
    ends = {(o["topic"], o["partition"]): o["offset"] for o in tail[:3]}
    check(ends == {tp: 3 * n for tp, n in EXPECTED_BATCHES.items()}, f"recovery points {ends}")
    stdout, _ = ctx.run("dump", ctx.data)
    dumping = [line[len("Dumping "):] for line in stdout.splitlines()
               if line.startswith("Dumping ")]
    check(dumping[-2:] == [os.path.join(ctx.data, "recovery-point-offset-checkpoint"),
                           os.path.join(ctx.data, "log-start-offset-checkpoint")], f"{dumping}")


@case
def dump_partition_dir(ctx):
    pdir = os.path.join(ctx.data, "orders-0")
    stdout, _ = ctx.run("dump", pdir, "--json")
    objects = json_lines(stdout)
    batches = [o for o in objects if "base_offset" in o]
    check([o["base_offset"] for o in batches] == list(range(0, 120, 3)), "contiguous offsets")
    epochs = [o for o in objects if o.get("checkpoint") == "leader-epoch-checkpoint"]
    check([(o["epoch"], o["start_offset"]) for o in epochs] == [(0, 0)], f"{epochs}")
    stdout, _ = ctx.run("dump", pdir, "--from", "100", "--json")
    check(min(o["last_offset"] for o in json_lines(stdout) if "base_offset" in o) >= 100, "--from")


def check_index_lines(stdout, expected):
    lines = [line for line in stdout.splitlines() if not line.startswith("Dumping ")]
    check(lines == expected, f"printed:\n{stdout}\nexpected:\n" + "\n".join(expected))


@case
def dump_index(ctx):
    pdir = os.path.join(ctx.data, "orders-0")
    for log in segments(pdir):
        index = log[:-len(".log")] + ".index"
        base = int(os.path.basename(log)[:20])
        entries = read_offset_index(index)
        stdout, _ = ctx.run("dump", index)
        check_index_lines(stdout, [f"offset: {base + rel} relativeOffset: {rel} position: {pos}"
                                   for rel, pos in entries])
        # Independently of rill: each entry is a batch start whose last offset it names.
        starts = {b["position"]: b for b in read_batches(log)}
        for rel, pos in entries:
            check(pos in starts and starts[pos]["last"] == base + rel, f"{index}: ({rel}, {pos})")
    index = os.path.join(pdir, "00000000000000000018.index")
    stdout, _ = ctx.run("dump", index, "--json")
    objects = json_lines(stdout)
    check([(o["relative_offset"], o["position"]) for o in objects] == read_offset_index(index),
          stdout)
    check(all(o["offset"] == 18 + o["relative_offset"] and o["file"] == index for o in objects),
          stdout)


@case
def dump_timeindex(ctx):
    pdir = os.path.join(ctx.data, "orders-1")
    for log in segments(pdir):
        index = log[:-len(".log")] + ".timeindex"
        base = int(os.path.basename(log)[:20])
        entries = read_time_index(index)
        stdout, _ = ctx.run("dump", index)
        check_index_lines(stdout, [f"timestamp: {ts} offset: {base + rel} relativeOffset: {rel}"
                                   for ts, rel in entries])
        batches = read_batches(log)
        for ts, rel in entries:
            holder = [b for b in batches if b["base"] <= base + rel <= b["last"]]
            check(len(holder) == 1 and holder[0]["max_ts"] == ts, f"{index}: ({ts}, {rel})")
    stdout, _ = ctx.run("dump", os.path.join(pdir, "00000000000000000000.timeindex"), "--json")
    check(all(set(o) == {"entry", "timestamp", "offset", "relative_offset", "file"}
              for o in json_lines(stdout)), stdout)


@case
def dump_deep(ctx):
    stdout, _ = ctx.run("dump", ctx.data, "--deep")
    checks = [line for line in stdout.splitlines() if line.startswith("index check: ")]
    check(len(checks) == sum(len(segments(os.path.join(ctx.data, n))) for n in PARTITION_ORDER),
          f"one index check per segment:\n{stdout}")
    check(all(line.endswith(": consistent with the log") for line in checks), "\n".join(checks))
    base = os.path.join(ctx.data, "orders-0", "00000000000000000036")
    for suffix in (".index", ".timeindex"):
        stdout, _ = ctx.run("dump", base + suffix, "--deep")
        check(f"index check: {base}{suffix}: " in stdout and
              stdout.rstrip().endswith(f"entries consistent with {base}.log"), stdout)


@case
def damaged_batch(ctx):
    data = ctx.copy("damaged_batch")
    log = os.path.join(data, "orders-0", "00000000000000000018.log")
    batch = read_batches(log)[1]
    flip_byte(log, batch["position"] + 61 + 5)  # Inside the records: only the CRC tells.
    where = f"{log}: batch at byte {batch['position']}: "
    stdout, stderr = ctx.run("--dir", data, "verify", expect=1)
    found = summaries(stdout)
    check(list(found) == PARTITION_ORDER, stdout)
    check(found["orders-0"]["result"].startswith(f"FAILED: {where}"), stdout)
    check("CRC" in found["orders-0"]["result"], stdout)
    check(found["orders-1"]["result"] == "OK" and found["events-log-0"]["result"] == "OK", stdout)
    check(stderr.startswith(f"rill: verify: 1 of 3 partitions in {data} have problems; the first: "
                            f"{where}"), stderr)
    stdout, _ = ctx.run("--dir", data, "verify", "--json", expect=1)
    bad = [o for o in json_lines(stdout) if not o["ok"]]
    check(len(bad) == 1 and bad[0]["problems"][0].startswith(where), stdout)
    _, stderr = ctx.run("dump", log, expect=1)
    check(stderr.startswith(f"rill: {where}"), stderr)


@case
def damaged_index(ctx):
    data = ctx.copy("damaged_index")
    index = os.path.join(data, "orders-0", "00000000000000000000.index")
    rel, pos = read_offset_index(index)[1]
    patch(index, 8 + 4, struct.pack(">I", pos + 1))  # Entry 1 now points inside its batch.
    where = f"{index}: entry 1 at byte 8 (offset {rel}, position {pos + 1}): position {pos + 1} " \
            f"is inside the batch at byte {pos}"
    ctx.run("dump", index)  # Still increasing: only --deep compares with the log.
    _, stderr = ctx.run("dump", index, "--deep", expect=1)
    check(stderr.startswith(f"rill: {where}"), stderr)
    _, stderr = ctx.run("dump", os.path.join(data, "orders-0"), "--deep", expect=1)
    check(stderr.startswith(f"rill: {where}"), stderr)
    stdout, stderr = ctx.run("--dir", data, "verify", expect=1)
    check(summaries(stdout)["orders-0"]["result"].startswith(f"FAILED: {where}"), stdout)
    check(where in stderr, stderr)
    # An entry that does not increase fails even a plain dump, after printing it.
    patch(index, 8, struct.pack(">iI", 0, 0))
    stdout, stderr = ctx.run("dump", index, expect=1)
    check(stdout.splitlines()[2] == "offset: 0 relativeOffset: 0 position: 0", stdout)
    check(stderr.startswith(f"rill: {index}: entry 1 at byte 8 (offset 0, position 0): "
                            "does not increase past entry 0"), stderr)


@case
def damaged_timeindex(ctx):
    data = ctx.copy("damaged_timeindex")
    index = os.path.join(data, "orders-1", "00000000000000000018.timeindex")
    entries = read_time_index(index)
    ts, rel = entries[1]
    # Still between its neighbours, so only the log shows it is wrong.
    patch(index, 12, struct.pack(">q", ts + 1))
    stdout, stderr = ctx.run("--dir", data, "verify", expect=1)
    result = summaries(stdout)["orders-1"]["result"]
    check(result.startswith(f"FAILED: {index}: entry 1 at byte 12 (timestamp {ts + 1}, offset "
                            f"{18 + rel}): ") and f"has max timestamp {ts}, not {ts + 1}" in result,
          stdout)
    _, stderr = ctx.run("dump", index, "--deep", expect=1)
    check(stderr.startswith(f"rill: {index}: entry 1 at byte 12"), stderr)


@case
def orphan_index(ctx):
    data = ctx.copy("orphan_index")
    pdir = os.path.join(data, "orders-1")
    orphan = os.path.join(pdir, "00000000000000099999.index")
    shutil.copy(os.path.join(pdir, "00000000000000000000.index"), orphan)
    stdout, stderr = ctx.run("--dir", data, "verify", expect=1)
    check(summaries(stdout)["orders-1"]["result"] ==
          f"FAILED: {orphan}: an index without its segment (00000000000000099999.log is missing)",
          stdout)
    check(orphan in stderr, stderr)


@case
def log_tails(ctx):
    data = ctx.copy("log_tails")
    pdir = os.path.join(data, "orders-1")
    logs = segments(pdir)
    last_size = os.path.getsize(logs[-1])
    with open(logs[-1], "ab") as f:
        f.write(bytes(4096))
    stdout, _ = ctx.run("--dir", data, "verify")
    check(summaries(stdout)["orders-1"]["result"] == "OK", stdout)
    check(f"  warning: {logs[-1]}: 4096 zero bytes at byte {last_size} after the last batch" in
          stdout, stdout)
    # A torn write: the start of a batch, cut off.
    with open(logs[0], "rb") as f:
        torn = f.read(40)
    with open(logs[-1], "r+b") as f:
        f.truncate(last_size)
        f.seek(last_size)
        f.write(torn)
    stdout, _ = ctx.run("--dir", data, "verify")
    check(f"  warning: {logs[-1]}: 40 bytes of an incomplete batch at byte {last_size}" in stdout,
          stdout)
    # Only the last segment may have a tail.
    first_size = os.path.getsize(logs[0])
    with open(logs[0], "ab") as f:
        f.write(bytes(100))
    stdout, _ = ctx.run("--dir", data, "verify", expect=1)
    check(summaries(stdout)["orders-1"]["result"].startswith(
        f"FAILED: {logs[0]}: 100 zero bytes at byte {first_size} after the last batch"), stdout)


@case
def torn_last_batch(ctx):
    """A broken last batch is a torn write only when the owner did not close the directory."""
    data = ctx.copy("torn_last_batch")
    pdir = os.path.join(data, "orders-1")
    log = segments(pdir)[-1]
    last = read_batches(log)[-1]
    flip_byte(log, last["position"] + 61 + 3)
    where = f"{log}: batch at byte {last['position']}: "
    stdout, _ = ctx.run("--dir", data, "verify", expect=1)
    check(summaries(stdout)["orders-1"]["result"].startswith(f"FAILED: {where}"), stdout)
    _, stderr = ctx.run("dump", pdir, expect=1)
    check(stderr.startswith(f"rill: {where}"), stderr)
    # Without the clean-shutdown marker the owner may be writing it, or crashed doing so...
    os.remove(os.path.join(data, ".kafka_cleanshutdown"))
    stdout, _ = ctx.run("--dir", data, "verify", expect=1)
    check("recovery point 75 is past the log end offset 72" in
          summaries(stdout)["orders-1"]["result"], stdout)
    # ... but not after it was flushed (the recovery point says so).
    with open(os.path.join(data, "recovery-point-offset-checkpoint"), "w") as f:
        f.write("0\n3\nevents-log 0 30\norders 0 120\norders 1 72\n")
    stdout, _ = ctx.run("--dir", data, "verify")
    check(summaries(stdout)["orders-1"]["result"] == "OK", stdout)
    check(f"  warning: {log}: {last['size']} bytes of an incomplete batch at byte "
          f"{last['position']} after the last complete batch" in stdout, stdout)
    stdout, _ = ctx.run("dump", pdir, "--deep")
    check(f"note: {log}: the batch at byte {last['position']} is being written" in stdout, stdout)
    # Earlier segments are no one's to write: damage there stays damage.
    first = segments(pdir)[0]
    flip_byte(first, read_batches(first)[-1]["position"] + 61 + 3)
    ctx.run("--dir", data, "verify", expect=1)


@case
def bad_checkpoints(ctx):
    data = ctx.copy("bad_checkpoints")
    recovery = os.path.join(data, "recovery-point-offset-checkpoint")
    with open(recovery, "w") as f:
        f.write("0\n3\nevents-log 0 30\norders 0 120\norders 1 999\n")
    stdout, _ = ctx.run("--dir", data, "verify", expect=1)
    check(summaries(stdout)["orders-1"]["result"] ==
          f"FAILED: {recovery}: orders-1: recovery point 999 is past the log end offset 75 "
          "(batches below it were flushed and are gone)", stdout)
    with open(recovery, "w") as f:
        f.write("0\n2\nevents-log 0 30\n")
    stdout, stderr = ctx.run("--dir", data, "verify", expect=1)
    check(f"{data}: FAILED: checkpoint {recovery} line 2: says 2 entries but has 1" in stdout,
          stdout)
    check(stderr.startswith(f"rill: verify: checkpoint {recovery} line 2"), stderr)
    _, stderr = ctx.run("dump", data, expect=1)
    check(stderr.startswith(f"rill: checkpoint {recovery} line 2"), stderr)
    os.remove(recovery)
    epochs = os.path.join(data, "orders-0", "leader-epoch-checkpoint")
    with open(epochs, "w") as f:
        f.write("0\n2\n3 10\n2 20\n")
    stdout, _ = ctx.run("--dir", data, "verify", expect=1)
    check(summaries(stdout)["orders-0"]["result"] ==
          f"FAILED: checkpoint {epochs} line 4: epoch 2 at offset 20 does not follow epoch 3 at "
          "offset 10", stdout)


@case
def live_dir(ctx):
    """A directory its owner holds open (and then abandons, as a crash would)."""
    live = os.path.join(ctx.work, "live_dir")
    shutil.rmtree(live, ignore_errors=True)
    owner = subprocess.Popen([ctx.writer, live, "--hold"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        check(owner.stdout.readline() == "ready\n", "the writer did not get ready")
        for state in ("held", "abandoned"):
            stdout, _ = ctx.run("--dir", live, "verify")
            found = summaries(stdout)
            check(list(found) == PARTITION_ORDER and
                  all(m["result"] == "OK" for m in found.values()), f"{state}:\n{stdout}")
            check(stdout.count("zero bytes at byte") == 3, f"{state}: a warning per active "
                  f"segment's preallocated tail:\n{stdout}")
            stdout, _ = ctx.run("dump", live, "--deep")
            check("preallocated zero bytes" in stdout, f"{state}:\n{stdout}")
            owner.stdin.close()
            owner.wait(timeout=30)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()

# --- topics and produce -----------------------------------------------------

DESCRIBE_FIELDS = ["topic", "partition", "log_start_offset", "log_end_offset", "high_watermark",
                   "segments", "size_bytes", "configs"]
PARTITION_LINE = re.compile(
    r"^\tPartition: (?P<partition>\d+)\tLogStartOffset: (?P<start>\d+)\t"
    r"LogEndOffset: (?P<end>\d+)\tHighWatermark: (?P<hw>\d+)\tSegments: (?P<segments>\d+)\t"
    r"SizeBytes: (?P<size>\d+)$")


def dumped_records(ctx, data, topic):
    """(partition, offset) -> record object, as `rill dump --records --json` prints it."""
    stdout, _ = ctx.run("dump", data, "--records", "--json")
    return {(o["partition"], o["offset"]): o for o in json_lines(stdout)
            if "key" in o and o.get("topic") == topic}


def parse_acks(stdout):
    """line number -> (partition, offset) from `--print-offsets` text lines."""
    acks = {}
    for line in stdout.splitlines():
        number, partition, offset = map(int, line.split())
        check(number not in acks, f"line {number} acknowledged twice")
        acks[number] = (partition, offset)
    return acks


def check_acks_match_log(ctx, data, topic, acks, want):
    """Each acknowledged line's record is at its (partition, offset) with
    want[line] = (key, value, headers) as JSON."""
    records = dumped_records(ctx, data, topic)
    for number, (partition, offset) in acks.items():
        record = records.get((partition, offset))
        check(record is not None, f"line {number}: nothing at {topic}-{partition} offset {offset}")
        key, value, headers = want[number]
        got = (record["key"], record["value"], record["headers"])
        check(got == (key, value, headers), f"line {number}: {got} != {(key, value, headers)}")
    return records


def topic_summaries(ctx, data, *flags):
    stdout, _ = ctx.run("--dir", data, *flags, "topics", "list", "--json")
    return {o["name"]: o for o in json_lines(stdout)}


@case
def topics_round_trip(ctx):
    data = os.path.join(ctx.fresh("topics_round_trip"), "nested", "data")
    stdout, _ = ctx.run("--dir", data, "topics", "create", "orders", "--partitions", "3",
                        "--config", "retention.ms=1000", "--config", "cleanup.policy=compact")
    check(stdout == "Created topic orders.\n", stdout)
    check(os.path.isdir(data), "create makes --dir")
    ctx.run("--dir", data, "topics", "create", "events")
    stdout, _ = ctx.run("--dir", data, "topics", "list")
    check(stdout == "events\norders\n", stdout)
    summaries_ = topic_summaries(ctx, data)
    check(summaries_["orders"] == {"name": "orders", "partitions": 3, "configs": {
        "cleanup.policy": "compact", "retention.ms": "1000"}}, f"{summaries_}")
    check(summaries_["events"] == {"name": "events", "partitions": 1, "configs": {}},
          f"{summaries_}")
    stdout, _ = ctx.run("--dir", data, "--json", "topics", "create", "more")
    check(json.loads(stdout) == {"name": "more", "partitions": 1, "configs": {}}, stdout)

    stdout, _ = ctx.run("--dir", data, "topics", "describe", "orders")
    lines = stdout.splitlines()
    check(re.match(r"^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\t"
                   r"ReplicationFactor: 1$", lines[0]), stdout)
    parts = [PARTITION_LINE.match(line) for line in lines[1:4]]
    check(all(parts) and [int(m["partition"]) for m in parts] == [0, 1, 2], stdout)
    check(all(m["start"] == m["end"] == m["hw"] == "0" and m["segments"] == "1" for m in parts),
          stdout)
    check(lines[4] == "Configs:" and "\tretention.ms=1000" in lines and
          "\tsegment.bytes=1073741824" in lines, stdout)

    ctx.run("--dir", data, "produce", "orders", "--partition", "1", stdin="a\nb\nc\n")
    stdout, _ = ctx.run("--dir", data, "topics", "describe", "orders", "--json")
    objects = json_lines(stdout)
    check([list(o) for o in objects] == [DESCRIBE_FIELDS] * 3, stdout)
    one = objects[1]
    check((one["topic"], one["partition"], one["log_start_offset"], one["log_end_offset"],
           one["high_watermark"], one["segments"]) == ("orders", 1, 0, 3, 3, 1), f"{one}")
    log = os.path.join(data, "orders-1", "00000000000000000000.log")
    check(one["size_bytes"] == os.path.getsize(log), f"{one} vs {os.path.getsize(log)}")
    check(one["configs"]["retention.ms"] == "1000" and
          one["configs"]["min.insync.replicas"] == "1" and len(one["configs"]) > 20, f"{one}")

    stdout, _ = ctx.run("--dir", data, "topics", "alter", "orders", "--config",
                        "retention.ms=5000", "--config", "segment.bytes=100000")
    check(stdout == "Altered topic orders: retention.ms=5000, segment.bytes=100000\n", stdout)
    check(topic_summaries(ctx, data)["orders"]["configs"] == {
        "cleanup.policy": "compact", "retention.ms": "5000", "segment.bytes": "100000"},
        "alter is incremental")
    stdout, _ = ctx.run("--dir", data, "topics", "delete", "orders")
    check(stdout == "Deleted topic orders.\n", stdout)
    check(not os.path.exists(os.path.join(data, "orders-1")), "delete removes the files")
    stdout, _ = ctx.run("--dir", data, "--json", "topics", "delete", "events")
    check(json.loads(stdout) == {"name": "events", "deleted": True}, stdout)
    stdout, _ = ctx.run("--dir", data, "topics", "list")
    check(stdout == "more\n", stdout)
    _, stderr = ctx.run("--dir", data, "topics", "describe", "orders", expect=1)
    check(stderr == "rill: topic orders: Topic 'orders' does not exist.\n", stderr)
    _, stderr = ctx.run("--dir", data, "topics", "delete", "orders", expect=1)
    check(stderr == "rill: topic orders: Topic 'orders' does not exist.\n", stderr)
    missing = os.path.join(ctx.work, "topics_round_trip", "none")
    _, stderr = ctx.run("--dir", missing, "topics", "list", expect=1)
    check(stderr == f"rill: {missing}: no such data directory (set --dir or $RILL_DIR)\n", stderr)
    check(not os.path.exists(missing), "list must not create the directory")


@case
def topics_bad_names(ctx):
    data = ctx.fresh("topics_bad_names")
    ctx.run("--dir", data, "topics", "create", "a.b")
    invalid = "Topic name is invalid: "
    long_name = "x" * 250
    cases = {
        "bad name": invalid + "'bad name' contains one or more characters other than ASCII "
                              "alphanumerics, '.', '_' and '-'",
        "": invalid + "the empty string is not allowed",  # Printed as "topic : ...".
        ".": invalid + "'.' is not allowed",
        "..": invalid + "'..' is not allowed",
        long_name: invalid + f"the length of '{long_name}' is longer than the max allowed "
                             "length 249",
        "__mine": invalid + "'__mine' starts with '__', reserved for internal topics",
        "a_b": "Topic 'a_b' collides with existing topic: a.b",
        "a.b": "Topic 'a.b' already exists.",
    }
    for name, why in cases.items():
        _, stderr = ctx.run("--dir", data, "topics", "create", name, expect=1)
        check(stderr == f"rill: topic {name}: {why}\n", stderr)
    stdout, _ = ctx.run("--dir", data, "topics", "list")
    check(stdout == "a.b\n", stdout)


@case
def topics_unknown_configs(ctx):
    data = ctx.fresh("topics_unknown_configs")
    _, stderr = ctx.run("--dir", data, "topics", "create", "t", "--config", "retention.mss=1",
                        expect=1)
    check(stderr == "rill: topic t: unknown topic config 'retention.mss'\n", stderr)
    _, stderr = ctx.run("--dir", data, "topics", "create", "t", "--config", "segment.bytes=big",
                        expect=1)
    check(stderr == "rill: topic t: invalid value 'big' for topic config segment.bytes: "
                    "expected an integer\n", stderr)
    _, stderr = ctx.run("--dir", data, "topics", "create", "t", "--config", "partitions=2",
                        expect=1)
    check(stderr == "rill: topic t: unknown topic config 'partitions' (use --partitions)\n",
          stderr)
    _, stderr = ctx.run("--dir", data, "topics", "create", "t", "--partitions", "0", expect=1)
    check(stderr.startswith("rill: topic t: invalid partitions 0"), stderr)
    ctx.run("--dir", data, "topics", "create", "t")
    _, stderr = ctx.run("--dir", data, "topics", "alter", "t", "--config", "nope=1", expect=1)
    check(stderr == "rill: topic t: unknown topic config 'nope'\n", stderr)
    check(topic_summaries(ctx, data)["t"]["configs"] == {}, "a refused alter changes nothing")
    _, stderr = ctx.run("--dir", data, "topics", "alter", "missing", "--config", "retention.ms=1",
                        expect=1)
    check(stderr == "rill: topic missing: Topic 'missing' does not exist.\n", stderr)
    config = os.path.join(data, "..", "topics_unknown_configs.properties")
    with open(config, "w") as f:
        f.write("# broker\nnum.partitions=2\n\nlog.retention.mins=5\n")
    _, stderr = ctx.run("--dir", data, "--config-file", config, "topics", "list", expect=1)
    check(stderr == f"rill: {config} line 4: unknown config 'log.retention.mins': neither a "
                    "broker, producer nor consumer config (Kafka's names; see docs/cli.md)\n",
          stderr)
    with open(config, "w") as f:
        f.write("log.segment.bytes=huge\n")
    _, stderr = ctx.run("--dir", data, "--config-file", config, "topics", "list", expect=1)
    check(stderr.startswith(f"rill: {config} line 1: invalid value 'huge' for "), stderr)
    _, stderr = ctx.run("--dir", data, "--config-file", config + ".none", "topics", "list",
                        expect=1)
    check(stderr.startswith(f"rill: {config}.none: cannot open"), stderr)


def check_usage_error(ctx, args, message, usage):
    stdout, stderr = ctx.run(*args, expect=2)
    check(stdout == "", stdout)
    check(stderr.startswith("rill: usage error: ") and message in stderr.splitlines()[0],
          f"rill {' '.join(args)}:\n{stderr}")
    check(usage in stderr, f"rill {' '.join(args)} prints its usage:\n{stderr}")


@case
def topics_and_produce_usage(ctx):
    data = ctx.fresh("topics_and_produce_usage")
    check_usage_error(ctx, ["--dir", data, "topics"], "A subcommand is required",
                      "Usage: rill topics [OPTIONS] SUBCOMMAND")
    check_usage_error(ctx, ["--dir", data, "topics", "create"], "NAME is required",
                      "Usage: rill topics create [OPTIONS] NAME")
    check_usage_error(ctx, ["--dir", data, "topics", "create", "t", "--config", "retention.ms"],
                      "expected key=value", "Usage: rill topics create")
    check_usage_error(ctx, ["--dir", data, "topics", "create", "t", "--partitions", "two"],
                      "--partitions", "Usage: rill topics create")
    check_usage_error(ctx, ["--dir", data, "topics", "alter", "t"], "--config is required",
                      "Usage: rill topics alter")
    check_usage_error(ctx, ["--dir", data, "produce"], "TOPIC is required",
                      "Usage: rill produce [OPTIONS] TOPIC")
    check_usage_error(ctx, ["--dir", data, "produce", "t", "--compression", "brotli"],
                      "--compression", "Usage: rill produce")
    check_usage_error(ctx, ["--dir", data, "produce", "t", "--acks", "2"], "--acks",
                      "Usage: rill produce")
    check_usage_error(ctx, ["--dir", data, "produce", "t", "--partition", "-1"], "--partition",
                      "Usage: rill produce")
    check_usage_error(ctx, ["--dir", data, "produce", "t", "--key-separator", ""],
                      "--key-separator", "Usage: rill produce")
    check_usage_error(ctx, ["--dir", data, "produce", "t", "--json", "--key-separator", ":"],
                      "apply to text input, not to --json records", "Usage: rill produce")
    check(not os.path.exists(data), "a usage error touches nothing")
    # Every flag with its default, from `help` and from --help alike.
    for args, flags in [(["topics", "create"], ["--partitions", "--config"]),
                        (["produce"], ["--partition", "--key-separator", "--null-value-marker",
                                       "--compression", "--acks", "--linger-ms", "--batch-size",
                                       "--header", "--print-offsets", "--config"])]:
        by_help, _ = ctx.run("help", *args)
        by_flag, _ = ctx.run(*args, "--help")
        check(by_help == by_flag, f"help {args} and --help differ:\n{by_help}\n{by_flag}")
        text = " ".join(by_help.split())
        for flag in flags:
            m = re.search(re.escape(flag) + r"\b[^-].*?Default: ", text)
            check(m is not None, f"{flag} with its default in:\n{by_help}")
    for sub in ["list", "describe", "alter", "delete"]:
        ctx.run("help", "topics", sub)


@case
def config_file_precedence(ctx):
    data = ctx.fresh("config_file_precedence")
    config = data + ".properties"
    with open(config, "w") as f:
        f.write("# a Kafka-style file mixing broker and producer configs\n"
                "! comments either way\n\n"
                "num.partitions = 4\n"
                "log.retention.hours: 1\n"
                "acks=0\n"
                "linger.ms=0\n")
    base = ["--dir", data, "--config-file", config]
    ctx.run(*base, "topics", "create", "from-file")
    ctx.run(*base, "topics", "create", "flags", "--partitions", "2", "--config",
            "retention.ms=5")
    topics = topic_summaries(ctx, data)
    check(topics["from-file"] == {"name": "from-file", "partitions": 4,
                                  "configs": {"retention.ms": "3600000"}}, f"{topics}")
    check(topics["flags"] == {"name": "flags", "partitions": 2,
                              "configs": {"retention.ms": "5"}}, f"{topics}")
    # acks=0 from the file: nothing is waited for, offsets are -1.
    stdout, _ = ctx.run(*base, "produce", "flags", "--partition", "0", "--print-offsets",
                        stdin="a\nb\n")
    check(stdout == "1 0 -1\n2 0 -1\n", stdout)
    # --config wins over the file, and a dedicated flag over both.
    stdout, _ = ctx.run(*base, "produce", "flags", "--partition", "0", "--print-offsets",
                        "--config", "acks=all", stdin="c\n")
    check(stdout == "1 0 2\n", stdout)
    stdout, _ = ctx.run(*base, "produce", "flags", "--partition", "0", "--print-offsets",
                        "--config", "acks=0", "--acks", "1", stdin="d\n")
    check(stdout == "1 0 3\n", stdout)
    _, stderr = ctx.run(*base, "produce", "flags", "--config", "acks=most", stdin="e\n",
                        expect=1)
    check(stderr.startswith("rill: --config acks=most: invalid value 'most' for producer config "
                            "acks"), stderr)
    _, stderr = ctx.run(*base, "produce", "flags", "--config", "group.idd=x", stdin="e\n",
                        expect=1)
    check(stderr.startswith("rill: --config group.idd=x: unknown config 'group.idd'"), stderr)
    records = dumped_records(ctx, data, "flags")
    check([records[(0, o)]["value"] for o in range(4)] == ["a", "b", "c", "d"], f"{records}")
    check(len(records) == 4, "refused runs sent nothing")


@case
def produce_text(ctx):
    data = ctx.fresh("produce_text")
    ctx.run("--dir", data, "topics", "create", "t", "--partitions", "3")
    lines = ["plain", "", "with spaces and ünïcode ✓", "crlf\r", "last without newline"]
    stdout, _ = ctx.run("--dir", data, "produce", "t", "--print-offsets",
                        stdin="\n".join(lines))
    acks = parse_acks(stdout)
    check(sorted(acks) == [1, 2, 3, 4, 5], stdout)
    want = {i + 1: (None, line.rstrip("\r"), []) for i, line in enumerate(lines)}
    check_acks_match_log(ctx, data, "t", acks, want)

    lines = [f"key{i % 4}::value {i}" + (":: more" if i == 3 else "") for i in range(20)]
    lines[7] = "key3::NULL"
    lines[8] = "NULL::x"
    stdout, _ = ctx.run("--dir", data, "produce", "t", "--print-offsets", "--key-separator", "::",
                        "--null-value-marker", "NULL", "--header", "trace=abc=d",
                        "--header", "flag", "--linger-ms", "0", "--batch-size", "100",
                        stdin="\n".join(lines) + "\n")
    acks = parse_acks(stdout)
    check(sorted(acks) == list(range(1, 21)), stdout)
    headers = [{"key": "trace", "value": "abc=d"}, {"key": "flag", "value": None}]
    want = {}
    for i, line in enumerate(lines):
        key, value = line.split("::", 1)
        want[i + 1] = (key, None if value == "NULL" else value, headers)
    check_acks_match_log(ctx, data, "t", acks, want)
    # Kafka's default partitioner: one key, one partition.
    by_key = {}
    for number, (partition, _) in acks.items():
        by_key.setdefault(want[number][0], set()).add(partition)
    check(all(len(p) == 1 for p in by_key.values()), f"{by_key}")
    # A line without the separator stops the run; what came before is in.
    stdout, stderr = ctx.run("--dir", data, "produce", "t", "--partition", "2",
                             "--print-offsets", "--key-separator", ":",
                             stdin="a:1\nb:2\nno separator\nc:3\n", expect=1)
    check(stderr == "rill: stdin line 3: no key separator \":\" in the line\n", stderr)
    check(sorted(parse_acks(stdout)) == [1, 2], stdout)


@case
def produce_json(ctx):
    data = ctx.fresh("produce_json")
    ctx.run("--dir", data, "topics", "create", "j", "--partitions", "2")
    inputs = [
        {"key": "k", "value": "v", "headers": [{"key": "h", "value": "x"}]},
        {"key": {"base64": "AP8="}, "value": {"base64": "gIE="}, "partition": 1},
        {"key": None, "value": None, "partition": 0, "timestamp": 1700000000123},
        {"value": "only a value"},
        {"key": "", "value": "", "headers": [{"key": "n", "value": None},
                                             {"key": "b", "value": {"base64": "/wA="}}]},
        # What dump --records --json prints produces again.
        {"topic": "elsewhere", "partition": 1, "offset": 99, "timestamp": 1700000000999,
         "timestamp_type": "create", "key": "copied", "value": "again", "headers": []},
    ]
    stdin = "".join(json.dumps(o) + "\n" for o in inputs)
    stdout, _ = ctx.run("--dir", data, "--json", "produce", "j", "--print-offsets",
                        "--header", "all=1", stdin=stdin)
    acks = {}
    for o in json_lines(stdout):
        check(list(o) == ["line", "partition", "offset"], f"{o}")
        acks[o["line"]] = (o["partition"], o["offset"])
    check(sorted(acks) == list(range(1, len(inputs) + 1)), stdout)
    extra = [{"key": "all", "value": "1"}]
    want = {}
    for number, o in enumerate(inputs, start=1):
        if "partition" in o:
            check(acks[number][0] == o["partition"], f"line {number}: {acks[number]}")
        want[number] = (o.get("key"), o.get("value"), o.get("headers", []) + extra)
    records = check_acks_match_log(ctx, data, "j", acks, want)
    check(records[acks[3]]["timestamp"] == 1700000000123, f"{records[acks[3]]}")
    check(records[acks[6]]["timestamp"] == 1700000000999, f"{records[acks[6]]}")
    _, stderr = ctx.run("--dir", data, "--json", "produce", "j",
                        stdin='{"value":"ok"}\n{"value":"bad"\n', expect=1)
    check(stderr.startswith("rill: stdin line 2: not JSON: "), stderr)
    _, stderr = ctx.run("--dir", data, "--json", "produce", "j",
                        stdin='{"value":"ok","partition":5}\n', expect=1)
    check(stderr.startswith("rill: stdin line 1: topic j partition 5: ") and
          stderr.rstrip().endswith("(1 of 1 records failed)"), stderr)


@case
def produce_missing_topic(ctx):
    data = ctx.fresh("produce_missing_topic")
    _, stderr = ctx.run("--dir", data, "produce", "nope", stdin="a\n", expect=1)
    check(stderr == "rill: topic nope: Topic 'nope' does not exist (create it with rill topics "
                    "create or set auto.create.topics.enable=true)\n", stderr)
    ctx.run("--dir", data, "topics", "create", "two", "--partitions", "2")
    _, stderr = ctx.run("--dir", data, "produce", "two", "--partition", "2", stdin="a\n",
                        expect=1)
    check(stderr == "rill: topic two: partition 2 does not exist: the topic has 2 partitions\n",
          stderr)
    stdout, _ = ctx.run("--dir", data, "produce", "auto", "--print-offsets", "--config",
                        "auto.create.topics.enable=true", "--config", "num.partitions=3",
                        stdin="a\n")
    check(re.fullmatch(r"1 [0-2] 0\n", stdout), stdout)
    check(topic_summaries(ctx, data)["auto"]["partitions"] == 3, "auto-created with defaults")
    check(dumped_records(ctx, data, "two") == {}, "nothing was produced to two")


def start_producer(ctx, data, topic, *flags):
    return subprocess.Popen([ctx.rill, "--dir", data, "produce", topic, "--print-offsets",
                             *flags], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


class LineReader:
    """Lines of a pipe, with a timeout (select on the raw descriptor)."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buffer = b""

    def readline(self, timeout=30):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            check(left > 0, "timed out waiting for an acknowledgement")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def rest(self):
        """Everything left, up to the end of the pipe."""
        while True:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            self.buffer += chunk
        return self.buffer.decode()


@case
def produce_read_only_describe(ctx):
    """--read-only inspects a directory a live `rill produce` holds."""
    data = ctx.fresh("produce_read_only_describe")
    ctx.run("--dir", data, "topics", "create", "live", "--partitions", "2")
    owner = start_producer(ctx, data, "live", "--partition", "1")
    try:
        reader = LineReader(owner.stdout)
        for i in range(5):
            owner.stdin.write(f"record {i}\n".encode())
            owner.stdin.flush()
            check(reader.readline() == f"{i + 1} 1 {i}", "acknowledged in order")
        _, stderr = ctx.run("--dir", data, "topics", "describe", "live", expect=1)
        check(re.fullmatch(rf"rill: {re.escape(data)} is in use by process {owner.pid} \(lock "
                           rf"{re.escape(data)}/\.lock\); use --read-only to inspect it\n",
                           stderr), stderr)
        ctx.run("--dir", data, "topics", "list", expect=1)
        stdout, _ = ctx.run("--dir", data, "--read-only", "topics", "describe", "live", "--json")
        objects = json_lines(stdout)
        check([(o["partition"], o["log_end_offset"], o["high_watermark"]) for o in objects] ==
              [(0, 0, 0), (1, 5, 5)], stdout)
        stdout, _ = ctx.run("--dir", data, "--read-only", "topics", "describe", "live")
        check("\tPartition: 1\tLogStartOffset: 0\tLogEndOffset: 5\tHighWatermark: 5\t" in stdout,
              stdout)
        stdout, _ = ctx.run("--dir", data, "--read-only", "topics", "list")
        check(stdout == "live\n", stdout)
        _, stderr = ctx.run("--dir", data, "--read-only", "topics", "create", "x", expect=1)
        check(stderr == f"rill: --read-only: this command writes to {data}\n", stderr)
        owner.stdin.close()
        check(owner.wait(timeout=30) == 0, owner.stderr.read().decode())
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
    stdout, _ = ctx.run("--dir", data, "topics", "describe", "live", "--json")
    check(json_lines(stdout)[1]["log_end_offset"] == 5, stdout)


@case
def produce_kill(ctx):
    """Every record `--print-offsets` reported before a SIGKILL is in the log.

    The topic has flush.messages=1: Log::Append fsyncs once that many records
    are unflushed, inside the append and so before the producer's callback
    (docs/storage.md "Durability"), so an acknowledged record is on stable
    storage, which is what would survive a power loss. A SIGKILL alone keeps
    the page cache, so it would keep even unflushed appends; this test cannot
    cut the power, but it checks the promise under the strongest setting and
    through the unclean-shutdown recovery of the next open.
    """
    data = ctx.fresh("produce_kill")
    ctx.run("--dir", data, "topics", "create", "k", "--partitions", "2", "--config",
            "flush.messages=1")
    owner = start_producer(ctx, data, "k", "--key-separator", ":")
    reader = LineReader(owner.stdout)
    acks = {}
    try:
        for i in range(1, 61):
            owner.stdin.write(f"key{i % 5}:value{i}\n".encode())
            owner.stdin.flush()
            if i <= 30:  # Wait for these; feed the rest without waiting.
                line = reader.readline()
                acks.update(parse_acks(line))
            else:
                time.sleep(0.001)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=30)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
    check(owner.returncode == -signal.SIGKILL, f"exit {owner.returncode}")
    acks.update(parse_acks(reader.rest()))
    check(len(acks) >= 30, f"{len(acks)} acknowledged")
    check(not os.path.exists(os.path.join(data, ".kafka_cleanshutdown")), "an unclean stop")
    # A writable open recovers the directory; then read what is there.
    stdout, _ = ctx.run("--dir", data, "topics", "describe", "k", "--json")
    want = {i: (f"key{i % 5}", f"value{i}", []) for i in range(1, 61)}
    records = check_acks_match_log(ctx, data, "k", acks, want)
    check(len(records) >= len(acks), f"{len(records)} records, {len(acks)} acknowledged")
    ends = {o["partition"]: o["log_end_offset"] for o in json_lines(stdout)}
    check(sum(ends.values()) == len(records), f"{ends}, {len(records)} records")
    # Nothing but sent lines, each once.
    values = sorted(int(r["value"][len("value"):]) for r in records.values())
    check(len(values) == len(set(values)) and set(values) <= set(want), f"{values}")
    ctx.run("--dir", data, "verify", "k")


@case
def broker_refuses_foreign_dir(ctx):
    """A directory with partitions but no rill topic metadata is not emptied."""
    data = ctx.copy("broker_refuses_foreign_dir")
    before = sorted(os.listdir(data))
    _, stderr = ctx.run("--dir", data, "topics", "list", expect=1)
    check(stderr.startswith(f"rill: {data}: has partition directories (events-log-0, ...) but no "
                            "rill topic metadata (.topics)"), stderr)
    ctx.run("--dir", data, "produce", "orders", stdin="x\n", expect=1)
    check(sorted(os.listdir(data)) == before, f"{sorted(os.listdir(data))} != {before}")
    stdout, _ = ctx.run("--dir", data, "--read-only", "topics", "list")
    check(stdout == "", stdout)
    ctx.run("--dir", data, "verify")


# --- consume, groups, lag (issue #6) ----------------------------------------

@case
def consume_group_resumes(ctx):
    data = ctx.fresh("consume_group_resumes")
    ctx.run("--dir", data, "topics", "create", "t", "--partitions", "1")
    ctx.run("--dir", data, "produce", "t", "--key-separator", ":",
            stdin="".join(f"k{i}:v{i}\n" for i in range(10)))
    out, _ = ctx.run("--dir", data, "consume", "t", "--group", "g", "--from-beginning", "-n", "4")
    check(out.split() == ["v0", "v1", "v2", "v3"], out)
    out, _ = ctx.run("--dir", data, "consume", "t", "--group", "g", "--print-key",
                     "--key-separator", "=", "--timeout-ms", "100")
    check(out.split() == [f"k{i}=v{i}" for i in range(4, 10)], out)
    out, _ = ctx.run("--dir", data, "--json", "consume", "t", "--group", "g2", "--from-beginning",
                     "-n", "1", "--no-commit")
    rec = json.loads(out)
    check(rec["key"] == "k0" and rec["value"] == "v0" and rec["offset"] == 0, out)
    out, _ = ctx.run("--dir", data, "--read-only", "--json", "lag", "g")
    rows = json_lines(out)
    check(len(rows) == 1 and rows[0]["committed_offset"] == 10 and rows[0]["lag"] == 0, out)
    out, _ = ctx.run("--dir", data, "--json", "lag", "g2")
    check(out == "", out)  # --no-commit: the group exists, with nothing committed.
    out, _ = ctx.run("--dir", data, "consume", "t", "--partition", "0", "--offset", "8")
    check(out.split() == ["v8", "v9"], out)


@case
def groups_admin(ctx):
    data = ctx.fresh("groups_admin")
    ctx.run("--dir", data, "topics", "create", "t", "--partitions", "2")
    ctx.run("--dir", data, "produce", "t", "--partition", "0", stdin="a\nb\nc\n")
    ctx.run("--dir", data, "consume", "t", "--group", "g", "--from-beginning")
    out, _ = ctx.run("--dir", data, "groups", "list")
    check(out == "g\tEmpty\n", out)
    out, _ = ctx.run("--dir", data, "--json", "groups", "describe", "g")
    lines = json_lines(out)
    check(lines[0]["state"] == "Empty" and lines[0]["members"] == [], out)
    check(any(r.get("partition") == 0 and r.get("committed_offset") == 3 for r in lines[1:]), out)
    out, _ = ctx.run("--dir", data, "groups", "reset-offsets", "g", "--topic", "t", "--to-offset", "1")
    check("g\tt-0\t1" in out, out)
    out, _ = ctx.run("--dir", data, "consume", "t", "--group", "g", "--timeout-ms", "100")
    check(out.split() == ["b", "c"], out)
    ctx.run("--dir", data, "groups", "reset-offsets", "g", "--topic", "t", "--to-earliest")
    ctx.run("--dir", data, "groups", "reset-offsets", "g", "--topic", "t",
            "--to-datetime", "2001-01-01T00:00:00Z")
    _, err = ctx.run("--dir", data, "groups", "reset-offsets", "g", "--topic", "nope",
                     "--to-latest", expect=1)
    check("nope" in err, err)
    ctx.run("--dir", data, "groups", "delete", "g")
    out, _ = ctx.run("--dir", data, "groups", "list")
    check(out == "", out)
    _, err = ctx.run("--dir", data, "groups", "describe", "g", expect=1)
    check("does not exist" in err, err)


@case
def consume_follow_sigterm(ctx):
    data = ctx.fresh("consume_follow_sigterm")
    ctx.run("--dir", data, "topics", "create", "t")
    ctx.run("--dir", data, "produce", "t", stdin="x\ny\n")
    proc = subprocess.Popen([ctx.rill, "--dir", data, "consume", "t", "--group", "f",
                             "--from-beginning", "--follow"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline().strip() for _ in range(2)]
    check(lines == ["x", "y"], str(lines))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    check(proc.returncode == 0, f"exit {proc.returncode}: {err}")
    out, _ = ctx.run("--dir", data, "--json", "lag", "f")
    rows = json_lines(out)
    check(len(rows) == 1 and rows[0]["committed_offset"] == 2, out)



COMPACT_LINE = re.compile(
    r"^c-0: (?P<bytes_before>\d+) -> (?P<bytes_after>\d+) bytes, (?P<records_before>\d+) -> "
    r"(?P<records_after>\d+) records, (?P<segments_before>\d+) -> (?P<segments_after>\d+) "
    r"segments, compacted below offset (?P<first_dirty>\d+)$")


@case
def compact_topic(ctx):
    """`rill compact` cleans a compacted topic: every key keeps its latest
    value (a tombstone stays within delete.retention.ms), offsets keep, and
    `rill verify` passes on the cleaned segments."""
    data = ctx.fresh("compact_topic")
    ctx.run("--dir", data, "topics", "create", "c", "--config", "cleanup.policy=compact",
            "--config", "segment.bytes=2048")
    ctx.run("--dir", data, "topics", "create", "d")
    lines = [f"key{i % 5}::value {i}" for i in range(300)]
    lines[299] = "key4::NULL"  # key4's last word: a tombstone, then more for the others.
    lines += [f"key{i % 4}::again {i}" for i in range(100)]
    stdout, _ = ctx.run("--dir", data, "produce", "c", "--print-offsets", "--key-separator", "::",
                        "--null-value-marker", "NULL", "--linger-ms", "0", "--batch-size", "200",
                        stdin="\n".join(lines) + "\n")
    acks = parse_acks(stdout)
    check(sorted(acks) == list(range(1, 401)), stdout)
    before = dumped_records(ctx, data, "c")
    stdout, _ = ctx.run("--dir", data, "compact", "c")
    match = COMPACT_LINE.match(stdout.rstrip("\n"))
    check(match is not None, stdout)
    got = {k: int(v) for k, v in match.groupdict().items()}
    check(got["bytes_after"] < got["bytes_before"] and got["records_after"] < got["records_before"],
          stdout)
    check(got["segments_before"] > 1 and 300 < got["first_dirty"] < 400, stdout)
    after = dumped_records(ctx, data, "c")
    # Survivors are the records written there; below the first dirty offset
    # one per key, the latest of the cleaned section; the head is untouched.
    check(all(before[k] == r for k, r in after.items()), "a record changed in cleaning")
    latest = {}
    for (_, offset), r in sorted(before.items()):
        if offset < got["first_dirty"]:
            latest[r["key"]] = offset
    want = sorted(set(latest.values()) | {o for (_, o) in before if o >= got["first_dirty"]})
    check(sorted(o for (_, o) in after) == want, f"{sorted(o for (_, o) in after)} != {want}")
    final = {}
    for (_, _), r in sorted(after.items()):
        final[r["key"]] = r["value"]
    check(final == {"key0": "again 96", "key1": "again 97", "key2": "again 98",
                    "key3": "again 99", "key4": None}, f"{final}")
    stdout, _ = ctx.run("--dir", data, "verify", "--json")
    for obj in json_lines(stdout):
        check(obj["ok"] is True and obj["problems"] == [], f"{obj}")
    # --json, and a second run finds nothing more below the active segment.
    stdout, _ = ctx.run("--dir", data, "--json", "compact", "c", "--partition", "0")
    obj = json.loads(stdout)
    check(obj["topic"] == "c" and obj["partition"] == 0 and
          obj["first_dirty_offset"] == got["first_dirty"] and
          obj["bytes_after"] == obj["bytes_before"] == got["bytes_after"], stdout)
    # A delete-policy topic and a missing one are refused.
    _, stderr = ctx.run("--dir", data, "compact", "d", expect=1)
    check("cleanup.policy" in stderr, stderr)
    _, stderr = ctx.run("--dir", data, "compact", "nope", expect=1)
    check("nope" in stderr, stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rill", required=True)
    parser.add_argument("--writer", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    try:
        CASES[args.case](Context(args))
    except Failure as failure:
        print(f"FAILED {args.case}: {failure}", file=sys.stderr)
        return 1
    print(f"ok {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
