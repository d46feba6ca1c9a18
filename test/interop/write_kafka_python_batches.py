#!/usr/bin/python3
"""kafka-python writes a segment for `rill dump` to read.

Builds RecordBatch v2 batches with kafka-python's DefaultRecordBatchBuilder
(Debian's python3-kafka 2.0.2, an independent implementation) for every codec,
with assorted records (null, empty, binary, UTF-8 and almost-UTF-8 keys and
values; headers with null and binary values; a multi-block batch of ~300 KiB),
and writes them end to end as OUT_DIR/interop-3/00000000000000000100.log, the
way a broker lays out partition 3 of topic "interop". Like a broker it
assigns base offsets and the partition leader epoch (outside the CRC) and
stamps one batch with LogAppendTime (recomputing the CRC).

OUT_DIR/expected.json holds what `rill dump --records --json` must print:
every record in spec/cli.md's record JSON form, and per batch its header
fields. The generator reads the file back with kafka-python first, so the
expectations agree with kafka-python's own reading.

Exit status: 0 written; 1 an error; 77 (ctest: skipped) when kafka-python or a
codec module is missing. Run with /usr/bin/python3.
"""

import argparse
import base64
import json
import os
import struct
import sys

from kafka_or_skip import require_codecs

from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords
from kafka.record.util import calc_crc32c

TOPIC = "interop"
PARTITION = 3
FIRST_OFFSET = 100
LEADER_EPOCH = 5
BASE_TIME = 1700000000000
LOG_APPEND_TIME = BASE_TIME + 777777

CODECS = [("none", 0), ("gzip", 1), ("snappy", 2), ("lz4", 3), ("zstd", 4)]

# Header byte offsets (kafka-reference.md section 1.1).
BASE_OFFSET_AT = 0
LEADER_EPOCH_AT = 12
CRC_AT = 17
ATTRIBUTES_AT = 21
MAX_TIMESTAMP_AT = 35
LOG_APPEND_TIME_BIT = 0x08

FILLER = b"the quick brown fox jumps over the lazy dog; " * 4


def json_bytes(b):
    """spec/cli.md: a string when valid UTF-8, else {"base64": ...}; None for null."""
    if b is None:
        return None
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(b).decode("ascii")}


def assorted_records(tag):
    """(offset_delta, timestamp, key, value, headers) with every kind of bytes."""
    t = BASE_TIME
    return [
        (0, t, None, b"null key " + FILLER, []),
        (1, t + 1, b"", b"", []),
        (2, t - 5000, bytes(range(256)), b"\xff\xfe\x00\x80" + FILLER, []),
        (3, t + 3, "ключ-%s 🔑" % tag, ("значение ✓ 值 " * 8).encode("utf-8"),
         [("trace", b"abc"), ("null", None), ("empty", b""), ("binary", b"\x00\xff\xc3\x28"),
          ("ключ", "ü".encode("utf-8"))]),
        (4, t + 4, b"tombstone-" + tag.encode(), None, [("why", b"deleted")]),
        # Almost UTF-8: a surrogate, an overlong '/', past U+10FFFF; and U+10FFFF itself.
        (5, t + 5, b"\xed\xa0\x80", b"\xc0\xaf" + FILLER, [("past-max", b"\xf4\x90\x80\x80")]),
        (6, t + 6, b"\xf4\x8f\xbf\xbf", b"control chars \x00\x01\n\t\"\\ " + FILLER, []),
    ]


def large_records(tag):
    """~300 KiB of compressible records: many lz4 (64 KiB) and snappy (32 KiB) blocks."""
    return [(i, BASE_TIME + 1000 + i, ("%s-large-%d" % (tag, i)).encode(),
             (b"%d " % i) + FILLER * 17, [("i", b"%d" % i)] if i % 7 == 0 else [])
            for i in range(100)]


def encode_key(key):
    return key.encode("utf-8") if isinstance(key, str) else key


def build(codec_id, records, producer=(-1, -1, -1), transactional=False):
    producer_id, producer_epoch, base_sequence = producer
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=codec_id, is_transactional=transactional,
        producer_id=producer_id, producer_epoch=producer_epoch, base_sequence=base_sequence,
        batch_size=16 << 20)
    for delta, timestamp, key, value, headers in records:
        if builder.append(delta, timestamp=timestamp, key=encode_key(key), value=value,
                          headers=headers) is None:
            raise RuntimeError("kafka-python refused a record: batch_size too small")
    batch = builder.build()
    attributes, = struct.unpack_from(">h", batch, ATTRIBUTES_AT)
    # kafka-python sends uncompressed when compressing does not pay; every
    # batch here must really use its codec, or the codec goes untested.
    if attributes & 0x07 != codec_id:
        raise RuntimeError("kafka-python did not compress a batch with codec %d" % codec_id)
    return batch


