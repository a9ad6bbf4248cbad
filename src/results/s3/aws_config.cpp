#include "results/s3/aws_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace baton::aws {

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

std::string trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r");
  return std::string(s.substr(begin, end - begin + 1));
}

std::optional<std::string> non_empty(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

// The file's text; nullopt when it does not exist; an error when it cannot be read.
Result<std::optional<std::string>> read_optional_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot open AWS settings file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::error("cannot read AWS settings file " + path);
  return std::optional<std::string>(text.str());
}

std::optional<std::string> find(const std::vector<std::pair<std::string, std::string>>& kv, std::string_view key) {
  for (const auto& [k, v] : kv) {
    if (k == key) return v;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> read_ini_section(std::string_view text,
                                                                                 std::string_view section) {
  std::vector<std::pair<std::string, std::string>> out;
  bool in_section = false;
  bool found = false;
  std::string parent;  // the key of an `s3 =` block whose indented lines follow
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    const bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_section = trim(std::string_view(line).substr(1, line.size() - 2)) == section;
      found = found || in_section;
      parent.clear();
      continue;
    }
    if (!in_section) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(std::string_view(line).substr(0, eq));
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (indented && !parent.empty()) {
      out.emplace_back(parent + "." + key, value);
      continue;
    }
    parent = value.empty() ? key : std::string();
    out.emplace_back(std::move(key), std::move(value));
  }
  if (!found) return std::nullopt;
  return out;
}

Result<AwsSettings> resolve_aws_settings(const EnvLookup& env) {
  AwsSettings out;
  const auto home = non_empty(env, "HOME").value_or("");
  const std::string credentials_path =
      non_empty(env, "AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
  const std::string config_path = non_empty(env, "AWS_CONFIG_FILE").value_or(home + "/.aws/config");
  const auto profile_env = non_empty(env, "AWS_PROFILE");
  const std::string profile = profile_env.value_or("default");

  auto credentials_text = read_optional_file(credentials_path);
  if (!credentials_text.ok()) return credentials_text.status();
  auto config_text = read_optional_file(config_path);
  if (!config_text.ok()) return config_text.status();

  std::optional<std::vector<std::pair<std::string, std::string>>> cred_section;
  if (credentials_text->has_value()) cred_section = read_ini_section(**credentials_text, profile);
  std::optional<std::vector<std::pair<std::string, std::string>>> config_section;
  if (config_text->has_value()) {
    config_section = read_ini_section(**config_text, profile == "default" ? "default" : "profile " + profile);
  }
  if (profile_env && !cred_section && !config_section) {
    return Status::error("AWS_PROFILE names profile '" + profile + "', which is in neither " + credentials_path +
                         " nor " + config_path);
  }
  const auto config_value = [&](std::string_view key) -> std::optional<std::string> {
    if (!config_section) return std::nullopt;
    auto v = find(*config_section, key);
    if (v && v->empty()) return std::nullopt;
    return v;
  };

  // Credentials.
  const auto env_key = non_empty(env, "AWS_ACCESS_KEY_ID");
  const auto env_secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
  if (env_key || env_secret) {
    if (!env_key || !env_secret) {
      return Status::error(std::string("AWS credentials from env are incomplete: ") +
                           (env_key ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                    : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
    }
    out.credentials = {*env_key, *env_secret, non_empty(env, "AWS_SESSION_TOKEN").value_or(""),
                       "env AWS_ACCESS_KEY_ID"};
  } else {
    bool found = false;
    const auto take = [&](const std::vector<std::pair<std::string, std::string>>& kv,
                          const std::string& path) -> Status {
      auto key = find(kv, "aws_access_key_id");
      auto secret = find(kv, "aws_secret_access_key");
      if (!key && !secret) return Status();
      const std::string where = "profile '" + profile + "' in " + path;
      if (!key || key->empty() || !secret || secret->empty()) {
        return Status::error("AWS credentials in " + where + " are incomplete: need both aws_access_key_id and " +
                             "aws_secret_access_key");
      }
      out.credentials = {*key, *secret, find(kv, "aws_session_token").value_or(""), where};
      found = true;
      return Status();
    };
    if (cred_section) {
      if (Status s = take(*cred_section, credentials_path); !s.ok()) return s;
    }
    if (!found && config_section) {
      if (Status s = take(*config_section, config_path); !s.ok()) return s;
    }
    if (!found) {
      return Status::error("no AWS credentials: AWS_ACCESS_KEY_ID is not set and profile '" + profile +
                           "' has no aws_access_key_id in " + credentials_path + " or " + config_path);
    }
  }

  // Region.
  if (auto r = non_empty(env, "AWS_REGION")) {
    out.region = *r;
    out.region_source = "env AWS_REGION";
  } else if (auto d = non_empty(env, "AWS_DEFAULT_REGION")) {
    out.region = *d;
    out.region_source = "env AWS_DEFAULT_REGION";
  } else if (auto c = config_value("region")) {
    out.region = *c;
    out.region_source = "profile '" + profile + "' in " + config_path;
  } else {
    out.region = "us-east-1";
    out.region_source = "default";
  }

  // Endpoint.
  if (auto e = non_empty(env, "AWS_ENDPOINT_URL_S3")) {
    out.endpoint = *e;
  } else if (auto g = non_empty(env, "AWS_ENDPOINT_URL")) {
    out.endpoint = *g;
  } else if (auto s = config_value("s3.endpoint_url")) {
    out.endpoint = *s;
  } else if (auto p = config_value("endpoint_url")) {
    out.endpoint = *p;
  }

  // Addressing.
  std::optional<std::string> style = non_empty(env, "BATON_S3_ADDRESSING");
  if (!style) style = config_value("s3.addressing_style");
  if (style) {
    if (*style == "path") {
      out.addressing = Addressing::kPath;
    } else if (*style == "virtual") {
      out.addressing = Addressing::kVirtual;
    } else if (*style == "auto") {
      out.addressing = Addressing::kAuto;
    } else {
      return Status::error("S3 addressing style '" + *style + "' is not one of path, virtual, auto");
    }
  }
  return out;
}

}  // namespace baton::aws
