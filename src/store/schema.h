#pragma once
// The run history's schema and its migrations. The database's PRAGMA user_version
// is the number of migrations applied; each migration runs in its own write
// transaction, so concurrent openers apply it exactly once and a crash mid-way
// leaves the previous version intact.
#include "util/status.h"

namespace baton::store {

class Database;

// The schema version this build writes (the number of migrations it knows).
int schema_version();

// Applies the missing migrations. Fails, naming the file, for a database written
// by a newer baton (a version this build does not know).
Status migrate(Database& db);

}  // namespace baton::store
