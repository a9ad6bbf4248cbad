#pragma once
// Serializers: how a task's result becomes bytes in result storage and back.
//
//   Serializer::binary()               fast, compact, native little-endian; the default
//   Serializer::json()                 text for people (nlohmann's parser on read)
//   Serializer::binary().compressed()  zstd (streaming) around either
//
// Built in: arithmetic and enum types, std::byte, std::string, std::vector, std::deque,
// std::list, std::array, std::set/multiset/unordered_set, std::map/multimap/
// unordered_map, std::pair, std::tuple, std::optional and std::variant of serializable
// types (recursively).
//
// Your own types plug in through ONE customization point, used for both directions
// and by every format:
//
//   struct Point {
//     double x = 0, y = 0;
//     std::string label;
//     template <class Archive> void serialize(Archive& ar) { ar("x", x)("y", y)("label", label); }
//   };
//
// or, for a type you cannot change, a free function in its namespace (found by ADL):
//
//   template <class Archive> void baton_serialize(Archive& ar, Point& p) { ar("x", p.x); ... }
//
// The names matter to JSON (object keys) and are ignored by binary (fields in
// order). `Archive::is_loading` tells the direction when they must differ.
// Why not cereal: one member template is all cereal asks too, but baton's own
// archives stream to result storage without buffering, write contiguous arithmetic
// ranges in one call (1 GiB vector<double> at disk speed), bound every size read
// from a payload by the bytes left (a corrupt size cannot allocate terabytes), and
// keep third-party headers out of users' builds.
//
// `Serializable<T>` is the concept the engine static_asserts on when a task asks
// for persistence: a type with no serializer is a compile-time error. Loading also
// needs T to be default-constructible (it is filled in place).
//
// Errors: serialize_to/deserialize_from throw SerializationError (I/O failures of
// the sink/source, malformed or truncated input, with the byte offset or JSON path).
#include <baton/byte_stream.h>
#include <baton/detail/type_traits.h>
#include <baton/error.h>

#include <array>
#include <bit>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace baton {

static_assert(std::endian::native == std::endian::little, "baton's binary format is little-endian");

class SerializationError : public Error {
 public:
  using Error::Error;
};

enum class Format : std::uint8_t { Binary, Json };

// A serializer choice: a format and optional zstd compression. A small value; its
// name() is what result records store and from_name() parses.
class Serializer {
 public:
  static constexpr Serializer binary() { return Serializer(Format::Binary, 0); }
  static constexpr Serializer json() { return Serializer(Format::Json, 0); }
  // The same format, zstd-compressed at `level` (1..19; 3 is zstd's default).
  constexpr Serializer compressed(int level = 3) const { return Serializer(format_, level < 1 ? 1 : level); }

  constexpr Format format() const { return format_; }
  constexpr bool is_compressed() const { return level_ > 0; }
  constexpr int level() const { return level_; }

  // "binary", "json", "zstd+binary", "zstd+json" (the level is not needed to read).
  std::string name() const {
    std::string base = format_ == Format::Binary ? "binary" : "json";
    return is_compressed() ? "zstd+" + base : base;
  }
  static std::optional<Serializer> from_name(std::string_view name) {
    bool zstd = false;
    if (name.starts_with("zstd+")) {
      zstd = true;
      name.remove_prefix(5);
    }
    std::optional<Serializer> s;
    if (name == "binary") s = binary();
    if (name == "json") s = json();
    if (s && zstd) s = s->compressed();
    return s;
  }
  friend constexpr bool operator==(const Serializer& a, const Serializer& b) {
    return a.format_ == b.format_ && a.is_compressed() == b.is_compressed();
  }

 private:
  constexpr Serializer(Format format, int level) : format_(format), level_(level) {}
  Format format_;
  int level_;
};

