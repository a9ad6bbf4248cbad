#!/usr/bin/env bash
# consumer_check.sh MODE BUILD_DIR SOURCE_DIR
#
# Builds examples/consumer (a project of its own: find_package(baton)) the ways a
# user would, runs its flow and reads the run back with `baton`:
#   install       cmake --install BUILD_DIR into a temporary prefix; the consumer
#                 through find_package(baton) and through pkg-config.
#   subdirectory  the consumer with add_subdirectory(SOURCE_DIR): baton's libraries
#                 only, MPI and S3 off, GoogleTest and CLI11 made unfindable.
#   options       configure only: BATON_WITH_MPI / BATON_WITH_S3 with their libraries
#                 hidden stop with a message naming the option; off, they configure.
#   deb           cpack -G DEB from BUILD_DIR; the .deb installed with dpkg -i into a
#                 fresh root (a copy-on-write overlay of this machine's root, in a
#                 private mount namespace; or, with BATON_FRESH_ROOT_TAR=<a Debian 12
#                 minbase root as a tarball, e.g. fresh-check.sh's bookworm.tar>, a
#                 bare Debian where apt installs the .deb's Depends: from the network);
#                 the consumer built there against /usr. Exit 77 (skipped) with the
#                 reason when no fresh root can be made here.
set -euo pipefail
mode=$1
build=$(realpath "$2")
src=$(realpath "$3")
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || version=$(sed -n 's/^baton_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIPPED: $*"; exit 77; }

# The .deb goes into a root of its own, in a private mount namespace: every
# mount the check makes ends with it.
if [ "$mode" = deb ] && [ -z "${BATON_IN_NAMESPACE:-}" ]; then
  unshare -m --propagation private true 2>/dev/null || skip "no mount namespace can be made here (unshare -m refused)"
  BATON_IN_NAMESPACE=1 exec unshare -m --propagation private "$0" "$@"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/baton-consumer.XXXXXX")
root=""
cleanup() {
  if [ -n "$root" ]; then umount -R "$root" 2>/dev/null || umount -lR "$root" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# run_consumer PROGRAM BATON: the flow runs, says what it did, and `baton` finds
# the run Completed in the history the flow wrote.
run_consumer() {
  local program=$1 cli=$2 home
  home=$(mktemp -d "$tmp/home.XXXX")
  BATON_HOME=$home "$program" --count 20 --out "$home/squares.parquet" >"$home/out.txt" 2>&1 ||
    { cat "$home/out.txt"; fail "$program exited $?"; }
  grep -q "baton $version: 20 squares written" "$home/out.txt" || { cat "$home/out.txt"; fail "$program: no result line"; }
  BATON_HOME=$home "$cli" flow-run ls --json >"$home/ls.json"
  grep -q '"flow_name": *"squares"' "$home/ls.json" && grep -q '"state": *"Completed"' "$home/ls.json" ||
    { cat "$home/ls.json"; fail "the squares run is not Completed in the history"; }
  echo "ok: $program ran its flow; $cli shows it Completed"
}

case "$mode" in
install)
  prefix=$tmp/prefix
  cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
  [ -x "$prefix/bin/baton" ] || fail "no bin/baton in the install"
  [ "$("$prefix/bin/baton" --version)" = "baton $version" ] || fail "baton --version: $("$prefix/bin/baton" --version)"
  grep -q "#define BATON_VERSION_STRING \"$version\"" "$prefix/include/baton/version.h" || fail "version.h"
  ! grep -rq "/src/\|$src" "$prefix/include/baton" || fail "an installed header names the source tree"

  cmake -S "$src/examples/consumer" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_COMPILER="$compiler" >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
  cmake --build "$tmp/cmake-build" -j 2 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build"; }
  run_consumer "$tmp/cmake-build/squares" "$prefix/bin/baton"

  pc=$(find "$prefix" -name baton.pc)
  [ -n "$pc" ] || fail "no baton.pc in the install"
  export PKG_CONFIG_PATH=$(dirname "$pc")
  [ "$(pkg-config --modversion baton)" = "$version" ] || fail "pkg-config --modversion baton"
  # shellcheck disable=SC2046
  "$compiler" -std=c++20 -O1 "$src/examples/consumer/squares.cpp" -o "$tmp/squares-pc" \
    $(pkg-config --cflags --libs baton) || fail "build with pkg-config --cflags --libs baton"
  run_consumer "$tmp/squares-pc" "$prefix/bin/baton"
  ;;

subdirectory)
  # No GoogleTest, no CLI11: a subproject builds neither the tests nor the command.
  cmake -S "$src/examples/consumer" -B "$tmp/sub-build" -DBATON_SOURCE_DIR="$src" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON \
    -DBATON_WITH_MPI=OFF -DBATON_WITH_S3=OFF >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configure"; }
  cmake --build "$tmp/sub-build" -j 2 >"$tmp/build.log" 2>&1 || { tail -50 "$tmp/build.log"; fail "build"; }
  [ ! -e "$tmp/sub-build/baton/tests" ] && [ ! -e "$tmp/sub-build/baton/bench" ] || fail "tests or benchmarks configured"
  ! grep -q -- "-lmpi\|libpugixml\|libssl" "$tmp/sub-build/CMakeFiles/squares.dir/link.txt" ||
    fail "MPI or S3 libraries linked with BATON_WITH_MPI/S3=OFF"
  run_consumer "$tmp/sub-build/squares" "$build/cli/baton"
  # What is switched off says so, naming the option.
  home=$tmp/off-home
  mkdir -p "$home"
  if BATON_HOME=$home BATON_TASK_RUNNER=mpi "$tmp/sub-build/squares" --count 2 --out "$home/x.parquet" >"$home/mpi.txt" 2>&1; then
    fail "BATON_TASK_RUNNER=mpi ran without MPI support"
  fi
  grep -q "BATON_WITH_MPI=OFF" "$home/mpi.txt" || { cat "$home/mpi.txt"; fail "no word of BATON_WITH_MPI=OFF"; }
  if BATON_HOME=$home BATON_RESULT_STORAGE=s3://bucket/runs BATON_PERSIST_RESULTS=true \
    "$tmp/sub-build/squares" --count 2 --out "$home/y.parquet" >"$home/s3.txt" 2>&1; then
    fail "s3:// result storage accepted without S3 support"
  fi
  grep -q "BATON_WITH_S3=OFF" "$home/s3.txt" || { cat "$home/s3.txt"; fail "no word of BATON_WITH_S3=OFF"; }
  echo "ok: MPI and S3 switched off say so"
  ;;

