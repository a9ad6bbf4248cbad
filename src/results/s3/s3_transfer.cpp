#include "results/s3/s3_transfer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace baton::aws {

// ---------------------------------------------------------------------------
// Writer

struct S3ObjectWriter::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  // Guarded by mutex.
  int in_flight = 0;
  std::optional<Status> error;                 // the first part failure
  std::vector<CompletedPart> parts;            // filled as parts finish
  std::vector<std::vector<std::byte>> spare;   // buffers of finished parts, reused
};

S3ObjectWriter::S3ObjectWriter(std::shared_ptr<S3Client> client, std::string bucket, std::string key)
    : client_(std::move(client)), bucket_(std::move(bucket)), key_(std::move(key)),
      shared_(std::make_shared<Shared>()) {}

S3ObjectWriter::~S3ObjectWriter() {
  if (!done_ || !upload_id_.empty()) abort();
}

// S3 allows 10,000 parts; the part size doubles every 1,000 parts so an object of
// unknown size never runs out (16 MiB parts: 16 GiB at 1,000 parts, ~8 TiB at 10,000).
std::size_t S3ObjectWriter::part_capacity(int part_number) const {
  const int doublings = std::min((part_number - 1) / 1000, 9);
  return client_->options().part_size << doublings;
}

Status S3ObjectWriter::fail(Status status) {
  failed_ = status;
  // Abort now while the error is fresh; a failure to reach the server keeps the
  // upload id so abort() and the destructor try again.
  abort();
  return status;
}

Status S3ObjectWriter::write(const void* data, std::size_t size) {
  if (failed_) return *failed_;
  if (done_) return Status::error("S3 writer for s3://" + bucket_ + "/" + key_ + ": write after commit or abort");
  const auto* bytes = static_cast<const std::byte*>(data);
  while (size > 0) {
    const std::size_t capacity = part_capacity(next_part_);
    if (buffer_.capacity() < capacity) buffer_.reserve(capacity);
    const std::size_t n = std::min(size, capacity - buffer_.size());
    buffer_.insert(buffer_.end(), bytes, bytes + n);
    bytes += n;
    size -= n;
    bytes_written_ += n;
    if (buffer_.size() == capacity) {
      // A full part with more to come (or maybe not): send it; the last part,
      // possibly short, is sent by commit().
      if (Status s = send_buffer(); !s.ok()) return fail(s);
    }
  }
  return Status();
}

Status S3ObjectWriter::send_buffer() {
  if (upload_id_.empty()) {
    auto id = client_->create_multipart_upload(bucket_, key_);
    if (!id.ok()) return id.status();
    upload_id_ = std::move(*id);
  }
  std::vector<std::byte> next;
  {
    std::unique_lock lock(shared_->mutex);
    // Bound the memory: wait for a slot before handing over another part.
    shared_->changed.wait(lock, [&] { return shared_->in_flight < client_->options().max_in_flight || shared_->error; });
    if (shared_->error) return *shared_->error;
    ++shared_->in_flight;
    if (!shared_->spare.empty()) {
      next = std::move(shared_->spare.back());
      shared_->spare.pop_back();
    }
  }
  auto part = std::make_shared<std::vector<std::byte>>(std::move(buffer_));
  buffer_ = std::move(next);
  buffer_.clear();
  const int number = next_part_++;
  // The task holds the client by plain pointer: the writer waits for every part
  // before it goes away, and a task must never drop the last reference to the
  // client (its pool would then be destroyed from one of its own threads).
  client_->pool().submit([client = client_.get(), shared = shared_, part, number, bucket = bucket_, key = key_,
                          upload_id = upload_id_] {
    auto etag = client->upload_part(bucket, key, upload_id, number, *part);
    std::lock_guard lock(shared->mutex);
    if (etag.ok()) {
      shared->parts.push_back({number, std::move(*etag)});
    } else if (!shared->error) {
      shared->error = etag.status();
    }
    part->clear();
    shared->spare.push_back(std::move(*part));
    --shared->in_flight;
    shared->changed.notify_all();
  });
  return Status();
}

Status S3ObjectWriter::wait_all() {
  std::unique_lock lock(shared_->mutex);
  shared_->changed.wait(lock, [&] { return shared_->in_flight == 0; });
  shared_->spare.clear();
  return shared_->error ? *shared_->error : Status();
}

Status S3ObjectWriter::commit() {
  if (failed_) return *failed_;
  if (done_) return Status::error("S3 writer for s3://" + bucket_ + "/" + key_ + ": commit after commit or abort");
  if (upload_id_.empty()) {
    // Small: one PUT, atomic by S3's own contract.
    Status s = client_->put_object(bucket_, key_, buffer_);
    std::vector<std::byte>().swap(buffer_);
    if (!s.ok()) {
      failed_ = s;
      done_ = true;
      return s;
    }
    done_ = true;
    return Status();
  }
  if (!buffer_.empty()) {
    if (Status s = send_buffer(); !s.ok()) {
      static_cast<void>(wait_all());  // the send's error is the one to report
      return fail(s);
    }
  }
  if (Status s = wait_all(); !s.ok()) return fail(s);
  std::vector<CompletedPart> parts;
  {
    std::lock_guard lock(shared_->mutex);
    parts = shared_->parts;
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.part_number < b.part_number; });
  if (Status s = client_->complete_multipart_upload(bucket_, key_, upload_id_, parts); !s.ok()) return fail(s);
  upload_id_.clear();
  done_ = true;
  std::vector<std::byte>().swap(buffer_);
  return Status();
}

