#pragma once
// Where S3 credentials, region and endpoint come from, resolved the way AWS
// users expect (the AWS CLI's order):
//
//   credentials  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
//                else profile $AWS_PROFILE (default "default") in the shared
//                credentials file ($AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials),
//                else the same profile in the config file ($AWS_CONFIG_FILE,
//                ~/.aws/config; section "[profile NAME]", or "[default]")
//   region       AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, "us-east-1"
//   endpoint     AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's `endpoint_url`,
//                else AWS (https://s3.<region>.amazonaws.com)
//   addressing   BATON_S3_ADDRESSING (path | virtual | auto), the profile's
//                `s3 = addressing_style = ...` sub-setting, else auto
//
// Every credential carries `source`, a phrase naming where it came from ("env
// AWS_ACCESS_KEY_ID", "profile 'dev' in /root/.aws/credentials"), which error
// messages repeat so a rejected key points at the file or variable to fix.
// The environment comes through a function so tests need not touch the process's.
#include "util/status.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace baton::aws {

struct AwsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty unless temporary credentials
  std::string source;
};

enum class Addressing { kAuto, kPath, kVirtual };

struct AwsSettings {
  AwsCredentials credentials;
  std::string region;
  std::string region_source;
  std::string endpoint;  // empty: AWS's own
  Addressing addressing = Addressing::kAuto;
};

// Looks up one environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();

// Credentials, region and endpoint from the environment and the shared files.
// Errors: no credentials anywhere (naming each place looked at), a half-set pair
// (key without secret), a profile named by AWS_PROFILE that no file holds, an
// unreadable file (named).
Result<AwsSettings> resolve_aws_settings(const EnvLookup& env = process_env());

// The INI dialect of ~/.aws files: `[section]`, `key = value`, '#'/';' comments,
// indented lines continue a nested block (`s3 =` then `  addressing_style = path`,
// read as key "s3.addressing_style"). Nullopt when the section is absent.
std::optional<std::vector<std::pair<std::string, std::string>>> read_ini_section(std::string_view text,
                                                                                 std::string_view section);

}  // namespace baton::aws
