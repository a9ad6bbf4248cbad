#pragma once
// AWS Signature Version 4 for S3, over OpenSSL: hashing, canonical requests,
// string to sign, signing key, Authorization header. Pure functions, no I/O, so
// they are checked against the worked examples in AWS's documentation.
//
// Why our own: curl's built-in SigV4 (Debian 12's 7.88) neither canonicalizes the
// query string nor adds x-amz-content-sha256, which S3 requires.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace baton::aws {

// The x-amz-content-sha256 value for a body that is not hashed up front: used
// for streamed bodies (the hash would need a second pass over the data) and, by
// choice, over TLS, which already protects the bytes in transit.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string, the payload hash of requests without a body.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string hex_lower(const unsigned char* data, std::size_t size);
std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(std::string_view text) { return sha256_hex(text.data(), text.size()); }
// Raw 32-byte HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view message);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters
// (A-Z a-z 0-9 - _ . ~) stay, every other byte becomes %XX (upper-case hex);
// '/' stays when `keep_slash` (object key paths), is encoded otherwise (query).
std::string uri_encode(std::string_view text, bool keep_slash);

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The query string in canonical form: names and values URI-encoded, pairs sorted
// by encoded name then value, "name=value" joined by '&' ("name=" when empty).
// Used both for signing and for the URL actually sent, so they cannot disagree.
std::string canonical_query(const Pairs& query);

struct SigningRequest {
  std::string_view method;         // "GET", "PUT", ...
  std::string_view canonical_uri;  // the path as sent, already URI-encoded ("/bucket/key")
  Pairs query;                     // raw (not encoded) names and values
  Pairs headers;                   // every header to sign, as sent (host, x-amz-date, ...)
  std::string_view payload_hash;   // hex SHA-256 of the body, or kUnsignedPayload
};

struct SigningScope {
  std::string_view access_key;
  std::string_view secret_key;
  std::string_view region;
  std::string_view service = "s3";
  std::string_view amz_date;  // ISO 8601 basic: "20130524T000000Z"
};

// Every intermediate value, so tests compare each step with AWS's examples.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;       // lower-case hex
  std::string authorization;   // the Authorization header value
};

Signature sign_v4(const SigningRequest& request, const SigningScope& scope);

// "20130524T000000Z" for a time in seconds since the epoch (UTC).
std::string amz_date(std::int64_t unix_seconds);

}  // namespace baton::aws
