# Installs the headers, the static library, the rill tool and a package
# config so that find_package(rill CONFIG) + target_link_libraries(app
# rill::rill) works from another project.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/rill DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS rill EXPORT rillTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(RILL_BUILD_TOOLS)
  install(TARGETS rill_tool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(RILL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rill)
install(EXPORT rillTargets NAMESPACE rill:: DESTINATION ${RILL_CMAKE_DIR})
configure_package_config_file(cmake/rillConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/rillConfig.cmake INSTALL_DESTINATION ${RILL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rillConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rillConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/rillConfigVersion.cmake
              cmake/RillDependencies.cmake
        DESTINATION ${RILL_CMAKE_DIR})
