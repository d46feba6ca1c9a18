# Warning flags for rill's own targets, and the sanitizer builds.
add_library(rill_warnings INTERFACE)
# Designated initializers of options structs are the intended style: leaving
# fields at their defaults is not a mistake.
target_compile_options(rill_warnings INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # g++ cannot warn about a dropped absl::Status; clang can.
  target_compile_options(rill_warnings INTERFACE -Werror=unused-result)
endif()

if(RILL_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(RILL_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT RILL_SANITIZE STREQUAL "")
  message(FATAL_ERROR "RILL_SANITIZE must be empty, 'address' or 'thread', not '${RILL_SANITIZE}'")
endif()
