#!/usr/bin/python3
"""Checks `rill verify` and `rill dump` on a data directory written by rill
(rill_cli_data_writer) and on damaged copies of it.

    check_cli.py --rill RILL --writer WRITER --work DIR CASE

`write_data_dir` writes DIR/data; every other case reads it (or a copy it
damages under DIR/CASE). Index entries and batch headers are also parsed here,
independently of rill, to check what rill prints against the bytes.
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys

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

    def run(self, *args, expect=0, env=None):
        """Runs rill with `args`; returns (stdout, stderr) after checking the exit code."""
        result = subprocess.run([self.rill, *args], capture_output=True, text=True,
                                env=env, timeout=60)
        check(result.returncode == expect,
              f"rill {' '.join(args)}: exit {result.returncode}, expected {expect}\n"
              f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr}")
        return result.stdout, result.stderr

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