void S3ObjectWriter::abort() noexcept {
  // Parts still uploading would survive an abort that raced them (S3 documents
  // this), so wait for them first; their errors do not matter to an abort.
  static_cast<void>(wait_all());
  std::vector<std::byte>().swap(buffer_);
  done_ = true;
  if (upload_id_.empty()) return;
  Status s = client_->abort_multipart_upload(bucket_, key_, upload_id_);
  if (s.ok()) {
    upload_id_.clear();
  } else if (failed_) {
    failed_ = Status::error(failed_->message() + "; then aborting the upload failed too (it stays until " +
                            "swept): " + s.message());
  }
}

// ---------------------------------------------------------------------------
// Reader

struct S3ObjectReader::Chunk {
  std::uint64_t offset = 0;
  std::size_t length = 0;
  // Not a vector: a fresh one would zero-fill every chunk (and fault its pages in)
  // before the bytes arrive; buffers are reused from chunk to chunk instead.
  std::unique_ptr<std::byte[]> data;
  std::size_t consumed = 0;
  // Guarded by mutex.
  std::mutex mutex;
  std::condition_variable ready_cv;
  bool ready = false;
  std::optional<Status> error;
};

S3ObjectReader::S3ObjectReader(std::shared_ptr<S3Client> client, std::string bucket, std::string key)
    : client_(std::move(client)), bucket_(std::move(bucket)), key_(std::move(key)) {}

S3ObjectReader::~S3ObjectReader() {
  for (auto& chunk : chunks_) {
    std::unique_lock lock(chunk->mutex);
    chunk->ready_cv.wait(lock, [&] { return chunk->ready; });
  }
}

Result<std::unique_ptr<S3ObjectReader>> S3ObjectReader::open(std::shared_ptr<S3Client> client, std::string bucket,
                                                             std::string key) {
  std::unique_ptr<S3ObjectReader> reader(new S3ObjectReader(std::move(client), std::move(bucket), std::move(key)));
  // The first chunk is small so opening a small object costs one small request.
  const std::size_t first = std::min<std::size_t>(reader->client_->options().part_size, std::size_t{1} << 20);
  auto chunk = std::make_shared<Chunk>();
  chunk->data.reset(new std::byte[first]);
  auto got = reader->client_->get_range(reader->bucket_, reader->key_, {0, first}, chunk->data.get());
  if (!got.ok()) return got.status();
  if (!got->has_value()) return std::unique_ptr<S3ObjectReader>();
  reader->size_ = (*got)->object_size;
  reader->etag_ = (*got)->etag;
  chunk->length = (*got)->bytes;
  chunk->ready = true;
  reader->next_offset_ = chunk->length;
  reader->chunks_.push_back(std::move(chunk));
  reader->schedule();
  return reader;
}

void S3ObjectReader::schedule() {
  const std::size_t window = static_cast<std::size_t>(client_->options().max_in_flight);
  while (next_offset_ < size_ && chunks_.size() < window + 1) {
    auto chunk = std::make_shared<Chunk>();
    chunk->offset = next_offset_;
    chunk->length = static_cast<std::size_t>(std::min<std::uint64_t>(client_->options().part_size, size_ - next_offset_));
    next_offset_ += chunk->length;
    if (!spare_.empty()) {
      chunk->data = std::move(spare_.back());
      spare_.pop_back();
    } else {
      chunk->data.reset(new std::byte[client_->options().part_size]);
    }
    chunks_.push_back(chunk);
    // By plain pointer, as in the writer: the reader's destructor waits for every chunk.
    client_->pool().submit([client = client_.get(), chunk, bucket = bucket_, key = key_, etag = etag_] {
      auto got = client->get_range(bucket, key, {chunk->offset, chunk->length}, chunk->data.get(), etag);
      std::optional<Status> error;
      if (!got.ok()) {
        error = got.status();
      } else if (!got->has_value()) {
        error = Status::error("S3 GET s3://" + bucket + "/" + key + ": the object was deleted while being read");
      } else if ((*got)->bytes != chunk->length) {
        error = Status::error("S3 GET s3://" + bucket + "/" + key + ": got " + std::to_string((*got)->bytes) +
                              " bytes at offset " + std::to_string(chunk->offset) + ", expected " +
                              std::to_string(chunk->length) + " (the object changed size?)");
      }
      std::lock_guard lock(chunk->mutex);
      chunk->error = std::move(error);
      chunk->ready = true;
      chunk->ready_cv.notify_all();
    });
  }
}

