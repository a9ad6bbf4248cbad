// Result storage in process memory. Payloads are immutable shared strings: a
// reader keeps the bytes it opened even if the key is overwritten or deleted.
#include <baton/result_storage.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

namespace baton {

namespace {

using Bytes = std::shared_ptr<const std::string>;

class MemoryStorage;

class MemoryPayloadWriter final : public PayloadWriter {
 public:
  MemoryPayloadWriter(std::shared_ptr<MemoryStorage> storage, std::string key)
      : storage_(std::move(storage)), key_(std::move(key)) {}
  ~MemoryPayloadWriter() override { abort(); }
  Status write(const void* data, std::size_t size) override {
    if (done_) return Status::error("payload '" + key_ + "': write after commit or abort");
    buf_.append(static_cast<const char*>(data), size);
    written_ += size;
    return Status();
  }
  Status commit() override;
  void abort() noexcept override {
    done_ = true;
    buf_.clear();
  }
  std::uint64_t bytes_written() const override { return written_; }

 private:
  std::shared_ptr<MemoryStorage> storage_;
  std::string key_;
  std::string buf_;
  std::uint64_t written_ = 0;
  bool done_ = false;
};

class MemoryPayloadReader final : public PayloadReader {
 public:
  explicit MemoryPayloadReader(Bytes bytes) : bytes_(std::move(bytes)) {}
  Result<std::size_t> read(void* data, std::size_t size) override {
    const std::size_t n = std::min(size, bytes_->size() - pos_);
    if (n > 0) std::memcpy(data, bytes_->data() + pos_, n);
    pos_ += n;
    return n;
  }
  std::optional<std::uint64_t> size() const override { return bytes_->size(); }
  Result<std::size_t> read_at(std::uint64_t offset, void* data, std::size_t size) override {
    if (offset >= bytes_->size() || size == 0) return std::size_t{0};
    const std::size_t n = std::min<std::uint64_t>(size, bytes_->size() - offset);
    std::memcpy(data, bytes_->data() + offset, n);
    return n;
  }
  std::optional<std::span<const std::byte>> contiguous() const override {
    return std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes_->data()) + pos_,
                                      bytes_->size() - pos_);
  }

 private:
  Bytes bytes_;
  std::size_t pos_ = 0;
};

class MemoryStorage final : public ResultStorage, public std::enable_shared_from_this<MemoryStorage> {
 public:
  std::string location() const override { return "memory"; }

  Result<std::unique_ptr<PayloadWriter>> write_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return std::unique_ptr<PayloadWriter>(new MemoryPayloadWriter(shared_from_this(), std::string(key)));
  }
  Result<std::unique_ptr<PayloadReader>> read_payload(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = payloads_.find(std::string(key));
    if (it == payloads_.end()) return std::unique_ptr<PayloadReader>();
    return std::unique_ptr<PayloadReader>(new MemoryPayloadReader(it->second));
  }
  Status delete_payload(std::string_view key) override {
    std::lock_guard lock(mu_);
    payloads_.erase(std::string(key));
    return Status();
  }
  Status put_metadata(std::string_view key, std::string_view record) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    std::lock_guard lock(mu_);
    metadata_[std::string(key)] = std::string(record);
    return Status();
  }
  Result<std::optional<std::string>> get_metadata(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = metadata_.find(std::string(key));
    if (it == metadata_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<bool> has_metadata(std::string_view key) override {
    std::lock_guard lock(mu_);
    return metadata_.count(std::string(key)) > 0;
  }
  Status delete_metadata(std::string_view key) override {
    std::lock_guard lock(mu_);
    metadata_.erase(std::string(key));
    return Status();
  }
  Result<std::vector<std::string>> list_metadata(std::string_view prefix) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto it = metadata_.lower_bound(std::string(prefix)); it != metadata_.end(); ++it) {
      if (!std::string_view(it->first).starts_with(prefix)) break;
      out.push_back(it->first);
    }
    return out;
  }

  void publish(const std::string& key, std::string bytes) {
    auto shared = std::make_shared<const std::string>(std::move(bytes));
    std::lock_guard lock(mu_);
    payloads_[key] = std::move(shared);
  }

 private:
  std::mutex mu_;  // guards both maps
  std::map<std::string, Bytes> payloads_;
  std::map<std::string, std::string> metadata_;
};

Status MemoryPayloadWriter::commit() {
  if (done_) return Status::error("payload '" + key_ + "': commit after commit or abort");
  done_ = true;
  storage_->publish(key_, std::move(buf_));
  buf_.clear();
  return Status();
}

}  // namespace

std::shared_ptr<ResultStorage> make_memory_storage() { return std::make_shared<MemoryStorage>(); }

}  // namespace baton
