#pragma once
// Fingerprints: the cheap identity of a task argument that cache keys are built
// from (docs/architecture.md, principle 2: never hash big data by default).
//
// How a value of type T is fingerprinted, first match wins:
//   1. `Fingerprint T::fingerprint() const`   a remembered fingerprint (a Table
//                                             computes it once from its immutable
//                                             buffers); only its 16 bytes are hashed
//   2. `void T::fingerprint(baton::Hasher&) const`
//   3. `void baton_fingerprint(const T&, baton::Hasher&)`, found by ADL (for types
//      you cannot change: declare it in the type's namespace)
//   4. built in: arithmetic and enum types (their bytes), strings, std::filesystem::path
//      (the path text only; wrap it in FileRef to fingerprint the file), RunId,
//      Fingerprint, std::chrono durations and time points, pairs, tuples, optionals,
//      variants, and ranges of fingerprintable elements (sequence containers, maps,
//      sets; unordered containers combine element fingerprints order-independently).
//      Contiguous ranges of arithmetic elements are hashed in one pass at memory speed.
// A type matching none of these is not `Fingerprintable`; `fingerprint_of` on it
// does not compile.
//
// Floating point values are hashed by their bytes: 0.0 and -0.0 differ, and so do
// NaNs with different payloads. Fingerprints are stable within one build on one
// architecture (little-endian); they are cache keys, not a wire format.
#include <baton/hash.h>
#include <baton/run_id.h>

#include <array>
#include <chrono>
#include <baton/detail/type_traits.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace baton {

// Types that are left out of cache keys entirely (the engine's `quote(x)` wrapper
// specializes this to true). The engine skips such arguments: they are passed to
// the cache policy as "excluded", never fingerprinted.
template <class T>
struct exclude_from_cache_key : std::false_type {};
template <class T>
inline constexpr bool excluded_from_cache_key_v = exclude_from_cache_key<std::remove_cvref_t<T>>::value;

// Opt-in fingerprint of a file: use `FileRef` (or `const FileRef&`) as the type
// of a task argument that names an input file, and its key follows the file's
// content cheaply: absolute path, size, modification time, and an XXH3 hash of the
// first and last 64 KiB. A missing file has a fingerprint too (path + "missing"),
// so a key can still be computed and changes once the file appears. A directory
// is fingerprinted by path and modification time only.
class FileRef {
 public:
  FileRef() = default;
  FileRef(std::filesystem::path path) : path_(std::move(path)) {}  // NOLINT: implicit by design
  FileRef(const char* path) : path_(path) {}                        // NOLINT: implicit by design
  FileRef(std::string path) : path_(std::move(path)) {}             // NOLINT: implicit by design

  const std::filesystem::path& path() const { return path_; }
  operator const std::filesystem::path&() const { return path_; }  // NOLINT: implicit by design
  std::string string() const { return path_.string(); }

  friend bool operator==(const FileRef&, const FileRef&) = default;

  // The customization point (a member, so that nothing converts to a FileRef by
  // accident: a std::string argument stays a string in keys).
  void fingerprint(Hasher& hasher) const;

 private:
  std::filesystem::path path_;
};

// Bytes of the head and of the tail that a file fingerprint hashes.
inline constexpr std::size_t kFileFingerprintWindow = 64 * 1024;

// The fingerprint of a file as described at FileRef. Never throws for I/O errors:
// an unreadable file is fingerprinted by path, the error code and what stat gave.
Fingerprint file_fingerprint(const std::filesystem::path& path);

