#pragma once
// "s3://bucket/prefix" as BATON_RESULT_STORAGE and `baton::s3(...)` spell it.
#include "util/status.h"

#include <string>
#include <string_view>

namespace baton::aws {

struct S3Location {
  std::string bucket;
  std::string prefix;  // empty, or ends with '/' ("runs/" for "s3://b/runs" and "s3://b/runs/")

  std::string url() const { return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix); }
};

// Errors name the URL and what is wrong: not s3://, no bucket, a bucket name S3
// would refuse (3-63 of a-z 0-9 . -, starting and ending alphanumeric), an empty
// or "."/".." prefix segment.
Result<S3Location> parse_s3_url(std::string_view url);
// The same checks for a bucket and prefix given apart (prefix normalized as above).
Result<S3Location> make_s3_location(std::string_view bucket, std::string_view prefix);

}  // namespace baton::aws
