#include "lib/client/murmur2.h"

#include <catch2/catch.hpp>

#include "lib/client/default_partitioner.h"

namespace rill::client {
namespace {

TEST_CASE("murmur2 matches the vectors of Kafka's UtilsTest", "[client][murmur2]") {
  CHECK(Murmur2("21") == -973932308);
  CHECK(Murmur2("foobar") == -790332482);
  CHECK(Murmur2("a-little-bit-long-string") == -985981536);
  CHECK(Murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(Murmur2("abc") == 479470107);
  CHECK(Murmur2("k") == -1567496736);
}

TEST_CASE("a key's partition is toPositive(murmur2) modulo the partition count",
          "[client][murmur2]") {
  // toPositive clears the sign bit; abs() would give a different answer.
  CHECK(ToPositive(-1567496736) == 579986912);
  CHECK(PartitionForKey("k", 50) == 12);
  CHECK(PartitionForKey("k", 3) == 2);
  CHECK(ToPositive(INT32_MIN) == 0);
}

TEST_CASE("keyed records always go to the same partition", "[client][partitioner]") {
  DefaultPartitioner partitioner(16384, /*ignore_keys=*/false, 7);
  for (int i = 0; i < 1000; ++i) {
    std::string key = "key-" + std::to_string(i);
    for (int32_t partitions : {1, 3, 7, 50}) {
      CHECK(partitioner.Partition("t", key, partitions) == PartitionForKey(key, partitions));
    }
  }
}

TEST_CASE("null-key records stick to a partition until batch.size bytes went to it",
          "[client][partitioner]") {
  DefaultPartitioner partitioner(1000, false, 42);
  int32_t first = partitioner.Partition("t", std::nullopt, 8);
  CHECK(partitioner.Partition("t", std::nullopt, 8) == first);
  partitioner.OnBatchClosed("t", first, 600);
  CHECK(partitioner.Partition("t", std::nullopt, 8) == first);
  partitioner.OnBatchClosed("t", first, 600);  // 1200 >= batch.size: move on.
  int32_t second = partitioner.Partition("t", std::nullopt, 8);
  CHECK(second != first);
}

TEST_CASE("the sticky partitioner spreads null-key batches over every partition",
          "[client][partitioner]") {
  DefaultPartitioner partitioner(100, false, 1);
  std::map<int32_t, int> seen;
  for (int i = 0; i < 2000; ++i) {
    int32_t p = partitioner.Partition("t", std::nullopt, 10);
    ++seen[p];
    partitioner.OnBatchClosed("t", p, 100);
  }
  REQUIRE(seen.size() == 10);
  for (const auto& [p, n] : seen) CHECK(n > 100);  // Roughly uniform: 200 each.
}

TEST_CASE("partitioner.ignore.keys treats keyed records like null-key ones",
          "[client][partitioner]") {
  DefaultPartitioner partitioner(16384, /*ignore_keys=*/true, 3);
  int32_t p = partitioner.Partition("t", absl::string_view("a"), 4);
  for (int i = 0; i < 20; ++i) {
    CHECK(partitioner.Partition("t", "key-" + std::to_string(i), 4) == p);
  }
}

}  // namespace
}  // namespace rill::client
