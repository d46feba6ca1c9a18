#ifndef RILL_TEST_SUPPORT_TEMP_DIR_H_
#define RILL_TEST_SUPPORT_TEMP_DIR_H_

// A fresh directory for one test: created with mkdtemp under $TMPDIR (or
// /tmp) and removed with everything in it when the TempDir is destroyed,
// unless RILL_KEEP_TEST_DIRS=1, which keeps it and prints its path.
// Not thread safe; construction throws std::runtime_error (a test failure)
// when the directory cannot be made.

#include <string>

#include "absl/strings/string_view.h"

namespace rill::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace rill::testing

#endif  // RILL_TEST_SUPPORT_TEMP_DIR_H_