def assign_offset_and_epoch(batch, base_offset):
    """What a leader does on append: both fields lie outside the CRC."""
    struct.pack_into(">q", batch, BASE_OFFSET_AT, base_offset)
    struct.pack_into(">i", batch, LEADER_EPOCH_AT, LEADER_EPOCH)


def stamp_log_append_time(batch):
    """message.timestamp.type=LogAppendTime: attribute bit 3 and maxTimestamp, new CRC."""
    attributes, = struct.unpack_from(">h", batch, ATTRIBUTES_AT)
    struct.pack_into(">h", batch, ATTRIBUTES_AT, attributes | LOG_APPEND_TIME_BIT)
    struct.pack_into(">q", batch, MAX_TIMESTAMP_AT, LOG_APPEND_TIME)
    struct.pack_into(">I", batch, CRC_AT, calc_crc32c(bytes(batch[ATTRIBUTES_AT:])))


def all_batches():
    """(batch bytes, log_append_time?) for every codec."""
    batches = []
    for index, (name, codec_id) in enumerate(CODECS):
        producer = (7000 + index, 2, 0)
        batches.append((build(codec_id, assorted_records(name), producer,
                              transactional=(name == "gzip")), False))
        large_producer = (7000 + index, 2, len(assorted_records(name)))
        batches.append((build(codec_id, large_records(name), large_producer), False))
        stamped = build(codec_id, assorted_records(name + "-lat"))
        stamp_log_append_time(stamped)
        batches.append((stamped, True))
    return batches


def record_json(record, timestamp_type):
    return {
        "topic": TOPIC,
        "partition": PARTITION,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "timestamp_type": timestamp_type,
        "key": json_bytes(record.key),
        "value": json_bytes(record.value),
        "headers": [{"key": json_bytes(k.encode("utf-8")), "value": json_bytes(v)}
                    for k, v in record.headers],
    }


def batch_json(batch, position, size):
    header = batch._header_data  # Fields without a public property (reference section 13).
    return {
        "base_offset": batch.base_offset,
        "last_offset": batch.base_offset + batch.last_offset_delta,
        "record_count": header[12],
        "position": position,
        "size_bytes": size,
        "crc": batch.crc,
        "crc_valid": True,
        "compression": dict((i, n) for n, i in CODECS)[batch.compression_type],
        "timestamp_type": "log_append" if batch.timestamp_type else "create",
        "base_timestamp": batch.first_timestamp,
        "max_timestamp": batch.max_timestamp,
        "producer_id": header[9],
        "producer_epoch": header[10],
        "base_sequence": header[11],
        "partition_leader_epoch": header[2],
        "is_transactional": batch.is_transactional,
        "is_control": batch.is_control_batch,
    }


def expectations(data):
    """Reads `data` back with kafka-python: the records and batch fields it sees."""
    records, batches = [], []
    memory = MemoryRecords(bytes(data))
    position = 0
    while memory.has_next():
        batch = memory.next_batch()
        size = len(batch._buffer)
        if not batch.validate_crc():
            raise RuntimeError("kafka-python rejects the CRC of its own batch at %d" % position)
        batches.append(batch_json(batch, position, size))
        timestamp_type = "log_append" if batch.timestamp_type else "create"
        records.extend(record_json(r, timestamp_type) for r in batch)
        position += size
    if position != len(data):
        raise RuntimeError("kafka-python read %d of %d bytes" % (position, len(data)))
    return records, batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True)
    args = parser.parse_args()
    require_codecs([name for name, _ in CODECS])

    data = bytearray()
    offset = FIRST_OFFSET
    for batch, _ in all_batches():
        assign_offset_and_epoch(batch, offset)
        last_offset_delta, = struct.unpack_from(">i", batch, 23)
        offset += last_offset_delta + 1
        data += batch
    records, batches = expectations(data)

    partition_dir = os.path.join(args.out_dir, "%s-%d" % (TOPIC, PARTITION))
    os.makedirs(partition_dir, exist_ok=True)
    log_path = os.path.join(partition_dir, "%020d.log" % FIRST_OFFSET)
    with open(log_path, "wb") as f:
        f.write(data)
    with open(os.path.join(args.out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"log": log_path, "partition_dir": partition_dir, "records": records,
                   "batches": batches}, f, ensure_ascii=False)
    print("wrote %s: %d batches, %d records, %d bytes" % (log_path, len(batches), len(records),
                                                          len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
