#include <baton/fingerprint.h>

#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <list>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace fp_test {

// A type with a remembered fingerprint (as a Table has): hashing it never touches the data.
struct BigTable {
  std::vector<double> data;
  baton::Fingerprint id;
  mutable int calls = 0;
  baton::Fingerprint fingerprint() const {
    ++calls;
    return id;
  }
};

// A type that adds itself to the hasher.
struct Point {
  int x = 0, y = 0;
  void fingerprint(baton::Hasher& h) const {
    h.update(&x, sizeof x);
    h.update(&y, sizeof y);
  }
};

// A type that cannot be changed: fingerprinted through ADL.
struct Legacy {
  std::string name;
};
void baton_fingerprint(const Legacy& l, baton::Hasher& h) { baton::hash_value(h, l.name); }

struct Opaque {
  int* p = nullptr;
};

template <class T>
struct Quoted {
  T value;
};

}  // namespace fp_test

template <class T>
struct baton::exclude_from_cache_key<fp_test::Quoted<T>> : std::true_type {};

namespace baton {
namespace {

using fp_test::BigTable;
using fp_test::Legacy;
using fp_test::Opaque;
using fp_test::Point;

static_assert(Fingerprintable<int>);
static_assert(Fingerprintable<std::string>);
static_assert(Fingerprintable<std::vector<std::pair<std::string, std::optional<double>>>>);
static_assert(Fingerprintable<std::map<std::string, std::tuple<int, float>>>);
static_assert(Fingerprintable<std::variant<int, std::string>>);
static_assert(Fingerprintable<FileRef>);
static_assert(Fingerprintable<BigTable>);
static_assert(Fingerprintable<Point>);
static_assert(Fingerprintable<Legacy>);
static_assert(!Fingerprintable<Opaque>);
static_assert(!Fingerprintable<std::vector<Opaque>>);
static_assert(!Fingerprintable<int*>);
static_assert(excluded_from_cache_key_v<const fp_test::Quoted<int>&>);
static_assert(!excluded_from_cache_key_v<int>);

TEST(Fingerprint, EqualValuesEqualFingerprintsDifferentValuesDiffer) {
  EXPECT_EQ(fingerprint_of(42), fingerprint_of(42));
  EXPECT_NE(fingerprint_of(42), fingerprint_of(43));
  EXPECT_NE(fingerprint_of(42), fingerprint_of(42L));  // different width, different bytes
  EXPECT_EQ(fingerprint_of(std::string("abc")), fingerprint_of(std::string_view("abc")));
  EXPECT_EQ(fingerprint_of(std::string("abc")), fingerprint_of("abc"));
  EXPECT_NE(fingerprint_of(std::string("abc")), fingerprint_of(std::string("abd")));
  // Length prefixes keep concatenations apart.
  EXPECT_NE(fingerprint_of(std::pair<std::string, std::string>("ab", "c")),
            fingerprint_of(std::pair<std::string, std::string>("a", "bc")));
  EXPECT_NE(fingerprint_of(std::optional<int>()), fingerprint_of(std::optional<int>(0)));
  EXPECT_NE(fingerprint_of(std::variant<int, unsigned>(1)), fingerprint_of(std::variant<int, unsigned>(1u)));
  EXPECT_EQ(fingerprint_of(std::vector<int>{1, 2, 3}), fingerprint_of(std::vector<int>{1, 2, 3}));
  EXPECT_NE(fingerprint_of(std::vector<int>{1, 2, 3}), fingerprint_of(std::vector<int>{1, 2, 4}));
  EXPECT_NE(fingerprint_of(std::vector<std::vector<int>>{{1}, {2, 3}}),
            fingerprint_of(std::vector<std::vector<int>>{{1, 2}, {3}}));
  EXPECT_EQ(fingerprint_of(std::list<std::string>{"a", "b"}), fingerprint_of(std::list<std::string>{"a", "b"}));
  EXPECT_EQ(fingerprint_of(std::filesystem::path("/a/b")), fingerprint_of(std::filesystem::path("/a/b")));
  EXPECT_NE(fingerprint_of(std::filesystem::path("/a/b")), fingerprint_of(std::filesystem::path("/a/c")));
  EXPECT_NE(fingerprint_of(RunId{1, 2}), fingerprint_of(RunId{2, 1}));
  EXPECT_NE(fingerprint_of(std::chrono::seconds(1)), fingerprint_of(std::chrono::seconds(2)));
}

TEST(Fingerprint, UnorderedContainersIgnoreIterationOrder) {
  std::unordered_set<std::string> a, b;
  for (int i = 0; i < 100; ++i) a.insert(std::to_string(i));
  for (int i = 99; i >= 0; --i) b.insert(std::to_string(i));
  b.rehash(1024);  // a different bucket layout, so a different iteration order
  EXPECT_EQ(fingerprint_of(a), fingerprint_of(b));
  b.erase("50");
  EXPECT_NE(fingerprint_of(a), fingerprint_of(b));
  std::unordered_map<int, std::string> m1{{1, "a"}, {2, "b"}}, m2{{2, "b"}, {1, "a"}}, m3{{1, "b"}, {2, "a"}};
  EXPECT_EQ(fingerprint_of(m1), fingerprint_of(m2));
  EXPECT_NE(fingerprint_of(m1), fingerprint_of(m3));
}

TEST(Fingerprint, ContiguousArithmeticRangesHashTheirBytesInOnePass) {
  std::vector<double> v(1000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i) * 0.5;
  Hasher expected;
  const std::uint64_t n = v.size();
  expected.update(&n, sizeof n);
  expected.update(v.data(), v.size() * sizeof(double));
  EXPECT_EQ(fingerprint_of(v), expected.digest());
  v[999] = -1;
  EXPECT_NE(fingerprint_of(v), expected.digest());
}

TEST(Fingerprint, RememberedFingerprintIsUsedInsteadOfTheData) {
  BigTable t;
  t.data.assign(10, 1.0);
  t.id = Fingerprint{1, 2};
  const Fingerprint f1 = fingerprint_of(t);
  t.data.assign(10, 2.0);  // the data is not looked at, only the remembered id
  EXPECT_EQ(fingerprint_of(t), f1);
  EXPECT_EQ(t.calls, 2);
  t.id = Fingerprint{1, 3};
  EXPECT_NE(fingerprint_of(t), f1);
}

TEST(Fingerprint, MemberAndAdlCustomizations) {
  EXPECT_EQ(fingerprint_of(Point{1, 2}), fingerprint_of(Point{1, 2}));
  EXPECT_NE(fingerprint_of(Point{1, 2}), fingerprint_of(Point{2, 1}));
  EXPECT_EQ(fingerprint_of(Legacy{"x"}), fingerprint_of(std::string("x")));
  EXPECT_NE(fingerprint_of(std::vector<Point>{{1, 2}}), fingerprint_of(std::vector<Point>{{1, 3}}));
}

TEST(FileFingerprint, ChangesWhenTheFileChanges) {
  testing::TempDir dir;
  const auto path = dir.path() / "input.bin";
  auto write = [&](const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  };
  std::string content(300'000, 'a');
  write(content);
  const Fingerprint f1 = file_fingerprint(path);
  EXPECT_EQ(file_fingerprint(path), f1);
  EXPECT_EQ(fingerprint_of(FileRef(path)), f1);

  // Same size, one byte changed in the tail window, mtime put back: the tail hash sees it.
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  content[content.size() - 10] = 'b';
  write(content);
  timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  const Fingerprint f2 = file_fingerprint(path);
  EXPECT_NE(f2, f1);

  // Only the modification time changes.
  timespec later[2] = {st.st_atim, st.st_mtim};
  later[1].tv_sec += 10;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), later, 0), 0);
  EXPECT_NE(file_fingerprint(path), f2);