deb)
  command -v dpkg-deb >/dev/null && command -v cpack >/dev/null || skip "dpkg-deb or cpack is missing"
  (cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
  deb=$(ls "$tmp"/pkg/baton_*.deb)
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  for must in libfmt-dev libsqlite3-dev libzstd-dev pkg-config; do
    grep -qw -- "$must" <<<"$depends" || fail "Depends: lacks $must"
  done
  contents=$(dpkg-deb -c "$deb")
  grep -q "./usr/bin/baton$" <<<"$contents" || fail "the .deb has no /usr/bin/baton"
  grep -q "cmake/baton/batonConfig.cmake$" <<<"$contents" || fail "the .deb has no CMake package"

  cp -r "$src/examples/consumer" "$tmp/consumer"
  cp "$deb" "$tmp/baton.deb"
  # Inside the fresh root: install, then the consumer through CMake and pkg-config.
  cat >"$tmp/inside.sh" <<EOF
set -euo pipefail
cd /baton-check
$( [ -n "${BATON_FRESH_ROOT_TAR:-}" ] && echo 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ./baton.deb cmake g++ make >apt.log' \
                                    || echo 'dpkg -i ./baton.deb >dpkg.log 2>&1 || { cat dpkg.log; exit 1; }' )
test "\$(baton --version)" = "baton $version"
cmake -S consumer -B build >configure.log 2>&1 || { cat configure.log; exit 1; }
cmake --build build >build.log 2>&1 || { cat build.log; exit 1; }
mkdir -p home
BATON_HOME=\$PWD/home ./build/squares --count 20 --out home/squares.parquet 2>/dev/null | grep -q "baton $version: 20 squares written"
BATON_HOME=\$PWD/home baton flow-run ls --json | grep -q '"state": *"Completed"'
g++ -std=c++20 -O1 consumer/squares.cpp -o squares-pc \$(pkg-config --cflags --libs baton)
BATON_HOME=\$PWD/home ./squares-pc --count 3 --out home/x.parquet 2>/dev/null | grep -q "baton $version: 3 squares written"
# Every pkg-config module baton.pc requires comes from a package the .deb depends on.
depends="\$(dpkg-query -W -f '\${Depends}' baton)"
for m in \$(pkg-config --print-requires baton | awk '{print \$1}'); do
  owner=\$(dpkg -S "\$(pkg-config --path "\$m")" | cut -d: -f1)
  echo "\$depends" | grep -qw -- "\$owner" || { echo "Depends: lacks \$owner (pkg-config module \$m)"; exit 1; }
done
echo "ok: the .deb installed, the consumer built against /usr and ran"
EOF
  ;;
options)
  # Configuring only (no build): MPI or S3 asked for while their libraries are
  # absent stops with a message naming the option that turns them off.
  libdir=$tmp/pkgconfig
  mkdir -p "$libdir"
  for d in $(pkg-config --variable pc_path pkg-config | tr : ' '); do
    for pc in "$d"/*.pc; do
      [ -e "$pc" ] || continue
      case "$(basename "$pc")" in ompi*.pc | mpi*.pc) ;; *) ln -sf "$pc" "$libdir/" ;; esac
    done
  done
  common=(-DBATON_BUILD_TESTS=OFF -DBATON_BUILD_BENCH=OFF -DBATON_BUILD_EXAMPLES=OFF -DBATON_BUILD_CLI=OFF
          -DCMAKE_CXX_COMPILER="$compiler")
  if PKG_CONFIG_LIBDIR=$libdir cmake -S "$src" -B "$tmp/no-mpi" "${common[@]}" >"$tmp/no-mpi.log" 2>&1; then
    fail "configured with BATON_WITH_MPI=ON and no OpenMPI"
  fi
  grep -q "configure with -DBATON_WITH_MPI=OFF" "$tmp/no-mpi.log" || { cat "$tmp/no-mpi.log"; fail "no clear message for MPI"; }
  PKG_CONFIG_LIBDIR=$libdir cmake -S "$src" -B "$tmp/no-mpi" "${common[@]}" -DBATON_WITH_MPI=OFF >"$tmp/no-mpi.log" 2>&1 ||
    { cat "$tmp/no-mpi.log"; fail "BATON_WITH_MPI=OFF without OpenMPI does not configure"; }
  # libcurl is not S3's alone (engines report to a server through it), so the
  # library S3 needs beyond it, pugixml, is the one made absent here.
  if cmake -S "$src" -B "$tmp/no-s3" "${common[@]}" -DCMAKE_DISABLE_FIND_PACKAGE_pugixml=ON >"$tmp/no-s3.log" 2>&1; then
    fail "configured with BATON_WITH_S3=ON and no pugixml"
  fi
  grep -q "configure with -DBATON_WITH_S3=OFF" "$tmp/no-s3.log" || { cat "$tmp/no-s3.log"; fail "no clear message for S3"; }
  cmake -S "$src" -B "$tmp/no-s3" "${common[@]}" -DCMAKE_DISABLE_FIND_PACKAGE_pugixml=ON -DBATON_WITH_S3=OFF \
    >"$tmp/no-s3.log" 2>&1 || { cat "$tmp/no-s3.log"; fail "BATON_WITH_S3=OFF without pugixml does not configure"; }
  echo "ok: MPI and S3 absent: a clear message, and they switch off"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac

if [ "$mode" = deb ]; then
  root=$tmp/root
  mkdir -p "$root" "$tmp/upper" "$tmp/work"
  if [ -n "${BATON_FRESH_ROOT_TAR:-}" ]; then
    tar -C "$root" -xf "$BATON_FRESH_ROOT_TAR"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    echo "fresh root: Debian from $BATON_FRESH_ROOT_TAR"
  else
    mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/upper,workdir=$tmp/work" "$root" 2>"$tmp/mount.log" ||
      skip "an overlay root cannot be mounted here: $(cat "$tmp/mount.log")"
    echo "fresh root: a copy-on-write overlay of / (dpkg checks the Depends: against this machine's packages)"
  fi
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  dpkg --root="$root" -s baton >/dev/null 2>&1 && fail "baton is already installed in the root"
  mkdir -p "$root/baton-check"
  cp -r "$tmp/consumer" "$tmp/baton.deb" "$tmp/inside.sh" "$root/baton-check/"
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash /baton-check/inside.sh
fi
