#include "server/db/concurrency_store.h"

#include "server/db/store_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace baton::server::db {

namespace {

std::vector<ConcurrencyLimitRow> read_limits(Connection& c, const std::optional<std::string>& tag,
                                             std::int64_t now_us) {
  std::vector<SqlValue> p;
  std::string sql = "SELECT tag, slots, created FROM concurrency_limits";
  if (tag) sql += " WHERE tag = ?", p.emplace_back(*tag);
  sql += " ORDER BY tag";
  auto r = c.query(sql, p);
  std::vector<ConcurrencyLimitRow> out;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < r.size(); ++i) {
    ConcurrencyLimitRow l;
    l.tag = r.text(i, 0);
    l.limit = r.int64(i, 1);
    l.created_us = r.int64(i, 2);
    index[l.tag] = out.size();
    out.push_back(std::move(l));
  }
  if (out.empty()) return out;
  std::vector<SqlValue> q = {now_us};
  std::string held = "SELECT tag, holder FROM concurrency_leases WHERE expires >= ?";
  if (tag) held += " AND tag = ?", q.emplace_back(*tag);
  held += " ORDER BY tag, holder";
  auto h = c.query(held, q);
  for (std::size_t i = 0; i < h.size(); ++i) {
    auto it = index.find(h.text(i, 0));
    if (it == index.end()) continue;
    ++out[it->second].active_slots;
    out[it->second].holders.push_back(h.text(i, 1));
  }
  return out;
}

}  // namespace

std::pair<ConcurrencyLimitRow, bool> ConcurrencyStore::apply_limit(const std::string& tag, std::int64_t limit,
                                                                   std::int64_t now_us) {
  bool created = false;
  db_.run_write([&](Connection& c) {
    const SqlValue t = tag;
    created = c.query("SELECT 1 FROM concurrency_limits WHERE tag = ?", std::span(&t, 1)).empty();
    const SqlValue p[] = {tag, limit, now_us};
    c.query("INSERT INTO concurrency_limits (tag, slots, created) VALUES (?, ?, ?) "
            "ON CONFLICT (tag) DO UPDATE SET slots = excluded.slots",
            p);
    // A larger limit may let waiters in.
    util::notify_channel(c, util::kSlotsChannel, tag);
  });
  return {read_limit(tag, now_us), created};
}

std::vector<ConcurrencyLimitRow> ConcurrencyStore::list_limits(std::int64_t now_us) {
  std::vector<ConcurrencyLimitRow> out;
  db_.run_read([&](Connection& c) { out = read_limits(c, std::nullopt, now_us); });
  return out;
}

ConcurrencyLimitRow ConcurrencyStore::read_limit(const std::string& tag, std::int64_t now_us) {
  ConcurrencyLimitRow out;
  db_.run_read([&](Connection& c) {
    auto all = read_limits(c, tag, now_us);
    if (all.empty()) throw NotFound(fmt::format("no concurrency limit for tag '{}'", tag));
    out = std::move(all[0]);
  });
  return out;
}

void ConcurrencyStore::delete_limit(const std::string& tag) {
  db_.run_write([&](Connection& c) {
    const SqlValue t = tag;
    if (c.query("DELETE FROM concurrency_limits WHERE tag = ?", std::span(&t, 1)).changes == 0) {
      throw NotFound(fmt::format("no concurrency limit for tag '{}'", tag));
    }
    c.query("DELETE FROM concurrency_leases WHERE tag = ?", std::span(&t, 1));
    util::notify_channel(c, util::kSlotsChannel, tag);
  });
}

