#ifndef RILL_STORAGE_ZERO_FILLER_H_
#define RILL_STORAGE_ZERO_FILLER_H_

// A broker thread that writes zeros ahead of the end of active segments
// whose logs sync often, and syncs them.
//
// Why: on ext4 (and XFS) an fdatasync after an append that grew the file
// must also make the new blocks' allocation and the new size durable — a
// journal commit, or on ext4 without a journal a synchronous write of the
// inode — while an fdatasync of bytes written over blocks already
// allocated and synced only writes the data and flushes the disk cache.
// A log with flush.messages = 1000 pays one of those syncs per commit
// point, on the producer's critical path; with the zeros in place ahead of
// it the allocation is made durable here, once per chunk, off that path.
// PostgreSQL zero-fills new WAL segments for the same reason
// (wal_init_zero).
//
// The cost is disk bandwidth: a zero-filled log writes each byte twice, and
// a commit point's sync that runs while a chunk's zeros are being synced
// waits for them too. Measured on this project's VM (docs/storage.md, "Zero
// fill ahead"): durable appends 1.44 x faster with it on journaled ext4,
// 1.2 x on ext4 without a journal. The log asks for it only while it syncs
// at least twice per chunk (log.cc), and a roll or close cuts unused zeros
// off the file.
//
// Thread safety: Request may be called from any thread. Segments are held
// weakly while queued: a segment dropped by its log is skipped.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace rill::storage {

class Segment;

class ZeroFiller {
 public:
  // Zeros are written `chunk_bytes` at a time until `ahead_bytes` past a
  // segment's end are zero-filled. The defaults measured best on this
  // project's machines (1 MiB chunks 4 MiB ahead against 2/8 and 4/16).
  static constexpr uint64_t kChunkBytes = 1 << 20;
  static constexpr uint64_t kAheadBytes = 4 << 20;

  explicit ZeroFiller(uint64_t chunk_bytes = kChunkBytes, uint64_t ahead_bytes = kAheadBytes);
  ~ZeroFiller();  // Stop().
  ZeroFiller(const ZeroFiller&) = delete;
  ZeroFiller& operator=(const ZeroFiller&) = delete;

  // Zero-fills ahead of `segment` (which granted the request with
  // Segment::TakeZeroFillRequest).
  void Request(std::weak_ptr<Segment> segment);

  // Drops queued requests, finishes the chunk in progress and joins the
  // thread; later requests are dropped. Idempotent.
  void Stop();

  uint64_t chunk_bytes() const { return chunk_bytes_; }
  uint64_t ahead_bytes() const { return ahead_bytes_; }

 private:
  void Loop();

  const uint64_t chunk_bytes_;
  const uint64_t ahead_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::weak_ptr<Segment>> queue_;  // Guarded by mu_.
  bool stop_ = false;                         // Guarded by mu_.
  std::mutex join_mu_;                        // One Stop() joins.
  std::thread thread_;
};

}  // namespace rill::storage

#endif  // RILL_STORAGE_ZERO_FILLER_H_
