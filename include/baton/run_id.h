#pragma once
// A run's identity: 128 random bits shown as a UUID (version 4), like Prefect's ids.
// A plain value: cheap to copy, compare and hash on the hot path; formatted to text
// only when it is written to the run store or shown to a person.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

struct RunId {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  // A fresh random id (per-thread generator seeded from the OS; thread-safe).
  static RunId random();
  // Parses the canonical 36-character form; nullopt for anything else.
  static std::optional<RunId> parse(std::string_view text);

  bool empty() const { return hi == 0 && lo == 0; }
  std::string str() const;  // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"

  friend auto operator<=>(const RunId&, const RunId&) = default;
};

}  // namespace baton

template <>
struct std::hash<baton::RunId> {
  std::size_t operator()(const baton::RunId& id) const noexcept {
    return static_cast<std::size_t>(id.hi ^ (id.lo * 0x9E3779B97F4A7C15ull));
  }
};
