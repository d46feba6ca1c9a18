#include "tools/rill/progress.h"

#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"

namespace rill::tool {
namespace {

constexpr size_t kBarWidth = 30;
// Carriage return, then erase the line (VT100 EL).
constexpr char kEraseLine[] = "\r\033[K";

}  // namespace

Progress::Progress(bool enabled, size_t total)
    : enabled_(enabled && isatty(STDERR_FILENO) == 1), total_(total) {}

void Progress::Update(size_t done, absl::string_view item) {
  if (!enabled_ || total_ == 0) return;
  size_t filled = kBarWidth * done / total_;
  std::cerr << kEraseLine << "[" << std::string(filled, '#') << std::string(kBarWidth - filled, '.')
            << "] " << done << "/" << total_ << " " << item << std::flush;
  shown_ = true;
}

void Progress::Clear() {
  if (!shown_) return;
  std::cerr << kEraseLine << std::flush;
  shown_ = false;
}

}  // namespace rill::tool
