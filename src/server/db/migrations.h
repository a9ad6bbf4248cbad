#pragma once
// The server's schema: numbered migrations, each a pair of scripts (SQLite,
// PostgreSQL) that make the same tables. Applied in order, each in its own
// transaction; the version lives in baton_schema. Append new migrations at the
// end; never edit one that has shipped.
#include "server/db/sql.h"

namespace baton::server::db {

int latest_schema_version();
// The version a database is at (0 for an empty one). Throws DbError.
int current_schema_version(Connection& c);
// Brings the schema up to date. Safe when several servers start at once (SQLite:
// the write lock; PostgreSQL: an advisory lock). Throws DbError; refuses a
// database newer than this server.
void migrate(Connection& c);

}  // namespace baton::server::db
