#pragma once
// Where artifacts go: the wiring installs a publisher that posts them to the
// server when BATON_API_URL is set; with none installed they are dropped.
#include <functional>
#include <string>

namespace baton::engine {

// `artifact_json` is one Artifact of openapi.json (key, type, data, description,
// flow_run, task_run). The publisher may be called from any thread.
using ArtifactPublisher = std::function<void(const std::string& artifact_json)>;
void set_artifact_publisher(ArtifactPublisher publisher);

// Builds the artifact for the calling run and hands it to the publisher (for
// the Table overload in the umbrella library). `data_json` is the JSON of data.
void publish_artifact(const std::string& key, const std::string& type, const std::string& data_json,
                      const std::string& description);

}  // namespace baton::engine
