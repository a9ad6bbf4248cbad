#include "results/s3/s3_storage.h"
#include "util/libc_time.h"

#include <ctime>

namespace baton::aws {

namespace {

constexpr std::string_view kMetaDir = ".baton-meta/";
constexpr std::string_view kMetaSuffix = ".json";

// "2026-11-24T15:34:19.000Z" -> seconds since the epoch; nullopt if unreadable.
std::optional<std::int64_t> parse_iso8601(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return static_cast<std::int64_t>(utc_seconds(tm));
}

}  // namespace

S3Storage::S3Storage(std::shared_ptr<S3Client> client, S3Location location)
    : client_(std::move(client)), location_(std::move(location)) {}

Result<std::shared_ptr<S3Storage>> S3Storage::open(std::shared_ptr<S3Client> client, S3Location location,
                                                   bool check) {
  if (check) {
    if (Status s = client->check_bucket(location.bucket, location.prefix); !s.ok()) {
      return Status::error("S3 result storage " + location.url() + ": " + s.message());
    }
  }
  return std::shared_ptr<S3Storage>(new S3Storage(std::move(client), std::move(location)));
}

Result<std::shared_ptr<S3Storage>> S3Storage::open_url(std::string_view url, const EnvLookup& env) {
  auto location = parse_s3_url(url);
  if (!location.ok()) return location.status();
  auto options = options_from_environment(env);
  if (!options.ok()) return Status::error("S3 result storage " + std::string(url) + ": " + options.status().message());
  auto client = S3Client::create(std::move(*options));
  if (!client.ok()) return client.status();
  return open(std::move(*client), std::move(*location));
}

Status S3Storage::check_key(std::string_view key) const {
  // The results layer validates keys (validate_storage_key); this guards the
  // object names S3 itself would refuse or that would escape the prefix.
  if (key.empty() || key.size() > 1024 || key.front() == '/' || key.starts_with(".baton")) {
    return Status::error("S3 result storage " + location() + ": '" + std::string(key) +
                         "' is not a valid storage key");
  }
  return Status();
}

std::string S3Storage::payload_object(std::string_view key) const { return location_.prefix + std::string(key); }

std::string S3Storage::metadata_object(std::string_view key) const {
  return location_.prefix + std::string(kMetaDir) + std::string(key) + std::string(kMetaSuffix);
}

Result<std::unique_ptr<S3ObjectWriter>> S3Storage::write_payload(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  return std::make_unique<S3ObjectWriter>(client_, location_.bucket, payload_object(key));
}

Result<std::unique_ptr<S3ObjectReader>> S3Storage::read_payload(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  return S3ObjectReader::open(client_, location_.bucket, payload_object(key));
}

Status S3Storage::delete_payload(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  return client_->delete_object(location_.bucket, payload_object(key));
}

Status S3Storage::put_metadata(std::string_view key, std::string_view record) {
  if (Status s = check_key(key); !s.ok()) return s;
  return client_->put_object(location_.bucket, metadata_object(key), std::as_bytes(std::span(record.data(), record.size())));
}

Result<std::optional<std::string>> S3Storage::get_metadata(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  return client_->get_object(location_.bucket, metadata_object(key));
}

Result<bool> S3Storage::has_metadata(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  auto info = client_->head_object(location_.bucket, metadata_object(key));
  if (!info.ok()) return info.status();
  return info->has_value();
}

Status S3Storage::delete_metadata(std::string_view key) {
  if (Status s = check_key(key); !s.ok()) return s;
  return client_->delete_object(location_.bucket, metadata_object(key));
}

Result<std::vector<std::string>> S3Storage::list_metadata(std::string_view prefix) {
  const std::string base = location_.prefix + std::string(kMetaDir);
  auto objects = client_->list_objects(location_.bucket, base + std::string(prefix));
  if (!objects.ok()) return objects.status();
  std::vector<std::string> keys;
  keys.reserve(objects->size());
  for (const ObjectInfo& o : *objects) {
    std::string_view k = o.key;
    if (!k.starts_with(base) || !k.ends_with(kMetaSuffix)) continue;  // not ours
    k.remove_prefix(base.size());
    k.remove_suffix(kMetaSuffix.size());
    keys.emplace_back(k);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

Result<int> S3Storage::sweep_incomplete_uploads(std::chrono::seconds older_than) {
  auto uploads = client_->list_multipart_uploads(location_.bucket, location_.prefix);
  if (!uploads.ok()) return uploads.status();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  int aborted = 0;
  for (const MultipartUploadInfo& u : *uploads) {
    const auto initiated = parse_iso8601(u.initiated);
    if (older_than.count() > 0 && (!initiated || now - *initiated < older_than.count())) continue;
    if (Status s = client_->abort_multipart_upload(location_.bucket, u.key, u.upload_id); !s.ok()) return s;
    ++aborted;
  }
  return aborted;
}

}  // namespace baton::aws
