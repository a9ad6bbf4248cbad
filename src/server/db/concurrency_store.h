#pragma once
// Tag concurrency limits: a limit of N slots per tag, shared by every process
// and machine using the server. A slot is a lease (expiring unless renewed) so
// a holder that dies frees its slots; acquiring takes one slot of every listed
// tag that has a limit, all or none.
//
// On PostgreSQL the limits' rows are locked (in tag order, so two acquirers
// never deadlock) while the free slots are counted; on SQLite the acquire is
// one write of the single writer.
//
// Thread safety: every member may be called from any thread.
#include "server/db/deployment_records.h"
#include "server/db/server_database.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace baton::server::db {

struct AcquireResult {
  bool granted = false;
  std::optional<std::string> lease_id;
  std::optional<std::int64_t> lease_expires_us;
  std::optional<std::string> blocked_by;  // a tag with no free slot
  // When the first blocking lease expires (a waiter retries then at the latest).
  std::optional<std::int64_t> retry_at_us;
};

class ConcurrencyStore {
 public:
  explicit ConcurrencyStore(ServerDatabase& db) : db_(db) {}

  // Creates or sets a tag's limit; returns it and whether it was created.
  std::pair<ConcurrencyLimitRow, bool> apply_limit(const std::string& tag, std::int64_t limit, std::int64_t now_us);
  std::vector<ConcurrencyLimitRow> list_limits(std::int64_t now_us);
  ConcurrencyLimitRow read_limit(const std::string& tag, std::int64_t now_us);
  void delete_limit(const std::string& tag);

  AcquireResult acquire(const std::string& holder, const std::vector<std::string>& tags,
                        std::chrono::microseconds lease, std::int64_t now_us);
  // Renews; returns the lease ids no longer held (expired and taken, or unknown).
  std::vector<std::string> renew(const std::vector<std::string>& lease_ids, std::chrono::microseconds lease,
                                 std::int64_t now_us);
  // Frees a lease's slots (true when it held any).
  bool release(const std::string& lease_id);

 private:
  ServerDatabase& db_;
};

}  // namespace baton::server::db
