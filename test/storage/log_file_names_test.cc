// Kafka's file names (LogFileUtils.java): 20-digit zero-padded offsets, the
// kind suffix, and the temporary suffix after it.

#include "lib/storage/log_file_names.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace rill::storage {
namespace {

TEST_CASE("segment file names are the base offset in 20 zero-padded digits plus the suffix",
          "[storage][names]") {
  CHECK(OffsetFileStem(0) == "00000000000000000000");
  CHECK(OffsetFileStem(42) == "00000000000000000042");
  CHECK(OffsetFileStem(INT64_MAX) == "09223372036854775807");
  CHECK(SegmentFileName(42, kLogSuffix) == "00000000000000000042.log");
  CHECK(SegmentFileName(42, kIndexSuffix) == "00000000000000000042.index");
  CHECK(SegmentFileName(42, kTimeIndexSuffix) == "00000000000000000042.timeindex");
  CHECK(SegmentFileName(7, kSnapshotSuffix) == "00000000000000000007.snapshot");
  CHECK(SegmentFileName(7, kTxnIndexSuffix) == "00000000000000000007.txnindex");
}

TEST_CASE("ParseFileName reads the offset, the kind and a temporary suffix", "[storage][names]") {
  struct Case {
    std::string name;
    int64_t offset;
    std::string kind;
    std::string temporary;
  };
  for (const Case& c : {
           Case{"00000000000000000000.log", 0, ".log", ""},
           Case{"00000000000000001234.index", 1234, ".index", ""},
           Case{"00000000000000001234.timeindex", 1234, ".timeindex", ""},
           Case{"00000000000000000005.txnindex", 5, ".txnindex", ""},
           Case{"00000000000000000005.snapshot", 5, ".snapshot", ""},
           Case{"00000000000000000100.log.deleted", 100, ".log", ".deleted"},
           Case{"00000000000000000100.index.swap", 100, ".index", ".swap"},
           Case{"00000000000000000100.timeindex.cleaned", 100, ".timeindex", ".cleaned"},
           Case{"09223372036854775807.log", INT64_MAX, ".log", ""},
       }) {
    INFO(c.name);
    auto parsed = ParseFileName(c.name);
    REQUIRE(parsed.has_value());
    CHECK(parsed->offset == c.offset);
    CHECK(parsed->kind == c.kind);
    CHECK(parsed->temporary == c.temporary);
  }
}

TEST_CASE("ParseFileName rejects names that are not segment files", "[storage][names]") {
  for (const char* name : {
           "leader-epoch-checkpoint",
           "partition.metadata",
           ".lock",
           "42.log",                        // Not 20 digits.
           "000000000000000000042.log",     // 21 digits.
           "0000000000000000004x.log",      // Not a number.
           "-0000000000000000042.log",      // Negative.
           "00000000000000000042.txt",      // Unknown kind.
           "00000000000000000042.log.tmp",  // Unknown temporary suffix.
           "00000000000000000042.deleted",  // Temporary suffix without a kind.
           "99999999999999999999.log",      // Past int64.
           ".log",
           "",
       }) {
    INFO("'" << name << "'");
    CHECK_FALSE(ParseFileName(name).has_value());
  }
}

TEST_CASE("partition directory names are topic-partition and the topic may contain dashes",
          "[storage][names]") {
  CHECK(PartitionDirName("orders", 0) == "orders-0");
  CHECK(PartitionDirName("my-topic", 12) == "my-topic-12");

  auto parsed = ParsePartitionDirName("my-topic-12");
  REQUIRE(parsed.has_value());
  CHECK(parsed->first == "my-topic");
  CHECK(parsed->second == 12);

  for (const char* name : {"orders", "orders-", "-3", "orders-x", "orders-1a", "orders-99999999999",
                           "recovery-point-offset-checkpoint", ".kafka_cleanshutdown"}) {
    INFO("'" << name << "'");
    CHECK_FALSE(ParsePartitionDirName(name).has_value());
  }
}

}  // namespace
}  // namespace rill::storage
