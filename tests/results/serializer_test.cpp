#include <baton/serializer.h>

#include "sample_types.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ser_test {

using results_test::Point;

// A type that cannot be changed: a free function found by ADL.
struct Legacy {
  int id = 0;
  std::optional<Point> where;
  friend bool operator==(const Legacy&, const Legacy&) = default;
};
template <class Archive>
void baton_serialize(Archive& ar, Legacy& l) {
  ar("id", l.id)("where", l.where);
}

using results_test::Color;

struct NoSerializer {
  int x = 0;
};
struct NotDefaultConstructible {
  explicit NotDefaultConstructible(int) {}
  template <class A>
  void serialize(A&) {}
};

}  // namespace ser_test

namespace baton {

void PrintTo(const Serializer& s, std::ostream* os) { *os << s.name(); }

namespace {

using ser_test::Color;
using ser_test::Legacy;
using ser_test::Point;

// A type with no serializer is rejected at compile time, also inside containers.
static_assert(!Serializable<ser_test::NoSerializer>);
static_assert(!Serializable<std::vector<ser_test::NoSerializer>>);
static_assert(!Serializable<std::map<std::string, ser_test::NoSerializer>>);
static_assert(!Serializable<std::optional<ser_test::NoSerializer>>);
static_assert(!Serializable<ser_test::NotDefaultConstructible>);
static_assert(!Serializable<int*>);
static_assert(!Serializable<std::wstring>);
static_assert(Serializable<Point>);
static_assert(Serializable<Legacy>);
static_assert(Serializable<std::vector<std::map<std::string, std::tuple<int, Point, std::optional<Color>>>>>);

template <class T>
T round_trip(const Serializer& s, const T& value) {
  StringSink sink;
  serialize_to(s, value, sink);
  SpanSource source(std::string_view(sink.str()));
  return deserialize_from<T>(s, source);
}

// Reads through a source that gives a few bytes at a time and hides its size, as a
// network stream would: exercises the buffered, unbounded reader paths.
class TrickleSource final : public ByteSource {
 public:
  explicit TrickleSource(std::string data) : data_(std::move(data)) {}
  Result<std::size_t> read(void* out, std::size_t size) override {
    const std::size_t n = std::min({size, std::size_t{7}, data_.size() - pos_});
    std::memcpy(out, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

template <class T>
T round_trip_trickle(const Serializer& s, const T& value) {
  StringSink sink;
  serialize_to(s, value, sink);
  TrickleSource source(sink.str());
  return deserialize_from<T>(s, source);
}

class EverySerializer : public ::testing::TestWithParam<Serializer> {};

INSTANTIATE_TEST_SUITE_P(Serializers, EverySerializer,
                         results_test::every_serializer(), results_test::SerializerName());

#define EXPECT_ROUND_TRIP(...)                                         \
  do {                                                                \
    const auto v_ = (__VA_ARGS__);                                       \
    EXPECT_EQ(round_trip(GetParam(), v_), v_) << #__VA_ARGS__;        \
    EXPECT_EQ(round_trip_trickle(GetParam(), v_), v_) << #__VA_ARGS__;\
  } while (0)

TEST_P(EverySerializer, ArithmeticAndEnums) {
  EXPECT_ROUND_TRIP(true);
  EXPECT_ROUND_TRIP(false);
  EXPECT_ROUND_TRIP('x');
  EXPECT_ROUND_TRIP(static_cast<std::int8_t>(-128));
  EXPECT_ROUND_TRIP(std::numeric_limits<std::int64_t>::min());
  EXPECT_ROUND_TRIP(std::numeric_limits<std::int64_t>::max());
  EXPECT_ROUND_TRIP(std::numeric_limits<std::uint64_t>::max());
  EXPECT_ROUND_TRIP(static_cast<std::uint16_t>(65535));
  EXPECT_ROUND_TRIP(3.14159265358979);
  EXPECT_ROUND_TRIP(1e300);
  EXPECT_ROUND_TRIP(-0.0f);
  EXPECT_ROUND_TRIP(2.5f);
  EXPECT_ROUND_TRIP(std::numeric_limits<double>::infinity());
  EXPECT_ROUND_TRIP(-std::numeric_limits<double>::infinity());
  EXPECT_ROUND_TRIP(std::numeric_limits<double>::denorm_min());
  EXPECT_TRUE(std::isnan(round_trip(GetParam(), std::nan(""))));
  EXPECT_ROUND_TRIP(Color::Green);
  EXPECT_ROUND_TRIP(std::byte{0xAB});
}

TEST_P(EverySerializer, Strings) {
  EXPECT_ROUND_TRIP(std::string());
  EXPECT_ROUND_TRIP(std::string("hello"));
  EXPECT_ROUND_TRIP(std::string("quotes \" backslash \\ newline \n tab \t control \x01 unicode \xC3\xA9"));
  EXPECT_ROUND_TRIP(std::string(100'000, 'z'));
}

TEST_P(EverySerializer, Containers) {
  EXPECT_ROUND_TRIP(std::vector<double>{1.5, -2.25, 1e-9});
  EXPECT_ROUND_TRIP(std::vector<int>{});
  EXPECT_ROUND_TRIP(std::vector<bool>{true, false, true});
  EXPECT_ROUND_TRIP(std::vector<std::string>{"a", "", "ccc"});
  EXPECT_ROUND_TRIP((std::vector<std::vector<int>>{{1, 2}, {}, {3}}));
  EXPECT_ROUND_TRIP((std::deque<std::int16_t>{1, -2, 3}));
  EXPECT_ROUND_TRIP((std::list<std::string>{"x", "y"}));
  EXPECT_ROUND_TRIP((std::array<int, 3>{7, 8, 9}));
  EXPECT_ROUND_TRIP((std::array<std::string, 2>{"p", "q"}));
  EXPECT_ROUND_TRIP((std::set<std::string>{"b", "a"}));
  EXPECT_ROUND_TRIP((std::multiset<int>{1, 1, 2}));
  EXPECT_ROUND_TRIP((std::unordered_set<int>{5, 6, 7}));
  EXPECT_ROUND_TRIP((std::map<std::string, int>{{"one", 1}, {"two", 2}}));
  EXPECT_ROUND_TRIP((std::map<int, std::string>{{1, "one"}, {-2, "minus two"}}));
  EXPECT_ROUND_TRIP((std::multimap<int, int>{{1, 1}, {1, 2}}));
  EXPECT_ROUND_TRIP((std::unordered_map<std::string, std::vector<double>>{{"k", {1, 2}}, {"", {}}}));
  EXPECT_ROUND_TRIP(std::vector<std::byte>{std::byte{0}, std::byte{255}});
}

TEST_P(EverySerializer, PairsTuplesOptionalsVariants) {
  EXPECT_ROUND_TRIP((std::pair<int, std::string>{1, "a"}));
  EXPECT_ROUND_TRIP((std::tuple<int, double, std::string, bool>{1, 2.5, "s", true}));
  EXPECT_ROUND_TRIP(std::tuple<>{});
  EXPECT_ROUND_TRIP(std::optional<int>());
  EXPECT_ROUND_TRIP(std::optional<int>(0));
  EXPECT_ROUND_TRIP(std::optional<std::vector<int>>(std::vector<int>{1}));
  EXPECT_ROUND_TRIP((std::variant<int, std::string>(std::string("v"))));
  EXPECT_ROUND_TRIP((std::variant<int, std::string>(3)));
  EXPECT_ROUND_TRIP((std::vector<std::optional<std::string>>{std::nullopt, "x"}));
}

TEST_P(EverySerializer, UserTypesThroughMemberAndFreeFunction) {
  const Point p{1.5, -2, "corner", {1, 2, 3}};
  EXPECT_ROUND_TRIP(p);
  EXPECT_ROUND_TRIP((Legacy{7, p}));
  EXPECT_ROUND_TRIP((Legacy{8, std::nullopt}));
  EXPECT_ROUND_TRIP((std::map<std::string, std::vector<Point>>{{"a", {p, p}}, {"b", {}}}));
}

TEST_P(EverySerializer, LargeVector) {
  std::vector<double> v(3'000'000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i % 1000) * 0.25;
  EXPECT_EQ(round_trip(GetParam(), v), v);
}

TEST(Serializer, NamesRoundTrip) {
  for (const Serializer& s : {Serializer::binary(), Serializer::json(), Serializer::binary().compressed(),
                              Serializer::json().compressed(5)}) {
    auto parsed = Serializer::from_name(s.name());
    ASSERT_TRUE(parsed) << s.name();
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(Serializer::binary().name(), "binary");
  EXPECT_EQ(Serializer::json().compressed().name(), "zstd+json");
  EXPECT_FALSE(Serializer::from_name("pickle"));
  EXPECT_FALSE(Serializer::from_name("zstd+"));
}

TEST(Serializer, BinaryLayoutIsRawForContiguousScalars) {
  StringSink sink;
  serialize_to(Serializer::binary(), std::vector<double>{1.0, 2.0}, sink);
  ASSERT_EQ(sink.str().size(), 8u + 16u);
  std::uint64_t n = 0;
  std::memcpy(&n, sink.str().data(), 8);
  EXPECT_EQ(n, 2u);
  double d = 0;
  std::memcpy(&d, sink.str().data() + 16, 8);
  EXPECT_EQ(d, 2.0);
}

TEST(Serializer, JsonIsReadable) {
  StringSink sink;
  serialize_to(Serializer::json(), Point{1, 2.5, "p", {3}}, sink);
  EXPECT_EQ(sink.str(), R"({"x":1.0,"y":2.5,"label":"p","tags":[3]})");
  StringSink m;
  serialize_to(Serializer::json(), std::map<std::string, std::optional<int>>{{"a", 1}, {"b", std::nullopt}}, m);
  EXPECT_EQ(m.str(), R"({"a":1,"b":null})");
}

TEST(Serializer, TruncatedBinaryIsAnErrorNamingTheOffset) {
  StringSink sink;
  serialize_to(Serializer::binary(), std::pair<std::int64_t, std::int64_t>{1, 2}, sink);
  std::string cut = sink.str().substr(0, sink.str().size() - 3);
  SpanSource source{std::string_view(cut)};
  try {
    deserialize_from<std::pair<std::int64_t, std::int64_t>>(Serializer::binary(), source);
    FAIL() << "no error";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated at offset 8"), std::string::npos) << e.what();
  }
  // A length that claims more than what is left is caught before any allocation.
  StringSink strings;
  serialize_to(Serializer::binary(), std::vector<std::string>{"abc", "defgh"}, strings);
  std::string cut2 = strings.str().substr(0, strings.str().size() - 2);
  SpanSource source2{std::string_view(cut2)};
  try {
    deserialize_from<std::vector<std::string>>(Serializer::binary(), source2);
    FAIL() << "no error";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("at offset 19 a length of 5 exceeds the 3 bytes left"), std::string::npos)
        << e.what();
  }
}

TEST(Serializer, CorruptLengthCannotAllocateBeyondThePayload) {
  StringSink sink;
  serialize_to(Serializer::binary(), std::vector<double>{1, 2, 3}, sink);
  std::string bad = sink.str();
  const std::uint64_t huge = std::uint64_t{1} << 60;
  std::memcpy(bad.data(), &huge, 8);
  SpanSource source{std::string_view(bad)};
  EXPECT_THROW(deserialize_from<std::vector<double>>(Serializer::binary(), source), SerializationError);
  // Through a stream of unknown size, growth is stepwise: it ends in "truncated".
  TrickleSource trickle(bad);
  EXPECT_THROW(deserialize_from<std::vector<double>>(Serializer::binary(), trickle), SerializationError);
}

TEST(Serializer, TrailingBytesMeanAnotherType) {
  StringSink sink;
  serialize_to(Serializer::binary(), std::pair<int, int>{1, 2}, sink);
  SpanSource source{std::string_view(sink.str())};
  EXPECT_THROW(deserialize_from<int>(Serializer::binary(), source), SerializationError);
}

TEST(Serializer, JsonErrorsNameThePath) {
  SpanSource source{std::string_view(R"({"x":1,"y":"oops","label":"","tags":[]})")};
  try {
    deserialize_from<Point>(Serializer::json(), source);
    FAIL() << "no error";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("/y"), std::string::npos) << e.what();
  }
  SpanSource missing{std::string_view(R"({"x":1})")};
  EXPECT_THROW(deserialize_from<Point>(Serializer::json(), missing), SerializationError);
  SpanSource range{std::string_view("300")};
  EXPECT_THROW(deserialize_from<std::uint8_t>(Serializer::json(), range), SerializationError);
  SpanSource garbage{std::string_view("{not json")};
  EXPECT_THROW(deserialize_from<Point>(Serializer::json(), garbage), SerializationError);
}

TEST(Serializer, DamagedZstdStreamIsAnError) {
  StringSink sink;
  serialize_to(Serializer::binary().compressed(), std::string(10'000, 'q'), sink);
  std::string cut = sink.str().substr(0, sink.str().size() / 2);
  SpanSource truncated{std::string_view(cut)};
  EXPECT_THROW(deserialize_from<std::string>(Serializer::binary().compressed(), truncated), SerializationError);
  std::string flipped = sink.str();
  flipped[flipped.size() / 2] ^= 0x5A;
  SpanSource damaged{std::string_view(flipped)};
  EXPECT_THROW(deserialize_from<std::string>(Serializer::binary().compressed(), damaged), SerializationError);
}

TEST(Serializer, CompressionShrinksRepetitiveData) {
  StringSink plain, packed;
  const std::vector<int> v(100'000, 42);
  serialize_to(Serializer::binary(), v, plain);
  serialize_to(Serializer::binary().compressed(), v, packed);
  EXPECT_LT(packed.str().size() * 50, plain.str().size());
}

// A failing sink's error reaches the caller as a SerializationError with its message.
TEST(Serializer, SinkErrorsPropagate) {
  class FullDisk final : public ByteSink {
   public:
    Status write(const void*, std::size_t) override { return Status::error("disk full writing /x/y"); }
  };
  FullDisk sink;
  try {
    serialize_to(Serializer::binary(), std::string(200'000, 'a'), sink);
    FAIL() << "no error";
  } catch (const SerializationError& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos);
  }
}

}  // namespace
}  // namespace baton
