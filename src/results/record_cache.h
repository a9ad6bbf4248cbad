#pragma once
// Decoded result records of the local storage kept in memory, so a cache hit costs
// one stat of the record file instead of open, read, close and a JSON parse.
//
// Contract: get() returns what decode_record would make of the file at `path` now.
// Each call stats the file; the decoded copy is used only while the file's identity
// (device, inode, size, modification and change times in nanoseconds) is the one
// recorded when it was read. So a record replaced (baton writes a new file and
// renames it over the old), modified in place or deleted, by this process or any
// other, is seen by the next call.
//
// Why the identity is enough: file times come from the kernel's coarse clock (ticks
// of a few milliseconds), and a freed inode number can be reused, so a file
// replaced twice within one tick by one of the same size could carry the recorded
// identity. A record is therefore kept only if its file's times are older than the
// coarse clock read before the file was opened, less one granularity of file times
// (10 ms on file systems with sub-second times, else down to the whole second):
// every later change is stamped at or after that limit, hence differs. (This
// assumes file times from this machine's clock, as on local file systems, kept to
// the second or finer, and a clock not stepped backwards.) A record written within
// that last moment is read again on each call until it is older.
//
// The files are looked up relative to a descriptor of the metadata directory (a
// shorter path walk: the stat is most of a hit's cost). A miss there is checked by
// the full path, so a metadata directory deleted and made again (by `rm -rf` of the
// storage and another process) is found again; a storage directory moved away
// while this process uses it is not followed (its writes would not follow it either).
//
// Thread-safe. Bounded: past kMaxEntries the cache starts afresh. In a process
// forked from the one that made it, it reads every record afresh and keeps nothing
// (its lock may have been held by a thread of the parent).
#include <baton/result_record.h>
#include <baton/status.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace baton::results {

class RecordCache {
 public:
  static constexpr std::size_t kMaxEntries = 1 << 14;  // some 10 MB of records at most

  // `dir`: the metadata directory; key K is the file <dir>/K<suffix>.
  RecordCache(std::string dir, std::string suffix);
  ~RecordCache();
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // The record under metadata key `key` (none if there is no file); errors name
  // the key and the file.
  Result<std::shared_ptr<const ResultRecord>> get(std::string_view key);
  // Drops what is kept for `key` (this process removed its file).
  void forget(std::string_view key);

 private:
  // A descriptor of dir_, or -1 while it does not exist. `reopen`: the one held
  // is stale (the directory was replaced).
  int dir_fd(bool reopen);

  struct Identity {
    std::uint64_t dev = 0, ino = 0, size = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const Identity&) const = default;
  };
  struct Entry {
    Identity id;
    std::shared_ptr<const ResultRecord> record;
  };

  const std::string dir_, suffix_;
  const unsigned fork_generation_;
  std::atomic<int> dir_fd_{-1};

  std::mutex mu_;  // guards the members below
  std::unordered_map<std::string, Entry> entries_;  // by file name relative to dir_
  std::vector<int> stale_fds_;  // replaced descriptors, closed at the end (another thread may use one)
};

}  // namespace baton::results