namespace serialize_detail {

// An archive that accepts anything: detects whether a type's serialize template
// can be called, without instantiating the real archives.
struct ProbeArchive {
  static constexpr bool is_loading = false;
  template <class T>
  ProbeArchive& operator()(std::string_view, T&) {
    return *this;
  }
};

template <class T>
concept HasSerializeMember = requires(T& t, ProbeArchive& a) { t.serialize(a); };
template <class T>
concept HasAdlSerialize = requires(T& t, ProbeArchive& a) { baton_serialize(a, t); };
template <class T>
concept Custom = HasSerializeMember<T> || HasAdlSerialize<T>;

using detail::is_optional;
using detail::is_pair;
using detail::is_std_array;
using detail::is_tuple;
using detail::is_variant;
template <class T>
struct is_string : std::false_type {};
template <class C, class Tr, class A>
struct is_string<std::basic_string<C, Tr, A>> : std::true_type {};
template <class T>
struct is_sequence : std::false_type {};  // resizable sequences filled by emplace_back
template <class T, class A>
struct is_sequence<std::vector<T, A>> : std::true_type {};
template <class T, class A>
struct is_sequence<std::deque<T, A>> : std::true_type {};
template <class T, class A>
struct is_sequence<std::list<T, A>> : std::true_type {};
template <class T>
struct is_set : std::false_type {};
template <class K, class C, class A>
struct is_set<std::set<K, C, A>> : std::true_type {};
template <class K, class C, class A>
struct is_set<std::multiset<K, C, A>> : std::true_type {};
template <class K, class H, class E, class A>
struct is_set<std::unordered_set<K, H, E, A>> : std::true_type {};
template <class T>
struct is_map : std::false_type {};
template <class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};
template <class K, class V, class C, class A>
struct is_map<std::multimap<K, V, C, A>> : std::true_type {};
template <class K, class V, class H, class E, class A>
struct is_map<std::unordered_map<K, V, H, E, A>> : std::true_type {};

template <class T>
inline constexpr bool is_scalar_v = std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, std::byte>;

// Elements stored as raw bytes in one block (both formats of binary and mmap-friendly).
template <class T>
inline constexpr bool is_raw_v = is_scalar_v<T> && !std::is_same_v<T, bool>;

template <class T>
constexpr bool serializable();

template <class Tuple, std::size_t... I>
constexpr bool all_serializable(std::index_sequence<I...>) {
  return (serializable<std::tuple_element_t<I, Tuple>>() && ...);
}
template <class... Ts>
constexpr bool variant_serializable(std::variant<Ts...>*) {
  return (serializable<Ts>() && ...);
}

