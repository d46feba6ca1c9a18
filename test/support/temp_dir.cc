#include "test/support/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rill::testing {
namespace {

bool KeepTestDirs() {
  const char* keep = std::getenv("RILL_KEEP_TEST_DIRS");
  return keep != nullptr && std::strcmp(keep, "1") == 0;
}

}  // namespace

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string root = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  std::string pattern = absl::StrCat(root, "/rill-test-XXXXXX");
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (KeepTestDirs()) {
    std::cerr << "RILL_KEEP_TEST_DIRS=1: keeping " << path_ << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // Best effort: a leftover is only litter.
}

std::string TempDir::Join(absl::string_view name) const { return absl::StrCat(path_, "/", name); }

}  // namespace rill::testing
