// <baton/s3.h> in a build configured with BATON_WITH_S3=OFF: opening S3 storage
// (BATON_RESULT_STORAGE=s3://..., baton::s3(...)) is an error that says why.
#include <baton/s3.h>

#include <stdexcept>
#include <string>

namespace baton {

namespace {
std::string unavailable(std::string_view what) {
  return "result storage '" + std::string(what) +
         "': S3 is not in this build of baton (configured with BATON_WITH_S3=OFF); rebuild with libcurl, "
         "OpenSSL and pugixml and -DBATON_WITH_S3=ON";
}
}  // namespace

Result<std::shared_ptr<ResultStorage>> make_s3_storage(std::string_view url) {
  return Status::error(unavailable(url));
}

std::shared_ptr<ResultStorage> s3(std::string_view bucket, std::string_view prefix) {
  throw std::runtime_error(unavailable("s3://" + std::string(bucket) + "/" + std::string(prefix)));
}

}  // namespace baton