Result<std::size_t> S3ObjectReader::read(void* data, std::size_t size) {
  auto* out = static_cast<std::byte*>(data);
  std::size_t total = 0;
  while (total < size && !chunks_.empty()) {
    auto chunk = chunks_.front();
    {
      std::unique_lock lock(chunk->mutex);
      chunk->ready_cv.wait(lock, [&] { return chunk->ready; });
      if (chunk->error) return *chunk->error;
    }
    const std::size_t n = std::min(size - total, chunk->length - chunk->consumed);
    std::memcpy(out + total, chunk->data.get() + chunk->consumed, n);
    chunk->consumed += n;
    total += n;
    if (chunk->consumed == chunk->length) {
      // Read-ahead buffers (all part_size long) go back for the next chunks.
      if (chunk->offset != 0) spare_.push_back(std::move(chunk->data));
      chunks_.pop_front();
      schedule();
    }
  }
  return total;
}

Result<std::size_t> S3ObjectReader::read_at(std::uint64_t offset, void* data, std::size_t size) {
  if (offset >= size_ || size == 0) return std::size_t{0};
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, size_ - offset));
  auto got = client_->get_range(bucket_, key_, {offset, want}, static_cast<std::byte*>(data), etag_);
  if (!got.ok()) return got.status();
  if (!got->has_value()) {
    return Status::error("S3 GET s3://" + bucket_ + "/" + key_ + ": the object was deleted while being read");
  }
  return (*got)->bytes;
}

// ---------------------------------------------------------------------------
// Files

Status upload_file(const std::shared_ptr<S3Client>& client, const std::string& bucket, const std::string& key,
                   const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + std::strerror(errno));
  S3ObjectWriter writer(client, bucket, key);
  std::vector<std::byte> buffer(std::size_t{4} << 20);
  std::uint64_t offset = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      writer.abort();
      return Status::error("reading " + path + " at offset " + std::to_string(offset) + ": " + std::strerror(err));
    }
    if (n == 0) break;
    if (Status s = writer.write(buffer.data(), static_cast<std::size_t>(n)); !s.ok()) {
      ::close(fd);
      return s;
    }
    offset += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return writer.commit();
}

Result<bool> download_file(const std::shared_ptr<S3Client>& client, const std::string& bucket, const std::string& key,
                           const std::string& path) {
  // The first chunk tells the size (one request for a small object); the rest is
  // fetched as parallel ranged GETs, each written at its offset with pwrite, so
  // no single thread copies every byte.
  auto reader = S3ObjectReader::open(client, bucket, key);
  if (!reader.ok()) return reader.status();
  if (!*reader) return false;
  S3ObjectReader& r = **reader;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error("cannot create " + path + ": " + std::strerror(errno));
  const auto write_at = [&path](int file, const std::byte* data, std::size_t size, std::uint64_t offset) -> Status {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t w = ::pwrite(file, data + done, size - done, static_cast<off_t>(offset + done));
      if (w < 0) {
        return Status::error("writing " + path + " at offset " + std::to_string(offset + done) + ": " +
                             std::strerror(errno));
      }
      done += static_cast<std::size_t>(w);
    }
    return Status();
  };
  // The first chunk, already read by open().
  const std::size_t first = static_cast<std::size_t>(std::min<std::uint64_t>(r.size(), std::size_t{1} << 20));
  std::vector<std::byte> head(first);
  auto got_head = r.read(head.data(), head.size());
  if (!got_head.ok()) {
    ::close(fd);
    return got_head.status();
  }
  if (Status s = write_at(fd, head.data(), *got_head, 0); !s.ok()) {
    ::close(fd);
    return s;
  }
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    int in_flight = 0;
    std::optional<Status> error;
  } state;
  const std::size_t part = client->options().part_size;
  const int window = client->options().max_in_flight;
  for (std::uint64_t offset = *got_head; offset < r.size(); offset += part) {
    const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(part, r.size() - offset));
    {
      std::unique_lock lock(state.mutex);
      state.changed.wait(lock, [&] { return state.in_flight < window || state.error; });
      if (state.error) break;
      ++state.in_flight;
    }
    client->pool().submit([&, offset, length, c = client.get()] {
      std::unique_ptr<std::byte[]> buffer(new std::byte[length]);
      auto got = c->get_range(bucket, key, {offset, length}, buffer.get(), r.etag());
      Status s;
      if (!got.ok()) {
        s = got.status();
      } else if (!got->has_value() || (*got)->bytes != length) {
        s = Status::error("S3 GET s3://" + bucket + "/" + key + ": the object changed or vanished while being read");
      } else {
        s = write_at(fd, buffer.get(), length, offset);
      }
      std::lock_guard lock(state.mutex);
      if (!s.ok() && !state.error) state.error = s;
      --state.in_flight;
      state.changed.notify_all();
    });
  }
  {
    std::unique_lock lock(state.mutex);
    state.changed.wait(lock, [&] { return state.in_flight == 0; });
  }
  if (state.error) {
    ::close(fd);
    return *state.error;
  }
  if (::close(fd) != 0) return Status::error("closing " + path + ": " + std::strerror(errno));
  return true;
}

}  // namespace baton::aws
