# The third-party packages baton's libraries need, in one place. Included twice:
# by baton's own build (find_package ... REQUIRED) and by an installed baton's
# batonConfig.cmake (find_dependency), so what the build links and what a
# consumer's find_package(baton) finds cannot drift apart. Next to each package:
# the Debian package that provides it (the .deb's Depends:, BATON_DEB_DEPENDS)
# and its pkg-config module (baton.pc's Requires:, BATON_PC_REQUIRES).
#
# In: BATON_WITH_MPI, BATON_WITH_S3; BATON_DEPENDENCIES_FOR_CONFIG (set by the
# package config). Programs that are not part of the installed library (the CLI,
# the tests) find their own extra packages in the top-level CMakeLists.txt.
include(CMakeFindDependencyMacro)
find_package(PkgConfig REQUIRED)

set(BATON_DEB_DEPENDS pkg-config)
set(BATON_PC_REQUIRES "")

# find_package, or find_dependency in the package config (which returns from
# the config with baton_FOUND false and the reason when the package is missing).
macro(baton_find_package name)
  if(BATON_DEPENDENCIES_FOR_CONFIG)
    find_dependency(${name} ${ARGN})
  else()
    find_package(${name} ${ARGN} REQUIRED)
  endif()
endmacro()

# pkg_check_modules with an imported target PkgConfig::<prefix>. A subproject's
# imported targets must be GLOBAL: a consumer's target in the parent directory
# links them through baton's targets.
macro(baton_pkg_modules prefix)
  if(BATON_DEPENDENCIES_FOR_CONFIG)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${ARGN})
    if(NOT ${prefix}_FOUND)
      set(baton_NOT_FOUND_MESSAGE "baton needs the pkg-config modules ${ARGN}, which were not found")
      set(baton_FOUND FALSE)
      return()
    endif()
  else()
    pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET GLOBAL ${ARGN})
  endif()
  list(APPEND BATON_PC_REQUIRES ${ARGN})
endmacro()

if(NOT BATON_DEPENDENCIES_FOR_CONFIG AND NOT PROJECT_IS_TOP_LEVEL)
  set(CMAKE_FIND_PACKAGE_TARGETS_GLOBAL ON)
endif()

baton_find_package(Threads)
baton_find_package(fmt)                    # engine, store
list(APPEND BATON_DEB_DEPENDS libfmt-dev)
list(APPEND BATON_PC_REQUIRES fmt)
baton_find_package(nlohmann_json 3)        # engine, results, store (header-only)
list(APPEND BATON_DEB_DEPENDS nlohmann-json3-dev)
list(APPEND BATON_PC_REQUIRES nlohmann_json)
baton_find_package(SQLite3)                # store: the embedded run history
list(APPEND BATON_DEB_DEPENDS libsqlite3-dev)
list(APPEND BATON_PC_REQUIRES sqlite3)
baton_pkg_modules(XXHASH libxxhash)        # util, table, parquet: XXH3
list(APPEND BATON_DEB_DEPENDS libxxhash-dev)
baton_pkg_modules(ZSTD libzstd)            # results: compressed payloads
list(APPEND BATON_DEB_DEPENDS libzstd-dev)
baton_pkg_modules(PARQUET_CODECS snappy libzstd liblz4 zlib)  # parquet page codecs
list(APPEND BATON_DEB_DEPENDS libsnappy-dev liblz4-dev zlib1g-dev)
baton_find_package(CURL)                   # client: engines reporting to a server
baton_find_package(ZLIB)                   # client: gzip request bodies
list(APPEND BATON_DEB_DEPENDS libcurl4-openssl-dev)
list(APPEND BATON_PC_REQUIRES libcurl zlib)

# The two optional parts: on by default, off with -DBATON_WITH_S3=OFF /
# -DBATON_WITH_MPI=OFF; a build that asks for one whose libraries are absent
# stops here and says which package to install or which option to turn off.
macro(baton_require_optional option what debs)
  if(NOT BATON_DEPENDENCIES_FOR_CONFIG)
    message(FATAL_ERROR "${what} was not found. Install ${debs} (scripts/install-deps.sh does), "
                        "or configure with -D${option}=OFF to build baton without it.")
  endif()
endmacro()

if(BATON_WITH_S3)                          # results/s3: libcurl, OpenSSL (SigV4), pugixml (XML)
  if(BATON_DEPENDENCIES_FOR_CONFIG)
    find_dependency(CURL)
    find_dependency(OpenSSL)
    find_dependency(pugixml)
  else()
    find_package(CURL QUIET)
    find_package(OpenSSL QUIET)
    find_package(pugixml QUIET)
    if(NOT CURL_FOUND OR NOT OPENSSL_FOUND OR NOT pugixml_FOUND)
      baton_require_optional(BATON_WITH_S3 "S3 support needs libcurl, OpenSSL and pugixml; one of them"
                             "libcurl4-openssl-dev libssl-dev libpugixml-dev")
    endif()
  endif()
  list(APPEND BATON_DEB_DEPENDS libcurl4-openssl-dev libssl-dev libpugixml-dev)
  list(APPEND BATON_PC_REQUIRES libcurl libcrypto pugixml)
endif()

if(BATON_WITH_MPI)                         # runners: the MPI task runner (OpenMPI's C API)
  if(BATON_DEPENDENCIES_FOR_CONFIG)
    baton_pkg_modules(OMPI ompi-c)
  else()
    pkg_check_modules(OMPI QUIET IMPORTED_TARGET GLOBAL ompi-c)
    if(NOT OMPI_FOUND)
      baton_require_optional(BATON_WITH_MPI "OpenMPI (pkg-config module ompi-c)" "libopenmpi-dev")
    endif()
    list(APPEND BATON_PC_REQUIRES ompi-c)
  endif()
  list(APPEND BATON_DEB_DEPENDS libopenmpi-dev)
endif()
