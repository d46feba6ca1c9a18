#ifndef RILL_TOOLS_RILL_PROGRESS_H_
#define RILL_TOOLS_RILL_PROGRESS_H_

// The progress bar long commands (verify, dump of a data directory) show on
// stderr, as cli.md asks: only when stderr is a terminal, so scripts and
// logs never see it. Not thread safe.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace rill::tool {

class Progress {
 public:
  // `enabled` is ANDed with "stderr is a terminal". `total` steps.
  Progress(bool enabled, size_t total);
  ~Progress() { Clear(); }

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Redraws the bar: `done` of `total` steps, working on `item`.
  void Update(size_t done, absl::string_view item);
  // Erases the bar, so that stdout written to the same terminal stays clean.
  void Clear();

 private:
  const bool enabled_;
  const size_t total_;
  bool shown_ = false;
};

}  // namespace rill::tool

#endif  // RILL_TOOLS_RILL_PROGRESS_H_
