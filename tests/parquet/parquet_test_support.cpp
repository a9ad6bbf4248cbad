#include "parquet_test_support.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace baton::test {

fs::path corpus_dir() { return BATON_PARQUET_TESTING; }
fs::path tools_dir() { return fs::path(BATON_SOURCE_DIR) / "tools"; }
fs::path scratch_dir() {
  fs::path p = fs::path(BATON_TEST_TMP) / "parquet";
  fs::create_directories(p);
  return p;
}

bool have_node_tools() {
  static const bool ok = fs::exists(tools_dir() / "node_modules" / "@duckdb" / "node-api") &&
                         fs::exists(tools_dir() / "node_modules" / "parquet-wasm") &&
                         fs::exists(tools_dir() / "node_modules" / "hyparquet-writer") &&
                         std::system("node --version >/dev/null 2>&1") == 0;
  return ok;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

std::string quote(const std::string& s) {
  std::string r = "'";
  for (char c : s) {
    if (c == '\'') r += "'\\''";
    else r += c;
  }
  return r + "'";
}

// Serializes work between test processes (ctest -j runs them side by side).
class FileLock {
 public:
  explicit FileLock(const fs::path& p) : fd_(::open(p.c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

fs::path dump_dir() {
  // Versioned: a change of tools/parquet_dump.mjs must not reuse old dumps.
  fs::path d = scratch_dir() / "duckdb_dumps_v2";
  fs::create_directories(d);
  return d;
}

// Cache key: the file's name plus its size (fixtures and corpus files have
// distinct names).
fs::path dump_base(const fs::path& file) { return dump_dir() / (file.filename().string() + "." + std::to_string(fs::file_size(file))); }

std::optional<Dump> parse_dump(const std::string& text) {
  Dump d;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("COLUMN ", 0) == 0) {
      DumpColumn c;
      size_t sp = line.find(' ', 7);
      c.type = line.substr(7, sp - 7);
      c.name = sp == std::string::npos ? "" : line.substr(sp + 1);
      d.push_back(std::move(c));
    } else if (!d.empty()) {
      if (line == "\\N") d.back().values.push_back(std::nullopt);
      else d.back().values.push_back(line);
    }
  }
  return d;
}

}  // namespace

void duckdb_dump_all(const std::vector<fs::path>& files) {
  if (!have_node_tools()) return;
  FileLock lock(dump_dir() / ".lock");
  std::vector<fs::path> missing;
  for (const auto& f : files) {
    fs::path b = dump_base(f);
    if (!fs::exists(b.string() + ".dump") && !fs::exists(b.string() + ".err")) missing.push_back(f);
  }
  if (missing.empty()) return;
  // The script names outputs by base name; link each file under its cache name.
  fs::path staging = dump_dir() / "staging";
  fs::remove_all(staging);
  fs::create_directories(staging);
  std::string cmd = "cd " + quote(tools_dir().string()) + " && node parquet_dump.mjs " + quote(staging.string());
  for (const auto& f : missing) {
    fs::path link = staging / dump_base(f).filename();
    fs::create_symlink(fs::absolute(f), link);
    cmd += " " + quote(link.string());
  }
  cmd += " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return;
  for (const auto& f : missing) {
    std::string name = dump_base(f).filename().string();
    for (const char* ext : {".dump", ".err"}) {
      fs::path from = staging / (name + ext);
      if (fs::exists(from)) fs::rename(from, dump_dir() / (name + ext));
    }
  }
  fs::remove_all(staging);
}

std::optional<Dump> duckdb_dump(const fs::path& file, std::string* error) {
  if (!have_node_tools()) {
    if (error) *error = "node tools missing";
    return std::nullopt;
  }
  fs::path b = dump_base(file);
  if (!fs::exists(b.string() + ".dump") && !fs::exists(b.string() + ".err")) duckdb_dump_all({file});
  if (fs::exists(b.string() + ".dump")) return parse_dump(read_file(b.string() + ".dump"));
  if (error) *error = fs::exists(b.string() + ".err") ? read_file(b.string() + ".err") : "dump failed";
  return std::nullopt;
}

std::vector<fs::path> writer_fixtures() {
  if (!have_node_tools()) return {};
  fs::path dir = scratch_dir() / "fixtures_v1";
  fs::create_directories(dir);
  {
    FileLock lock(dir / ".lock");
    if (!fs::exists(dir / ".done")) {
      std::string cmd = "cd " + quote(tools_dir().string()) + " && node parquet_fixtures.mjs " + quote(dir.string()) + " 60000 >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) return {};
      std::ofstream(dir / ".done") << "ok\n";
    }
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".parquet") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string hex_upper(std::string_view bytes) {
  static const char* digits = "0123456789ABCDEF";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    s += digits[c >> 4];
    s += digits[c & 15];
  }
  return s;
}

std::string compare_with_dump(const Table& t, const Dump& d) {
  if (t.num_columns() != d.size())
    return "baton has " + std::to_string(t.num_columns()) + " columns, DuckDB " + std::to_string(d.size());
  for (size_t c = 0; c < d.size(); ++c) {
    const Column& col = t.column(c);
    const auto& ref = d[c];
    std::string where = "column " + std::to_string(c) + " '" + ref.name + "'";
    if (t.column_names()[c] != ref.name) return where + ": baton names it '" + t.column_names()[c] + "'";
    if (static_cast<size_t>(col.length()) != ref.values.size())
      return where + ": baton has " + std::to_string(col.length()) + " rows, DuckDB " + std::to_string(ref.values.size());
    bool decimal = ref.type.rfind("DECIMAL", 0) == 0;
    for (int64_t i = 0; i < col.length(); ++i) {
      const auto& want = ref.values[static_cast<size_t>(i)];
      std::string at = where + " row " + std::to_string(i) + ": ";
      if (!want) {
        if (col.is_valid(i)) return at + "DuckDB has null, baton " + col.format_value(i);
        continue;
      }
      if (col.is_null(i)) return at + "baton has null, DuckDB " + *want;
      std::string got;
      switch (col.type().id) {
        case TypeId::Int32: case TypeId::Date: got = std::to_string(col.data<int32_t>()[i]); break;
        case TypeId::Int64: case TypeId::Timestamp: got = std::to_string(col.data<int64_t>()[i]); break;
        case TypeId::Bool: got = col.data<uint8_t>()[i] ? "true" : "false"; break;
        case TypeId::String: got = hex_upper(col.string_at(i)); break;
        case TypeId::Float64: {
          double g = col.data<double>()[i];
          double w = std::strtod(want->c_str(), nullptr);
          bool same = (std::isnan(g) && std::isnan(w)) || g == w;
          if (!same && decimal) same = std::fabs(g - w) <= 1e-12 * std::max(1.0, std::fabs(w));
          if (!same) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", g);
            return at + "baton " + buf + ", DuckDB " + *want;
          }
          continue;
        }
      }
      if (got != *want) return at + "baton " + got + ", DuckDB " + *want;
    }
  }
  return "";
}

}  // namespace baton::test
