#!/usr/bin/env bash
# Brings everything baton's build, demo and tests need onto a Debian 12 machine.
# Idempotent and quick when all is present: it asks dpkg first and calls apt only
# for what is missing. Runs as root (CI, chroot) or through sudo.
set -euo pipefail

packages=(
  # build
  build-essential cmake ccache pkg-config git
  # core engine, run store, CLI
  libsqlite3-dev sqlite3 libfmt-dev nlohmann-json3-dev libcli11-dev libxxhash-dev
  # the CLI's deployment files (`baton deploy --file baton.yaml`)
  libyaml-cpp-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev procps
  # results: compression
  libzstd-dev
  # table and Parquet codecs
  libsnappy-dev zlib1g-dev liblz4-dev
  # object storage, and the S3 clients its interoperability tests and benchmark compare with
  libcurl4-openssl-dev libssl-dev libpugixml-dev awscli rclone
  # MPI task runner (mpirun, mpicxx) and its two-host tests over network namespaces (ip)
  openmpi-bin libopenmpi-dev iproute2
  # the Dask peer of the small-task throughput benchmark (run with /usr/bin/python3)
  python3-distributed
  # the server: HTTP (cpp-httplib), PostgreSQL client and the server the tests start
  libcpp-httplib-dev libpq-dev postgresql
  # schedules: time zones (GCC 12 has no tzdb in <chrono>) and RFC 5545 RRULEs
  libhowardhinnant-date-dev libical-dev tzdata
  # the web UI's browser tests (headless, driven by playwright-core)
  chromium
  # the task-overhead benchmark's peer
  libtbb-dev
  # conventions a machine keeps: make format / format-check / tidy (.clang-format, .clang-tidy)
  clang-format clang-tidy
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm run the reference tools (DuckDB, s3rver); any node >= 18 will do
# (s3rver declares node >= 20; read, not run: the code it loads needs nothing newer
# than 18, and npm ci only warns on engines).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages pinned by tools/package-lock.json (reference readers and servers for tests).
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -f "$here/tools/package.json" ]; then
  if [ ! -d "$here/tools/node_modules" ] || [ "$here/tools/package-lock.json" -nt "$here/tools/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in tools/"
    (cd "$here/tools" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
# The web UI's build (Vite, TypeScript, Preact) and its browser-test driver
# (playwright-core, pointed at Debian's chromium), pinned by ui/package-lock.json.
if [ -f "$here/ui/package.json" ]; then
  if [ ! -d "$here/ui/node_modules" ] || [ "$here/ui/package-lock.json" -nt "$here/ui/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in ui/"
    (cd "$here/ui" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
