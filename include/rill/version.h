#ifndef RILL_VERSION_H_
#define RILL_VERSION_H_

#include <string_view>

namespace rill {

// The library's version, "MAJOR.MINOR.PATCH". Thread safe; never fails.
std::string_view Version();

}  // namespace rill

#endif  // RILL_VERSION_H_
