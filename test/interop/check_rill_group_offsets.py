#!/usr/bin/python3
"""`__consumer_offsets` written by rill, decoded without rill's code.

rill_interop_group_writer (write_group_offsets.cc) has consumer groups join,
commit offsets with metadata strings and leave, and deletes one group; with
--rill, `rill consume --group` commits too. This script reads every `.log` of
`__consumer_offsets-N` with kafka-python's MemoryRecords (Debian's
python3-kafka 2.0.2) and parses keys and values by hand from Kafka's schemas
(group-coordinator/src/main/resources/common/message/*.json):

  key:   int16 version; 0/1 OffsetCommitKey (group, topic, partition),
         2 GroupMetadataKey (group)
  OffsetCommitValue v0..v3: offset int64, [v3+ leaderEpoch int32],
         metadata string, commitTimestamp int64, [v1 expireTimestamp int64]
  GroupMetadataValue v0..v3: protocolType string, generation int32,
         protocol/leader nullable string, [v2+ currentStateTimestamp int64],
         members [memberId, [v3+ groupInstanceId nullable], clientId,
         clientHost, [v1+ rebalanceTimeout int32], sessionTimeout int32,
         subscription bytes, assignment bytes]
  strings: int16 length + UTF-8 (-1 null); bytes: int32 length; arrays: int32.

It checks that each record sits in the partition Kafka would choose
(abs(Java hashCode of the group id) % partitions), that the last value of
each offset key is what the writer committed (offset, metadata, leader
epoch), that deleted groups end in tombstones, and that the groups' metadata
names the consumer protocol, the assignor and members whose subscriptions
and assignments cover the subscribed topics.

Exit status: 0 all equal; 1 a mismatch (each one printed); 77 (ctest:
skipped) when kafka-python is missing. Run with /usr/bin/python3.
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import kafka_or_skip  # noqa: F401 - exits 77 (skipped) without kafka-python.

import log_dir_checks as checks
from kafka.record.memory_records import MemoryRecords

OFFSETS_DIR = re.compile(r"^__consumer_offsets-(\d+)$")


class Reader:
    """Big-endian reader of one key or value, failing loudly on a short read."""

    def __init__(self, data, what):
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("%s: truncated at byte %d" % (self.what, self.pos))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int16(self):
        return struct.unpack(">h", self.take(2))[0]

    def int32(self):
        return struct.unpack(">i", self.take(4))[0]

    def int64(self):
        return struct.unpack(">q", self.take(8))[0]

    def nullable_string(self):
        n = self.int16()
        return None if n < 0 else self.take(n).decode("utf-8")

    def string(self):
        s = self.nullable_string()
        if s is None:
            raise ValueError("%s: null string at byte %d" % (self.what, self.pos))
        return s

    def bytes(self):
        n = self.int32()
        return None if n < 0 else self.take(n)

    def done(self):
        return self.pos == len(self.data)


def java_hash(s):
    """Java's String.hashCode over UTF-16 code units, as a signed int32."""
    h = 0
    units = s.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def partition_for(group, partitions):
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def decode_key(data):
    r = Reader(data, "key")
    version = r.int16()
    if version in (0, 1):
        key = ("offset", r.string(), r.string(), r.int32())
    elif version == 2:
        key = ("group", r.string())
    else:
        return ("other", version)
    if not r.done():
        raise ValueError("key v%d: %d bytes left over" % (version, len(data) - r.pos))
    return key


def decode_offset_value(data):
    r = Reader(data, "offset commit value")
    version = r.int16()
    if not 0 <= version <= 3:
        raise ValueError("offset commit value: unknown version %d" % version)
    v = {"version": version, "offset": r.int64(), "leader_epoch": -1}
    if version >= 3:
        v["leader_epoch"] = r.int32()
    v["metadata"] = r.string()
    v["commit_timestamp"] = r.int64()
    if version == 1:
        v["expire_timestamp"] = r.int64()
    if not r.done():
        raise ValueError("offset commit value: bytes left over")
    return v


def decode_topic_partitions(r):
    """ConsumerProtocol's [topic, [partition]] array, as (topic, partition) pairs."""
    out = []
    for _ in range(r.int32()):
        topic = r.string()
        out.extend((topic, r.int32()) for _ in range(r.int32()))
    return out


def decode_subscription(data):
    """ConsumerProtocolSubscription v0..v1 (v1 adds ownedPartitions)."""
    r = Reader(data, "subscription")
    version = r.int16()
    topics = [r.string() for _ in range(r.int32())]
    r.bytes()  # userData
    owned = decode_topic_partitions(r) if version >= 1 else []
    return {"version": version, "topics": topics, "owned": owned}


def decode_assignment(data):
    r = Reader(data, "assignment")
    r.int16()
    partitions = decode_topic_partitions(r)
    r.bytes()  # userData
    return partitions


def decode_group_value(data):
    r = Reader(data, "group metadata value")
    version = r.int16()
    if not 0 <= version <= 3:
        raise ValueError("group metadata value: unknown version %d" % version)
    v = {"version": version, "protocol_type": r.string(), "generation": r.int32(),
         "protocol": r.nullable_string(), "leader": r.nullable_string(), "members": []}
    if version >= 2:
        v["current_state_timestamp"] = r.int64()
    for _ in range(r.int32()):
        m = {"member_id": r.string()}
        m["group_instance_id"] = r.nullable_string() if version >= 3 else None
        m["client_id"] = r.string()
        m["client_host"] = r.string()
        m["rebalance_timeout"] = r.int32() if version >= 1 else None
        m["session_timeout"] = r.int32()
        m["subscription"] = decode_subscription(r.bytes())
        m["assignment"] = decode_assignment(r.bytes())
        v["members"].append(m)
    if not r.done():
        raise ValueError("group metadata value: bytes left over")
    return v


