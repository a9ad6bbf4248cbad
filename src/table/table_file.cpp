#include "table/table_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>
#include <xxh_x86dispatch.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "table/bitmap_util.h"
#include "table/fingerprint_cache.h"

namespace baton {
namespace detail {

// Restores remembered fingerprints read from a file (friend of Column/Table).
struct Access {
  static void set_fingerprint(const Column& c, const Column::Fingerprint& fp) { c.fingerprint_->set(fp); }
  static void set_fingerprint(const Table& t, const Column::Fingerprint& fp) {
    if (t.fingerprint_) t.fingerprint_->set(fp);
  }
};

}  // namespace detail

namespace {

constexpr char kMagic[8] = {'B', 'A', 'T', 'O', 'N', 'T', 'B', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kAlign = 64;
constexpr size_t kTrailer = 24;

class Out {
 public:
  virtual ~Out() = default;
  virtual bool write(const void* p, size_t n) = 0;
  uint64_t pos = 0;
};

class StreamOut : public Out {
 public:
  explicit StreamOut(std::ostream& o) : o_(o) {}
  bool write(const void* p, size_t n) override {
    o_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    pos += n;
    return static_cast<bool>(o_);
  }

 private:
  std::ostream& o_;
};

class FdOut : public Out {
 public:
  explicit FdOut(int fd) : fd_(fd) {}
  bool write(const void* p, size_t n) override {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t k = ::write(fd_, c, n);
      if (k < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      c += k;
      n -= static_cast<size_t>(k);
      pos += static_cast<uint64_t>(k);
    }
    return true;
  }

 private:
  int fd_;
};

template <class V>
void put(std::string& s, V v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

struct BufferRef {
  uint64_t offset = 0, size = 0, hash = 0;
};

Status write_impl(const Table& table, Out& out, const std::string& name) {
  auto fail = [&](const std::string& what) {
    return Status::error(name + ": " + what + " at offset " + std::to_string(out.pos) + ": " +
                         (errno ? std::strerror(errno) : "stream error"));
  };
  errno = 0;
  if (!out.write(kMagic, 8)) return fail("write failed");
  static const char zeros[kAlign] = {};
  auto emit = [&](const void* p, size_t n, BufferRef& ref) -> bool {
    size_t pad = (kAlign - out.pos % kAlign) % kAlign;
    if (pad && !out.write(zeros, pad)) return false;
    ref.offset = out.pos;
    ref.size = n;
    ref.hash = XXH3_64bits(p, n);
    return n == 0 || out.write(p, n);
  };
  std::string footer;
  put(footer, kVersion);
  put(footer, table.num_rows());
  put(footer, static_cast<uint32_t>(table.num_columns()));
  std::vector<uint8_t> scratch;
  for (size_t i = 0; i < table.num_columns(); ++i) {
    const Column& c = table.column(i);
    const int64_t n = c.length();
    BufferRef refs[4];
    // validity, compacted to bit offset 0
    if (c.has_nulls()) {
      scratch.assign(static_cast<size_t>((n + 7) / 8), 0);
      detail::copy_bits(c.validity_bits(), c.validity_offset(), n, scratch.data());
      if (!emit(scratch.data(), scratch.size(), refs[0])) return fail("write failed");
    }
    if (c.type().id == TypeId::String) {
      const int64_t* o = c.string_offsets();
      std::vector<int64_t> rebased(static_cast<size_t>(n + 1));
      for (int64_t k = 0; k <= n; ++k) rebased[static_cast<size_t>(k)] = o[k] - o[0];
      if (!emit(rebased.data(), rebased.size() * sizeof(int64_t), refs[2])) return fail("write failed");
      if (!emit(c.string_data() + o[0], static_cast<size_t>(o[n] - o[0]), refs[3])) return fail("write failed");
    } else {
      const size_t w = c.type().byte_width();
      if (!emit(c.values().data() + static_cast<size_t>(c.offset()) * w, static_cast<size_t>(n) * w, refs[1]))
        return fail("write failed");
    }
    const std::string& col_name = table.column_names()[i];
    put(footer, static_cast<uint32_t>(col_name.size()));
    footer += col_name;
    put(footer, static_cast<uint8_t>(c.type().id));
    put(footer, static_cast<uint8_t>(c.type().utc));
    put(footer, n);
    put(footer, c.null_count());
    for (const auto& r : refs) {
      put(footer, r.offset);
      put(footer, r.size);
      put(footer, r.hash);
    }
    Column::Fingerprint fp = c.fingerprint();
    put(footer, fp.high);
    put(footer, fp.low);
  }
  Column::Fingerprint tfp = table.fingerprint();
  put(footer, tfp.high);
  put(footer, tfp.low);
  if (!out.write(footer.data(), footer.size())) return fail("write failed");
  std::string trailer;
  put(trailer, static_cast<uint64_t>(footer.size()));
  put(trailer, static_cast<uint64_t>(XXH3_64bits(footer.data(), footer.size())));
  trailer.append(kMagic, 8);
  if (!out.write(trailer.data(), trailer.size())) return fail("write failed");
  return Status();
}

// Bounds-checked reader over the footer bytes.
class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  template <class V>
  bool get(V& v) {
    if (n_ - at_ < sizeof v) return false;
    std::memcpy(&v, p_ + at_, sizeof v);
    at_ += sizeof v;
    return true;
  }
  bool get_string(size_t len, std::string& s) {
    if (n_ - at_ < len) return false;
    s.assign(reinterpret_cast<const char*>(p_ + at_), len);
    at_ += len;
    return true;
  }
  size_t at() const { return at_; }

 private:
  const uint8_t* p_;
  size_t n_;
  size_t at_ = 0;
};

}  // namespace

Status write_table(const Table& table, std::ostream& out, const std::string& name) {
  StreamOut o(out);
  return write_impl(table, o, name);
}

Status write_table_file(const Table& table, const std::string& path) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error(path + ": cannot create " + tmp + ": " + std::strerror(errno));
  FdOut o(fd);
  Status s = write_impl(table, o, path);
  if (s.ok() && ::fsync(fd) != 0) s = Status::error(path + ": fsync failed: " + std::strerror(errno));
  if (::close(fd) != 0 && s.ok()) s = Status::error(path + ": close failed: " + std::strerror(errno));
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = Status::error(path + ": cannot rename " + tmp + " into place: " + std::strerror(errno));
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Result<Table> read_table_buffer(const Buffer& input, const std::string& name, const TableFileReadOptions& options) {
  // Buffers are 64-byte aligned relative to the start; typed access needs the
  // start itself aligned (a mapping always is), so copy the rare odd input.
  Buffer bytes = reinterpret_cast<uintptr_t>(input.data()) % kAlign == 0 ? input : Buffer::copy_of(input.data(), input.size());
  auto bad = [&](const std::string& what) { return Status::error(name + ": not a baton table file: " + what); };
  const size_t size = bytes.size();
  if (size < 8 + kTrailer) return bad("only " + std::to_string(size) + " bytes");
  if (std::memcmp(bytes.data(), kMagic, 8) != 0) return bad("bad magic at offset 0");
  if (std::memcmp(bytes.data() + size - 8, kMagic, 8) != 0)
    return bad("bad magic at offset " + std::to_string(size - 8) + " (truncated?)");
  uint64_t footer_size, footer_hash;
  std::memcpy(&footer_size, bytes.data() + size - kTrailer, 8);
  std::memcpy(&footer_hash, bytes.data() + size - kTrailer + 8, 8);
  if (footer_size > size - 8 - kTrailer) return bad("footer size " + std::to_string(footer_size) + " exceeds the file");
  const uint64_t footer_at = size - kTrailer - footer_size;
  const uint8_t* footer = bytes.data() + footer_at;
  if (XXH3_64bits(footer, footer_size) != footer_hash)
    return bad("footer checksum mismatch at offset " + std::to_string(footer_at));
  Cursor cur(footer, footer_size);
  uint32_t version = 0, ncols = 0;
  int64_t rows = 0;
  if (!cur.get(version) || !cur.get(rows) || !cur.get(ncols)) return bad("short footer");
  if (version != kVersion) return bad("unsupported version " + std::to_string(version));
  std::vector<std::string> names;
  std::vector<Column> cols;
  std::vector<Column::Fingerprint> fps;
  for (uint32_t i = 0; i < ncols; ++i) {
    const size_t col_at = footer_at + cur.at();
    auto col_bad = [&](const std::string& what) {
      return bad("column " + std::to_string(i) + " (footer offset " + std::to_string(col_at) + "): " + what);
    };
    uint32_t name_len = 0;
    std::string col_name;
    uint8_t type_id = 0, utc = 0;
    int64_t length = 0, nulls = 0;
    BufferRef refs[4];
    if (!cur.get(name_len) || !cur.get_string(name_len, col_name) || !cur.get(type_id) || !cur.get(utc) ||
        !cur.get(length) || !cur.get(nulls))
      return col_bad("short footer");
    for (auto& r : refs)
      if (!cur.get(r.offset) || !cur.get(r.size) || !cur.get(r.hash)) return col_bad("short footer");
    Column::Fingerprint fp;
    if (!cur.get(fp.high) || !cur.get(fp.low)) return col_bad("short footer");
    if (type_id > static_cast<uint8_t>(TypeId::Date)) return col_bad("unknown type id " + std::to_string(type_id));
    if (length != rows || nulls < 0 || nulls > length) return col_bad("bad length or null count");
    Buffer bufs[4];
    for (int k = 0; k < 4; ++k) {
      const BufferRef& r = refs[k];
      if (r.offset > footer_at || r.size > footer_at - r.offset)
        return col_bad("buffer " + std::to_string(k) + " at offset " + std::to_string(r.offset) + " of " +
                       std::to_string(r.size) + " bytes lies outside the data");
      bufs[k] = bytes.slice(r.offset, r.size);
      if (options.verify_checksums && r.size > 0 && XXH3_64bits(bufs[k].data(), r.size) != r.hash)
        return col_bad("checksum mismatch in buffer " + std::to_string(k) + " at offset " + std::to_string(r.offset) +
                       " ('" + col_name + "')");
    }
    DataType type{static_cast<TypeId>(type_id), utc != 0};
    try {
      Column c;
      if (type.id == TypeId::String) {
        c = Column::from_string_buffers(length, bufs[0], bufs[2], bufs[3], -1);
        // Every offset must stay inside the data, or string_at would read out of it.
        const int64_t* o = c.string_offsets();
        for (int64_t k = 0; k < length; ++k)
          if (o[k] > o[k + 1]) return col_bad("string offsets decrease at row " + std::to_string(k));
      } else {
        c = Column::from_buffers(type, length, bufs[0], bufs[1], -1);
      }
      if (c.null_count() != nulls) return col_bad("null count does not match the validity bitmap");
      detail::Access::set_fingerprint(c, fp);
      names.push_back(std::move(col_name));
      cols.push_back(std::move(c));
    } catch (const std::invalid_argument& e) {
      return col_bad(e.what());
    }
  }
  Column::Fingerprint tfp;
  if (!cur.get(tfp.high) || !cur.get(tfp.low)) return bad("short footer");
  try {
    Table t(std::move(names), std::move(cols));
    detail::Access::set_fingerprint(t, tfp);
    return t;
  } catch (const std::invalid_argument& e) {
    return bad(e.what());
  }
}

Result<Table> read_table_file(const std::string& path, const TableFileReadOptions& options) {
  Buffer bytes;
  try {
    bytes = Buffer::map_file(path);
  } catch (const std::runtime_error& e) {
    return Status::error(e.what());
  }
  return read_table_buffer(bytes, path, options);
}

}  // namespace baton