AcquireResult ConcurrencyStore::acquire(const std::string& holder, const std::vector<std::string>& tags,
                                        std::chrono::microseconds lease, std::int64_t now_us) {
  AcquireResult out;
  std::set<std::string> unique(tags.begin(), tags.end());
  std::vector<SqlValue> names(unique.begin(), unique.end());  // sorted: a fixed lock order
  if (names.empty()) {
    out.granted = true;
    return out;
  }
  db_.run_write([&](Connection& c) {
    out = {};
    const bool pg = c.dialect() == Dialect::Postgres;
    auto limits = c.query("SELECT tag, slots FROM concurrency_limits WHERE tag IN " + util::in_list(names.size()) +
                              " ORDER BY tag" + (pg ? " FOR UPDATE" : ""),
                          names);
    if (limits.empty()) {
      out.granted = true;  // no listed tag has a limit
      return;
    }
    std::vector<SqlValue> limited;
    for (std::size_t i = 0; i < limits.size(); ++i) limited.emplace_back(limits.text(i, 0));
    std::vector<SqlValue> q = {now_us};
    q.insert(q.end(), limited.begin(), limited.end());
    // Expired leases hold nothing.
    c.query("DELETE FROM concurrency_leases WHERE expires < ? AND tag IN " + util::in_list(limited.size()), q);
    auto used = c.query("SELECT tag, count(*), min(expires) FROM concurrency_leases WHERE tag IN " +
                            util::in_list(limited.size()) + " GROUP BY tag",
                        limited);
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> count;
    for (std::size_t i = 0; i < used.size(); ++i) count[used.text(i, 0)] = {used.int64(i, 1), used.int64(i, 2)};
    for (std::size_t i = 0; i < limits.size(); ++i) {
      const auto it = count.find(limits.text(i, 0));
      const std::int64_t n = it == count.end() ? 0 : it->second.first;
      if (n >= limits.int64(i, 1)) {
        out.blocked_by = limits.text(i, 0);
        if (it != count.end()) out.retry_at_us = it->second.second;
        return;
      }
    }
    const std::string id = RunId::random().str();
    const std::int64_t expires = now_us + static_cast<std::int64_t>(lease.count());
    std::vector<SqlValue> rows;
    for (const auto& t : limited) rows.insert(rows.end(), {id, t, holder, expires});
    util::multi_row(c, "INSERT INTO concurrency_leases (lease_id, tag, holder, expires) VALUES ", "", 4, rows);
    out.granted = true;
    out.lease_id = id;
    out.lease_expires_us = expires;
  });
  return out;
}

std::vector<std::string> ConcurrencyStore::renew(const std::vector<std::string>& lease_ids,
                                                 std::chrono::microseconds lease, std::int64_t now_us) {
  std::vector<std::string> lost;
  if (lease_ids.empty()) return lost;
  db_.run_write([&](Connection& c) {
    lost.clear();
    for (std::size_t i = 0; i < lease_ids.size(); i += 500) {
      std::vector<SqlValue> ids(lease_ids.begin() + static_cast<std::ptrdiff_t>(i),
                                lease_ids.begin() + static_cast<std::ptrdiff_t>(std::min(lease_ids.size(), i + 500)));
      std::vector<SqlValue> u = {now_us + static_cast<std::int64_t>(lease.count()), now_us};
      u.insert(u.end(), ids.begin(), ids.end());
      // An expired lease is lost even if nobody took its slot: renewing it
      // could exceed the limit.
      c.query("UPDATE concurrency_leases SET expires = ? WHERE expires >= ? AND lease_id IN " +
                  util::in_list(ids.size()),
              u);
      std::vector<SqlValue> q = {now_us};
      q.insert(q.end(), ids.begin(), ids.end());
      auto held = c.query("SELECT DISTINCT lease_id FROM concurrency_leases WHERE expires >= ? AND lease_id IN " +
                              util::in_list(ids.size()),
                          q);
      std::set<std::string> ok;
      for (std::size_t k = 0; k < held.size(); ++k) ok.insert(held.text(k, 0));
      for (const auto& v : ids) {
        if (!ok.count(std::get<std::string>(v))) lost.push_back(std::get<std::string>(v));
      }
    }
  });
  return lost;
}

bool ConcurrencyStore::release(const std::string& lease_id) {
  bool freed = false;
  db_.run_write([&](Connection& c) {
    const SqlValue id = lease_id;
    auto tags = c.query("SELECT tag FROM concurrency_leases WHERE lease_id = ?", std::span(&id, 1));
    freed = c.query("DELETE FROM concurrency_leases WHERE lease_id = ?", std::span(&id, 1)).changes > 0;
    for (std::size_t i = 0; i < tags.size(); ++i) util::notify_channel(c, util::kSlotsChannel, tags.text(i, 0));
  });
  return freed;
}

}  // namespace baton::server::db
