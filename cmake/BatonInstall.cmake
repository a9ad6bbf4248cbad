# What `cmake --install <build> --prefix P` puts under P, and the .deb (`make deb`):
#   include/baton/...                        the public headers and the generated version.h
#   lib/libbaton*.a (or .so)                 BATON_INSTALLED_LIBRARIES (top-level CMakeLists.txt)
#   bin/baton                                the command, when BATON_BUILD_CLI
#   lib/cmake/baton/                         find_package(baton CONFIG) -> baton::baton
#   lib/pkgconfig/baton.pc                   pkg-config --cflags --libs baton
include(CMakePackageConfigHelpers)

set(BATON_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/baton)

# The interface-only helper targets the layers link privately (internal headers,
# warnings) carry nothing outside the build tree, but a static library's private
# links are part of its exported interface, so they are exported too (empty).
install(TARGETS ${BATON_INSTALLED_LIBRARIES} baton_internal_headers baton_warnings
        EXPORT batonTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/baton ${PROJECT_BINARY_DIR}/include/baton
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET baton_cli)
  install(TARGETS baton_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# A sanitized build's libraries need the sanitizer's runtime in every program
# that links them: the installed interface says so (the build tree's programs
# get it from add_link_options at the top).
if(BATON_SANITIZE STREQUAL "address")
  set(BATON_SANITIZE_LINK -fsanitize=address,undefined)
elseif(BATON_SANITIZE STREQUAL "thread")
  set(BATON_SANITIZE_LINK -fsanitize=thread)
endif()
if(BATON_SANITIZE_LINK)
  target_link_options(baton_util INTERFACE $<INSTALL_INTERFACE:${BATON_SANITIZE_LINK}>)
endif()

# The CMake package: targets baton::<name> (baton::baton is the one to link), the
# config that finds every third-party package they need (the same
# BatonDependencies.cmake the build used), and the version.
install(EXPORT batonTargets NAMESPACE baton:: DESTINATION ${BATON_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/batonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/batonConfig.cmake INSTALL_DESTINATION ${BATON_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/batonConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/batonConfig.cmake ${PROJECT_BINARY_DIR}/batonConfigVersion.cmake
        ${PROJECT_SOURCE_DIR}/cmake/BatonDependencies.cmake
        DESTINATION ${BATON_CMAKE_DIR})

# baton.pc: relocatable (its prefix is found from where the file is), the
# libraries as one linker group (a static link then needs no order between the
# layers), the anchor that keeps the default wiring, and the pkg-config modules
# of the packages BatonDependencies.cmake found.
set(BATON_PC_LIBS "")
foreach(lib ${BATON_INSTALLED_LIBRARIES})
  string(APPEND BATON_PC_LIBS " -l${lib}")
endforeach()
if(NOT BUILD_SHARED_LIBS)
  set(BATON_PC_LIBS " -Wl,--start-group${BATON_PC_LIBS} -Wl,--end-group")
endif()
string(JOIN " " BATON_PC_LIBS_EXTRA -pthread ${BATON_SANITIZE_LINK})
list(REMOVE_DUPLICATES BATON_PC_REQUIRES)
string(JOIN ", " BATON_PC_REQUIRES_LINE ${BATON_PC_REQUIRES})
file(RELATIVE_PATH BATON_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" BATON_PC_TO_PREFIX "${BATON_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/baton.pc.in ${PROJECT_BINARY_DIR}/baton.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/baton.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

include(${PROJECT_SOURCE_DIR}/cmake/BatonPackaging.cmake)
