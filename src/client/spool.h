#pragma once
// The spool: an append-only file of framed records (request bodies the server has
// not acknowledged), so a server outage loses nothing. One file per engine
// process, $BATON_HOME/spool/<source>.spool, held under an exclusive flock while
// the process lives; a file nobody holds was left by a process that ended with
// events unsent, and any later engine start may claim it and send it.
//
// Record frame: "BSP1" | payload length (u32 LE) | CRC-32 of payload (u32 LE) |
// payload. Each append is fsynced before it returns, so an acknowledged record
// survives a crash; a record torn by a crash mid-append (short, or its checksum
// wrong) is detected on reading, reported once, and dropped with everything after
// it (nothing after a torn record was ever acknowledged).
//
// Thread safety: none; one thread (the engine's writer thread) uses a SpoolFile.
#include "util/status.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::client {

class SpoolFile {
 public:
  // Creates `dir`/`name`.spool for this process and locks it (created under a
  // temporary name and renamed once locked, so no other process can claim it
  // in between). Errors name the path.
  static Result<std::unique_ptr<SpoolFile>> create(const std::filesystem::path& dir, const std::string& name);
  // Claims a spool left behind: nullptr (not an error) when a live process holds
  // it or another process claimed and removed it first.
  static Result<std::unique_ptr<SpoolFile>> claim(const std::filesystem::path& path);
  // The spool files in `dir` (sorted by name), whoever holds them; none if `dir` is absent.
  static std::vector<std::filesystem::path> list(const std::filesystem::path& dir);

  ~SpoolFile();  // closes (releasing the lock); the file stays unless removed
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Appends one record and fsyncs it. On failure (disk full) nothing is
  // acknowledged and the file is cut back to its previous end.
  Status append(std::string_view payload);

  // The record at the read position, or nullopt at the end (or at a torn or
  // corrupt tail, which is reported on stderr once and cut off).
  Result<std::optional<std::string>> peek();
  // Moves the read position past the record peek() returned.
  void advance();
  // True when every record was read (advanced past).
  bool drained() const { return read_offset_ >= end_offset_; }
  std::uint64_t unread_records() const { return records_ - records_read_; }

  // Unlinks the file (still holding the lock, so no one else reads it after).
  void remove();

 private:
  SpoolFile(std::filesystem::path path, int fd, std::uint64_t end);
  // Counts the whole records of a claimed file and cuts a torn tail.
  Status scan();

  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t read_offset_ = 0;  // first record not yet acknowledged by the server
  std::uint64_t end_offset_ = 0;   // end of the last whole record
  std::uint64_t records_ = 0;
  std::uint64_t records_read_ = 0;
  std::uint64_t peeked_size_ = 0;  // frame size of the record peek() returned
};

}  // namespace baton::client