  // The size changes.
  write(content + "x");
  EXPECT_NE(file_fingerprint(path), f2);
}

TEST(FileFingerprint, MissingFileHasAStableFingerprintThatChangesWhenItAppears) {
  testing::TempDir dir;
  const auto path = dir.path() / "later.csv";
  const Fingerprint missing = file_fingerprint(path);
  EXPECT_EQ(file_fingerprint(path), missing);
  std::ofstream(path) << "a,b\n";
  EXPECT_NE(file_fingerprint(path), missing);
  EXPECT_NE(file_fingerprint(dir.path() / "other.csv"), missing);  // the path is part of it
}

TEST(FileFingerprint, RelativeAndAbsolutePathsAgree) {
  testing::TempDir dir;
  const auto path = dir.path() / "f.txt";
  std::ofstream(path) << "hello";
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const Fingerprint rel = file_fingerprint("f.txt");
  std::filesystem::current_path(cwd);
  EXPECT_EQ(rel, file_fingerprint(path));
}

}  // namespace
}  // namespace baton

namespace baton {
namespace {

// Strings and paths that name files are fingerprinted as text, never as files:
// only a FileRef opts in.
TEST(FileFingerprint, OnlyFileRefReadsTheFile) {
  testing::TempDir dir;
  const auto path = dir.path() / "data.txt";
  std::ofstream(path) << "v1";
  const Fingerprint as_string = fingerprint_of(path.string());
  const Fingerprint as_path = fingerprint_of(path);
  const Fingerprint as_file = fingerprint_of(FileRef(path));
  std::ofstream(path) << "version 2";
  EXPECT_EQ(fingerprint_of(path.string()), as_string);
  EXPECT_EQ(fingerprint_of(path), as_path);
  EXPECT_NE(fingerprint_of(FileRef(path)), as_file);
}

}  // namespace
}  // namespace baton
