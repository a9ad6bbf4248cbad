#pragma once
// What the results tests round-trip values through and with: every serializer
// configuration, and sample types (a struct with a serialize member, an enum),
// shared by the serializer and inline-payload tests.
#include <baton/serializer.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace results_test {

struct Point {
  double x = 0, y = 0;
  std::string label;
  std::vector<int> tags;
  template <class Archive>
  void serialize(Archive& ar) {
    ar("x", x)("y", y)("label", label)("tags", tags);
  }
  friend bool operator==(const Point&, const Point&) = default;
};

enum class Color : std::uint8_t { Red = 1, Green = 2 };

// The parameters of a suite that runs at every serializer configuration.
inline auto every_serializer() {
  return ::testing::Values(baton::Serializer::binary(), baton::Serializer::json(),
                           baton::Serializer::binary().compressed(), baton::Serializer::json().compressed(9));
}

// A test name for a serializer parameter ('+' is not allowed in one).
struct SerializerName {
  std::string operator()(const ::testing::TestParamInfo<baton::Serializer>& info) const {
    std::string n = info.param.name();
    for (char& c : n) c = c == '+' ? '_' : c;
    return n;
  }
};

}  // namespace results_test
