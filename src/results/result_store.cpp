#include "results/result_store.h"

#include "util/hash.h"

#include <algorithm>
#include <exception>

namespace baton {

namespace {

// Forwards to the payload writer, hashing and counting on the way. Large writes
// are cut into pieces that fit the cache, so each piece is hashed and then copied
// to the kernel while it is still hot: one trip through memory instead of two.
class ChecksumSink final : public ByteSink {
 public:
  explicit ChecksumSink(ByteSink& inner) : inner_(inner) {}
  Status write(const void* data, std::size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const std::size_t n = std::min(size, kPiece);
      hasher_.update(p, n);
      if (Status s = inner_.write(p, n); !s.ok()) return s;
      bytes_ += n;
      p += n;
      size -= n;
    }
    return Status();
  }
  Status flush() override { return inner_.flush(); }
  std::uint64_t digest() const { return hasher_.digest(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  static constexpr std::size_t kPiece = 512 * 1024;
  ByteSink& inner_;
  Hasher64 hasher_;
  std::uint64_t bytes_ = 0;
};

// Hashes what a streamed payload gives, so the checksum is known once read.
class ChecksumSource final : public ByteSource {
 public:
  explicit ChecksumSource(ByteSource& inner) : inner_(inner) {}
  Result<std::size_t> read(void* data, std::size_t size) override {
    Result<std::size_t> n = inner_.read(data, size);
    if (n.ok()) {
      hasher_.update(data, *n);
      bytes_ += *n;
    }
    return n;
  }
  std::optional<std::uint64_t> size() const override { return inner_.size(); }
  // Reads and hashes whatever the consumer left unread.
  Status drain() {
    char buf[64 * 1024];
    for (;;) {
      Result<std::size_t> n = read(buf, sizeof buf);
      if (!n.ok()) return n.status();
      if (*n == 0) return Status();
    }
  }
  std::uint64_t digest() const { return hasher_.digest(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  ByteSource& inner_;
  Hasher64 hasher_;
  std::uint64_t bytes_ = 0;
};

// Keeps what is written in memory while it stays within `limit` bytes; past that
// it opens the storage's payload writer and forwards everything to it. So a small
// value becomes an inline payload and a large one streams as before (with limit 0
// the writer is opened at once, before any byte).
class InlineOrStreamSink final : public ByteSink {
 public:
  InlineOrStreamSink(ResultStorage& storage, std::string_view key, std::size_t limit)
      : storage_(storage), key_(key), limit_(limit) {}
  Status open_writer() {
    Result<std::unique_ptr<PayloadWriter>> w = storage_.write_payload(key_);
    if (!w.ok()) return w.status();
    writer_ = std::move(*w);
    return Status();
  }
  Status write(const void* data, std::size_t size) override {
    if (!writer_ && buffer_.size() + size <= limit_) {
      buffer_.append(static_cast<const char*>(data), size);
      return Status();
    }
    if (!writer_) {
      if (Status s = open_writer(); !s.ok()) return s;
      if (Status s = writer_->write(buffer_.data(), buffer_.size()); !s.ok()) return s;
      buffer_.clear();
      buffer_.shrink_to_fit();
    }
    return writer_->write(data, size);
  }
  Status flush() override { return writer_ ? writer_->flush() : Status(); }
  // Null while the bytes are all in memory.
  PayloadWriter* writer() { return writer_.get(); }
  std::string take_buffer() { return std::move(buffer_); }

 private:
  ResultStorage& storage_;
  std::string_view key_;
  const std::size_t limit_;
  std::string buffer_;
  std::unique_ptr<PayloadWriter> writer_;
};

std::string describe(const ResultRecord& r) {
  if (r.inline_payload) return "result '" + r.key + "' (payload inline, in " + r.storage + ")";
  return "result '" + r.key + "' (payload '" + r.storage_key + "' in " + r.storage + ")";
}

LoadError corrupt_checksum(const ResultRecord& r, std::uint64_t actual) {
  return {LoadErrorKind::Corrupt, describe(r) + ": checksum mismatch (record xxh3-64:" + hex64(r.checksum) +
                                      ", payload xxh3-64:" + hex64(actual) + "); the payload is damaged"};
}

}  // namespace

std::string_view to_string(LoadErrorKind kind) {
  switch (kind) {
    case LoadErrorKind::Missing: return "missing";
    case LoadErrorKind::Corrupt: return "corrupt";
    case LoadErrorKind::TypeMismatch: return "type mismatch";
    case LoadErrorKind::Format: return "format";
    case LoadErrorKind::Io: return "io";
  }
  return "unknown";
}

ResultStore::ResultStore(std::shared_ptr<ResultStorage> storage, Serializer serializer, Clock& clock)
    : storage_(std::move(storage)), serializer_(serializer), clock_(clock) {}

Result<ResultRecord> ResultStore::persist_with(std::string_view type_name, const PersistOptions& options,
                                               const std::function<void(ByteSink&)>& write) {
  ResultRecord r;
  if (options.storage_key) {
    r.storage_key = *options.storage_key;
  } else if (options.cache_key) {
    r.storage_key = *options.cache_key;
  } else {
    r.storage_key = "results/" + RunId::random().str();
  }
  r.key = options.cache_key.value_or(r.storage_key);
  if (Status s = validate_storage_key(r.key); !s.ok()) return s;
  if (Status s = validate_storage_key(r.storage_key); !s.ok()) return s;
  r.storage = storage_->location();
  r.serializer = serializer_.name();
  r.type_name = std::string(type_name);
  r.cache_key = options.cache_key;
  r.task_name = options.task_name;
  r.task_run_id = options.task_run_id;

  // An explicit storage key names where the user wants the payload: it gets its
  // file there, whatever its size. Otherwise a small payload may go inline.
  const std::size_t inline_limit = options.storage_key ? 0 : storage_->inline_payload_limit();
  InlineOrStreamSink out(*storage_, r.storage_key, inline_limit);
  if (inline_limit == 0) {
    if (Status s = out.open_writer(); !s.ok()) return Status::error("cannot persist " + describe(r) + ": " + s.message());
  }
  ChecksumSink sink(out);
  try {
    write(sink);
  } catch (const SerializationError& e) {
    if (out.writer() != nullptr) out.writer()->abort();
    return Status::error("cannot persist " + describe(r) + ": " + e.what());
  }
  r.size = sink.bytes();
  r.checksum = sink.digest();
  r.created = clock_.now();
  if (options.expiration) r.expires = r.created + *options.expiration;
  if (out.writer() == nullptr) {
    // Small: the payload goes inside the record, one object written durably.
    r.inline_payload = std::make_shared<const std::string>(out.take_buffer());
    if (Status s = storage_->put_metadata(r.key, encode_record(r)); !s.ok()) {
      return Status::error("cannot persist " + describe(r) + ": " + s.message());
    }
    return r;
  }
  // Payload, then record, durably and in that order (the storage may group this
  // with other results' commits).
  if (Status s = storage_->commit_with_metadata(*out.writer(), r.key, encode_record(r)); !s.ok()) {
    return Status::error("cannot persist " + describe(r) + ": " + s.message());
  }
  return r;
}

Result<std::optional<ResultRecord>> ResultStore::get_record(std::string_view key) {
  Result<std::shared_ptr<const ResultRecord>> r = storage_->get_record(key);
  if (!r.ok()) return r.status();
  if (!*r) return std::optional<ResultRecord>();
  return std::optional<ResultRecord>(**r);
}

Result<std::optional<ResultRecord>> ResultStore::lookup(std::string_view cache_key, TimePoint now) {
  Result<std::optional<ResultRecord>> r = get_record(cache_key);
  if (!r.ok() || !*r) return r;
  if ((*r)->expired(now)) return std::optional<ResultRecord>();
  return r;
}

std::optional<LoadError> ResultStore::load_with(const ResultRecord& record, std::string_view type_name,
                                                const std::function<void(const Serializer&, ByteSource&)>& read) {
  if (!type_name.empty() && record.type_name != type_name) {
    return LoadError{LoadErrorKind::TypeMismatch, describe(record) + " holds a " + record.type_name +
                                                      ", not a " + std::string(type_name)};
  }
  std::optional<Serializer> serializer = Serializer::from_name(record.serializer);
  if (!serializer) {
    return LoadError{LoadErrorKind::Format, describe(record) + ": unknown serializer '" + record.serializer + "'"};
  }
  if (record.inline_payload) {  // in the record: no storage read
    const std::string& bytes = *record.inline_payload;
    if (bytes.size() != record.size) {
      return LoadError{LoadErrorKind::Corrupt, describe(record) + ": inline payload has " +
                                                   std::to_string(bytes.size()) + " bytes, the record says " +
                                                   std::to_string(record.size)};
    }
    if (const std::uint64_t actual = hash64(bytes.data(), bytes.size()); actual != record.checksum) {
      return corrupt_checksum(record, actual);
    }
    SpanSource source(std::string_view{bytes});
    try {
      read(*serializer, source);
    } catch (const std::exception& e) {
      return LoadError{LoadErrorKind::Format, describe(record) + ": " + e.what()};
    }
    return std::nullopt;
  }
  Result<std::unique_ptr<PayloadReader>> reader = storage_->read_payload(record.storage_key);
  if (!reader.ok()) return LoadError{LoadErrorKind::Io, reader.status().message()};
  if (!*reader) return LoadError{LoadErrorKind::Missing, describe(record) + ": the payload is gone"};
  const std::uint64_t size = (*reader)->size().value_or(0);
  if (size != record.size) {
    return LoadError{LoadErrorKind::Corrupt, describe(record) + ": payload has " + std::to_string(size) +
                                                 " bytes, the record says " + std::to_string(record.size) +
                                                 (size < record.size ? " (truncated)" : "")};
  }
  if (auto mem = (*reader)->contiguous()) {
    const std::uint64_t actual = hash64(mem->data(), mem->size());
    if (actual != record.checksum) return corrupt_checksum(record, actual);
    try {
      read(*serializer, **reader);
    } catch (const std::exception& e) {  // SerializationError, or a user serialize() that threw
      return LoadError{LoadErrorKind::Format, describe(record) + ": " + e.what()};
    }
    return std::nullopt;
  }
  ChecksumSource source(**reader);
  std::optional<std::string> failure;
  try {
    read(*serializer, source);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (Status s = source.drain(); !s.ok()) return LoadError{LoadErrorKind::Io, describe(record) + ": " + s.message()};
  if (source.digest() != record.checksum) return corrupt_checksum(record, source.digest());
  if (failure) return LoadError{LoadErrorKind::Format, describe(record) + ": " + *failure};
  return std::nullopt;
}

std::optional<LoadError> ResultStore::verify(const ResultRecord& record) {
  return load_with(record, {}, [](const Serializer&, ByteSource&) {});
}

Status ResultStore::remove(const ResultRecord& record) {
  if (Status s = storage_->delete_metadata(record.key); !s.ok()) return s;
  return storage_->delete_payload(record.storage_key);
}

Status ResultStore::remove(std::string_view key) {
  Result<std::optional<ResultRecord>> r = get_record(key);
  if (!r.ok()) {
    // An unreadable record: its payload cannot be located, but the record goes.
    return storage_->delete_metadata(key);
  }
  if (!*r) return Status();
  return remove(**r);
}

Result<ResultStore::Listing> ResultStore::list(std::string_view prefix) {
  Result<std::vector<std::string>> keys = storage_->list_metadata(prefix);
  if (!keys.ok()) return keys.status();
  Listing out;
  for (const std::string& key : *keys) {
    Result<std::optional<ResultRecord>> r = get_record(key);
    if (!r.ok()) {
      out.problems.push_back(r.status().message());
    } else if (*r) {  // else: deleted since the listing
      out.records.push_back(std::move(**r));
    }
  }
  return out;
}

Result<ResultStore::ClearStats> ResultStore::clear(bool expired_only, std::optional<std::string_view> task_name,
                                                   TimePoint now) {
  Result<std::vector<std::string>> keys = storage_->list_metadata();
  if (!keys.ok()) return keys.status();
  ClearStats stats;
  for (const std::string& key : *keys) {
    Result<std::optional<ResultRecord>> r = get_record(key);
    if (!r.ok()) {
      if (expired_only || task_name) {
        stats.problems.push_back(r.status().message() + " (left in place)");
        continue;
      }
      if (Status s = storage_->delete_metadata(key); !s.ok()) {
        stats.problems.push_back(s.message());
      } else {
        ++stats.removed;
      }
      continue;
    }
    if (!*r) continue;
    const ResultRecord& rec = **r;
    if (expired_only && !rec.expired(now)) continue;
    if (task_name && rec.task_name != *task_name) continue;
    if (Status s = remove(rec); !s.ok()) {
      stats.problems.push_back(s.message());
      continue;
    }
    ++stats.removed;
    stats.bytes += rec.size;
  }
  return stats;
}

}  // namespace baton
