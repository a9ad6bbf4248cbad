// Table as a task result: the table file format streamed through result storage.
#include <baton/error.h>
#include <baton/table_result.h>

#include "table/table_file.h"

#include <ostream>
#include <streambuf>

namespace baton::detail {

namespace {

// An ostream that hands every write to a callback (or only counts, without one).
class CallbackBuf final : public std::streambuf {
 public:
  explicit CallbackBuf(const std::function<void(const void*, std::size_t)>* out) : out_(out) {}
  std::uint64_t count() const { return count_; }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (out_ != nullptr) (*out_)(s, static_cast<std::size_t>(n));
    count_ += static_cast<std::uint64_t>(n);
    return n;
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    char c = traits_type::to_char_type(ch);
    xsputn(&c, 1);
    return ch;
  }

 private:
  const std::function<void(const void*, std::size_t)>* out_;
  std::uint64_t count_ = 0;
};

void write_through(const Table& table, CallbackBuf& buf) {
  std::ostream out(&buf);
  Status s = write_table(table, out, "task result");
  if (!s.ok()) throw SerializationError(s.message());
}

}  // namespace

std::uint64_t table_file_size(const Table& table) {
  CallbackBuf counter(nullptr);
  write_through(table, counter);
  return counter.count();
}

void write_table_file_to(const Table& table, const std::function<void(const void*, std::size_t)>& out) {
  CallbackBuf buf(&out);
  write_through(table, buf);
}

Table table_from_file_bytes(MutableBuffer bytes) {
  // The payload's checksum was verified by the result store; the file's own
  // buffer checksums would touch every byte a second time.
  auto table = read_table_buffer(bytes.finish(), "task result", TableFileReadOptions{false});
  if (!table.ok()) throw SerializationError(table.status().message());
  return std::move(table).value();
}

}  // namespace baton::detail
