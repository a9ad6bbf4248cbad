#pragma once
// Where persisted results live: one interface for memory, a local directory and
// object stores (S3). Two kinds of object under string keys:
//
//   payloads  the serialized value: written as a stream through a PayloadWriter
//             that commits atomically (or aborts, leaving nothing), read as a
//             stream or by range through a PayloadReader (memory-mapped locally)
//   metadata  a small record per result (baton::ResultRecord, as JSON text): put,
//             get, exists, delete, list; apart from payloads so a cache check
//             never touches a payload
//
// Keys are relative paths: segments of [A-Za-z0-9._-] and other printable UTF-8,
// separated by '/', no empty, "." or ".." segments, none starting with ".baton",
// at most 1024 bytes (validate_storage_key). Payload and metadata keys are separate
// namespaces.
//
// Contract for every backend (what an S3 implementation must give, too):
// - A payload becomes visible under its key only on commit(), whole; a writer
//   destroyed or aborted before commit leaves no visible payload, and neither does
//   a process killed mid-write. Committing over an existing key replaces it
//   atomically (readers see the old or the new bytes, never a mix).
// - put_metadata is atomic in the same way.
// - Missing objects are not errors: read_payload gives a null reader, get_metadata
//   nullopt, delete_* succeed. Errors are I/O failures, naming the key.
// - All methods are thread-safe; writers and readers are used by one thread each.
#include <baton/byte_stream.h>
#include <baton/result_record.h>
#include <baton/status.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baton {

class PayloadWriter : public ByteSink {
 public:
  // Makes the bytes written so far visible under the key, durably (fsync or the
  // object store's acknowledgement). On error nothing becomes visible.
  virtual Status commit() = 0;
  // Discards the bytes written; nothing becomes visible. The destructor aborts a
  // writer that was neither committed nor aborted.
  virtual void abort() noexcept = 0;
  // Bytes written so far.
  virtual std::uint64_t bytes_written() const = 0;
};

class PayloadReader : public ByteSource {
 public:
  // The payload's total size (known from the start: stat, Content-Length).
  std::optional<std::uint64_t> size() const override = 0;
  // Reads up to `size` bytes at `offset` without moving the stream position
  // (S3: a Range request). 0 at or past the end.
  virtual Result<std::size_t> read_at(std::uint64_t offset, void* data, std::size_t size) = 0;
};

class ResultStorage {
 public:
  virtual ~ResultStorage() = default;

  // Where this storage is, for people: a directory path, "memory", "s3://bucket/prefix".
  virtual std::string location() const = 0;

  virtual Result<std::unique_ptr<PayloadWriter>> write_payload(std::string_view key) = 0;
  // A null reader when there is no payload under `key`.
  virtual Result<std::unique_ptr<PayloadReader>> read_payload(std::string_view key) = 0;
  virtual Status delete_payload(std::string_view key) = 0;

  virtual Status put_metadata(std::string_view key, std::string_view record) = 0;
  virtual Result<std::optional<std::string>> get_metadata(std::string_view key) = 0;
  virtual Result<bool> has_metadata(std::string_view key) = 0;
  virtual Status delete_metadata(std::string_view key) = 0;
  // Metadata keys starting with `prefix`, sorted.
  virtual Result<std::vector<std::string>> list_metadata(std::string_view prefix = {}) = 0;

  // Commits `payload`, then puts `record` under the metadata key `key`: the record
  // becomes visible only once the payload is durable, and the call returns ok only
  // once both are. On error the record is not stored (the payload may be). The
  // default is payload.commit() then put_metadata(); the local storage lets
  // concurrent calls share their fsyncs (group commit).
  virtual Status commit_with_metadata(PayloadWriter& payload, std::string_view key, std::string_view record);

  // Payloads of at most this many bytes are kept inside their record
  // (ResultRecord::inline_payload) instead of as a payload object: one object to
  // write and to read. 0 (the default, and S3's): never.
  virtual std::size_t inline_payload_limit() const { return 0; }

  // The decoded record under the metadata key `key` (decode_record of get_metadata),
  // none if there is none, an error naming the key if it cannot be read or parsed.
  // A storage may answer from decoded records it keeps in memory, but only while it
  // can tell that the stored object is unchanged: a record replaced or deleted by
  // any process is seen by the next call.
  virtual Result<std::shared_ptr<const ResultRecord>> get_record(std::string_view key);
};

// Ok, or why `key` cannot be a storage key.
Status validate_storage_key(std::string_view key);

// A storage held in memory (tests, and results that need not outlive the process).
std::shared_ptr<ResultStorage> make_memory_storage();

// A local directory. Layout under `root`: payloads at <root>/<key>, metadata at
// <root>/.baton-meta/<key>.json, temporaries in <root>/.baton-tmp and its numbered
// subdirectories (same file system, so renames are atomic). Creates the directories
// on first write. Payloads up to kLocalInlinePayloadLimit bytes live inside their
// record (one file per small result). Payload reads are memory-mapped:
// PayloadReader::contiguous() gives the whole file without copying.
std::shared_ptr<ResultStorage> make_local_storage(std::string root);
// Why 1 KiB: base64 (4/3) plus the record's own ~450 bytes stays well inside one
// 4 KiB file-system block, and the record cache (16384 records at most) stays
// bounded near 30 MB. Larger payloads keep their own file (mapped on load).
inline constexpr std::size_t kLocalInlinePayloadLimit = 1024;

}  // namespace baton