template <class T>
constexpr bool serializable() {
  if constexpr (!std::is_default_constructible_v<T> || std::is_const_v<T> || std::is_reference_v<T>) {
    return false;
  } else if constexpr (Custom<T>) {
    return true;
  } else if constexpr (is_scalar_v<T>) {
    return true;
  } else if constexpr (is_string<T>::value) {
    return std::is_same_v<typename T::value_type, char>;
  } else if constexpr (is_pair<T>::value) {
    return serializable<std::remove_const_t<typename T::first_type>>() && serializable<typename T::second_type>();
  } else if constexpr (is_tuple<T>::value) {
    return all_serializable<T>(std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (is_optional<T>::value) {
    return serializable<typename T::value_type>();
  } else if constexpr (is_variant<T>::value) {
    return variant_serializable(static_cast<T*>(nullptr));
  } else if constexpr (is_std_array<T>::value || is_sequence<T>::value || is_set<T>::value) {
    return serializable<typename T::value_type>();
  } else if constexpr (is_map<T>::value) {
    return serializable<typename T::key_type>() && serializable<typename T::mapped_type>();
  } else {
    return false;
  }
}

}  // namespace serialize_detail

template <class T>
concept Serializable = serialize_detail::serializable<T>();

// ---------------------------------------------------------------------------
// Binary format. Scalars: their bytes. Sizes: u64. Strings and contiguous scalar
// ranges: size then the raw block. Other ranges: size then elements. Optional: u8
// flag then value. Variant: u32 index then value. Pair/tuple/user types: fields in
// order. No header: the result record names the serializer and the type.

class BinaryWriter {
 public:
  static constexpr bool is_loading = false;
  explicit BinaryWriter(ByteSink& sink) : sink_(sink), buf_(new char[kBufferSize]) {}

  template <class T>
  BinaryWriter& operator()(std::string_view /*name*/, const T& value) {
    write(value);
    return *this;
  }

  template <class T>
  void write(const T& value);

  void write_bytes(const void* data, std::size_t size) {
    if (size == 0) return;  // empty ranges may have a null data()
    if (size <= kBufferSize - used_) {
      std::memcpy(buf_.get() + used_, data, size);
      used_ += size;
    } else {
      drain();
      if (size >= kBufferSize / 2) {
        check(sink_.write(data, size));  // big blocks go straight to the sink, no copy
      } else {
        std::memcpy(buf_.get(), data, size);
        used_ = size;
      }
    }
    offset_ += size;
  }
  void write_size(std::uint64_t n) { write_bytes(&n, sizeof n); }

  // Writes what is buffered and flushes the sink. Call once after the last value.
  void finish() {
    drain();
    check(sink_.flush());
  }
  std::uint64_t offset() const { return offset_; }

 private:
  static constexpr std::size_t kBufferSize = 64 * 1024;
  void drain() {
    if (used_ > 0) check(sink_.write(buf_.get(), used_));
    used_ = 0;
  }
  void check(const Status& s) {
    if (!s.ok()) throw SerializationError(s.message());
  }
  template <class Tuple, std::size_t... I>
  void write_tuple(const Tuple& t, std::index_sequence<I...>) {
    (write(std::get<I>(t)), ...);
  }

  ByteSink& sink_;
  std::unique_ptr<char[]> buf_;
  std::size_t used_ = 0;
  std::uint64_t offset_ = 0;
};

class BinaryReader {
 public:
  static constexpr bool is_loading = true;
  explicit BinaryReader(ByteSource& source) : source_(source), total_(source.size()) {
    if (auto mem = source.contiguous()) mem_ = *mem;
  }

  template <class T>
  BinaryReader& operator()(std::string_view /*name*/, T& value) {
    read(value);
    return *this;
  }

  template <class T>
  void read(T& value);

  void read_bytes(void* out, std::size_t size) {
    if (size == 0) return;  // empty ranges may have a null data()
    if (mem_) {
      if (size > mem_->size() - mem_pos_) truncated(size);
      std::memcpy(out, mem_->data() + mem_pos_, size);
      mem_pos_ += size;
      offset_ += size;
      return;
    }
    auto* dst = static_cast<char*>(out);
    std::size_t want = size;
    while (want > 0) {
      if (pos_ == len_) {
        if (want >= kBufferSize / 2) {  // large blocks straight into their destination
          const std::size_t n = pull(dst, want);
          if (n == 0) truncated(size);
          dst += n;
          want -= n;
          offset_ += n;
          continue;
        }
        refill();
        if (len_ == 0) truncated(size);
      }
      const std::size_t n = std::min(want, len_ - pos_);
      std::memcpy(dst, buf_.get() + pos_, n);
      pos_ += n;
      dst += n;
      want -= n;
      offset_ += n;
    }
  }

  // A size read from the payload, checked against the bytes left so a damaged
  // size cannot ask for more memory than the payload could fill.
  std::uint64_t read_size(std::size_t min_bytes_per_element) {
    std::uint64_t n = 0;
    read_bytes(&n, sizeof n);
    if (total_) {
      const std::uint64_t left = *total_ - offset_;
      const std::uint64_t per = min_bytes_per_element == 0 ? 1 : min_bytes_per_element;
      if (n > left / per) {
        throw SerializationError("binary payload: at offset " + std::to_string(offset_ - sizeof n) +
                                 " a length of " + std::to_string(n) + " exceeds the " + std::to_string(left) +
                                 " bytes left (corrupt or not written by this type)");
      }
    }
    return n;
  }

  // Fails if bytes remain: the payload was not written as this type.
  void expect_end() {
    bool more = false;
    if (mem_) {
      more = mem_pos_ < mem_->size();
    } else if (pos_ < len_) {
      more = true;
    } else {
      refill();
      more = len_ > 0;
    }
    if (more) {
      throw SerializationError("binary payload: unexpected bytes after the value at offset " +
                               std::to_string(offset_) + " (written as another type?)");
    }
  }
  std::uint64_t offset() const { return offset_; }

 private:
  static constexpr std::size_t kBufferSize = 64 * 1024;
  [[noreturn]] void truncated(std::size_t wanted) const {
    throw SerializationError("binary payload: truncated at offset " + std::to_string(offset_) + " (needed " +
                             std::to_string(wanted) + " more bytes)");
  }
  std::size_t pull(void* out, std::size_t size) {
    Result<std::size_t> r = source_.read(out, size);
    if (!r.ok()) throw SerializationError(r.status().message());
    return *r;
  }
  void refill() {
    if (!buf_) buf_.reset(new char[kBufferSize]);
    pos_ = 0;
    len_ = pull(buf_.get(), kBufferSize);
  }
  template <class Tuple, std::size_t... I>
  void read_tuple(Tuple& t, std::index_sequence<I...>) {
    (read(std::get<I>(t)), ...);
  }
  // Fills a contiguous container with n raw elements. When the source's size is
  // unknown (a decompressing stream) the size cannot be bounded up front, so the
  // container grows in steps and a damaged size ends in "truncated", not in a
  // huge allocation.
  template <class C>
  void read_block(C& c, std::uint64_t n) {
    using E = typename C::value_type;
    if (total_) {
      c.resize(static_cast<std::size_t>(n));
      read_bytes(c.data(), c.size() * sizeof(E));
      return;
    }
    constexpr std::uint64_t kStep = (std::uint64_t{16} << 20) / sizeof(E);
    c.clear();
    for (std::uint64_t done = 0; done < n;) {
      const std::uint64_t k = std::min(kStep, n - done);
      c.resize(static_cast<std::size_t>(done + k));
      read_bytes(c.data() + done, static_cast<std::size_t>(k) * sizeof(E));
      done += k;
    }
  }
  template <class V, std::size_t I = 0>
  void read_variant(V& v, std::uint32_t index) {
    if constexpr (I < std::variant_size_v<V>) {
      if (index == I) {
        std::variant_alternative_t<I, V> alt{};
        read(alt);
        v.template emplace<I>(std::move(alt));
      } else {
        read_variant<V, I + 1>(v, index);
      }
    } else {
      throw SerializationError("binary payload: variant index " + std::to_string(index) + " out of range at offset " +
                               std::to_string(offset_));
    }
  }

  ByteSource& source_;
  std::optional<std::uint64_t> total_;
  std::optional<std::span<const std::byte>> mem_;
  std::size_t mem_pos_ = 0;
  std::unique_ptr<char[]> buf_;
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t offset_ = 0;
};

template <class T>
void BinaryWriter::write(const T& value) {
  namespace d = serialize_detail;
  static_assert(Serializable<T>, "baton: no serializer for this type (add a serialize member or baton_serialize)");
  if constexpr (d::HasSerializeMember<T>) {
    const_cast<T&>(value).serialize(*this);  // one function for both directions; saving does not modify
  } else if constexpr (d::HasAdlSerialize<T>) {
    baton_serialize(*this, const_cast<T&>(value));
  } else if constexpr (std::is_same_v<T, bool>) {
    const std::uint8_t b = value ? 1 : 0;
    write_bytes(&b, 1);
  } else if constexpr (d::is_scalar_v<T>) {
    write_bytes(&value, sizeof value);
  } else if constexpr (d::is_string<T>::value) {
    write_size(value.size());
    write_bytes(value.data(), value.size());
  } else if constexpr (d::is_pair<T>::value) {
    write(value.first);
    write(value.second);
  } else if constexpr (d::is_tuple<T>::value) {
    write_tuple(value, std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (d::is_optional<T>::value) {
    write(value.has_value());
    if (value) write(*value);
  } else if constexpr (d::is_variant<T>::value) {
    const auto index = static_cast<std::uint32_t>(value.index());
    write_bytes(&index, sizeof index);
    std::visit([this](const auto& alt) { write(alt); }, value);
  } else if constexpr (d::is_std_array<T>::value) {
    if constexpr (d::is_raw_v<typename T::value_type>) {
      write_bytes(value.data(), sizeof(value));
    } else {
      for (const auto& e : value) write(e);
    }
  } else {  // sequences, sets, maps
    write_size(static_cast<std::uint64_t>(std::ranges::distance(value)));
    if constexpr (std::ranges::contiguous_range<const T> && d::is_raw_v<typename T::value_type>) {
      write_bytes(std::ranges::data(value), value.size() * sizeof(typename T::value_type));
    } else if constexpr (d::is_map<T>::value) {
      for (const auto& [k, v] : value) {
        write(k);
        write(v);
      }
    } else {
      for (const auto& e : value) write(static_cast<const typename T::value_type&>(e));
    }
  }
}

template <class T>
void BinaryReader::read(T& value) {
  namespace d = serialize_detail;
  static_assert(Serializable<T>, "baton: no serializer for this type (add a serialize member or baton_serialize)");
  if constexpr (d::HasSerializeMember<T>) {
    value.serialize(*this);
  } else if constexpr (d::HasAdlSerialize<T>) {
    baton_serialize(*this, value);
  } else if constexpr (std::is_same_v<T, bool>) {
    std::uint8_t b = 0;
    read_bytes(&b, 1);
    if (b > 1) throw SerializationError("binary payload: bad bool at offset " + std::to_string(offset_ - 1));
    value = b == 1;
  } else if constexpr (d::is_scalar_v<T>) {
    read_bytes(&value, sizeof value);
  } else if constexpr (d::is_string<T>::value) {
    const std::uint64_t n = read_size(1);
    read_block(value, n);
  } else if constexpr (d::is_pair<T>::value) {
    read(const_cast<std::remove_const_t<typename T::first_type>&>(value.first));
    read(value.second);
  } else if constexpr (d::is_tuple<T>::value) {
    read_tuple(value, std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (d::is_optional<T>::value) {
    bool present = false;
    read(present);
    if (present) {
      value.emplace();
      read(*value);
    } else {
      value.reset();
    }
  } else if constexpr (d::is_variant<T>::value) {
    std::uint32_t index = 0;
    read_bytes(&index, sizeof index);
    read_variant(value, index);
  } else if constexpr (d::is_std_array<T>::value) {
    if constexpr (d::is_raw_v<typename T::value_type>) {
      read_bytes(value.data(), sizeof(value));
    } else {
      for (auto& e : value) read(e);
    }
  } else if constexpr (d::is_sequence<T>::value) {
    using E = typename T::value_type;
    constexpr std::size_t min_bytes = d::is_raw_v<E> ? sizeof(E) : 1;
    const std::uint64_t n = read_size(min_bytes);
    value.clear();
    if constexpr (std::ranges::contiguous_range<T> && d::is_raw_v<E>) {
      read_block(value, n);
    } else {
      for (std::uint64_t i = 0; i < n; ++i) {
        E e{};
        read(e);
        value.push_back(std::move(e));
      }
    }
  } else if constexpr (d::is_set<T>::value) {
    const std::uint64_t n = read_size(1);
    value.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      typename T::value_type e{};
      read(e);
      value.insert(std::move(e));
    }
  } else {  // maps
    const std::uint64_t n = read_size(1);
    value.clear();
    for (std::uint64_t i = 0; i < n; ++i) {
      typename T::key_type k{};
      typename T::mapped_type v{};
      read(k);
      read(v);
      value.emplace(std::move(k), std::move(v));
    }
  }
}

// ---------------------------------------------------------------------------
// JSON. Numbers, strings (UTF-8), arrays for sequences/sets/tuples/pairs, objects
// for user types (field names) and for maps with string keys (other maps: arrays of
// [key, value]); optional: null or the value; variant: {"index": i, "value": v};
// non-finite floats as the strings "NaN", "Infinity", "-Infinity".
// The writer streams; the reader parses the whole text (nlohmann) and walks it.

class JsonWriter {
 public:
  static constexpr bool is_loading = false;
  explicit JsonWriter(ByteSink& sink);
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  template <class T>
  JsonWriter& operator()(std::string_view name, const T& value) {
    key(name);
    write(value);
    return *this;
  }
  template <class T>
  void write(const T& value);

  // The primitives the templates use (public for custom code that needs them).
  void begin_array();
  void end_array();
  void begin_object();
  void end_object();
  void key(std::string_view name);  // inside an object, before each value
  void null();
  void boolean(bool b);
  void integer(std::int64_t v);
  void unsigned_integer(std::uint64_t v);
  void number(double v);
  void string(std::string_view s);  // must be UTF-8; escaped as JSON requires
  void finish();                   // writes what is buffered and flushes the sink

 private:
  template <class Tuple, std::size_t... I>
  void write_tuple(const Tuple& t, std::index_sequence<I...>) {
    begin_array();
    (write(std::get<I>(t)), ...);
    end_array();
  }
  void before_value();
  void raw(std::string_view s);
  void quoted(std::string_view s);  // a JSON string literal, escaped

  ByteSink& sink_;
  std::string buf_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

class JsonReader {
 public:
  static constexpr bool is_loading = true;
  // Parses all of `source` (error: SerializationError with the parser's offset).
  explicit JsonReader(ByteSource& source);
  ~JsonReader();
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  template <class T>
  JsonReader& operator()(std::string_view name, T& value) {
    enter_field(name);
    read(value);
    leave();
    return *this;
  }
  template <class T>
  void read(T& value);

  // The primitives: a cursor walks the parsed document.
  void enter_field(std::string_view name);  // error if the current value is no object or lacks it
  void enter_index(std::size_t index);
  void leave();
  std::size_t array_size();  // error unless the current value is an array
  std::vector<std::string> object_keys();
  bool is_null();
  bool is_object();
  bool boolean();
  std::int64_t integer();
  std::uint64_t unsigned_integer();
  double number();
  std::string string();
  [[noreturn]] void fail(std::string_view what);  // throws, naming the JSON path

 private:
  template <class Tuple, std::size_t... I>
  void read_tuple(Tuple& t, std::index_sequence<I...>) {
    std::size_t i = 0;
    ((enter_index(i++), read(std::get<I>(t)), leave()), ...);
  }
  template <class V, std::size_t I = 0>
  void read_variant(V& v, std::size_t index) {
    if constexpr (I < std::variant_size_v<V>) {
      if (index == I) {
        std::variant_alternative_t<I, V> alt{};
        read(alt);
        v.template emplace<I>(std::move(alt));
      } else {
        read_variant<V, I + 1>(v, index);
      }
    } else {
      fail("variant index out of range");
    }
  }
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace serialize_detail {
template <class T>
inline constexpr bool string_keyed_map_v = false;
template <class T>
  requires is_map<T>::value
inline constexpr bool string_keyed_map_v<T> = std::is_same_v<typename T::key_type, std::string>;
}  // namespace serialize_detail

template <class T>
void JsonWriter::write(const T& value) {
  namespace d = serialize_detail;
  static_assert(Serializable<T>, "baton: no serializer for this type (add a serialize member or baton_serialize)");
  if constexpr (d::Custom<T>) {
    begin_object();
    if constexpr (d::HasSerializeMember<T>) {
      const_cast<T&>(value).serialize(*this);
    } else {
      baton_serialize(*this, const_cast<T&>(value));
    }
    end_object();
  } else if constexpr (std::is_same_v<T, bool>) {
    boolean(value);
  } else if constexpr (std::is_enum_v<T>) {
    write(static_cast<std::underlying_type_t<T>>(value));
  } else if constexpr (std::is_same_v<T, std::byte>) {
    unsigned_integer(static_cast<std::uint8_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    number(static_cast<double>(value));
  } else if constexpr (std::is_signed_v<T>) {
    integer(static_cast<std::int64_t>(value));
  } else if constexpr (std::is_unsigned_v<T>) {
    unsigned_integer(static_cast<std::uint64_t>(value));
  } else if constexpr (d::is_string<T>::value) {
    string(value);
  } else if constexpr (d::is_pair<T>::value || d::is_tuple<T>::value) {
    write_tuple(value, std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (d::is_optional<T>::value) {
    if (value) {
      write(*value);
    } else {
      null();
    }
  } else if constexpr (d::is_variant<T>::value) {
    begin_object();
    key("index");
    unsigned_integer(value.index());
    key("value");
    std::visit([this](const auto& alt) { write(alt); }, value);
    end_object();
  } else if constexpr (d::string_keyed_map_v<T>) {
    begin_object();
    for (const auto& [k, v] : value) {
      key(k);
      write(v);
    }
    end_object();
  } else if constexpr (d::is_map<T>::value) {
    begin_array();
    for (const auto& [k, v] : value) {
      begin_array();
      write(k);
      write(v);
      end_array();
    }
    end_array();
  } else {
    begin_array();
    for (const auto& e : value) write(static_cast<const typename T::value_type&>(e));
    end_array();
  }
}

template <class T>
void JsonReader::read(T& value) {
  namespace d = serialize_detail;
  static_assert(Serializable<T>, "baton: no serializer for this type (add a serialize member or baton_serialize)");
  if constexpr (d::Custom<T>) {
    if (!is_object()) fail("expected an object");
    if constexpr (d::HasSerializeMember<T>) {
      value.serialize(*this);
    } else {
      baton_serialize(*this, value);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    value = boolean();
  } else if constexpr (std::is_enum_v<T>) {
    std::underlying_type_t<T> u{};
    read(u);
    value = static_cast<T>(u);
  } else if constexpr (std::is_same_v<T, std::byte>) {
    const std::uint64_t u = unsigned_integer();
    if (u > 255) fail("byte out of range");
    value = static_cast<std::byte>(u);
  } else if constexpr (std::is_floating_point_v<T>) {
    value = static_cast<T>(number());
  } else if constexpr (std::is_signed_v<T>) {
    const std::int64_t v = integer();
    if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        v > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
      fail("integer out of range for its type");
    }
    value = static_cast<T>(v);
  } else if constexpr (std::is_unsigned_v<T>) {
    const std::uint64_t v = unsigned_integer();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) fail("integer out of range for its type");
    value = static_cast<T>(v);
  } else if constexpr (d::is_string<T>::value) {
    value = string();
  } else if constexpr (d::is_pair<T>::value) {
    if (array_size() != 2) fail("expected an array of 2");
    enter_index(0);
    read(const_cast<std::remove_const_t<typename T::first_type>&>(value.first));
    leave();
    enter_index(1);
    read(value.second);
    leave();
  } else if constexpr (d::is_tuple<T>::value) {
    if (array_size() != std::tuple_size_v<T>) fail("expected an array of " + std::to_string(std::tuple_size_v<T>));
    read_tuple(value, std::make_index_sequence<std::tuple_size_v<T>>{});
  } else if constexpr (d::is_optional<T>::value) {
    if (is_null()) {
      value.reset();
    } else {
      value.emplace();
      read(*value);
    }
  } else if constexpr (d::is_variant<T>::value) {
    enter_field("index");
    const std::uint64_t index = unsigned_integer();
    leave();
    enter_field("value");
    read_variant(value, static_cast<std::size_t>(index));
    leave();
  } else if constexpr (d::is_std_array<T>::value) {
    if (array_size() != std::tuple_size_v<T>) fail("expected an array of " + std::to_string(std::tuple_size_v<T>));
    for (std::size_t i = 0; i < value.size(); ++i) {
      enter_index(i);
      read(value[i]);
      leave();
    }
  } else if constexpr (d::string_keyed_map_v<T>) {
    value.clear();
    for (const std::string& k : object_keys()) {
      enter_field(k);
      typename T::mapped_type v{};
      read(v);
      leave();
      value.emplace(k, std::move(v));
    }
  } else if constexpr (d::is_map<T>::value) {
    value.clear();
    const std::size_t n = array_size();
    for (std::size_t i = 0; i < n; ++i) {
      enter_index(i);
      std::pair<typename T::key_type, typename T::mapped_type> kv{};
      read(kv);
      leave();
      value.emplace(std::move(kv.first), std::move(kv.second));
    }
  } else {  // sequences and sets
    value.clear();
    const std::size_t n = array_size();
    for (std::size_t i = 0; i < n; ++i) {
      enter_index(i);
      if constexpr (d::is_set<T>::value) {
        typename T::value_type e{};
        read(e);
        value.insert(std::move(e));
      } else {
        typename T::value_type e{};
        read(e);
        value.push_back(std::move(e));
      }
      leave();
    }
  }
}

// ---------------------------------------------------------------------------
// Entry points.

// Writes `value` to `sink` with `serializer` and flushes the sink.
template <Serializable T>
void serialize_to(const Serializer& serializer, const T& value, ByteSink& sink) {
  std::unique_ptr<ByteSink> zstd;
  ByteSink* out = &sink;
  if (serializer.is_compressed()) {
    zstd = make_zstd_sink(sink, serializer.level());
    out = zstd.get();
  }
  if (serializer.format() == Format::Binary) {
    BinaryWriter w(*out);
    w.write(value);
    w.finish();
  } else {
    JsonWriter w(*out);
    w.write(value);
    w.finish();
  }
  if (zstd) {
    const Status s = sink.flush();
    if (!s.ok()) throw SerializationError(s.message());
  }
}

// Reads a value written by serialize_to with the same serializer; all of `source`
// must be consumed by it.
template <Serializable T>
T deserialize_from(const Serializer& serializer, ByteSource& source) {
  std::unique_ptr<ByteSource> zstd;
  ByteSource* in = &source;
  if (serializer.is_compressed()) {
    zstd = make_zstd_source(source);
    in = zstd.get();
  }
  T value{};
  if (serializer.format() == Format::Binary) {
    BinaryReader r(*in);
    r.read(value);
    r.expect_end();
  } else {
    JsonReader r(*in);
    r.read(value);
  }
  return value;
}

}  // namespace baton
