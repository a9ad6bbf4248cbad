#pragma once
// Group commit for the local result storage: results written at the same time
// share their fsyncs, with the durability each would have alone.
//
// A writer puts its payload and its record in temporaries (or its record alone,
// when the payload is inline or there is none) and fsyncs them
// (sync_staged: concurrent writers' fsyncs overlap), then calls GroupCommit::commit,
// which renames them into place in order and syncs their directories. The first caller to arrive while no
// commit is running leads: it takes every request queued by then (its own
// included), makes them durable in one pass (group_commit.cpp explains the
// order), and wakes their callers. Requests arriving meanwhile wait for the
// next pass, led by the first of them. So a lone result is committed at once by
// its own thread (no background thread, no timer), and a crowd shares fsyncs.
//
// Thread-safe. In a process forked from the one that made it (a process pool's
// worker) each commit runs alone in its caller: the queue and its lock are the
// parent's, and the parent's threads that queued requests are not there.
// A StagedFile's descriptor and temporary belong to the commit once
// handed over: it closes the descriptor and, on failure, removes the temporary.
#include <baton/status.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace baton::results {

// A file written under a temporary name, waiting to be synced and renamed.
struct StagedFile {
  bool empty() const { return target.empty(); }  // none (a record whose payload is inline)
  int fd = -1;
  std::filesystem::path tmp;     // in <root>/.baton-tmp
  std::filesystem::path target;  // where it goes
  bool synced = false;           // fsynced already
};

class GroupCommit {
 public:
  GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Makes `payload` durable under its target, then `record` under its own, and
  // returns once both are (ok) or the record is known not stored (an error naming
  // the key `what` and the path at fault). Blocks the caller meanwhile.
  Status commit(StagedFile payload, StagedFile record, std::string_view what);
  // A record alone (its payload inline, or none): made durable under its target
  // in the same passes as the others.
  Status commit(StagedFile record, std::string_view what);

 private:
  struct Request {
    StagedFile payload, record;
    std::string_view what;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };
  using Batch = std::vector<Request*>;
  Status run(Request& self);
  // Run by one leader at a time.
  void run_batch(Batch::iterator first, Batch::iterator last);

  const unsigned fork_generation_;  // fork_generation() when made

  std::mutex mu_;  // guards queue_
  std::deque<Request*> queue_;  // front: the leader (running or about to run a pass)
};

// Fsyncs `f` unless it is synced already; an error names the file and `what`.
Status sync_staged(StagedFile& f, std::string_view what);

// sync_staged for each of `files`; if one fails, all are discarded (closed, their
// temporaries removed) and its error returned. For a writer that syncs its own
// files before commit, so that concurrent writers' fsyncs overlap.
Status sync_staged_or_discard(std::initializer_list<StagedFile*> files, std::string_view what);

// How many forks lie between the first process and this one: a process forked
// from the one that made an object sees a larger number than the object recorded.
unsigned fork_generation();

// fsync calls made by the local storage since the process started (files and
// directories), for the benchmarks' "fsyncs per result".
std::uint64_t local_fsync_count();
// fsync(fd), counted: 0 or the errno.
int counted_fsync(int fd);

// For tests: a function asked before each step of a commit ("fsync" of a temporary,
// "rename" into place: with the path the file goes to; "fsync_dir": the directory);
// a non-zero errno it returns makes that step fail as if the system call had. An
// empty function (the default) injects nothing. Not for concurrent use with commits.
using CommitFault = std::function<int(std::string_view step, const std::filesystem::path& path)>;
void set_commit_fault_for_testing(CommitFault fault);

}  // namespace baton::results
