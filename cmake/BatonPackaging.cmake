# `make deb` (cpack -G DEB in a build without tests, benchmarks and examples):
# one package `baton` with the command, the headers, the libraries, the CMake
# package and baton.pc, installed under /usr. Depends: the shared libraries the
# command links (dpkg-shlibdeps) and the -dev packages a program linking the
# static libraries needs (BATON_DEB_DEPENDS, kept beside each find in
# BatonDependencies.cmake).
set(CPACK_PACKAGE_NAME baton)
set(CPACK_PACKAGE_VENDOR "baton developers")
set(CPACK_PACKAGE_CONTACT "baton developers <baton@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "workflow orchestration for data pipelines in C++20 (library, headers and the baton command)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
list(REMOVE_DUPLICATES BATON_DEB_DEPENDS)
string(JOIN ", " CPACK_DEBIAN_PACKAGE_DEPENDS ${BATON_DEB_DEPENDS})
set(CPACK_GENERATOR DEB)
include(CPack)
