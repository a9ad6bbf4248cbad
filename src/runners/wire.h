#pragma once
// The byte format of messages between a program and its worker processes:
// little-endian integers, length-prefixed strings. Both ends are the same binary
// on the same kind of machine, so there is no versioning; a reader still checks
// every length, since a worker that died mid-write leaves a truncated message.
#include <baton/error.h>
#include <baton/run_id.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace baton::runners {

class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u64(std::uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  void id(const RunId& id) {
    u64(id.hi);
    u64(id.lo);
  }
  void opt_str(const std::optional<std::string>& s) {
    u8(s ? 1 : 0);
    if (s) str(*s);
  }

 private:
  std::string& out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint64_t u64() {
    std::uint64_t v;
    std::memcpy(&v, take(sizeof v).data(), sizeof v);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::string_view str() { return take(u64()); }
  RunId id() {
    RunId r;
    r.hi = u64();
    r.lo = u64();
    return r;
  }
  std::optional<std::string> opt_str() {
    if (u8() == 0) return std::nullopt;
    return std::string(str());
  }
  bool done() const { return in_.empty(); }
  std::size_t remaining() const { return in_.size(); }

 private:
  // Small enough to inline (it runs for every field of every message); the
  // error is built out of line.
  std::string_view take(std::uint64_t n) {
    if (n > in_.size()) [[unlikely]] truncated(n, in_.size());
    std::string_view v(in_.data(), n);
    in_.remove_prefix(n);
    return v;
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void truncated(std::uint64_t wanted, std::size_t left) {
    throw Error("a worker message is truncated (" + std::to_string(wanted) + " bytes wanted, " +
                std::to_string(left) + " left)");
  }
  std::string_view in_;
};

}  // namespace baton::runners
