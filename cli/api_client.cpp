// The server's objects from the CLI: one client, errors naming the field.
#include "api_client.h"

#include "engine/settings.h"

#include <fmt/format.h>

#include <stdexcept>

namespace baton::cli {

client::HttpClient& api() {
  static std::unique_ptr<client::HttpClient> http;
  if (!http) {
    client::HttpClient::Options o;
    try {
      o = client::HttpClient::options_from_settings();
    } catch (const std::exception& e) {
      throw CommandError(e.what(), kExitUsage);
    }
    if (o.base_url.empty()) {
      throw CommandError("this command needs the server: set BATON_API_URL (for example http://127.0.0.1:4200/api)",
                         kExitUsage);
    }
    http = std::make_unique<client::HttpClient>(o);
  }
  return *http;
}

nlohmann::json api_call(const std::string& method, const std::string& path, const nlohmann::json& body) {
  auto& http = api();
  const std::string text = body.is_null() ? std::string() : body.dump();
  client::HttpResponse r;
  if (method == "GET") {
    r = http.get(path);
  } else if (method == "POST") {
    r = http.post_json(path, text.empty() ? "{}" : text);
  } else if (method == "PUT") {
    r = http.put_json(path, text);
  } else {
    r = http.del(path);
  }
  if (!r.ok()) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string field;
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
      field = j["error"].value("field", "");
    }
    const std::string said = r.server_message();
    if (r.status == 422 || r.status == 400 || r.status == 409 || (r.status == 404 && !said.empty())) {
      // The field named once (the server's message may start with it already).
      throw CommandError(field.empty() || said.rfind(field, 0) == 0 ? said : fmt::format("{}: {}", field, said));
    }
    throw CommandError(r.describe());
  }
  if (r.body.empty()) return nullptr;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw CommandError(fmt::format("{}: the reply is not JSON", r.url));
  return j;
}

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw CommandError(fmt::format("{} {}: expected name=value", option, text), kExitUsage);
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::string url_part(const std::string& text) { return client::url_encode(text); }

}  // namespace baton::cli
