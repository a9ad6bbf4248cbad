#include "results/s3/s3_result_storage.h"

#include <stdexcept>

namespace baton {

namespace {

class S3PayloadWriter final : public PayloadWriter {
 public:
  explicit S3PayloadWriter(std::unique_ptr<aws::S3ObjectWriter> writer) : writer_(std::move(writer)) {}
  Status write(const void* data, std::size_t size) override { return writer_->write(data, size); }
  Status commit() override { return writer_->commit(); }
  void abort() noexcept override { writer_->abort(); }
  std::uint64_t bytes_written() const override { return writer_->bytes_written(); }

 private:
  std::unique_ptr<aws::S3ObjectWriter> writer_;  // its destructor aborts an uncommitted upload
};

class S3PayloadReader final : public PayloadReader {
 public:
  explicit S3PayloadReader(std::unique_ptr<aws::S3ObjectReader> reader) : reader_(std::move(reader)) {}
  Result<std::size_t> read(void* data, std::size_t size) override { return reader_->read(data, size); }
  std::optional<std::uint64_t> size() const override { return reader_->size(); }
  Result<std::size_t> read_at(std::uint64_t offset, void* data, std::size_t size) override {
    return reader_->read_at(offset, data, size);
  }

 private:
  std::unique_ptr<aws::S3ObjectReader> reader_;
};

class S3ResultStorage final : public ResultStorage {
 public:
  explicit S3ResultStorage(std::shared_ptr<aws::S3Storage> storage) : storage_(std::move(storage)) {}

  std::string location() const override { return storage_->location(); }

  Result<std::unique_ptr<PayloadWriter>> write_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    auto w = storage_->write_payload(key);
    if (!w.ok()) return w.status();
    return std::unique_ptr<PayloadWriter>(new S3PayloadWriter(std::move(*w)));
  }
  Result<std::unique_ptr<PayloadReader>> read_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    auto r = storage_->read_payload(key);
    if (!r.ok()) return r.status();
    if (!*r) return std::unique_ptr<PayloadReader>();
    return std::unique_ptr<PayloadReader>(new S3PayloadReader(std::move(*r)));
  }
  Status delete_payload(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return storage_->delete_payload(key);
  }
  Status put_metadata(std::string_view key, std::string_view record) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return storage_->put_metadata(key, record);
  }
  Result<std::optional<std::string>> get_metadata(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return storage_->get_metadata(key);
  }
  Result<bool> has_metadata(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return storage_->has_metadata(key);
  }
  Status delete_metadata(std::string_view key) override {
    if (Status s = validate_storage_key(key); !s.ok()) return s;
    return storage_->delete_metadata(key);
  }
  Result<std::vector<std::string>> list_metadata(std::string_view prefix) override {
    return storage_->list_metadata(prefix);
  }

 private:
  std::shared_ptr<aws::S3Storage> storage_;
};

}  // namespace

std::shared_ptr<ResultStorage> make_s3_result_storage(std::shared_ptr<aws::S3Storage> storage) {
  return std::make_shared<S3ResultStorage>(std::move(storage));
}

Result<std::shared_ptr<ResultStorage>> make_s3_result_storage(std::string_view url, const aws::EnvLookup& env) {
  auto storage = aws::S3Storage::open_url(url, env);
  if (!storage.ok()) return storage.status();
  return make_s3_result_storage(std::move(*storage));
}

Result<std::shared_ptr<ResultStorage>> make_s3_storage(std::string_view url) { return make_s3_result_storage(url); }

std::shared_ptr<ResultStorage> s3(std::string_view bucket, std::string_view prefix) {
  auto location = aws::make_s3_location(bucket, prefix);
  if (!location.ok()) throw std::runtime_error(location.status().message());
  auto storage = make_s3_storage(location->url());
  if (!storage.ok()) throw std::runtime_error(storage.status().message());
  return std::move(*storage);
}

}  // namespace baton
