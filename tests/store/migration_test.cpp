// Schema migrations: from nothing, from an empty file, re-opening, a newer
// schema, and files that are not databases.
#include "store/run_store_reader.h"
#include "store/schema.h"
#include "store/sqlite_run_store.h"
#include "store_test_util.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

namespace baton::store {
namespace {

using namespace baton::store::testing;

std::string query_text(const std::filesystem::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

void exec(const std::filesystem::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(Migrations, CreatesDirectoryAndSchemaInWalMode) {
  TempDir dir;
  SqliteRunStoreOptions o;
  o.path = dir.path() / "deeper" / "still" / "baton.db";
  auto store = SqliteRunStore::open(o);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_TRUE(std::filesystem::exists(o.path));
  EXPECT_EQ(query_text(o.path, "PRAGMA user_version"), std::to_string(schema_version()));
  EXPECT_EQ(query_text(o.path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(o.path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                               "('flow_runs','task_runs','task_run_edges','logs','state_transitions')"),
            "5");
}

TEST(Migrations, FromAnEmptyFileAndReopeningKeepsData) {
  TempDir dir;
  { std::ofstream(db_path(dir)).flush(); }  // a zero-byte file is an empty database
  ASSERT_EQ(std::filesystem::file_size(db_path(dir)), 0u);
  const RunId flow = RunId::random();
  {
    SqliteRunStoreOptions o;
    o.path = db_path(dir);
    auto store = SqliteRunStore::open(o);
    ASSERT_TRUE(store.ok()) << store.status().message();
    std::vector<engine::Event> b = {flow_created(flow, "f", at_second(1))};
    (*store)->write(b);
  }
  for (int i = 0; i < 3; ++i) {
    SqliteRunStoreOptions o;
    o.path = db_path(dir);
    auto reader = RunStoreReader::open(o);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    EXPECT_EQ((*reader)->flow_run(flow)->flow_name, "f");
  }
  EXPECT_EQ(query_text(db_path(dir), "PRAGMA user_version"), std::to_string(schema_version()));
}

TEST(Migrations, RefusesASchemaNewerThanThisBuild) {
  TempDir dir;
  {
    SqliteRunStoreOptions o;
    o.path = db_path(dir);
    ASSERT_TRUE(SqliteRunStore::open(o).ok());
  }
  exec(db_path(dir), "PRAGMA user_version = 99");
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  auto store = SqliteRunStore::open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version 99"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find(db_path(dir).string()), std::string::npos) << store.status().message();
}

TEST(Migrations, AFileThatIsNotADatabaseIsAClearError) {
  TempDir dir;
  {
    std::ofstream out(db_path(dir));
    out << "this is not a database, just some text that is long enough to have a header............";
  }
  SqliteRunStoreOptions o;
  o.path = db_path(dir);
  auto store = SqliteRunStore::open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(db_path(dir).string()), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos) << store.status().message();
}

TEST(Migrations, ADirectoryThatCannotBeCreatedIsAClearError) {
  TempDir dir;
  { std::ofstream(dir.path() / "file").flush(); }
  SqliteRunStoreOptions o;
  o.path = dir.path() / "file" / "sub" / "baton.db";
  auto store = SqliteRunStore::open(o);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find((dir.path() / "file" / "sub").string()), std::string::npos)
      << store.status().message();
}

TEST(Migrations, DefaultPathComesFromBatonHome) {
  TempDir dir;
  ::setenv("BATON_HOME", (dir.path() / "home").c_str(), 1);
  ::unsetenv("BATON_DATABASE");
  auto store = SqliteRunStore::open();
  ::unsetenv("BATON_HOME");
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ((*store)->path(), dir.path() / "home" / "baton.db");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "home" / "baton.db"));
}

}  // namespace
}  // namespace baton::store
