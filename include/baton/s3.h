#pragma once
// S3 (and S3-compatible stores: MinIO, Ceph, R2...) as result storage:
//
//   task.result_storage(baton::s3("my-bucket", "runs/"))
//   BATON_RESULT_STORAGE=s3://my-bucket/runs ./etl        (no recompiling)
//
// Credentials, region and endpoint come the way the AWS CLI finds them:
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile
// AWS_PROFILE (default "default") in ~/.aws/credentials and ~/.aws/config
// (AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move them); AWS_REGION or
// AWS_DEFAULT_REGION or the profile's region; AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL or the profile's endpoint_url for S3-compatible stores
// (path-style addressing then, unless BATON_S3_ADDRESSING=virtual).
//
// Layout under the prefix: payloads at <prefix><key>, metadata records at
// <prefix>.baton-meta/<key>.json. Large payloads stream through multipart uploads
// and parallel ranged GETs; an object appears whole at commit or not at all.
#include <baton/result_storage.h>

#include <memory>
#include <string_view>

namespace baton {

// Opens "s3://bucket/prefix", checking bucket and credentials with one small
// request: a missing bucket or a rejected key is an error here, with the server's
// Code and Message and the credential source (env variable or profile file).
Result<std::shared_ptr<ResultStorage>> make_s3_storage(std::string_view url);

// The same for a bucket and prefix given apart; throws std::runtime_error with
// that message when the storage cannot be opened (a configuration error at start).
std::shared_ptr<ResultStorage> s3(std::string_view bucket, std::string_view prefix = {});

}  // namespace baton
