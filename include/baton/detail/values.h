#pragma once
// How argument values are shown in run names, recorded in the run history, and
// parsed from a flow program's command line. Compile-time dispatch on the type:
// scalars and strings by value, containers of them element-wise, anything else by
// its type only (big values are never formatted).
#include <baton/detail/type_traits.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <vector>

namespace baton::detail {


template <class T>
constexpr bool is_string_like_v =
    std::is_convertible_v<const T&, std::string_view> || std::is_same_v<T, std::filesystem::path>;

std::string json_quote(std::string_view text, std::size_t max_len = 200);
std::string type_label_of(const char* mangled);  // demangled, shortened std:: names

template <class T>
std::string type_label() {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) return "bool";
  else if constexpr (std::is_integral_v<U>) return "int";
  else if constexpr (std::is_floating_point_v<U>) return "float";
  else if constexpr (is_string_like_v<U>) return "string";
  else if constexpr (is_optional<U>::value) return type_label<typename U::value_type>() + "?";
  else if constexpr (is_vector<U>::value) return "list[" + type_label<typename U::value_type>() + "]";
  else return type_label_of(typeid(U).name());
}

template <class T>
std::string to_json(const T& v) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<U>) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if constexpr (std::is_floating_point_v<U>) {
      if (s == "inf" || s == "-inf" || s == "nan" || s == "-nan") return json_quote(s);
    }
    return s;
  } else if constexpr (std::is_same_v<U, std::filesystem::path>) {
    return json_quote(v.string());
  } else if constexpr (is_string_like_v<U>) {
    return json_quote(std::string_view(v));
  } else if constexpr (is_optional<U>::value) {
    return v ? to_json(*v) : std::string("null");
  } else if constexpr (is_vector<U>::value) {
    std::string out = "[";
    std::size_t n = 0;
    for (const auto& e : v) {
      if (n++) out += ",";
      if (n > 20) {  // a glimpse, not the whole container
        out += json_quote("... " + std::to_string(v.size()) + " items");
        break;
      }
      out += to_json(e);
    }
    return out + "]";
  } else {
    return json_quote("<" + type_label<U>() + ">");
  }
}

// Text for run-name templates.
template <class T>
std::string to_display(const T& v) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, std::filesystem::path>) return v.string();
  else if constexpr (is_string_like_v<U>) return std::string(std::string_view(v));
  else if constexpr (std::is_same_v<U, bool>) return v ? "true" : "false";
  else if constexpr (std::is_arithmetic_v<U>) return to_json(v);
  else return to_json(v);
}

// Parsing of command-line parameter values; `parsable<T>` says which types work.
template <class T>
constexpr bool parsable_v = std::is_arithmetic_v<T> || std::is_same_v<T, std::string> ||
                            std::is_same_v<T, std::filesystem::path>;
template <class T>
constexpr bool parsable_v<std::vector<T>> = parsable_v<T>;
template <class T>
constexpr bool parsable_v<std::optional<T>> = parsable_v<T>;

bool parse_bool_text(std::string_view text, bool& out);

template <class T>
std::optional<T> parse_value(std::string_view text) {
  if constexpr (std::is_same_v<T, bool>) {
    bool b = false;
    if (!parse_bool_text(text, b)) return std::nullopt;
    return b;
  } else if constexpr (std::is_arithmetic_v<T>) {
    T v{};
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return v;
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
    return T(std::string(text));
  } else if constexpr (is_optional<T>::value) {
    auto inner = parse_value<typename T::value_type>(text);
    if (!inner) return std::nullopt;
    return T(std::move(*inner));
  } else if constexpr (is_vector<T>::value) {
    T out;  // comma-separated
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t comma = text.find(',', start);
      if (comma == std::string_view::npos) comma = text.size();
      auto item = parse_value<typename T::value_type>(text.substr(start, comma - start));
      if (!item) return std::nullopt;
      out.push_back(std::move(*item));
      start = comma + 1;
    }
    return out;
  } else {
    static_assert(parsable_v<T>, "this parameter type cannot be read from the command line");
    return std::nullopt;
  }
}

}  // namespace baton::detail
