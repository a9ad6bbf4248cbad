// Runs the table command groups through a small `baton` driver executable and
// checks their output and exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <sys/stat.h>

#include <baton/parquet/writer.h>
#include <baton/table.h>
#include "testutil/node_tools.h"

namespace baton {
namespace {

using testing::run_command;
using testing::shell_quote;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::test_tmp_dir("cli"); }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);  // kept for a look when a test fails
  }
  std::string path(const std::string& n) { return (dir_ / n).string(); }
  // Runs `baton ARGS`; stdout and stderr together.
  testing::CommandResult baton(const std::string& args) {
    return run_command(shell_quote(BATON_CLI_DRIVER) + " " + args + " 2>&1");
  }
  std::filesystem::path dir_;
};

TEST_F(Cli, TaxiGenerateThenInspect) {
  auto g = baton("taxi generate --rows 5000 --seed 3 --month 2024-02 --out " + shell_quote(path("taxi.parquet")));
  ASSERT_EQ(g.exit_code, 0) << g.output;
  EXPECT_NE(g.output.find("wrote 5000 trips"), std::string::npos) << g.output;
  auto again = baton("taxi generate --rows 5000 --seed 3 --month 2024-02 --out " + shell_quote(path("again.parquet")));
  ASSERT_EQ(again.exit_code, 0);
  auto cmp = run_command("cmp " + shell_quote(path("taxi.parquet")) + " " + shell_quote(path("again.parquet")));
  EXPECT_EQ(cmp.exit_code, 0) << "same seed, different bytes";

  auto s = baton("parquet schema " + shell_quote(path("taxi.parquet")));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_NE(s.output.find("5000 rows, 19 columns"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("tpep_pickup_datetime"), std::string::npos);
  EXPECT_NE(s.output.find("timestamp[us]"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("Airport_fee"), std::string::npos);

  auto m = baton("parquet meta " + shell_quote(path("taxi.parquet")));
  ASSERT_EQ(m.exit_code, 0) << m.output;
  EXPECT_NE(m.output.find("baton version 0.1.0"), std::string::npos) << m.output;
  EXPECT_NE(m.output.find("row group 0: 5000 rows"), std::string::npos) << m.output;
  EXPECT_NE(m.output.find("SNAPPY"), std::string::npos);
  EXPECT_NE(m.output.find("RLE_DICTIONARY"), std::string::npos);

  auto h = baton("parquet head " + shell_quote(path("taxi.parquet")) + " -n 3 --columns VendorID,total_amount");
  ASSERT_EQ(h.exit_code, 0) << h.output;
  EXPECT_NE(h.output.find("VendorID"), std::string::npos);
  EXPECT_EQ(h.output.find("fare_amount"), std::string::npos) << "projection ignored";
  EXPECT_NE(h.output.find("[3 of "), std::string::npos) << h.output;

  auto c = baton("parquet cat --csv " + shell_quote(path("taxi.parquet")));
  ASSERT_EQ(c.exit_code, 0);
  EXPECT_EQ(std::count(c.output.begin(), c.output.end(), '\n'), 5001);
  EXPECT_EQ(c.output.rfind("VendorID,tpep_pickup_datetime,", 0), 0u);
}

TEST_F(Cli, CatCsvFormatsEveryType) {
  ColumnBuilder<int64_t> id;
  ColumnBuilder<double> x;
  ColumnBuilder<bool> b;
  StringColumnBuilder s;
  ColumnBuilder<int64_t> ts(DataType::timestamp(false));
  ColumnBuilder<int32_t> d(DataType::date());
  id.append(1), id.append_null(), id.append(std::numeric_limits<int64_t>::min());
  x.append(0.1), x.append(1.0 / 3.0), x.append_null();
  b.append(true), b.append(false), b.append_null();
  s.append("plain"), s.append("a,\"b\""), s.append("");
  ts.append(1704070675000000), ts.append(1704070675000001), ts.append_null();
  d.append(19723), d.append_null(), d.append(-1);
  Table t({"id", "x", "flag", "s", "ts", "day"},
          {id.finish(), x.finish(), b.finish(), s.finish(), ts.finish(), d.finish()});
  write_parquet(t, path("types.parquet"));
  auto c = baton("parquet cat " + shell_quote(path("types.parquet")) + " --csv");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(c.output,
            "id,x,flag,s,ts,day\n"
            "1,0.1,true,plain,2024-01-01T00:57:55,2024-01-01\n"
            ",0.3333333333333333,false,\"a,\"\"b\"\"\",2024-01-01T00:57:55.000001,\n"
            "-9223372036854775808,,,\"\",,1969-12-31\n");
}

TEST_F(Cli, BadInputGivesClearErrorAndNonZeroExit) {
  auto missing = baton("parquet schema " + shell_quote(path("nope.parquet")));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("baton: error:"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("nope.parquet"), std::string::npos) << missing.output;

  {
    std::ofstream junk(path("junk.parquet"));
    junk << "this is not a parquet file at all";
  }
  for (const char* cmd : {"schema", "meta", "head", "cat --csv"}) {
    auto r = baton(std::string("parquet ") + cmd + " " + shell_quote(path("junk.parquet")));
    EXPECT_EQ(r.exit_code, 1) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find("junk.parquet"), std::string::npos) << cmd << ": " << r.output;
  }

  ColumnBuilder<int32_t> a;
  a.append(1);
  write_parquet(Table({"a"}, {a.finish()}), path("one.parquet"));
  auto col = baton("parquet head " + shell_quote(path("one.parquet")) + " --columns nope");
  EXPECT_EQ(col.exit_code, 1) << col.output;
  EXPECT_NE(col.output.find("nope"), std::string::npos) << col.output;

  auto month = baton("taxi generate --rows 10 --month 2024-13 --out " + shell_quote(path("t.parquet")));
  EXPECT_EQ(month.exit_code, 1) << month.output;
  EXPECT_NE(month.output.find("2024-13"), std::string::npos) << month.output;
  EXPECT_FALSE(std::filesystem::exists(path("t.parquet")));

  auto usage = baton("parquet");
  EXPECT_NE(usage.exit_code, 0);
}

TEST_F(Cli, CatOfAFifoIsRefusedInsteadOfWaitingForAWriter) {
  const std::string fifo = path("pipe.parquet");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // `timeout` turns a hang (the old behaviour: open() waits for a writer) into exit 124.
  for (const char* cmd : {"cat --csv", "head", "schema"}) {
    auto r = run_command("timeout 60 " + shell_quote(BATON_CLI_DRIVER) + " parquet " + cmd + " " + shell_quote(fifo) +
                         " 2>&1");
    EXPECT_EQ(r.exit_code, 1) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find("pipe.parquet: a FIFO, not a regular file"), std::string::npos) << cmd << ": " << r.output;
  }
}

TEST_F(Cli, NestedColumnRefusalNamesTheColumnsFlag) {
  const std::string nested = BATON_SOURCE_DIR "/../shared/parquet-testing/data/list_columns.parquet";
  if (!std::filesystem::exists(nested)) GTEST_SKIP() << "no parquet-testing corpus at " << nested;
  auto r = baton("parquet cat --csv " + shell_quote(nested));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("--columns"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("ReadOptions"), std::string::npos) << "a CLI user is shown the C++ API: " << r.output;
}

}  // namespace
}  // namespace baton
