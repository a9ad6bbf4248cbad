#include "results/s3/sigv4.h"
#include "util/libc_time.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cassert>
#include <ctime>

namespace baton::aws {

std::string hex_lower(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(const void* data, std::size_t size) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int length = 0;
  // EVP picks the SHA-NI / AVX2 code paths when the CPU has them.
  const bool ok = EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr) == 1;
  assert(ok && length == SHA256_DIGEST_LENGTH);
  (void)ok;
  return hex_lower(digest, length);
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  assert(result != nullptr);
  (void)result;
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string canonical_query(const Pairs& query) {
  Pairs encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

namespace {

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trims the value and collapses runs of spaces into one, as SigV4 asks.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

Signature sign_v4(const SigningRequest& request, const SigningScope& scope) {
  // Headers: lower-case names, sorted; repeated names joined with ','.
  Pairs headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.emplace_back(to_lower(name), canonical_header_value(value));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the '\n' of the previous line
      canonical_headers += ',' + headers[i].second + '\n';
      continue;
    }
    if (!signed_headers.empty()) signed_headers.push_back(';');
    signed_headers += headers[i].first;
    canonical_headers += headers[i].first + ':' + headers[i].second + '\n';
  }

  Signature out;
  out.signed_headers = signed_headers;
  out.canonical_request.reserve(256 + canonical_headers.size());
  out.canonical_request.append(request.method).append("\n");
  out.canonical_request.append(request.canonical_uri.empty() ? "/" : request.canonical_uri).append("\n");
  out.canonical_request.append(canonical_query(request.query)).append("\n");
  out.canonical_request.append(canonical_headers).append("\n");
  out.canonical_request.append(signed_headers).append("\n");
  out.canonical_request.append(request.payload_hash);

  const std::string_view date = scope.amz_date.substr(0, 8);
  std::string credential_scope;
  credential_scope.append(date).append("/").append(scope.region).append("/").append(scope.service).append("/aws4_request");
  out.string_to_sign = "AWS4-HMAC-SHA256\n";
  out.string_to_sign.append(scope.amz_date).append("\n").append(credential_scope).append("\n");
  out.string_to_sign += sha256_hex(out.canonical_request);

  std::string key = "AWS4";
  key += scope.secret_key;
  key = hmac_sha256(key, date);
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  const std::string raw = hmac_sha256(key, out.string_to_sign);
  out.signature = hex_lower(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());

  out.authorization = "AWS4-HMAC-SHA256 Credential=";
  out.authorization.append(scope.access_key).append("/").append(credential_scope);
  out.authorization.append(",SignedHeaders=").append(signed_headers);
  out.authorization.append(",Signature=").append(out.signature);
  return out;
}

std::string amz_date(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  const std::tm tm = utc_time(t);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

}  // namespace baton::aws
