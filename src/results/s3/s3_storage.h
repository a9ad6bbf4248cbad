#pragma once
// Result storage in an S3 bucket under a prefix: the S3 backend of the results
// layer, with the same shape as baton::ResultStorage (include/baton/result_storage.h)
// so the adapter that implements that interface only forwards.
//
// Layout under s3://bucket/prefix/:
//   <key>                       payloads (streamed; multipart when large)
//   .baton-meta/<key>.json      metadata records, small, apart from payloads, so a
//                               cache check is one small GET or HEAD
//
// Contract (the ResultStorage one):
// - A payload appears under its key only at commit(), whole (one PUT, or a
//   multipart upload completed at commit); a writer aborted, destroyed or failed
//   leaves no object, and aborts its multipart upload. Committing over an existing
//   key replaces it atomically (S3 gives readers the old or the new object).
// - put_metadata is one PUT: atomic.
// - Missing objects are not errors: read_payload gives null, get_metadata nullopt,
//   has_metadata false, delete_* succeed. Errors name the s3:// URL and carry the
//   server's Code and Message.
// - Thread-safe; writers and readers are used by one thread each.
#include "results/s3/s3_client.h"
#include "results/s3/s3_transfer.h"
#include "results/s3/s3_url.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace baton::aws {

class S3Storage {
 public:
  // Opens the location with an existing client. With `check`, one ListObjectsV2
  // of at most one key verifies bucket and credentials now, so a missing bucket or
  // a rejected key is reported here, naming the credential source.
  static Result<std::shared_ptr<S3Storage>> open(std::shared_ptr<S3Client> client, S3Location location,
                                                 bool check = true);
  // "s3://bucket/prefix" with credentials, region and endpoint from the
  // environment and ~/.aws files (aws_config.h).
  static Result<std::shared_ptr<S3Storage>> open_url(std::string_view url, const EnvLookup& env = process_env());

  std::string location() const { return location_.url(); }
  const S3Location& s3_location() const { return location_; }
  const std::shared_ptr<S3Client>& client() const { return client_; }

  Result<std::unique_ptr<S3ObjectWriter>> write_payload(std::string_view key);
  Result<std::unique_ptr<S3ObjectReader>> read_payload(std::string_view key);  // null when missing
  Status delete_payload(std::string_view key);

  Status put_metadata(std::string_view key, std::string_view record);
  Result<std::optional<std::string>> get_metadata(std::string_view key);
  Result<bool> has_metadata(std::string_view key);
  Status delete_metadata(std::string_view key);
  // Metadata keys starting with `prefix`, sorted.
  Result<std::vector<std::string>> list_metadata(std::string_view prefix = {});

  // Aborts multipart uploads under this prefix started more than `older_than`
  // ago: the ones a writer could not abort because the server was unreachable
  // when it failed. Returns how many were aborted. (On AWS a lifecycle rule
  // "AbortIncompleteMultipartUpload" does the same server-side.)
  Result<int> sweep_incomplete_uploads(std::chrono::seconds older_than);

  // Object names, for tests and tools.
  std::string payload_object(std::string_view key) const;
  std::string metadata_object(std::string_view key) const;

 private:
  S3Storage(std::shared_ptr<S3Client> client, S3Location location);
  Status check_key(std::string_view key) const;

  std::shared_ptr<S3Client> client_;
  S3Location location_;
};

}  // namespace baton::aws
