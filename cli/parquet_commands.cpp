#include "parquet_commands.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <baton/parquet.h>
#include <baton/table.h>

namespace baton::cli {
namespace {

// The reader's messages name its C++ API where they suggest a way out; a CLI
// user gets the flag that does the same.
std::string in_cli_terms(std::string message) {
  static constexpr std::pair<std::string_view, std::string_view> kApiToFlag[] = {
      {"ParquetReadOptions::columns", "--columns"},
  };
  for (const auto& [api, flag] : kApiToFlag) {
    for (auto at = message.find(api); at != std::string::npos; at = message.find(api, at + flag.size())) {
      message.replace(at, api.size(), flag);
    }
  }
  return message;
}

// Runs a command body; an exception becomes one error line and exit status 1.
template <class F>
void guarded(F&& body) {
  try {
    body();
  } catch (const CLI::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "baton: error: " << in_cli_terms(e.what()) << "\n";
    throw CLI::RuntimeError(1);
  }
}

std::vector<std::string> split_columns(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, ','))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

std::string human_bytes(int64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// A text table with columns padded to their widest cell.
void print_rows(std::ostream& out, const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line = indent;
    for (size_t i = 0; i < r.size(); ++i) line += i + 1 < r.size() ? pad(r[i], w[i] + 2) : r[i];
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

void schema_command(const std::string& path) {
  ParquetMetadata md = read_parquet_metadata(path);
  std::cout << path << ": " << md.num_rows << " rows, " << md.columns.size() << " columns, " << md.row_groups.size()
            << " row groups\n";
  std::vector<std::vector<std::string>> rows{{"#", "column", "physical", "repetition", "logical", "baton type"}};
  for (size_t i = 0; i < md.columns.size(); ++i) {
    const ParquetColumnInfo& c = md.columns[i];
    std::string physical = to_string(c.physical_type);
    if (c.physical_type == ParquetPhysicalType::FixedLenByteArray) physical += "(" + std::to_string(c.type_length) + ")";
    rows.push_back({std::to_string(i), c.name, physical, to_string(c.repetition), c.logical.empty() ? "-" : c.logical,
                    c.unsupported.empty() ? c.table_type.to_string() : "unsupported: " + c.unsupported});
  }
  print_rows(std::cout, rows, "");
}

void meta_command(const std::string& path) {
  ParquetMetadata md = read_parquet_metadata(path);
  std::cout << "file:            " << path << "\n"
            << "size:            " << md.file_size << " bytes (" << human_bytes(md.file_size) << "), footer "
            << md.footer_size << " bytes\n"
            << "format version:  " << md.version << "\n"
            << "created by:      " << (md.created_by.empty() ? "-" : md.created_by) << "\n"
            << "rows:            " << md.num_rows << "\n"
            << "columns:         " << md.columns.size() << "\n"
            << "row groups:      " << md.row_groups.size() << "\n";
  if (!md.key_value_metadata.empty()) {
    std::cout << "key/value metadata:\n";
    for (const auto& [k, v] : md.key_value_metadata) {
      std::string val = v ? *v : "(null)";
      if (val.size() > 60) val = val.substr(0, 57) + "... (" + std::to_string(v->size()) + " bytes)";
      std::cout << "  " << k << " = " << val << "\n";
    }
  }
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const ParquetRowGroupInfo& rg = md.row_groups[g];
    std::cout << "row group " << g << ": " << rg.num_rows << " rows, " << rg.total_byte_size << " bytes uncompressed\n";
    std::vector<std::vector<std::string>> rows{
        {"column", "type", "encodings", "codec", "values", "compressed", "uncompressed", "nulls", "min", "max"}};
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const ParquetColumnChunkInfo& cc = rg.columns[c];
      std::string enc;
      for (int32_t e : cc.encodings) enc += (enc.empty() ? "" : ",") + parquet_encoding_name(e);
      std::string nulls = "-", lo = "-", hi = "-";
      if (cc.statistics) {
        if (cc.statistics->null_count) nulls = std::to_string(*cc.statistics->null_count);
        size_t col = c < md.columns.size() ? c : 0;
        if (cc.statistics->min) lo = md.format_statistic(col, *cc.statistics->min);
        if (cc.statistics->max) hi = md.format_statistic(col, *cc.statistics->max);
      }
      rows.push_back({cc.path, to_string(cc.type), enc, parquet_codec_name(cc.codec), std::to_string(cc.num_values),
                      std::to_string(cc.total_compressed_size), std::to_string(cc.total_uncompressed_size), nulls, lo,
                      hi});
    }
    print_rows(std::cout, rows, "  ");
  }
}

ParquetReadOptions projection(const std::string& columns) {
  ParquetReadOptions o;
  o.columns = split_columns(columns);
  return o;
}

void head_command(const std::string& path, int64_t n, const std::string& columns) {
  if (n < 0) throw std::invalid_argument("-n must not be negative");
  ParquetMetadata md = read_parquet_metadata(path);
  ParquetReadOptions o = projection(columns);
  // Only the row groups that hold the first n rows.
  std::vector<size_t> groups;
  int64_t covered = 0;
  for (size_t g = 0; g < md.row_groups.size() && (covered < n || groups.empty()); ++g) {
    groups.push_back(g);
    covered += md.row_groups[g].num_rows;
  }
  o.row_groups = groups;
  Table t = read_parquet(path, o);
  std::cout << t.head(n);
}

// CSV field text (RFC 4180 quoting). Nulls are empty fields; an empty string
// is written as "" so that it stays distinct from null.
void append_csv_field(std::string& out, const Column& c, int64_t i) {
  if (c.is_null(i)) return;
  switch (c.type().id) {
    case TypeId::Float64: {
      double v = c.data<double>()[i];
      if (std::isnan(v)) {
        out += "NaN";
      } else if (std::isinf(v)) {
        out += v > 0 ? "inf" : "-inf";
      } else {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
        out.append(buf, r.ptr);
      }
      return;
    }
    case TypeId::String: {
      std::string_view s = c.string_at(i);
      if (s.empty() || s.find_first_of(",\"\r\n") != std::string_view::npos) {
        out += '"';
        for (char ch : s) {
          if (ch == '"') out += '"';
          out += ch;
        }
        out += '"';
      } else {
        out += s;
      }
      return;
    }
    default:
      out += c.format_value(i);  // integers, true/false, ISO-8601 timestamps and dates
  }
}

void cat_command(const std::string& path, const std::string& columns) {
  ParquetMetadata md = read_parquet_metadata(path);
  ParquetReadOptions o = projection(columns);
  std::string out;
  bool header_done = false;
  auto flush = [&] {
    std::fwrite(out.data(), 1, out.size(), stdout);
    out.clear();
  };
  // One row group at a time keeps memory at one row group's columns.
  const size_t groups = md.row_groups.size();
  for (size_t g = 0; g < std::max<size_t>(groups, 1); ++g) {
    o.row_groups = groups == 0 ? std::vector<size_t>{} : std::vector<size_t>{g};
    Table t = read_parquet(path, o);
    if (!header_done) {
      for (size_t c = 0; c < t.num_columns(); ++c) {
        if (c) out += ',';
        const std::string& name = t.column_names()[c];
        if (name.find_first_of(",\"\r\n") != std::string::npos) {
          out += '"';
          for (char ch : name) {
            if (ch == '"') out += '"';
            out += ch;
          }
          out += '"';
        } else {
          out += name;
        }
      }
      out += '\n';
      header_done = true;
    }
    for (int64_t r = 0; r < t.num_rows(); ++r) {
      for (size_t c = 0; c < t.num_columns(); ++c) {
        if (c) out += ',';
        append_csv_field(out, t.column(c), r);
      }
      out += '\n';
      if (out.size() > (1 << 20)) flush();
    }
  }
  flush();
  std::fflush(stdout);
}

}  // namespace

