// The spool on its own: records come back whole and in order, a torn or corrupt
// tail is dropped (never a crash, never a half record sent), and a spool a live
// process holds cannot be claimed by another.
#include "client/spool.h"
#include "testutil/process.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace baton::client {
namespace {

namespace fs = std::filesystem;
using baton::testing::TempDir;

std::vector<std::string> read_all(SpoolFile& f) {
  std::vector<std::string> out;
  while (true) {
    auto r = f.peek();
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok() || !r->has_value()) return out;
    out.push_back(**r);
    f.advance();
  }
}

TEST(Spool, RecordsComeBackWholeAndInOrderAfterTheirProcessEnds) {
  TempDir dir;
  fs::path path;
  {
    auto f = SpoolFile::create(dir.str(), "source-a");
    ASSERT_TRUE(f.ok()) << f.status().message();
    path = (*f)->path();
    ASSERT_TRUE((*f)->append("first").ok());
    ASSERT_TRUE((*f)->append(std::string(100000, 'x')).ok());
    ASSERT_TRUE((*f)->append("").ok());
    ASSERT_TRUE((*f)->append("last").ok());
  }
  EXPECT_EQ(path.filename(), "source-a.spool");
  EXPECT_EQ(SpoolFile::list(dir.str()), std::vector<fs::path>{path});
  auto claimed = SpoolFile::claim(path);
  ASSERT_TRUE(claimed.ok()) << claimed.status().message();
  ASSERT_NE(*claimed, nullptr);
  EXPECT_EQ((*claimed)->unread_records(), 4u);
  EXPECT_EQ(read_all(**claimed), (std::vector<std::string>{"first", std::string(100000, 'x'), "", "last"}));
  EXPECT_TRUE((*claimed)->drained());
  (*claimed)->remove();
  EXPECT_FALSE(fs::exists(path));
}

TEST(Spool, ASpoolHeldByALiveWriterCannotBeClaimed) {
  TempDir dir;
  auto own = SpoolFile::create(dir.str(), "alive");
  ASSERT_TRUE(own.ok());
  ASSERT_TRUE((*own)->append("mine").ok());
  auto other = SpoolFile::claim((*own)->path());
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_EQ(*other, nullptr);
  own->reset();  // the writer ends
  auto later = SpoolFile::claim(dir.str() + "/alive.spool");
  ASSERT_TRUE(later.ok());
  ASSERT_NE(*later, nullptr);
  EXPECT_EQ(read_all(**later), std::vector<std::string>{"mine"});
}

TEST(Spool, AClaimedSpoolThatWasRemovedMeanwhileIsNotSentTwice) {
  TempDir dir;
  { ASSERT_TRUE((*SpoolFile::create(dir.str(), "gone"))->append("x").ok()); }
  const fs::path path = dir.str() + "/gone.spool";
  auto first = SpoolFile::claim(path);
  ASSERT_NE(*first, nullptr);
  (*first)->remove();
  first->reset();
  auto second = SpoolFile::claim(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, nullptr);
}

// A process killed in the middle of an append leaves a short last record.
TEST(Spool, ATornTailIsDroppedAndTheWholeRecordsBeforeItAreKept) {
  TempDir dir;
  fs::path path;
  {
    auto f = SpoolFile::create(dir.str(), "torn");
    path = (*f)->path();
    ASSERT_TRUE((*f)->append("one").ok());
    ASSERT_TRUE((*f)->append("two").ok());
    ASSERT_TRUE((*f)->append("three, cut short").ok());
  }
  const auto whole = fs::file_size(path);
  for (std::uintmax_t cut : {whole - 1, whole - 10, whole - 16 - 12 + 5}) {
    fs::path copy = dir.str() + "/copy.spool";
    fs::copy_file(path, copy, fs::copy_options::overwrite_existing);
    fs::resize_file(copy, cut);
    auto claimed = SpoolFile::claim(copy);
    ASSERT_TRUE(claimed.ok()) << claimed.status().message();
    ASSERT_NE(*claimed, nullptr);
    EXPECT_EQ(read_all(**claimed), (std::vector<std::string>{"one", "two"})) << "cut at " << cut;
    EXPECT_EQ(fs::file_size(copy), whole - (12 + 16)) << "the torn tail is cut off the file";
  }
}

TEST(Spool, ARecordWithAWrongChecksumEndsTheSpoolThere) {
  TempDir dir;
  fs::path path;
  {
    auto f = SpoolFile::create(dir.str(), "flipped");
    path = (*f)->path();
    ASSERT_TRUE((*f)->append("good").ok());
    ASSERT_TRUE((*f)->append("flipped").ok());
    ASSERT_TRUE((*f)->append("after").ok());
  }
  {
    std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(12 + 4 + 12 + 2);  // inside the second payload
    io.put('X');
  }
  auto claimed = SpoolFile::claim(path);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(read_all(**claimed), std::vector<std::string>{"good"});
}

TEST(Spool, GarbageIsNotARecord) {
  TempDir dir;
  const fs::path path = dir.str() + "/garbage.spool";
  { std::ofstream(path) << "this is not a spool file at all, but it is long enough"; }
  auto claimed = SpoolFile::claim(path);
  ASSERT_TRUE(claimed.ok());
  EXPECT_TRUE(read_all(**claimed).empty());
  EXPECT_EQ(fs::file_size(path), 0u);
}

TEST(Spool, AnUnwritableDirectoryIsAnErrorNamingIt) {
  TempDir dir;
  const fs::path blocker = dir.str() + "/file";
  { std::ofstream(blocker) << "x"; }
  auto f = SpoolFile::create(blocker / "spool", "s");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find((blocker / "spool").string()), std::string::npos) << f.status().message();
}

}  // namespace
}  // namespace baton::client
