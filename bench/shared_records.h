#ifndef RILL_BENCH_SHARED_RECORDS_H_
#define RILL_BENCH_SHARED_RECORDS_H_

// The shared benchmark records of ../shared/bench/WORKLOADS.md, byte for byte
// as peerbench defines them: record i has key "key-%08d" of (i mod K) and V
// incompressible bytes computed from (seed, i), so any reader can verify a
// record without storing anything.

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace rill::bench {

inline constexpr int kKeyBytes = 12;

// Writes the 12-byte key of record i (plus a NUL) into out[13].
inline void MakeKey(uint64_t i, uint64_t key_space, char* out) {
  // "key-" and the last 8 decimal digits of i mod K (K <= 10^8 in practice).
  uint64_t n = (i % key_space) % 100'000'000;
  std::memcpy(out, "key-", 4);
  for (int d = 11; d >= 4; --d, n /= 10) out[d] = static_cast<char>('0' + n % 10);
  out[kKeyBytes] = '\0';
}

// Fills out[0, value_bytes) with record i's value: a splitmix64 stream seeded
// from (seed, i), each word emitted little-endian.
inline void MakeValue(uint64_t seed, uint64_t i, char* out, size_t value_bytes) {
  uint64_t s = (seed * 0xD1B54A32D192ED03ull) ^ (i * 0x9E3779B97F4A7C15ull) ^
               0x5851F42D4C957F2Dull;
  for (size_t at = 0; at < value_bytes; at += 8) {
    s += 0x9E3779B97F4A7C15ull;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    size_t n = value_bytes - at < 8 ? value_bytes - at : 8;
    std::memcpy(out + at, &z, n);  // x86-64 is little-endian.
  }
}

}  // namespace rill::bench

#endif  // RILL_BENCH_SHARED_RECORDS_H_
