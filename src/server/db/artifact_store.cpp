#include "server/db/artifact_store.h"

#include "server/db/store_util.h"

#include <fmt/format.h>

#include <charconv>

namespace baton::server::db {

namespace {

constexpr std::string_view kColumns =
    "a.id, a.artifact_key, a.version, a.type, a.data, a.description, a.flow_run, a.task_run, a.created, a.key";

ArtifactRow artifact_from(const SqlRows& r, std::size_t i) {
  ArtifactRow a;
  a.id = r.text(i, 0);
  a.key = r.text(i, 1);
  a.version = r.int64(i, 2);
  a.type = r.text(i, 3);
  a.data_json = r.text(i, 4);
  a.description = r.text(i, 5);
  a.flow_run = r.at(i, 6);
  a.task_run = r.at(i, 7);
  a.created_us = r.int64(i, 8);
  return a;
}

}  // namespace

ArtifactRow ArtifactStore::create(ArtifactRow in, std::int64_t now_us) {
  if (in.data_json.size() > kMaxArtifactBytes) {
    throw TooLarge(fmt::format("data: {} bytes, more than the {} bytes (1 MiB) an artifact may hold",
                               in.data_json.size(), kMaxArtifactBytes));
  }
  in.id = RunId::random().str();
  in.created_us = now_us;
  db_.run_write([&](Connection& c) {
    const SqlValue k = in.key;
    if (c.dialect() == Dialect::Postgres) {
      // Two servers adding a version of one key at once: one waits for the other.
      c.query("SELECT pg_advisory_xact_lock(hashtext(?))", std::span(&k, 1));
    }
    in.version = c.query("SELECT coalesce(max(version), 0) + 1 FROM artifacts WHERE artifact_key = ?",
                         std::span(&k, 1))
                     .int64(0, 0);
    const std::vector<SqlValue> p = {in.id, in.key, in.version, in.type, in.data_json, in.description,
                                     in.flow_run ? SqlValue(*in.flow_run) : SqlValue(nullptr),
                                     in.task_run ? SqlValue(*in.task_run) : SqlValue(nullptr), in.created_us};
    c.query("INSERT INTO artifacts (id, artifact_key, version, type, data, description, flow_run, task_run, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            p);
  });
  return in;
}

Page<ArtifactRow> ArtifactStore::list(const ArtifactFilter& f) {
  Page<ArtifactRow> page;
  std::string sql = fmt::format("SELECT {} FROM artifacts a WHERE 1 = 1", kColumns);
  std::vector<SqlValue> p;
  if (f.key) {
    sql += " AND a.artifact_key = ?", p.emplace_back(*f.key);
  } else if (!f.flow_run && !f.task_run) {
    sql += " AND a.version = (SELECT max(b.version) FROM artifacts b WHERE b.artifact_key = a.artifact_key)";
  }
  if (f.flow_run) sql += " AND a.flow_run = ?", p.emplace_back(*f.flow_run);
  if (f.task_run) sql += " AND a.task_run = ?", p.emplace_back(*f.task_run);
  if (f.cursor) {
    std::int64_t key = 0;
    auto res = std::from_chars(f.cursor->data(), f.cursor->data() + f.cursor->size(), key);
    if (res.ec != std::errc() || res.ptr != f.cursor->data() + f.cursor->size()) {
      throw BadInput("cursor", fmt::format("cursor: not a cursor this list returned: '{}'", *f.cursor));
    }
    sql += " AND a.key < ?", p.emplace_back(key);
  }
  sql += " ORDER BY a.key DESC LIMIT ?";
  p.emplace_back(std::int64_t{f.limit + 1});
  db_.run_read([&](Connection& c) {
    auto r = c.query(sql, p);
    const std::size_t n = std::min<std::size_t>(r.size(), static_cast<std::size_t>(f.limit));
    for (std::size_t i = 0; i < n; ++i) page.items.push_back(artifact_from(r, i));
    if (r.size() > n && n > 0) page.next_cursor = r.text(n - 1, 9);
  });
  return page;
}

}  // namespace baton::server::db
