#pragma once
// S3 as a baton::ResultStorage (include/baton/result_storage.h): a thin adapter
// over S3Storage, whose shape already is that interface's. Compiled into the
// results layer (baton_results links baton_s3, which knows nothing of results),
// so open_storage("s3://...") can call it; only when that interface is in the
// tree (see CMakeLists.txt).
#include "results/s3/s3_storage.h"

#include <baton/result_storage.h>
#include <baton/s3.h>

#include <memory>
#include <string_view>

namespace baton {

// "s3://bucket/prefix" with credentials, region and endpoint from the environment
// and ~/.aws files. Checks bucket and credentials with one small request, so a
// missing bucket or a rejected key is reported here, naming the credential source.
Result<std::shared_ptr<ResultStorage>> make_s3_result_storage(std::string_view url,
                                                              const aws::EnvLookup& env = aws::process_env());
// Over an already opened S3Storage (own client options: endpoint, part size...).
std::shared_ptr<ResultStorage> make_s3_result_storage(std::shared_ptr<aws::S3Storage> storage);

}  // namespace baton
