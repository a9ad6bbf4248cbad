#pragma once
// An S3 client over libcurl with baton's own SigV4 signer: the object operations
// result storage needs, retried when the failure is transient, with the server's
// own Code and Message when it is not.
//
// Connections are reused: finished curl handles go back to a pool (each keeps its
// connection alive), and all handles share one DNS and TLS-session cache.
// Retries: connection refused/reset, timeouts, HTTP 5xx, 429 and the SlowDown /
// RequestTimeout / InternalError codes are retried with exponential backoff and
// jitter, at most RetryPolicy::max_attempts times; anything else (403, 404 on a
// bucket, 400) fails at once. Error messages name the operation and s3://bucket/key,
// the HTTP status, Code and Message, and for authorization failures the credential
// source and endpoint.
//
// Thread-safe: any number of threads may call any method at once.
#include "results/s3/aws_config.h"
#include "results/s3/sigv4.h"
#include "results/s3/work_pool.h"
#include "util/status.h"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace baton::aws {

enum class PayloadSigning {
  kAuto,    // hash in-memory bodies over plain HTTP; UNSIGNED-PAYLOAD over HTTPS (TLS guards the bytes)
  kAlways,  // hash every in-memory body (streamed bodies are always UNSIGNED-PAYLOAD)
  kNever,   // UNSIGNED-PAYLOAD everywhere
};

struct RetryPolicy {
  int max_attempts = 5;  // total tries, the first included
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
};

struct S3ClientOptions {
  AwsCredentials credentials;
  std::string region = "us-east-1";
  std::string endpoint;  // "" = https://s3.<region>.amazonaws.com; else "http://127.0.0.1:9000"
  Addressing addressing = Addressing::kAuto;  // auto: virtual-hosted on AWS, path-style on custom endpoints
  PayloadSigning payload_signing = PayloadSigning::kAuto;
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{5000};
  // A transfer slower than 1 byte/s for this long is a timeout (retried).
  std::chrono::seconds stall_timeout{60};

  // Streaming transfers.
  std::size_t part_size = std::size_t{16} << 20;  // multipart part / ranged-GET chunk (>= 5 MiB for S3)
  int max_in_flight = 4;                          // parts or chunks in flight per transfer
  int threads = 8;                                // the client's worker pool, shared by all transfers
};

// Options from the environment and ~/.aws files (see aws_config.h).
Result<S3ClientOptions> options_from_environment(const EnvLookup& env = process_env());

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;           // as the server sent it, quotes included
  std::string last_modified;  // ISO 8601 (list) or HTTP date (head)
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  std::string next_continuation_token;  // empty when this was the last page
};

struct MultipartUploadInfo {
  std::string key;
  std::string upload_id;
  std::string initiated;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;
};

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // bytes wanted; the server gives fewer at the end of the object
};

// What a GetObject gave: the bytes, and the object's total size and ETag.
struct GetResult {
  std::size_t bytes = 0;  // bytes written to the caller's buffer or string
  std::uint64_t object_size = 0;
  std::string etag;
};

// Reads the next bytes of a streamed request body; returns the count (0 only at
// the end) or an error. Called from a curl callback on the calling thread.
using BodyReader = std::function<Result<std::size_t>(char* data, std::size_t size)>;

class S3Client {
 public:
  static Result<std::shared_ptr<S3Client>> create(S3ClientOptions options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3ClientOptions& options() const { return options_; }
  // "http://127.0.0.1:9000" or "https://s3.eu-west-1.amazonaws.com".
  const std::string& endpoint() const { return endpoint_; }
  WorkPool& pool() { return *pool_; }
  // HTTP requests sent so far, retries included (tests count cache checks with it),
  // and how many of them were writes (PUT, POST, DELETE).
  std::uint64_t request_count() const { return requests_.load(std::memory_order_relaxed); }
  std::uint64_t write_request_count() const { return write_requests_.load(std::memory_order_relaxed); }

  // Objects. A missing key is nullopt, not an error; a missing bucket is an error.
  Result<std::optional<ObjectInfo>> head_object(std::string_view bucket, std::string_view key);
  Status put_object(std::string_view bucket, std::string_view key, std::span<const std::byte> body);
  // A body of known `size` streamed from `reader` (not kept in memory). Sent with
  // UNSIGNED-PAYLOAD; retried only when `rewind` is given and succeeds.
  Status put_object_stream(std::string_view bucket, std::string_view key, std::uint64_t size,
                           const BodyReader& reader, const std::function<bool()>& rewind = {});
  // The whole object (or `range` of it) into a string; nullopt when missing.
  Result<std::optional<std::string>> get_object(std::string_view bucket, std::string_view key,
                                                std::optional<ByteRange> range = std::nullopt);
  // `range` of the object into `out` (at most range.length bytes); nullopt when the
  // object is missing. A range starting at or past the end gives 0 bytes. When
  // `if_match` is set, an object whose ETag changed is an error (it was replaced).
  Result<std::optional<GetResult>> get_range(std::string_view bucket, std::string_view key, ByteRange range,
                                             std::byte* out, std::string_view if_match = {});
  Status delete_object(std::string_view bucket, std::string_view key);

  // One page of ListObjectsV2 (keys in UTF-8 binary order).
  Result<ListPage> list_objects_page(std::string_view bucket, std::string_view prefix,
                                     std::string_view continuation_token = {}, int max_keys = 1000,
                                     std::string_view delimiter = {});
  // Every object under `prefix`, all pages.
  Result<std::vector<ObjectInfo>> list_objects(std::string_view bucket, std::string_view prefix);

  // Multipart.
  Result<std::string> create_multipart_upload(std::string_view bucket, std::string_view key);
  Result<std::string> upload_part(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                  int part_number, std::span<const std::byte> body);  // the part's ETag
  Status complete_multipart_upload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                   const std::vector<CompletedPart>& parts);
  // A missing upload (already aborted or completed) is not an error.
  Status abort_multipart_upload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                const RetryPolicy* retry = nullptr);
  Result<std::vector<MultipartUploadInfo>> list_multipart_uploads(std::string_view bucket, std::string_view prefix);

  // Whether the bucket can be listed with these credentials: ok, or the server's
  // refusal (NoSuchBucket, AccessDenied, SignatureDoesNotMatch...) with the source.
  Status check_bucket(std::string_view bucket, std::string_view prefix = {});

  struct Request;
  struct Response;

 private:
  explicit S3Client(S3ClientOptions options);
  Result<Response> execute(Request& request, const RetryPolicy* retry = nullptr);
  Status error_status(const Request& request, const Response& response) const;

  S3ClientOptions options_;
  std::string endpoint_;  // scheme://host[:port], no trailing slash
  std::string scheme_;
  std::string host_;      // host[:port] as sent in the Host header
  bool https_ = false;
  bool path_style_ = true;
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> write_requests_{0};

  class HandlePool;
  std::unique_ptr<HandlePool> handles_;
  std::unique_ptr<WorkPool> pool_;  // last: its threads stop first
};

}  // namespace baton::aws
