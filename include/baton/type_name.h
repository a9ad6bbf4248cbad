#pragma once
// The C++ name of a type as the compiler spells it ("std::vector<double>"),
// recorded with persisted results so a load into another type is refused.
// Computed at compile time from __PRETTY_FUNCTION__ (g++ and clang).
#include <string_view>

namespace baton {

namespace type_name_detail {
template <class T>
constexpr std::string_view raw() {
  return __PRETTY_FUNCTION__;
}
}  // namespace type_name_detail

template <class T>
constexpr std::string_view type_name() {
  // g++: "constexpr std::string_view baton::type_name_detail::raw() [with T = X; std::string_view = ...]"
  // clang: "std::string_view baton::type_name_detail::raw() [T = X]"
  constexpr std::string_view full = type_name_detail::raw<T>();
  constexpr std::string_view key = "T = ";
  constexpr std::size_t start = full.find(key) + key.size();
  constexpr std::size_t semi = full.find(';', start);
  constexpr std::size_t end = semi == std::string_view::npos ? full.rfind(']') : semi;
  return full.substr(start, end - start);
}

}  // namespace baton
