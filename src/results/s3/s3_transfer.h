#pragma once
// Streaming transfers of one S3 object, the shapes result storage needs:
//
//   S3ObjectWriter  bytes in, object out. Small objects go up in one PUT at
//                   commit; once a part's worth is written the writer starts a
//                   multipart upload and sends parts from the client's pool,
//                   at most S3ClientOptions::max_in_flight at once, so memory stays
//                   near (max_in_flight + 1) * part_size whatever the object's size.
//                   The object appears only at commit() (CompleteMultipartUpload),
//                   whole; on any failure, abort() or destruction the upload is
//                   aborted so no parts are left behind.
//   S3ObjectReader  the object as a stream (parallel ranged GETs read ahead, at
//                   most max_in_flight chunks of part_size) or by range (read_at).
//                   Opening costs one request, a ranged GET of the first chunk, so a
//                   small object is read in one round trip. A replaced object
//                   (ETag changed) is an error, never a mix of two versions.
//
// Neither class is thread-safe; each is used by one thread at a time.
#include "results/s3/s3_client.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace baton::aws {

class S3ObjectWriter {
 public:
  S3ObjectWriter(std::shared_ptr<S3Client> client, std::string bucket, std::string key);
  ~S3ObjectWriter();  // aborts unless committed
  S3ObjectWriter(const S3ObjectWriter&) = delete;
  S3ObjectWriter& operator=(const S3ObjectWriter&) = delete;

  // Appends all bytes or fails; after a failure every call fails with the same status.
  Status write(const void* data, std::size_t size);
  // Makes the object visible, whole. On error nothing is visible and the upload
  // has been aborted (or, when the server could not be reached to abort it,
  // abort() and the destructor try again; see S3Storage::sweep_incomplete_uploads).
  Status commit();
  // Discards everything; nothing becomes visible. Waits for parts in flight.
  void abort() noexcept;
  std::uint64_t bytes_written() const { return bytes_written_; }
  // The multipart upload's id once one was started (tests, diagnostics).
  const std::string& upload_id() const { return upload_id_; }

 private:
  struct Shared;
  std::size_t part_capacity(int part_number) const;
  Status send_buffer();
  Status wait_all();
  Status fail(Status status);

  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  std::string key_;
  std::shared_ptr<Shared> shared_;  // state the part tasks report into
  std::vector<std::byte> buffer_;   // the part being filled
  std::string upload_id_;
  int next_part_ = 1;
  std::uint64_t bytes_written_ = 0;
  std::optional<Status> failed_;
  bool done_ = false;  // committed or aborted
};

class S3ObjectReader {
 public:
  // Null when there is no object under the key.
  static Result<std::unique_ptr<S3ObjectReader>> open(std::shared_ptr<S3Client> client, std::string bucket,
                                                      std::string key);
  ~S3ObjectReader();  // waits for read-ahead requests
  S3ObjectReader(const S3ObjectReader&) = delete;
  S3ObjectReader& operator=(const S3ObjectReader&) = delete;

  // Up to `size` bytes from the current position; 0 at the end.
  Result<std::size_t> read(void* data, std::size_t size);
  std::uint64_t size() const { return size_; }
  const std::string& etag() const { return etag_; }
  // Up to `size` bytes at `offset` (one ranged GET), not moving the position.
  Result<std::size_t> read_at(std::uint64_t offset, void* data, std::size_t size);

 private:
  struct Chunk;
  S3ObjectReader(std::shared_ptr<S3Client> client, std::string bucket, std::string key);
  void schedule();

  std::shared_ptr<S3Client> client_;
  std::string bucket_;
  std::string key_;
  std::uint64_t size_ = 0;
  std::string etag_;
  std::uint64_t next_offset_ = 0;  // first byte not yet requested
  std::deque<std::shared_ptr<Chunk>> chunks_;  // requested, in order; front is being consumed
  std::vector<std::unique_ptr<std::byte[]>> spare_;  // consumed read-ahead buffers, part_size each
};

// Convenience: a local file to an object and back, streamed (never whole in memory).
Status upload_file(const std::shared_ptr<S3Client>& client, const std::string& bucket, const std::string& key,
                   const std::string& path);
// False when the object does not exist (no file is created then).
Result<bool> download_file(const std::shared_ptr<S3Client>& client, const std::string& bucket, const std::string& key,
                           const std::string& path);

}  // namespace baton::aws