def read_records(partition_dir):
    """(offset, key, value) of every record of a partition, in offset order."""
    out = []
    for _, path in checks.segment_files(partition_dir):
        with open(path, "rb") as f:
            records = MemoryRecords(f.read())
        while records.has_next():
            batch = records.next_batch()
            if batch is None:
                break
            if not batch.validate_crc():
                raise ValueError("%s: bad CRC at offset %d" % (path, batch.base_offset))
            out.extend((r.offset, r.key, r.value) for r in batch)
    return out


class Checker:
    def __init__(self):
        self.failures = 0

    def equal(self, where, what, got, want):
        if got != want:
            self.failures += 1
            print("MISMATCH %s: %s is %r, expected %r" % (where, what, got, want))

    def true(self, where, what, ok):
        if not ok:
            self.failures += 1
            print("MISMATCH %s: %s" % (where, what))


def replay(data_dir, partitions, check):
    """The last value of every key, and every group metadata value seen."""
    offsets, groups, history = {}, {}, {}
    dirs = [d for d in os.listdir(data_dir) if OFFSETS_DIR.match(d)]
    check.equal(data_dir, "__consumer_offsets partitions", len(dirs), partitions)
    for d in sorted(dirs):
        index = int(OFFSETS_DIR.match(d).group(1))
        for offset, key, value in read_records(os.path.join(data_dir, d)):
            where = "%s@%d" % (d, offset)
            k = decode_key(key)
            check.true(where, "key of unknown version %r" % (k,), k[0] != "other")
            check.equal(where, "partition of group %r" % k[1], index,
                        partition_for(k[1], partitions))
            if k[0] == "offset":
                offsets[k[1:]] = None if value is None else decode_offset_value(value)
            elif k[0] == "group":
                groups[k[1]] = None if value is None else decode_group_value(value)
                if value is not None:
                    history.setdefault(k[1], []).append(groups[k[1]])
    return offsets, groups, history


def check_offsets(expected, offsets, check):
    want = {(o["group"], o["topic"], o["partition"]): o for o in expected["offsets"]}
    live = {k: v for k, v in offsets.items() if v is not None}
    check.equal("offsets", "committed keys", sorted(live), sorted(want))
    for k, o in want.items():
        got = live.get(k)
        if got is None:
            continue
        where = "%s %s-%d" % k
        check.equal(where, "offset", got["offset"], o["offset"])
        check.equal(where, "metadata", got["metadata"], o["metadata"])
        check.equal(where, "leader epoch", got["leader_epoch"], o["leader_epoch"])
        check.true(where, "commit timestamp %d is not recent" % got["commit_timestamp"],
                   got["commit_timestamp"] > 1_600_000_000_000)
    for group in expected["deleted"]:
        keys = [k for k in offsets if k[0] == group]
        check.true(group, "deleted group left no offset keys to tombstone", keys)
        for k in keys:
            check.equal("%s %s-%d" % k, "value after delete", offsets[k], None)


def check_groups(expected, groups, history, check):
    for g in expected["groups"]:
        name = g["group"]
        final = groups.get(name)
        check.true(name, "no group metadata", final is not None)
        if final is None:
            continue
        check.equal(name, "protocol type", final["protocol_type"], "consumer")
        check.equal(name, "members after the last consumer left", final["members"], [])
        stable = [v for v in history[name] if v["members"]]
        check.true(name, "no metadata value with members", stable)
        for v in stable:
            check.equal(name, "protocol", v["protocol"], g["protocol"])
            check.true(name, "generation %d < 1" % v["generation"], v["generation"] >= 1)
            check.true(name, "leader is not a member",
                       v["leader"] in [m["member_id"] for m in v["members"]])
            for m in v["members"]:
                check.equal(name, "subscribed topics", sorted(m["subscription"]["topics"]),
                            sorted(g["topics"]))
                check.true(name, "assignment outside the subscription %r" % m["assignment"],
                           all(t in g["topics"] for t, _ in m["assignment"]))
    for name in expected["deleted"]:
        check.equal(name, "group metadata after delete", groups.get(name, "absent"), None)


def run_cli_consume(rill, data_dir, expected):
    """`rill consume --group` commits too: its offset joins the expectations."""
    subprocess.run([rill, "--dir", data_dir, "consume", "payments", "--group", "cli-readers",
                    "--partition", "2", "--from-beginning", "-n", "6"],
                   check=True, stdout=subprocess.DEVNULL)
    expected["offsets"].append({"group": "cli-readers", "topic": "payments", "partition": 2,
                                "offset": 6, "metadata": "", "leader_epoch": None})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writer", required=True)
    parser.add_argument("--rill")
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    data_dir = os.path.join(args.work_dir, "data")
    out = subprocess.run([args.writer, data_dir], check=True, stdout=subprocess.PIPE)
    expected = json.loads(out.stdout)
    if args.rill:
        run_cli_consume(args.rill, data_dir, expected)

    check = Checker()
    offsets, groups, history = replay(data_dir, expected["partitions"], check)
    if args.rill:
        # The CLI's leader epoch is whatever the batch had: accept any.
        got = offsets.get(("cli-readers", "payments", 2))
        expected["offsets"][-1]["leader_epoch"] = got["leader_epoch"] if got else None
    check_offsets(expected, offsets, check)
    check_groups(expected, groups, history, check)
    print("%d offset keys, %d groups decoded; %d mismatches" %
          (len(offsets), len(groups), check.failures))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
