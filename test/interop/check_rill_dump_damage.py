#!/usr/bin/python3
"""`rill dump` on damaged copies of the segment kafka-python wrote.

  * A byte flipped in the middle of the file: exit 1, one stderr line
    `rill: <file>: batch at byte <P>: ...` naming the damaged batch's position,
    with and without --records; the batches before it are printed.
  * A record length changed inside an uncompressed batch whose CRC is then
    recomputed (kafka-python agrees the records are corrupt): a shallow dump
    exits 0, --deep exits 1 naming the batch.
  * A partial last batch (a torn write) and a zero-filled tail (preallocated
    space): exit 0, everything before printed, then a note.

Exit status: 0 as described; 1 otherwise (printed); 77 (ctest: skipped) when
the generator skipped. Run with /usr/bin/python3.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

from kafka_or_skip import SKIP

from kafka.record.memory_records import MemoryRecords
from kafka.record.util import calc_crc32c

RECORDS_AT = 61       # The first record of a batch (its length varint).
ATTRIBUTES_AT = 21    # The CRC covers [21, end).
CRC_AT = 17
UNCHECKED_PREFIX = 16  # baseOffset, length, leader epoch: outside the CRC.


class Failures(list):
    def expect(self, condition, message):
        if not condition:
            self.append(message)
        return condition


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


def batch_containing(batches, byte):
    for batch in batches:
        if batch["position"] <= byte < batch["position"] + batch["size_bytes"]:
            return batch
    raise RuntimeError("byte %d is in no batch" % byte)


def write_copy(work_dir, name, data):
    path = os.path.join(work_dir, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def expect_error_at(failures, rill, args, path, position, what):
    code, stdout, stderr = run([rill, "dump", path] + args)
    what = "%s (dump %s)" % (what, " ".join(args))
    failures.expect(code == 1, "%s: exit %d, expected 1" % (what, code))
    lines = stderr.splitlines()
    prefix = "rill: %s: batch at byte %d: " % (path, position)
    failures.expect(len(lines) == 1 and lines[0].startswith(prefix),
                    "%s: stderr %r, expected one line starting %r" % (what, stderr, prefix))
    return stdout


def check_flipped_middle(failures, rill, data, batches, work_dir):
    middle = len(data) // 2
    batch = batch_containing(batches, middle)
    if middle - batch["position"] < UNCHECKED_PREFIX:
        # baseOffset and the leader epoch are outside the CRC, and a damaged
        # length can read as a cut-off tail; Kafka cannot tell either.
        middle = batch["position"] + 30
    damaged = bytearray(data)
    damaged[middle] ^= 0x10
    path = write_copy(work_dir, "flipped.log", damaged)
    what = "byte %d flipped" % middle
    stdout = expect_error_at(failures, rill, ["--records", "--json"], path, batch["position"], what)
    printed = [json.loads(l) for l in stdout.splitlines() if '"base_offset"' in l]
    before = [b["position"] for b in batches if b["position"] < batch["position"]]
    failures.expect([b["position"] for b in printed if b["crc_valid"]] == before,
                    "%s: printed valid batches %s, expected %s"
                    % (what, [b["position"] for b in printed], before))
    expect_error_at(failures, rill, [], path, batch["position"], what)


def check_record_damage(failures, rill, data, batches, work_dir):
    batch = next(b for b in batches if b["compression"] == "none" and b["record_count"] > 0)
    start, end = batch["position"], batch["position"] + batch["size_bytes"]
    damaged = bytearray(data)
    damaged[start + RECORDS_AT] ^= 0x02  # The first record's length, off by one.
    crc = calc_crc32c(bytes(damaged[start + ATTRIBUTES_AT:end]))
    struct.pack_into(">I", damaged, start + CRC_AT, crc)
    path = write_copy(work_dir, "bad_record.log", damaged)
    what = "record length damaged under a valid CRC in the batch at byte %d" % start
    independent = MemoryRecords(bytes(damaged[start:end])).next_batch()
    failures.expect(independent.validate_crc(), "%s: kafka-python rejects the CRC" % what)
    try:
        list(independent)
        failures.append("%s: kafka-python reads the records; the damage is not damage" % what)
    except Exception:
        pass
    code, _, stderr = run([rill, "dump", path])
    failures.expect(code == 0, "%s: shallow dump exit %d (%r), expected 0" % (what, code, stderr))
    expect_error_at(failures, rill, ["--deep"], path, start, what)


def check_tail(failures, rill, batches, work_dir, name, tail_data, note, position):
    path = write_copy(work_dir, name, tail_data)
    code, stdout, stderr = run([rill, "--json", "dump", path])
    what = "%s (%s)" % (name, note)
    failures.expect(code == 0, "%s: exit %d (%r), expected 0" % (what, code, stderr))
    lines = stdout.splitlines()
    want_batches = [b["position"] for b in batches if b["position"] < position]
    got_batches = [json.loads(l)["position"] for l in lines[:-1]]
    failures.expect(got_batches == want_batches, "%s: printed batches %s, expected %s"
                    % (what, got_batches, want_batches))
    last = json.loads(lines[-1]) if lines else {}
    failures.expect(last.get("note") == note and last.get("position") == position and
                    last.get("bytes") == len(tail_data) - position,
                    "%s: last line %r" % (what, lines[-1:]))
    code, stdout, _ = run([rill, "dump", path])
    failures.expect(code == 0 and stdout.splitlines()[-1].startswith("note: %s: " % path),
                    "%s: text dump exit %d, last line %r" % (what, code, stdout.splitlines()[-1:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rill", required=True)
    parser.add_argument("--segment-dir", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()
    expected_path = os.path.join(args.segment_dir, "expected.json")
    if not os.path.exists(expected_path):
        print("skipped: %s is missing (the generator was skipped or failed)" % expected_path)
        return SKIP
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    with open(expected["log"], "rb") as f:
        data = f.read()
    batches = expected["batches"]
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)

    failures = Failures()
    check_flipped_middle(failures, args.rill, data, batches, args.work_dir)
    check_record_damage(failures, args.rill, data, batches, args.work_dir)
    last = batches[-1]["position"]
    check_tail(failures, args.rill, batches, args.work_dir, "torn.log",
               data[:last + batches[-1]["size_bytes"] // 2], "partial_tail", last)
    check_tail(failures, args.rill, batches, args.work_dir, "preallocated.log",
               data + bytes(4096), "zero_filled_tail", len(data))
    for failure in failures:
        print("MISMATCH " + failure)
    if failures:
        return 1
    print("ok: rill dump names the damaged batch's byte position and notes cut-off and "
          "zero-filled tails")
    return 0


if __name__ == "__main__":
    sys.exit(main())
