#pragma once
// Value types the results tests round-trip: a struct with a serialize member and
// an enum, shared by the serializer and inline-payload tests.
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

}  // namespace results_test
