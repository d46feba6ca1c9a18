#!/usr/bin/python3
"""`rill dump` reads the segment kafka-python wrote.

Runs `rill dump SEGMENT --records --json` on the segment
write_kafka_python_batches.py made and checks that the output is exactly the
expected records, in spec/cli.md's record JSON form (the same fields in the
same order), and that every batch object carries the header fields
kafka-python sees with a valid CRC. Also checks the partition-directory form
(`rill --json dump DIR --records`), `--from`, and the text form's shape.

Exit status: 0 equal; 1 a mismatch (printed); 77 (ctest: skipped) when the
generator skipped. Run with /usr/bin/python3.
"""

import argparse
import json
import os
import subprocess
import sys

SKIP = 77
RECORD_FIELDS = ["topic", "partition", "offset", "timestamp", "timestamp_type", "key", "value",
                 "headers"]
HEADER_FIELDS = ["key", "value"]


class Failures(list):
    def expect(self, condition, message):
        if not condition:
            self.append(message)
        return condition


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")


def parse_lines(stdout, failures, what):
    """Objects of the JSON lines; records keep their field order as lists of pairs."""
    batches, records, others = [], [], []
    for number, line in enumerate(stdout.splitlines(), 1):
        try:
            pairs = json.loads(line, object_pairs_hook=lambda p: p)
        except ValueError as e:
            failures.append("%s: line %d is not JSON (%s): %r" % (what, number, e, line[:200]))
            continue
        keys = [k for k, _ in pairs]
        if "base_offset" in keys:
            batches.append(json.loads(line))
        elif "offset" in keys:
            records.append(pairs)
        else:
            others.append(line)
    return batches, records, others


def check_field_order(pairs, failures, where):
    keys = [k for k, _ in pairs]
    if not failures.expect(keys == RECORD_FIELDS, "%s: fields %s, expected %s"
                           % (where, keys, RECORD_FIELDS)):
        return
    for header in dict(pairs)["headers"]:
        failures.expect([k for k, _ in header] == HEADER_FIELDS,
                        "%s: header fields %s" % (where, header))


def to_plain(value):
    """Undoes object_pairs_hook: pairs lists back to dicts, recursively."""
    if isinstance(value, list) and value and all(
            isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value):
        return {k: to_plain(v) for k, v in value}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def compare_records(records, expected, failures, what):
    failures.expect(len(records) == len(expected), "%s: %d records, expected %d"
                    % (what, len(records), len(expected)))
    for pairs, want in zip(records, expected):
        where = "%s: record at offset %s" % (what, want["offset"])
        check_field_order(pairs, failures, where)
        got = to_plain(pairs)
        got["headers"] = [to_plain(h) for h in dict(pairs)["headers"]]
        failures.expect(got == want, "%s: got %s, expected %s"
                        % (where, json.dumps(got, ensure_ascii=False)[:600],
                           json.dumps(want, ensure_ascii=False)[:600]))


def compare_batches(batches, expected, failures, what):
    failures.expect(len(batches) == len(expected), "%s: %d batches, expected %d"
                    % (what, len(batches), len(expected)))
    for got, want in zip(batches, expected):
        for field, value in want.items():
            failures.expect(got.get(field) == value, "%s: batch at byte %d: %s is %r, expected %r"
                            % (what, want["position"], field, got.get(field), value))
        failures.expect(got.get("delete_horizon_ms") is None,
                        "%s: batch at byte %d has a delete horizon" % (what, want["position"]))


def check_json_dump(rill, path, expected, failures, global_first):
    command = ([rill, "--json", "dump", path, "--records"] if global_first
               else [rill, "dump", path, "--records", "--json"])
    what = " ".join(command[1:])
    code, stdout, stderr = run(command)
    failures.expect(code == 0, "%s: exit %d, stderr %r" % (what, code, stderr))
    failures.expect(stderr == "", "%s: stderr %r" % (what, stderr))
    batches, records, others = parse_lines(stdout, failures, what)
    failures.expect(not others, "%s: unexpected lines %r" % (what, others[:3]))
    compare_records(records, expected["records"], failures, what)
    compare_batches(batches, expected["batches"], failures, what)


def check_from(rill, path, expected, failures):
    cut = expected["batches"][2]["base_offset"] + 1  # Inside the third batch.
    command = [rill, "dump", path, "--from", str(cut), "--json"]
    code, stdout, stderr = run(command)
    what = " ".join(command[1:])
    failures.expect(code == 0, "%s: exit %d, stderr %r" % (what, code, stderr))
    batches, _, _ = parse_lines(stdout, failures, what)
    want = [b["base_offset"] for b in expected["batches"] if b["last_offset"] >= cut]
    failures.expect([b["base_offset"] for b in batches] == want,
                    "%s: printed batches %s, expected %s"
                    % (what, [b["base_offset"] for b in batches], want))


def check_text_dump(rill, path, expected, failures):
    command = [rill, "dump", path, "--records"]
    code, stdout, stderr = run(command)
    what = " ".join(command[1:])
    failures.expect(code == 0, "%s: exit %d, stderr %r" % (what, code, stderr))
    lines = stdout.splitlines()
    batch_lines = [l for l in lines if l.startswith("baseOffset: ")]
    record_lines = [l for l in lines if l.startswith("| offset: ")]
    failures.expect(lines[:1] == ["Dumping " + path], "%s: first line %r" % (what, lines[:1]))
    failures.expect(len(batch_lines) == len(expected["batches"]),
                    "%s: %d batch lines" % (what, len(batch_lines)))
    failures.expect(len(record_lines) == len(expected["records"]),
                    "%s: %d record lines" % (what, len(record_lines)))
    failures.expect(len(lines) == 1 + len(batch_lines) + len(record_lines),
                    "%s: %d other lines" % (what, len(lines) - len(batch_lines) - len(record_lines)))
    failures.expect(all(l.endswith(" isvalid: true") for l in batch_lines),
                    "%s: a batch line without isvalid: true" % what)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rill", required=True, help="the rill binary")
    parser.add_argument("--segment-dir", required=True, help="write_kafka_python_batches.py's "
                        "--out-dir")
    args = parser.parse_args()
    expected_path = os.path.join(args.segment_dir, "expected.json")
    if not os.path.exists(expected_path):
        print("skipped: %s is missing (the generator was skipped or failed)" % expected_path)
        return SKIP
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)

    failures = Failures()
    check_json_dump(args.rill, expected["log"], expected, failures, global_first=False)
    check_json_dump(args.rill, expected["partition_dir"], expected, failures, global_first=True)
    check_from(args.rill, expected["log"], expected, failures)
    check_text_dump(args.rill, expected["log"], expected, failures)
    for failure in failures:
        print("MISMATCH " + failure)
    if failures:
        return 1
    print("ok: rill dump printed all %d records of %d kafka-python batches exactly"
          % (len(expected["records"]), len(expected["batches"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
