# Finds rill's third-party dependencies: Debian 12 packages only, nothing is
# downloaded. Used by the build and, installed beside rillConfig.cmake, by
# projects that find_package(rill) so the static library's link dependencies
# resolve for them too.
include(CMakeFindDependencyMacro)

find_dependency(absl CONFIG)
find_dependency(ZLIB)
find_dependency(Snappy CONFIG)
find_dependency(PkgConfig)

# LZ4, zstd and ISA-L are found through pkg-config: Debian's zstd CMake config
# names a static archive the -dev package may not ship, and the other two ship
# no CMake config at all.
if(NOT TARGET PkgConfig::RILL_LZ4)
  pkg_check_modules(RILL_LZ4 REQUIRED IMPORTED_TARGET liblz4)
endif()
if(NOT TARGET PkgConfig::RILL_ZSTD)
  pkg_check_modules(RILL_ZSTD REQUIRED IMPORTED_TARGET libzstd)
endif()
if(NOT TARGET PkgConfig::RILL_ISAL)
  pkg_check_modules(RILL_ISAL REQUIRED IMPORTED_TARGET libisal)
endif()