namespace fingerprint_detail {

template <class T>
concept HasRememberedFingerprint = requires(const T& t) {
  { t.fingerprint() } -> std::same_as<Fingerprint>;
};
template <class T>
concept HasFingerprintMember = requires(const T& t, Hasher& h) { t.fingerprint(h); };
template <class T>
concept HasAdlFingerprint = requires(const T& t, Hasher& h) { baton_fingerprint(t, h); };
template <class T>
concept Custom = HasRememberedFingerprint<T> || HasFingerprintMember<T> || HasAdlFingerprint<T>;

using detail::is_duration;
using detail::is_optional;
using detail::is_pair;
using detail::is_tuple;
using detail::is_variant;
template <class T>
struct is_time_point : std::false_type {};
template <class C, class D>
struct is_time_point<std::chrono::time_point<C, D>> : std::true_type {};

template <class T>
concept Unordered = requires { typename T::hasher; typename T::key_equal; };

template <class T>
concept StringLike = std::is_convertible_v<const T&, std::string_view> && !std::is_arithmetic_v<T>;

template <class T>
constexpr bool fingerprintable();

template <class Tuple, std::size_t... I>
constexpr bool all_fingerprintable(std::index_sequence<I...>) {
  return (fingerprintable<std::remove_cvref_t<std::tuple_element_t<I, Tuple>>>() && ...);
}
template <class... Ts>
constexpr bool variant_fingerprintable(std::variant<Ts...>*) {
  return (fingerprintable<Ts>() && ...);
}

// One decision procedure for "can be fingerprinted", mirrored by `hash_value`
// below; recursive through element types.
template <class T>
constexpr bool fingerprintable() {
  if constexpr (Custom<T>) {
    return true;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::byte>) {
    return true;
  } else if constexpr (std::is_same_v<T, Fingerprint> || std::is_same_v<T, RunId> ||
                       std::is_same_v<T, std::filesystem::path> || std::is_same_v<T, std::nullopt_t> ||
                       std::is_same_v<T, std::monostate>) {
    return true;
  } else if constexpr (StringLike<T>) {
    return true;
  } else if constexpr (is_duration<T>::value || is_time_point<T>::value) {
    return true;
  } else if constexpr (is_pair<T>::value || is_tuple<T>::value) {
    return all_fingerprintable<T>(std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (is_optional<T>::value) {
    return fingerprintable<typename T::value_type>();
  } else if constexpr (is_variant<T>::value) {
    return variant_fingerprintable(static_cast<T*>(nullptr));
  } else if constexpr (std::is_array_v<T>) {
    return fingerprintable<std::remove_cv_t<std::remove_extent_t<T>>>();
  } else if constexpr (std::ranges::input_range<const T>) {
    return fingerprintable<std::remove_cvref_t<std::ranges::range_value_t<const T>>>();
  } else {
    return false;
  }
}

}  // namespace fingerprint_detail

template <class T>
concept Fingerprintable = fingerprint_detail::fingerprintable<std::remove_cvref_t<T>>();

// Adds `value` to `hasher` as described at the top of this file.
template <Fingerprintable T>
void hash_value(Hasher& hasher, const T& value);

// The 128-bit fingerprint of one value.
template <Fingerprintable T>
Fingerprint fingerprint_of(const T& value) {
  Hasher h;
  hash_value(h, value);
  return h.digest();
}

namespace fingerprint_detail {

inline void add_size(Hasher& h, std::uint64_t n) { h.update(&n, sizeof n); }
inline void add_tag(Hasher& h, std::uint8_t tag) { h.update(&tag, 1); }

template <class Tuple, std::size_t... I>
void hash_tuple(Hasher& h, const Tuple& t, std::index_sequence<I...>) {
  (hash_value(h, std::get<I>(t)), ...);
}

}  // namespace fingerprint_detail

template <Fingerprintable T>
void hash_value(Hasher& h, const T& value) {
  using U = std::remove_cvref_t<T>;
  namespace d = fingerprint_detail;
  if constexpr (d::HasRememberedFingerprint<U>) {
    const Fingerprint f = value.fingerprint();
    h.update(&f, sizeof f);
  } else if constexpr (d::HasFingerprintMember<U>) {
    value.fingerprint(h);
  } else if constexpr (d::HasAdlFingerprint<U>) {
    baton_fingerprint(value, h);
  } else if constexpr (std::is_arithmetic_v<U> || std::is_enum_v<U> || std::is_same_v<U, std::byte>) {
    h.update(&value, sizeof value);
  } else if constexpr (std::is_same_v<U, Fingerprint> || std::is_same_v<U, RunId>) {
    h.update(&value.hi, sizeof value.hi);
    h.update(&value.lo, sizeof value.lo);
  } else if constexpr (std::is_same_v<U, std::filesystem::path>) {
    const auto& native = value.native();
    d::add_size(h, native.size());
    h.update(native.data(), native.size() * sizeof(native[0]));
  } else if constexpr (std::is_same_v<U, std::nullopt_t> || std::is_same_v<U, std::monostate>) {
    d::add_tag(h, 0);
  } else if constexpr (d::StringLike<U>) {
    const std::string_view s = value;
    d::add_size(h, s.size());
    h.update(s.data(), s.size());
  } else if constexpr (d::is_duration<U>::value) {
    const auto n = value.count();
    h.update(&n, sizeof n);
  } else if constexpr (d::is_time_point<U>::value) {
    const auto n = value.time_since_epoch().count();
    h.update(&n, sizeof n);
  } else if constexpr (d::is_pair<U>::value || d::is_tuple<U>::value) {
    d::hash_tuple(h, value, std::make_index_sequence<std::tuple_size_v<U>>{});
  } else if constexpr (d::is_optional<U>::value) {
    d::add_tag(h, value.has_value() ? 1 : 0);
    if (value) hash_value(h, *value);
  } else if constexpr (d::is_variant<U>::value) {
    d::add_size(h, value.index());
    std::visit([&h](const auto& alt) { hash_value(h, alt); }, value);
  } else if constexpr (std::is_array_v<U>) {
    d::add_size(h, std::extent_v<U>);
    for (const auto& e : value) hash_value(h, e);
  } else if constexpr (d::Unordered<U>) {
    // Iteration order of unordered containers is not part of their value: sum the
    // element fingerprints (commutative), then hash the sum and the count.
    std::uint64_t hi = 0, lo = 0, n = 0;
    for (const auto& e : value) {
      const Fingerprint f = fingerprint_of(e);
      lo += f.lo;
      hi += f.hi + (lo < f.lo ? 1 : 0);
      ++n;
    }
    d::add_size(h, n);
    h.update(&hi, sizeof hi);
    h.update(&lo, sizeof lo);
  } else {
    using E = std::remove_cvref_t<std::ranges::range_value_t<const U>>;
    if constexpr (std::ranges::contiguous_range<const U> && std::ranges::sized_range<const U> &&
                  (std::is_arithmetic_v<E> || std::is_same_v<E, std::byte>)) {
      // Memory-speed path: one pass over the bytes, no per-element call.
      d::add_size(h, std::ranges::size(value));
      h.update(std::ranges::data(value), std::ranges::size(value) * sizeof(E));
    } else {
      std::uint64_t n = 0;
      for (const auto& e : value) {
        hash_value(h, e);
        ++n;
      }
      d::add_size(h, n);  // after the elements: single pass, works for input ranges too
    }
  }
}

}  // namespace baton
