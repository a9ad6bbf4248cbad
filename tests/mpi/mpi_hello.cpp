// A tiny MPI program that proves the launch setups of tests/mpi/ work: loopback
// (mpirun_local.sh) and two hosts in network namespaces (mpirun_two_hosts.sh).
// It does not use baton; the task-runner tests build on the facts it checks.
//
//   mpi_hello [--bytes N]        each rank prints its rank, host name and IPv4
//                                addresses (which namespace it runs in); rank 0
//                                sends N bytes (default 64 MiB) to every other rank,
//                                which checks them and sends its own pattern back.
//                                Exit 0 only if every byte arrived intact.
//   mpi_hello --pingpong         ping-pong between ranks 0 and 1: latency of 8-byte
//                                messages and bandwidth of 4 MiB and 64 MiB ones;
//                                prints `bench mpi_<name> <value> <unit>` lines.
//   mpi_hello --kill-rank R      rank R kills itself with SIGKILL while rank 0 waits
//                                for it in MPI_Recv; rank 0 reports (on stderr, and
//                                in $MPI_HELLO_SIGNAL_FILE if set) which signal ended
//                                it. Shows how a surviving rank learns a worker died.
//     --ignore-term              ... and rank 0 survives SIGTERM, logging a heartbeat
//                                every 10 ms to that file, to measure the grace
//                                time before mpirun's SIGKILL follows.
//     --errors-return            ... with MPI_ERRORS_RETURN on MPI_COMM_WORLD, to
//                                see whether MPI_Recv itself reports the death.
//   mpi_hello --thread-level     prints the thread level MPI_Init_thread provides
//                                when MPI_THREAD_MULTIPLE is asked for.
//
// Works without mpirun too (singleton MPI_Init: one rank, nothing to exchange).

// OpenMPI's mpi.h drags in the deprecated C++ bindings, whose inline code trips
// -Wcast-function-type; we use the C API only.
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <thread>
#include <vector>

namespace {

// The IPv4 addresses of the interfaces that are up, loopback excepted: what tells
// the namespaces apart (10.77.x.1 in one, 10.77.x.2 in the other).
std::string ipv4_addresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "?";
  std::string out;
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    auto* in = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    if (std::strncmp(text, "127.", 4) == 0) continue;
    if (!out.empty()) out += ",";
    out += std::string(a->ifa_name) + "=" + text;
  }
  freeifaddrs(list);
  return out.empty() ? "none" : out;
}

// The byte pattern sender `from` uses for receiver `to`, so a message delivered
// to the wrong rank or truncated fails the check.
std::uint8_t pattern(int from, int to, std::size_t i) {
  return static_cast<std::uint8_t>((i * 131 + static_cast<std::size_t>(from) * 7 +
                                    static_cast<std::size_t>(to) * 13) & 0xff);
}

void fill(std::vector<std::uint8_t>& buf, int from, int to) {
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = pattern(from, to, i);
}

// Returns the offset of the first wrong byte, or -1.
long long first_mismatch(const std::vector<std::uint8_t>& buf, int from, int to) {
  for (std::size_t i = 0; i < buf.size(); ++i)
    if (buf[i] != pattern(from, to, i)) return static_cast<long long>(i);
  return -1;
}

// MPI counts are int; large messages go in chunks of at most 1 GiB.
void send_bytes(const std::vector<std::uint8_t>& buf, int to, int tag) {
  const std::size_t chunk = std::size_t{1} << 30;
  for (std::size_t off = 0; off < buf.size(); off += chunk) {
    int n = static_cast<int>(std::min(chunk, buf.size() - off));
    MPI_Send(buf.data() + off, n, MPI_BYTE, to, tag, MPI_COMM_WORLD);
  }
}

