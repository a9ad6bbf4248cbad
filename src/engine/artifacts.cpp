// Artifacts created inside runs, attributed to the calling flow and task run and
// handed to the installed publisher.
#include "engine/artifacts.h"

#include <baton/artifacts.h>
#include <baton/error.h>

#include "engine/flow_run.h"
#include "engine/run_context.h"

#include <nlohmann/json.hpp>

#include <mutex>

namespace baton {
namespace engine {
namespace {

std::mutex g_mutex;
ArtifactPublisher& publisher() {
  static ArtifactPublisher p;
  return p;
}

void check_key(const std::string& key) {
  if (key.empty()) throw Error("artifact key is empty (use lowercase letters, digits and dashes)");
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      throw Error("artifact key '" + key + "': only lowercase letters, digits and dashes are allowed");
    }
  }
}

}  // namespace

void set_artifact_publisher(ArtifactPublisher p) {
  std::lock_guard lock(g_mutex);
  publisher() = std::move(p);
}

void publish_artifact(const std::string& key, const std::string& type, const std::string& data_json,
                      const std::string& description) {
  check_key(key);
  nlohmann::json a{{"key", key}, {"type", type}, {"data", nlohmann::json::parse(data_json)}};
  if (!description.empty()) a["description"] = description;
  const auto& ctx = detail::current_context();
  if (ctx.remote != nullptr) {
    a["flow_run"] = ctx.remote->flow_run.str();
    if (!ctx.remote->task_run.empty()) a["task_run"] = ctx.remote->task_run.str();
  } else {
    if (ctx.flow != nullptr && *ctx.flow) a["flow_run"] = (*ctx.flow)->id.str();
    if (ctx.task != nullptr) a["task_run"] = ctx.task->id().str();
  }
  ArtifactPublisher p;
  {
    std::lock_guard lock(g_mutex);
    p = publisher();
  }
  if (p) p(a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace engine

void create_markdown_artifact(const std::string& key, const std::string& markdown, const std::string& description) {
  engine::publish_artifact(key, "markdown", nlohmann::json(markdown).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), description);
}

void create_link_artifact(const std::string& key, const std::string& url, const std::string& text,
                          const std::string& description) {
  nlohmann::json data{{"url", url}, {"text", text}};
  engine::publish_artifact(key, "link", data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), description);
}

void create_table_artifact(const std::string& key, const std::vector<std::vector<std::string>>& rows,
                           const std::string& description) {
  nlohmann::json data{{"columns", nlohmann::json::array()}, {"rows", nlohmann::json::array()}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == 0) {
      data["columns"] = rows[0];
    } else {
      data["rows"].push_back(rows[i]);
    }
  }
  engine::publish_artifact(key, "table", data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), description);
}

}  // namespace baton
