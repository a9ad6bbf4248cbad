#pragma once
// Artifacts: markdown, tables and links a task publishes, versioned by key
// (1, 2, ... per key). Data is at most kMaxArtifactBytes of JSON.
//
// Thread safety: every member may be called from any thread.
#include "server/db/deployment_records.h"
#include "server/db/server_database.h"

#include <optional>
#include <string>

namespace baton::server::db {

inline constexpr std::size_t kMaxArtifactBytes = 1u << 20;

struct ArtifactFilter {
  std::optional<std::string> key;  // every version of this key; otherwise the latest of each key
  std::optional<std::string> flow_run;
  std::optional<std::string> task_run;
  int limit = 100;
  std::optional<std::string> cursor;
};

class ArtifactStore {
 public:
  explicit ArtifactStore(ServerDatabase& db) : db_(db) {}
  // Stores the next version of `in.key` (in.version, id and created are
  // assigned). `in` is checked by the caller (key, type, data shape); data over
  // kMaxArtifactBytes is TooLarge.
  ArtifactRow create(ArtifactRow in, std::int64_t now_us);
  // Newest first.
  Page<ArtifactRow> list(const ArtifactFilter& f);

 private:
  ServerDatabase& db_;
};

}  // namespace baton::server::db
