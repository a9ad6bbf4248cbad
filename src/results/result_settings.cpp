#include "results/result_settings.h"

#include "engine/settings.h"

#include <baton/s3.h>

#include <stdexcept>

namespace baton::results {

std::string storage_location() {
  settings::Value v = settings::get("result_storage");
  if (!v.text.empty()) return v.text;
  return (settings::home() / "storage").string();
}

bool persist_results_by_default() {
  settings::Value v = settings::get("persist_results");
  if (v.text.empty()) return false;
  bool out = false;
  if (!settings::parse_bool(v.text, out)) {
    throw std::invalid_argument(settings::env_name("persist_results") + "=" + v.text + ": expected true or false");
  }
  return out;
}

Result<std::shared_ptr<ResultStorage>> open_storage(std::string_view location) {
  if (location == "memory") return make_memory_storage();
  if (location.starts_with("s3://")) return make_s3_storage(location);
  if (const auto scheme = location.find("://"); scheme != std::string_view::npos) {
    return Status::error("result storage '" + std::string(location) + "': the scheme '" +
                         std::string(location.substr(0, scheme)) + "' is not supported by this build");
  }
  if (location.empty()) return Status::error("result storage: empty location");
  return make_local_storage(std::string(location));
}

Result<std::shared_ptr<ResultStorage>> open_default_storage() { return open_storage(storage_location()); }

std::filesystem::path locks_dir() { return settings::home() / "locks"; }

}  // namespace baton::results
