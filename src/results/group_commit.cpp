#include "results/group_commit.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>
#include <vector>

namespace baton::results {

namespace {

namespace fs = std::filesystem;

std::atomic<std::uint64_t> g_fsyncs{0};

std::atomic<unsigned> g_fork_generation{0};
void forked_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }
const bool g_fork_handler = (::pthread_atfork(nullptr, nullptr, &forked_child), true);
CommitFault g_fault;  // set by tests before any commit runs

// The fault a test injects for this step, or 0.
int injected(std::string_view step, const fs::path& path) { return g_fault ? g_fault(step, path) : 0; }

Status io_error(std::string_view what, const fs::path& path, int err, std::string_view key) {
  return Status::error(std::string(what) + " " + path.string() + " (result '" + std::string(key) +
                       "'): " + std::strerror(err));
}

int sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = injected("fsync_dir", dir);
  if (err == 0) err = counted_fsync(fd);
  ::close(fd);
  return err;
}

// Renames `f` into place, creating its directory when the key has a new one. The
// parents of directories it made are added to `made_in`: their new entries must be
// synced too, or a crash could lose the new directory with the file in it.
int rename_into_place(const StagedFile& f, std::vector<fs::path>& made_in) {
  if (int err = injected("rename", f.target)) return err;
  if (::rename(f.tmp.c_str(), f.target.c_str()) == 0) return 0;
  if (errno != ENOENT) return errno;
  std::error_code ec;
  fs::path missing = f.target.parent_path();
  while (!missing.parent_path().empty() && missing.parent_path() != missing &&
         !fs::exists(missing.parent_path(), ec)) {
    missing = missing.parent_path();
  }
  fs::create_directories(f.target.parent_path(), ec);
  if (ec) return ec.value();
  for (fs::path d = f.target.parent_path();; d = d.parent_path()) {
    made_in.push_back(d.parent_path());
    if (d == missing || d.parent_path() == d) break;
  }
  return ::rename(f.tmp.c_str(), f.target.c_str()) == 0 ? 0 : errno;
}

void discard(StagedFile& f) {
  if (f.fd >= 0) ::close(f.fd);
  f.fd = -1;
  if (!f.tmp.empty()) ::unlink(f.tmp.c_str());
}

}  // namespace

unsigned fork_generation() {
  (void)g_fork_handler;
  return g_fork_generation.load(std::memory_order_relaxed);
}

std::uint64_t local_fsync_count() { return g_fsyncs.load(std::memory_order_relaxed); }

int counted_fsync(int fd) {
  g_fsyncs.fetch_add(1, std::memory_order_relaxed);
  return ::fsync(fd) == 0 ? 0 : errno;
}

void set_commit_fault_for_testing(CommitFault fault) { g_fault = std::move(fault); }

Status sync_staged(StagedFile& f, std::string_view what) {
  if (f.synced) return Status();
  int err = injected("fsync", f.target);
  if (err == 0) err = counted_fsync(f.fd);
  if (err != 0) return io_error("cannot fsync", f.tmp, err, what);
  f.synced = true;
  return Status();
}

Status sync_staged_or_discard(std::initializer_list<StagedFile*> files, std::string_view what) {
  for (StagedFile* f : files) {
    if (Status s = sync_staged(*f, what); !s.ok()) {
      for (StagedFile* g : files) discard(*g);
      return s;
    }
  }
  return Status();
}

