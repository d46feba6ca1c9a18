#ifndef RILL_CLIENT_MURMUR2_H_
#define RILL_CLIENT_MURMUR2_H_

// Kafka's murmur2 (Utils.murmur2 in the Java client): the hash its default
// partitioner applies to a record key, so keyed records land on the same
// partition number as with a Java producer. Thread safe (pure).

#include <cstdint>

#include "absl/strings/string_view.h"

namespace rill::client {

// The signed 32-bit hash, as Java computes it.
int32_t Murmur2(absl::string_view data);

// Kafka's toPositive: clears the sign bit (not abs()).
inline int32_t ToPositive(int32_t n) { return n & 0x7fffffff; }

// toPositive(murmur2(key)) % partition_count.
inline int32_t PartitionForKey(absl::string_view key, int32_t partition_count) {
  return ToPositive(Murmur2(key)) % partition_count;
}

}  // namespace rill::client

#endif  // RILL_CLIENT_MURMUR2_H_
