#include "lib/storage/zero_filler.h"

#include <utility>

#include "lib/storage/segment.h"

namespace rill::storage {

ZeroFiller::ZeroFiller(uint64_t chunk_bytes, uint64_t ahead_bytes)
    : chunk_bytes_(chunk_bytes), ahead_bytes_(ahead_bytes), thread_([this] { Loop(); }) {}

ZeroFiller::~ZeroFiller() { Stop(); }

void ZeroFiller::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_one();
  std::lock_guard<std::mutex> join(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void ZeroFiller::Request(std::weak_ptr<Segment> segment) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    queue_.push_back(std::move(segment));
  }
  cv_.notify_one();
}

void ZeroFiller::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::shared_ptr<Segment> segment = queue_.front().lock();
    queue_.pop_front();
    if (segment == nullptr) continue;
    lock.unlock();
    // A failed chunk stops zero fill for that segment (Segment keeps the
    // state); the writer's own writes and syncs report a real disk problem.
    while (segment->zero_filled() < segment->size() + ahead_bytes_) {
      uint64_t before = segment->zero_filled();
      if (!segment->ZeroFillChunk(chunk_bytes_).ok() || segment->zero_filled() == before) break;
      std::lock_guard<std::mutex> check(mu_);
      if (stop_) break;
    }
    segment->FinishZeroFillRequest();
    segment.reset();
    lock.lock();
  }
}

}  // namespace rill::storage