void recv_bytes(std::vector<std::uint8_t>& buf, int from, int tag) {
  const std::size_t chunk = std::size_t{1} << 30;
  for (std::size_t off = 0; off < buf.size(); off += chunk) {
    int n = static_cast<int>(std::min(chunk, buf.size() - off));
    MPI_Recv(buf.data() + off, n, MPI_BYTE, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
}

int run_exchange(int rank, int size, std::size_t bytes) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::printf("rank %d of %d host %s pid %d addrs %s\n", rank, size, host,
              static_cast<int>(getpid()), ipv4_addresses().c_str());
  std::fflush(stdout);
  MPI_Barrier(MPI_COMM_WORLD);

  int failures = 0;
  std::vector<std::uint8_t> out(bytes), in(bytes);
  if (rank == 0) {
    for (int peer = 1; peer < size; ++peer) {
      fill(out, 0, peer);
      auto t0 = std::chrono::steady_clock::now();
      send_bytes(out, peer, 1);
      recv_bytes(in, peer, 2);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      long long bad = first_mismatch(in, peer, 0);
      if (bad >= 0) {
        std::fprintf(stderr, "rank 0: reply from rank %d wrong at byte %lld\n", peer, bad);
        ++failures;
      } else {
        std::printf("rank 0: exchanged %zu bytes each way with rank %d, intact, %.3f s\n",
                    bytes, peer, s);
      }
    }
  } else {
    recv_bytes(in, 0, 1);
    long long bad = first_mismatch(in, 0, rank);
    if (bad >= 0) {
      std::fprintf(stderr, "rank %d: message from rank 0 wrong at byte %lld\n", rank, bad);
      ++failures;
    }
    fill(out, rank, 0);
    send_bytes(out, 0, 2);
  }
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%s\n", total == 0 ? "mpi_hello: ok" : "mpi_hello: FAILED");
  std::fflush(stdout);
  return total == 0 ? 0 : 1;
}

void pingpong(int rank, std::size_t bytes, int iterations, double& seconds_per_roundtrip) {
  std::vector<std::uint8_t> buf(bytes, 1);
  int n = static_cast<int>(bytes);
  for (int warm = 0; warm < 10; ++warm) {
    if (rank == 0) {
      MPI_Send(buf.data(), n, MPI_BYTE, 1, 3, MPI_COMM_WORLD);
      MPI_Recv(buf.data(), n, MPI_BYTE, 1, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buf.data(), n, MPI_BYTE, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf.data(), n, MPI_BYTE, 0, 3, MPI_COMM_WORLD);
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  for (int i = 0; i < iterations; ++i) {
    if (rank == 0) {
      MPI_Send(buf.data(), n, MPI_BYTE, 1, 4, MPI_COMM_WORLD);
      MPI_Recv(buf.data(), n, MPI_BYTE, 1, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else if (rank == 1) {
      MPI_Recv(buf.data(), n, MPI_BYTE, 0, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf.data(), n, MPI_BYTE, 0, 4, MPI_COMM_WORLD);
    }
  }
  seconds_per_roundtrip = (MPI_Wtime() - t0) / iterations;
}

int run_pingpong(int rank, int size) {
  if (size < 2) {
    if (rank == 0) std::fprintf(stderr, "mpi_hello --pingpong needs at least 2 ranks\n");
    return 2;
  }
  double rt = 0;
  pingpong(rank, 8, 20000, rt);
  if (rank == 0) std::printf("bench mpi_latency_8B %.2f us\n", rt / 2 * 1e6);
  for (std::size_t mib : {std::size_t{4}, std::size_t{64}}) {
    pingpong(rank, mib << 20, mib == 4 ? 200 : 20, rt);
    if (rank == 0)
      std::printf("bench mpi_bandwidth_%zuMiB %.0f MiB/s\n", mib,
                  static_cast<double>(mib) / (rt / 2));
  }
  std::fflush(stdout);
  return 0;
}

volatile std::sig_atomic_t g_signal = 0;
int g_signal_fd = -1;
bool g_ignore_term = false;

// Writes "<label> <seconds since the epoch, ms resolution>\n"; async-signal-safe.
void stamp(int fd, const char* label) {
  if (fd < 0) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  char line[96];
  int n = 0;
  for (const char* p = label; *p != '\0' && n < 60; ++p) line[n++] = *p;
  line[n++] = ' ';
  char digits[24];
  int d = 0;
  long long ms = static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  do { digits[d++] = static_cast<char>('0' + ms % 10); ms /= 10; } while (ms > 0);
  while (d > 3) line[n++] = digits[--d];
  line[n++] = '.';
  while (d > 0) line[n++] = digits[--d];
  line[n++] = '\n';
  (void)!write(fd, line, static_cast<std::size_t>(n));
}

// Async-signal-safe: records which signal arrived, writes one line, then lets
// the default action run so the exit status still shows the signal.
void on_signal(int sig) {
  g_signal = sig;
  char line[64];
  int n = 0;
  const char* prefix = "rank 0: got signal ";
  while (prefix[n] != '\0') { line[n] = prefix[n]; ++n; }
  if (sig >= 10) line[n++] = static_cast<char>('0' + sig / 10);
  line[n++] = static_cast<char>('0' + sig % 10);
  line[n++] = '\n';
  (void)!write(2, line, static_cast<std::size_t>(n));
  line[n - 1] = '\0';
  stamp(g_signal_fd, line);
  if (g_ignore_term && sig != SIGCONT) return;
  if (sig == SIGCONT) return;  // SIGCONT's default action is to continue: nothing to re-raise
  std::signal(sig, SIG_DFL);
  raise(sig);
}

int run_kill(int rank, int size, int victim, bool errors_return) {
  if (victim <= 0 || victim >= size) {
    if (rank == 0) std::fprintf(stderr, "mpi_hello --kill-rank R needs 0 < R < size\n");
    return 2;
  }
  // Every rank appends to the file (the caller empties it first).
  if (const char* path = std::getenv("MPI_HELLO_SIGNAL_FILE"))
    g_signal_fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (rank == 0) {
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCONT, SIGUSR1, SIGUSR2, SIGPIPE})
      std::signal(sig, on_signal);
    if (g_ignore_term && g_signal_fd >= 0) {
      std::thread([] {
        for (;;) {
          stamp(g_signal_fd, "heartbeat");
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }).detach();
    }
  }
  if (errors_return) MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == victim) {
    usleep(300 * 1000);  // let rank 0 block in MPI_Recv first
    std::fprintf(stderr, "rank %d: raising SIGKILL\n", rank);
    stamp(g_signal_fd, "victim-raises-SIGKILL");
    raise(SIGKILL);
  }
  if (rank == 0) {
    int value = 0;
    std::fprintf(stderr, "rank 0: waiting in MPI_Recv for rank %d\n", victim);
    int rc = MPI_Recv(&value, 1, MPI_INT, victim, 5, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    char text[MPI_MAX_ERROR_STRING] = {};
    int len = 0;
    MPI_Error_string(rc, text, &len);
    std::fprintf(stderr, "rank 0: MPI_Recv returned %d (%s)\n", rc, text);
    if (g_signal_fd >= 0) stamp(g_signal_fd, "recv-returned");
    return 3;
  }
  // Other ranks wait too, as task workers would.
  int value = 0;
  MPI_Recv(&value, 1, MPI_INT, 0, 6, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return 0;
}

int run_thread_level(int rank, int provided) {
  const char* name = provided == MPI_THREAD_MULTIPLE     ? "MPI_THREAD_MULTIPLE"
                     : provided == MPI_THREAD_SERIALIZED ? "MPI_THREAD_SERIALIZED"
                     : provided == MPI_THREAD_FUNNELED   ? "MPI_THREAD_FUNNELED"
                                                         : "MPI_THREAD_SINGLE";
  if (rank == 0) std::printf("thread level provided: %s\n", name);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto t0 = std::chrono::steady_clock::now();
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  double init_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0) std::fprintf(stderr, "MPI_Init_thread took %.3f s\n", init_s);

  std::string mode = "exchange";
  std::size_t bytes = std::size_t{64} << 20;
  int victim = 1;
  bool errors_return = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--pingpong") {
      mode = "pingpong";
    } else if (a == "--thread-level") {
      mode = "thread";
    } else if (a == "--kill-rank" && i + 1 < argc) {
      mode = "kill";
      victim = std::atoi(argv[++i]);
    } else if (a == "--ignore-term") {
      g_ignore_term = true;
    } else if (a == "--errors-return") {
      errors_return = true;
    } else if (a == "--bytes" && i + 1 < argc) {
      bytes = std::strtoull(argv[++i], nullptr, 10);
    } else {
      if (rank == 0) std::fprintf(stderr, "mpi_hello: unknown argument '%s'\n", a.c_str());
      MPI_Finalize();
      return 2;
    }
  }

  int rc = 0;
  if (mode == "pingpong") rc = run_pingpong(rank, size);
  else if (mode == "kill") rc = run_kill(rank, size, victim, errors_return);
  else if (mode == "thread") rc = run_thread_level(rank, provided);
  else rc = run_exchange(rank, size, bytes);
  MPI_Finalize();
  return rc;
}