// One pass over a batch. The order is what makes sharing fsyncs safe:
//
//  1. Every temporary (payloads and records) is durable: its writer fsynced it
//     before joining (sync_staged; writers do that at the same time, and the block
//     layer merges their device flushes), and any left unsynced is fsynced here.
//     Each temporary's bytes are then durable under its temporary name.
//  2. Each payload is renamed into place, then each distinct payload directory is
//     fsynced: the payload's name is durable and points at durable bytes. A crash
//     before this fsync leaves the old name (or none), never a name on partial data.
//  3. Only then is each record whose payload got through 2 renamed into place, and
//     each distinct record directory fsynced. A record therefore never becomes
//     durable (nor even visible) before its payload: a crash at any point leaves
//     no record pointing at missing or partial data.
//  4. The callers are told: ok only for records made durable by 3.
//
// A request without a payload file (its payload inline in the record) skips 2: its
// one file is durable under its temporary name after 1, and whole once renamed.
//
// What is shared: the directory fsyncs (usually one per step per batch instead of
// two per result). What is not: each file's own fsync. Bounded by baton's own
// data on purpose: syncfs (one call for every file of a batch) was measured
// faster here but writes back every dirty page of the whole file system, so on a
// machine that also holds gigabytes of freshly written data (Parquet, scratch) a
// batch of small results would wait for all of it.
// A failure fails exactly the requests it concerns: a temporary that cannot be
// synced or renamed fails its own request; a directory that cannot be synced
// fails the requests renamed into it (their records are removed again).
void GroupCommit::run_batch(Batch::iterator first, Batch::iterator last) {
  // 1. The temporaries' bytes.
  for (auto it = first; it != last; ++it) {
    Request& r = **it;
    for (StagedFile* f : {&r.payload, &r.record}) {
      if (!r.status.ok()) break;
      if (f->empty()) continue;
      r.status = sync_staged(*f, r.what);
      const int fd = f->fd;
      f->fd = -1;
      if (::close(fd) != 0 && r.status.ok()) r.status = io_error("cannot close", f->tmp, errno, r.what);
    }
    if (!r.status.ok()) {
      discard(r.payload);
      discard(r.record);
    }
  }

  // 2 and 3: rename one kind of file, then sync the directories it went into.
  auto place = [&](auto member) {
    std::map<fs::path, std::vector<Request*>> by_dir;
    for (auto it = first; it != last; ++it) {
      Request& r = **it;
      if (!r.status.ok()) continue;
      StagedFile& f = r.*member;
      if (f.empty()) continue;
      std::vector<fs::path> made_in;
      if (int err = rename_into_place(f, made_in)) {
        r.status = io_error("cannot rename into", f.target, err, r.what);
        continue;
      }
      f.tmp.clear();  // nothing left to remove under the temporary name
      by_dir[f.target.parent_path()].push_back(&r);
      for (const fs::path& dir : made_in) by_dir[dir].push_back(&r);
    }
    for (auto& [dir, requests] : by_dir) {
      if (int err = sync_dir(dir)) {
        for (Request* r : requests) r->status = io_error("cannot fsync directory", dir, err, r->what);
      }
    }
  };
  place(&Request::payload);
  for (auto it = first; it != last; ++it) {
    if (!(*it)->status.ok()) {  // a payload that failed: its temporaries go, and its record
      discard((*it)->payload);
      discard((*it)->record);
    }
  }
  place(&Request::record);
  for (auto it = first; it != last; ++it) {
    Request& r = **it;
    // A record renamed into a directory whose fsync failed is visible but not
    // durable: remove it, so a failed result is never found.
    if (!r.status.ok() && r.record.tmp.empty()) ::unlink(r.record.target.c_str());
    discard(r.record);
  }
}

GroupCommit::GroupCommit() : fork_generation_(fork_generation()) {}

Status GroupCommit::commit(StagedFile payload, StagedFile record, std::string_view what) {
  Request self;
  self.payload = std::move(payload);
  self.record = std::move(record);
  self.what = what;
  return run(self);
}

Status GroupCommit::commit(StagedFile record, std::string_view what) {
  Request self;
  self.record = std::move(record);
  self.what = what;
  return run(self);
}

Status GroupCommit::run(Request& self) {
  if (fork_generation() != fork_generation_) {  // a forked child: see the header
    Batch alone{&self};
    run_batch(alone.begin(), alone.end());
    return std::move(self.status);
  }
  std::unique_lock lock(mu_);
  queue_.push_back(&self);
  self.cv.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (self.done) return std::move(self.status);

  // The leader: take what is queued now (at most a bounded batch, so one pass
  // does not grow without end while others keep arriving).
  constexpr std::size_t kMaxBatch = 512;
  // Copied out: the queue grows (and its iterators break) while the pass runs.
  const std::size_t n = std::min(queue_.size(), kMaxBatch);
  std::vector<Request*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
  lock.unlock();
  run_batch(batch.begin(), batch.end());
  lock.lock();
  for (std::size_t i = 0; i < n; ++i) {
    Request* r = queue_.front();
    queue_.pop_front();
    r->done = true;
    if (r != &self) r->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();  // the next leader
  return std::move(self.status);
}

}  // namespace baton::results