void add_parquet_commands(CLI::App& app) {
  CLI::App* pq = app.add_subcommand("parquet", "Look inside Parquet files");
  pq->require_subcommand(1);

  auto file = std::make_shared<std::string>();
  CLI::App* schema = pq->add_subcommand("schema", "Columns with their Parquet and baton types");
  schema->add_option("FILE", *file, "Parquet file")->required();
  schema->callback([file] { guarded([&] { schema_command(*file); }); });

  auto meta_file = std::make_shared<std::string>();
  CLI::App* meta = pq->add_subcommand("meta", "Row groups, column chunks, encodings, codecs, sizes, statistics");
  meta->add_option("FILE", *meta_file, "Parquet file")->required();
  meta->callback([meta_file] { guarded([&] { meta_command(*meta_file); }); });

  struct HeadArgs {
    std::string file, columns;
    int64_t n = 10;
  };
  auto h = std::make_shared<HeadArgs>();
  CLI::App* head = pq->add_subcommand("head", "The first rows as a table");
  head->add_option("FILE", h->file, "Parquet file")->required();
  head->add_option("-n,--rows", h->n, "How many rows (default 10)");
  head->add_option("--columns", h->columns, "Comma-separated columns to show (default: all)");
  head->callback([h] { guarded([&] { head_command(h->file, h->n, h->columns); }); });

  struct CatArgs {
    std::string file, columns;
    bool csv = false;
  };
  auto c = std::make_shared<CatArgs>();
  CLI::App* cat = pq->add_subcommand("cat", "Every row as CSV");
  cat->add_option("FILE", c->file, "Parquet file")->required();
  cat->add_flag("--csv", c->csv, "CSV output: a header line, nulls as empty fields (the only format, and the default)");
  cat->add_option("--columns", c->columns, "Comma-separated columns (default: all)");
  cat->callback([c] { guarded([&] { cat_command(c->file, c->columns); }); });
}

}  // namespace baton::cli
