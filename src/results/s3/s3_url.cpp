#include "results/s3/s3_url.h"

namespace baton::aws {

Result<S3Location> make_s3_location(std::string_view bucket, std::string_view prefix) {
  const std::string url = "s3://" + std::string(bucket) + (prefix.empty() ? "" : "/" + std::string(prefix));
  if (bucket.size() < 3 || bucket.size() > 63) {
    return Status::error("S3 location " + url + ": bucket name '" + std::string(bucket) +
                         "' must be 3 to 63 characters");
  }
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return Status::error("S3 location " + url + ": bucket name '" + std::string(bucket) +
                           "' may hold only a-z, 0-9, '.' and '-'");
    }
  }
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) {
    return Status::error("S3 location " + url + ": bucket name '" + std::string(bucket) +
                         "' must start and end with a letter or digit");
  }
  S3Location out;
  out.bucket = bucket;
  std::string p(prefix);
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  if (!p.empty() && p.back() != '/') p.push_back('/');
  std::size_t start = 0;
  while (start < p.size()) {
    const auto slash = p.find('/', start);
    const std::string_view segment = std::string_view(p).substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return Status::error("S3 location " + url + ": prefix '" + std::string(prefix) +
                           "' has an empty, '.' or '..' segment");
    }
    start = slash + 1;
  }
  out.prefix = std::move(p);
  return out;
}

Result<S3Location> parse_s3_url(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  if (!url.starts_with(kScheme)) {
    return Status::error("'" + std::string(url) + "' is not an S3 URL (want s3://bucket/prefix)");
  }
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string_view bucket = rest.substr(0, slash);
  const std::string_view prefix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (bucket.empty()) return Status::error("S3 URL '" + std::string(url) + "' has no bucket");
  return make_s3_location(bucket, prefix);
}

}  // namespace baton::aws
