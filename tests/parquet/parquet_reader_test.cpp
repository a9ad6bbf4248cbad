// Parquet reader: conformance with the parquet-testing corpus (values equal to
// the expectation files and to DuckDB's reading), files of other writers,
// options (projection, row groups, pruning, parallel decoding), metadata, and
// robustness against bad, truncated and bit-flipped input.
#include <baton/parquet/reader.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "parquet_test_support.h"
#include "parquet/parquet_metadata.h"
#include "util/status.h"

namespace fs = std::filesystem;
using namespace baton;
using namespace baton::test;

namespace {

enum class Expect { Read, Refuse };

struct CorpusCase {
  const char* file;
  Expect expect;
  // Read: a note on what the file exercises. Refuse: a substring the error
  // message must contain (the unsupported feature).
  const char* detail;
};

// Every file of parquet-testing/data, with the outcome baton gives.
const CorpusCase kCorpus[] = {
    {"alltypes_dictionary.parquet", Expect::Read, "PLAIN_DICTIONARY, INT96"},
    {"alltypes_plain.parquet", Expect::Read, "PLAIN, all physical types"},
    {"alltypes_plain.snappy.parquet", Expect::Read, "SNAPPY"},
    {"alltypes_tiny_pages.parquet", Expect::Read, "many small dictionary pages"},
    {"alltypes_tiny_pages_plain.parquet", Expect::Read, "many small plain pages"},
    {"binary.parquet", Expect::Read, "unannotated BYTE_ARRAY"},
    {"binary_truncated_min_max.parquet", Expect::Read, "truncated statistics"},
    {"byte_array_decimal.parquet", Expect::Read, "BYTE_ARRAY DECIMAL"},
    {"byte_stream_split.zstd.parquet", Expect::Read, "BYTE_STREAM_SPLIT, ZSTD"},
    {"byte_stream_split_extended.gzip.parquet", Expect::Read, "BYTE_STREAM_SPLIT on every type, GZIP"},
    {"column_chunk_key_value_metadata.parquet", Expect::Read, "empty row group, chunk key/value metadata"},
    {"concatenated_gzip_members.parquet", Expect::Read, "multi-member GZIP, UINT_64"},
    {"data_index_bloom_encoding_stats.parquet", Expect::Read, "page index, bloom filter, encoding stats"},
    {"data_index_bloom_encoding_with_length.parquet", Expect::Read, "bloom_filter_length"},
    {"datapage_v1-corrupt-checksum.parquet", Expect::Refuse, "checksum mismatch"},
    {"datapage_v1-snappy-compressed-checksum.parquet", Expect::Read, "page CRCs, verified"},
    {"datapage_v1-uncompressed-checksum.parquet", Expect::Read, "page CRCs, verified"},
    {"datapage_v2.snappy.parquet", Expect::Refuse, "column 'e' is a nested LIST"},
    {"datapage_v2_empty_datapage.snappy.parquet", Expect::Read, "empty v2 page, not decompressed"},
    {"delta_binary_packed.parquet", Expect::Read, "DELTA_BINARY_PACKED, bit widths 0..64"},
    {"delta_byte_array.parquet", Expect::Read, "DELTA_BYTE_ARRAY"},
    {"delta_encoding_optional_column.parquet", Expect::Read, "delta encodings with nulls"},
    {"delta_encoding_required_column.parquet", Expect::Read, "delta encodings, REQUIRED"},
    {"delta_length_byte_array.parquet", Expect::Read, "DELTA_LENGTH_BYTE_ARRAY"},
    {"dict-page-offset-zero.parquet", Expect::Read, "dictionary_page_offset = 0"},
    {"fixed_length_byte_array.parquet", Expect::Read, "FIXED_LEN_BYTE_ARRAY as string"},
    {"fixed_length_decimal.parquet", Expect::Read, "FIXED_LEN_BYTE_ARRAY DECIMAL"},
    {"fixed_length_decimal_legacy.parquet", Expect::Read, "converted-type DECIMAL"},
    {"float16_nonzeros_and_nans.parquet", Expect::Read, "FLOAT16"},
    {"float16_zeros_and_nans.parquet", Expect::Read, "FLOAT16"},
    {"floating_orders_nan_count.parquet", Expect::Read, "NaN statistics"},
    {"hadoop_lz4_compressed.parquet", Expect::Read, "deprecated LZ4, Hadoop framing"},
    {"hadoop_lz4_compressed_larger.parquet", Expect::Read, "deprecated LZ4, Hadoop framing"},
    {"incorrect_map_schema.parquet", Expect::Refuse, "column 'my_map' is a nested MAP"},
    {"int32_decimal.parquet", Expect::Read, "INT32 DECIMAL"},
    {"int32_with_null_pages.parquet", Expect::Read, "all-null pages"},
    {"int64_decimal.parquet", Expect::Read, "INT64 DECIMAL"},
    {"int96_from_spark.parquet", Expect::Read, "INT96 timestamps"},
    {"large_string_map.brotli.parquet", Expect::Refuse, "column 'arr' is a nested MAP"},
    {"list_columns.parquet", Expect::Refuse, "is a nested LIST"},
    {"lz4_raw_compressed.parquet", Expect::Read, "LZ4_RAW"},
    {"lz4_raw_compressed_larger.parquet", Expect::Read, "LZ4_RAW"},
    {"map_no_value.parquet", Expect::Refuse, "is a nested MAP"},
    {"nan_in_stats.parquet", Expect::Read, "NaN max statistic"},
    {"nation.dict-malformed.parquet", Expect::Refuse, "runs past the end of the column chunk"},
    {"nested_lists.snappy.parquet", Expect::Refuse, "is a nested LIST"},
    {"nested_maps.snappy.parquet", Expect::Refuse, "is a nested MAP"},
    {"nested_structs.rust.parquet", Expect::Refuse, "is a nested struct"},
    {"non_hadoop_lz4_compressed.parquet", Expect::Read, "deprecated LZ4, bare block"},
    {"nonnullable.impala.parquet", Expect::Refuse, "is a nested LIST"},
    {"null_list.parquet", Expect::Refuse, "is a nested LIST"},
    {"nullable.impala.parquet", Expect::Refuse, "is a nested LIST"},
    {"nulls.snappy.parquet", Expect::Refuse, "is a nested struct"},
    {"old_list_structure.parquet", Expect::Refuse, "is a nested LIST"},
    {"overflow_i16_page_cnt.parquet", Expect::Read, "more than 32767 pages"},
    {"page_v2_empty_compressed.parquet", Expect::Read, "ZSTD stream of zero bytes"},
    {"plain-dict-uncompressed-checksum.parquet", Expect::Read, "PLAIN_DICTIONARY"},
    {"repeated_no_annotation.parquet", Expect::Refuse, "is a nested struct"},
    {"repeated_primitive_no_list.parquet", Expect::Refuse, "is repeated (a list)"},
    {"rle-dict-snappy-checksum.parquet", Expect::Read, "RLE_DICTIONARY"},
    {"rle-dict-uncompressed-corrupt-checksum.parquet", Expect::Refuse, "checksum mismatch"},
    {"rle_boolean_encoding.parquet", Expect::Read, "RLE booleans, v2 pages"},
    {"single_nan.parquet", Expect::Read, "NaN"},
    {"sort_columns.parquet", Expect::Read, "sorting columns"},
    {"unknown-logical-type.parquet", Expect::Read, "unknown logical type read as its physical type"},
    {"encrypt_columns_and_footer.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"encrypt_columns_and_footer_aad.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"encrypt_columns_and_footer_bloom_filter.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"encrypt_columns_and_footer_ctr.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"encrypt_columns_and_footer_disable_aad_storage.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"encrypt_columns_plaintext_footer.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"external_key_material_java.parquet.encrypted", Expect::Refuse, "encrypted"},
    {"uniform_encryption.parquet.encrypted", Expect::Refuse, "encrypted"},
};

fs::path data_dir() { return corpus_dir() / "data"; }

bool is_parquet_name(const fs::path& p) {
  std::string n = p.filename().string();
  return n.ends_with(".parquet") || n.ends_with(".parquet.encrypted");
}

std::string error_of(const fs::path& p, const ParquetReadOptions& o = {}) {
  try {
    read_parquet(p.string(), o);
  } catch (const ParquetError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ParquetCorpus, EveryFileIsListed) {
  ASSERT_TRUE(fs::exists(data_dir())) << "parquet-testing not found at " << corpus_dir();
  std::set<std::string> listed;
  for (const auto& c : kCorpus) listed.insert(c.file);
  for (const auto& e : fs::directory_iterator(data_dir())) {
    if (!is_parquet_name(e.path())) continue;
    EXPECT_TRUE(listed.count(e.path().filename().string())) << e.path().filename() << " is not in the conformance table";
  }
  for (const auto& c : kCorpus) EXPECT_TRUE(fs::exists(data_dir() / c.file)) << c.file;
}

TEST(ParquetCorpus, RefusedFilesNameTheFeature) {
  for (const auto& c : kCorpus) {
    if (c.expect != Expect::Refuse) continue;
    fs::path p = data_dir() / c.file;
    std::string err = error_of(p);
    EXPECT_NE(err.find(p.string()), std::string::npos) << c.file << ": error does not name the file: " << err;
    EXPECT_NE(err.find(c.detail), std::string::npos) << c.file << ": expected '" << c.detail << "' in: " << err;
  }
}

// The corpus's two damaged files carry page CRCs that do not match their bytes:
// reading them is an error naming the file, row group, column and page, never
// damaged values; their undamaged twins read (their CRCs verified).
TEST(ParquetChecksums, APageWhoseCrcDoesNotMatchIsAnErrorNamingWhere) {
  for (const char* file : {"datapage_v1-corrupt-checksum.parquet", "rle-dict-uncompressed-corrupt-checksum.parquet"}) {
    const fs::path p = data_dir() / file;
    const std::string err = error_of(p);
    EXPECT_NE(err.find(p.string() + ": row group 0, column '"), std::string::npos) << err;
    EXPECT_NE(err.find("page "), std::string::npos) << err;
    EXPECT_NE(err.find("checksum mismatch: the page header says CRC-32"), std::string::npos) << err;
  }
  for (const char* file : {"datapage_v1-uncompressed-checksum.parquet", "datapage_v1-snappy-compressed-checksum.parquet",
                           "plain-dict-uncompressed-checksum.parquet", "rle-dict-snappy-checksum.parquet"}) {
    EXPECT_EQ(error_of(data_dir() / file), "") << file;
  }
}

// Files whose DuckDB reading is not the reference: DuckDB converts INT96 through
// 64-bit nanoseconds and wraps the year-290000 value; the file's .md gives the
// right microseconds (checked in SpotValues).
const std::set<std::string> kDuckDBWrong = {"int96_from_spark.parquet"};

TEST(ParquetCorpus, ReadableFilesMatchDuckDB) {
  std::vector<fs::path> files;
  for (const auto& c : kCorpus)
    if (c.expect == Expect::Read && !kDuckDBWrong.count(c.file)) files.push_back(data_dir() / c.file);
  duckdb_dump_all(files);
  int compared = 0, duckdb_refused = 0;
  for (const auto& p : files) {
    SCOPED_TRACE(p.filename().string());
    Result<Table> t = try_read_parquet(p.string());
    ASSERT_TRUE(t.ok()) << t.status().message();
    std::string why;
    auto dump = duckdb_dump(p, &why);
    if (!dump) {
      ++duckdb_refused;
      continue;
    }
    EXPECT_EQ(compare_with_dump(*t, *dump), "");
    ++compared;
  }
  if (!have_node_tools()) GTEST_SKIP() << "node / tools/node_modules missing: values not compared with DuckDB (run `cd tools && npm ci`)";
  // DuckDB cannot read byte_stream_split_extended (BYTE_STREAM_SPLIT on
  // integers) nor the deprecated LZ4 codec; those files are checked against
  // their twins below.
  EXPECT_EQ(duckdb_refused, 4);
  EXPECT_EQ(compared, static_cast<int>(files.size()) - 4);
}

// The nested files' flat columns can still be read by selecting them.
TEST(ParquetCorpus, FlatColumnsOfNestedFiles) {
  fs::path p = data_dir() / "datapage_v2.snappy.parquet";
  ParquetReadOptions o;
  o.columns = {"a", "b", "c", "d"};
  Table t = read_parquet(p.string(), o);
  EXPECT_EQ(t.num_columns(), 4u);
  EXPECT_EQ(t.num_rows(), 5);
  if (auto dump = duckdb_dump(p)) {
    dump->resize(4);
    EXPECT_EQ(compare_with_dump(t, *dump), "");
  }
}

// byte_stream_split_extended holds each column twice: PLAIN and BYTE_STREAM_SPLIT.
TEST(ParquetCorpus, ByteStreamSplitExtendedMatchesPlainTwins) {
  Table t = read_parquet((data_dir() / "byte_stream_split_extended.gzip.parquet").string());
  int pairs = 0;
  for (const auto& name : t.column_names()) {
    if (!name.ends_with("_plain")) continue;
    std::string twin = name.substr(0, name.size() - 6) + "_byte_stream_split";
    ASSERT_TRUE(t.has_column(twin)) << twin;
    EXPECT_TRUE(t[name].equals(t[twin])) << name;
    ++pairs;
  }
  EXPECT_EQ(pairs, 7);
}

// The deprecated-LZ4 files hold the same data as their LZ4_RAW twins.
TEST(ParquetCorpus, LegacyLz4MatchesLz4Raw) {
  const std::pair<const char*, const char*> twins[] = {
      {"hadoop_lz4_compressed.parquet", "lz4_raw_compressed.parquet"},
      {"non_hadoop_lz4_compressed.parquet", "lz4_raw_compressed.parquet"},
      {"hadoop_lz4_compressed_larger.parquet", "lz4_raw_compressed_larger.parquet"},
  };
  for (const auto& [legacy, raw] : twins) {
    SCOPED_TRACE(legacy);
    Table a = read_parquet((data_dir() / legacy).string());
    Table b = read_parquet((data_dir() / raw).string());
    ASSERT_EQ(a.column_names(), b.column_names());
    ASSERT_EQ(a.num_rows(), b.num_rows());
    for (size_t c = 0; c < a.num_columns(); ++c) EXPECT_TRUE(a.column(c).equals(b.column(c))) << a.column_names()[c];
  }
}

namespace {

// Minimal CSV: comma separated, optional double quotes, empty unquoted = null.
std::vector<std::vector<std::optional<std::string>>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::optional<std::string>> row;
    size_t i = 0;
    for (;;) {
      std::optional<std::string> f;
      if (i < line.size() && line[i] == '"') {
        std::string s;
        ++i;
        while (i < line.size()) {
          if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') { s += '"'; i += 2; }
          else if (line[i] == '"') { ++i; break; }
          else s += line[i++];
        }
        f = s;
      } else {
        size_t j = line.find(',', i);
        std::string s = line.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (!s.empty()) f = s;
        i = j == std::string::npos ? line.size() : j;
      }
      row.push_back(f);
      if (i < line.size() && line[i] == ',') { ++i; continue; }
      break;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

// The corpus's own expectation files.
TEST(ParquetCorpus, ExpectationCsvFiles) {
  int files = 0;
  for (const auto& e : fs::directory_iterator(data_dir())) {
    std::string n = e.path().filename().string();
    if (!n.ends_with("_expect.csv")) continue;
    fs::path pq = data_dir() / (n.substr(0, n.size() - 11) + ".parquet");
    SCOPED_TRACE(pq.filename().string());
    ASSERT_TRUE(fs::exists(pq));
    auto rows = parse_csv(read_file(e.path()));
    ASSERT_FALSE(rows.empty());
    Table t = read_parquet(pq.string());
    ASSERT_EQ(rows[0].size(), t.num_columns());
    ASSERT_EQ(static_cast<int64_t>(rows.size() - 1), t.num_rows());
    for (size_t c = 0; c < t.num_columns(); ++c) {
      const Column& col = t.column(c);
      for (int64_t r = 0; r < t.num_rows(); ++r) {
        const auto& want = rows[static_cast<size_t>(r + 1)][c];
        if (!want) {
          ASSERT_TRUE(col.is_null(r)) << "column " << c << " row " << r;
          continue;
        }
        ASSERT_TRUE(col.is_valid(r)) << "column " << c << " row " << r;
        std::string got;
        if (col.type().id == TypeId::String) got = std::string(col.string_at(r));
        else if (col.type().id == TypeId::Int32) got = std::to_string(col.data<int32_t>()[r]);
        else got = std::to_string(col.data<int64_t>()[r]);
        ASSERT_EQ(got, *want) << "column " << c << " row " << r;
      }
    }
    ++files;
  }
  EXPECT_EQ(files, 4);
}

TEST(ParquetCorpus, SpotValues) {
  // int96_from_spark.md: microsecond timestamps beyond the nanosecond range.
  Table t = read_parquet((data_dir() / "int96_from_spark.parquet").string());
  ASSERT_EQ(t.column(0).type(), DataType::timestamp(false));
  const int64_t want[] = {1704141296123456, 1704070800000000, 253402225200000000, 1735599600000000, 0, 9089380393200000000};
  ASSERT_EQ(t.num_rows(), 6);
  for (int i = 0; i < 6; ++i) {
    if (i == 4) {
      EXPECT_TRUE(t.column(0).is_null(i));
      continue;
    }
    EXPECT_EQ(t.column(0).data<int64_t>()[i], want[i]) << i;
  }
  // alltypes_plain: 8 rows, id 4 5 6 7 2 3 0 1, float_col widened to float64.
  Table a = read_parquet((data_dir() / "alltypes_plain.parquet").string());
  EXPECT_EQ(a.num_rows(), 8);
  EXPECT_EQ(a["id"].data<int32_t>()[0], 4);
  EXPECT_EQ(a["float_col"].type(), DataType::float64());
  EXPECT_DOUBLE_EQ(a["float_col"].data<double>()[1], 1.100000023841858);
  EXPECT_EQ(a["timestamp_col"].type(), DataType::timestamp(false));
  EXPECT_EQ(a["timestamp_col"].format_value(0), "2009-03-01T00:00:00");
  // A decimal file: unscaled / 10^scale as float64.
  Table d = read_parquet((data_dir() / "int32_decimal.parquet").string());
  EXPECT_EQ(d.column(0).type(), DataType::float64());
  EXPECT_DOUBLE_EQ(d.column(0).data<double>()[0], 1.0);
}

// ---- files of other writers --------------------------------------------------

TEST(ParquetWriters, DuckDBArrowRsHyparquetMatchDuckDB) {
  auto files = writer_fixtures();
  if (files.empty()) GTEST_SKIP() << "node / tools/node_modules missing (run `cd tools && npm ci`)";
  ASSERT_EQ(files.size(), 9u);
  duckdb_dump_all(files);
  for (const auto& p : files) {
    SCOPED_TRACE(p.filename().string());
    Table t = read_parquet(p.string());
    EXPECT_EQ(t.num_rows(), 60000);
    std::string why;
    auto dump = duckdb_dump(p, &why);
    ASSERT_TRUE(dump) << why;
    EXPECT_EQ(compare_with_dump(t, *dump), "");
  }
}

TEST(ParquetWriters, PageAndEncodingVarietyIsReallyExercised) {
  auto files = writer_fixtures();
  if (files.empty()) GTEST_SKIP() << "node / tools/node_modules missing";
  std::map<std::string, std::set<std::string>> encodings;
  for (const auto& p : files) {
    auto md = read_parquet_metadata(p.string());
    for (const auto& rg : md.row_groups)
      for (const auto& c : rg.columns)
        for (int32_t e : c.encodings) encodings[p.filename().string()].insert(parquet_encoding_name(e));
  }
  EXPECT_TRUE(encodings["duckdb_v2.parquet"].count("DELTA_BINARY_PACKED"));
  EXPECT_TRUE(encodings["arrowrs_v1.parquet"].count("RLE_DICTIONARY"));
  EXPECT_TRUE(encodings["arrowrs_v1.parquet"].count("PLAIN"));
  EXPECT_TRUE(encodings["duckdb_v1.parquet"].count("PLAIN_DICTIONARY") || encodings["duckdb_v1.parquet"].count("RLE_DICTIONARY"));

  // arrow-rs's big_str chunk passes the 64 KiB dictionary limit and falls back
  // to PLAIN pages mid-chunk; hyparquet writes v2 page headers. Walk the pages.
  auto page_kinds = [&](const std::string& file, const std::string& column) {
    std::map<std::string, int> kinds;
    fs::path p = scratch_dir() / "fixtures_v1" / file;
    std::string bytes = read_file(p);
    auto md = read_parquet_metadata(p.string());
    for (size_t c = 0; c < md.columns.size(); ++c) {
      if (md.columns[c].name != column) continue;
      const auto& ch = md.row_groups[0].columns[c];
      int64_t pos = ch.dictionary_page_offset ? std::min(*ch.dictionary_page_offset, ch.data_page_offset) : ch.data_page_offset;
      int64_t end = pos + ch.total_compressed_size;
      while (pos < end) {
        parquet_detail::ThriftCompactReader r(reinterpret_cast<const uint8_t*>(bytes.data()) + pos, static_cast<size_t>(end - pos));
        auto h = parquet_detail::parse_page_header(r);
        std::string kind = h.type == 2 ? "dictionary" : h.type == 3 ? "v2:" : "v1:";
        if (h.v1) kind += parquet_encoding_name(h.v1->encoding);
        if (h.v2) kind += parquet_encoding_name(h.v2->encoding);
        ++kinds[kind];
        pos += static_cast<int64_t>(r.position()) + h.compressed_page_size;
      }
    }
    return kinds;
  };
  auto arrow = page_kinds("arrowrs_v1.parquet", "big_str");
  EXPECT_EQ(arrow["dictionary"], 1);
  EXPECT_GT(arrow["v1:RLE_DICTIONARY"], 0);
  EXPECT_GT(arrow["v1:PLAIN"], 0);
  auto hyp = page_kinds("hyparquet.parquet", "id");
  EXPECT_GT(hyp["v2:PLAIN"] + hyp["v2:RLE_DICTIONARY"], 0);
  EXPECT_EQ(hyp["v1:PLAIN"] + hyp["v1:RLE_DICTIONARY"], 0);
  auto arrow2 = page_kinds("arrowrs_v2.parquet", "amount");
  EXPECT_GT(arrow2["v2:RLE_DICTIONARY"] + arrow2["v2:PLAIN"], 0);
  auto duck2 = page_kinds("duckdb_v2.parquet", "ts");
  EXPECT_GT(duck2["v1:DELTA_BINARY_PACKED"], 0);
}

// ---- options -----------------------------------------------------------------

namespace {
fs::path duckdb_v1() {
  for (const auto& p : writer_fixtures())
    if (p.filename() == "duckdb_v1.parquet") return p;
  return {};
}
}  // namespace

TEST(ParquetOptions, ProjectionRowGroupsAndPruning) {
  fs::path p = duckdb_v1();
  if (p.empty()) GTEST_SKIP() << "node / tools/node_modules missing";
  Table all = read_parquet(p.string());
  auto md = read_parquet_metadata(p.string());
  // ROW_GROUP_SIZE 20000 of 60000 rows; DuckDB rounds to its 2048-row vectors.
  ASSERT_EQ(md.row_groups.size(), 3u);
  const int64_t n0 = md.row_groups[0].num_rows, n1 = md.row_groups[1].num_rows, n2 = md.row_groups[2].num_rows;
  ASSERT_EQ(n0 + n1 + n2, 60000);

  ParquetReadOptions o;
  o.columns = {"small_str", "id"};
  Table proj = read_parquet(p.string(), o);
  ASSERT_EQ(proj.column_names(), (std::vector<std::string>{"small_str", "id"}));
  EXPECT_TRUE(proj["id"].equals(all["id"]));
  EXPECT_TRUE(proj["small_str"].equals(all["small_str"]));

  ParquetReadOptions g;
  g.row_groups = std::vector<size_t>{2, 1};
  Table two = read_parquet(p.string(), g);
  ASSERT_EQ(two.num_rows(), n2 + n1);
  EXPECT_TRUE(two["big_str"].slice(0, n2).equals(all["big_str"].slice(n0 + n1, n2)));
  EXPECT_TRUE(two["amount"].slice(n2, n1).equals(all["amount"].slice(n0, n1)));

  auto pruned_rows = [&](std::vector<ParquetPredicate> preds) {
    ParquetReadOptions q;
    q.predicates = std::move(preds);
    q.columns = {"id"};
    return read_parquet(p.string(), q).num_rows();
  };
  using Op = ParquetPredicate::Op;
  // id runs 0..59999 in order, so each row group covers [start, start + n).
  EXPECT_EQ(pruned_rows({{"id", Op::Lt, int64_t{n0}}}), n0);
  EXPECT_EQ(pruned_rows({{"id", Op::Ge, int64_t{n0 + n1}}}), n2);
  EXPECT_EQ(pruned_rows({{"id", Op::Eq, int64_t{n0 + 5}}}), n1);
  EXPECT_EQ(pruned_rows({{"id", Op::Ne, int64_t{n0 + 5}}}), 60000);
  EXPECT_EQ(pruned_rows({{"id", Op::Gt, int64_t{1000000}}}), 0);
  EXPECT_EQ(pruned_rows({{"id", Op::Le, static_cast<double>(n0) - 0.5}}), n0);
  EXPECT_EQ(pruned_rows({{"small_str", Op::Eq, std::string("zzz")}}), 0);
  EXPECT_EQ(pruned_rows({{"small_str", Op::Eq, std::string("Y")}}), 60000);
  EXPECT_EQ(pruned_rows({{"id", Op::Gt, int64_t{10}}, {"id", Op::Lt, int64_t{n0 + 10}}}), n0 + n1);
  EXPECT_EQ(pruned_rows({{"amount", Op::IsNull, {}}}), 60000);
  EXPECT_EQ(pruned_rows({{"id", Op::IsNull, {}}}), 0);
  EXPECT_EQ(pruned_rows({{"ts", Op::Lt, int64_t{0}}}), 0);  // all after 2024
  ParquetReadOptions none;
  none.predicates = {{"id", Op::Gt, int64_t{1000000}}};
  Table empty = read_parquet(p.string(), none);  // every column, no row group left
  EXPECT_EQ(empty.num_rows(), 0);
  EXPECT_EQ(empty.num_columns(), all.num_columns());
  EXPECT_EQ(empty["big_str"].type(), DataType::string());

  EXPECT_NE(error_of(p, ParquetReadOptions{{"nope"}, std::nullopt, {}, {}, 0}).find("no column 'nope'"), std::string::npos);
  ParquetReadOptions bad_rg;
  bad_rg.row_groups = std::vector<size_t>{7};
  EXPECT_NE(error_of(p, bad_rg).find("row group 7"), std::string::npos);
}

TEST(ParquetOptions, ParallelDecodingGivesTheSameTable) {
  std::vector<fs::path> files = writer_fixtures();
  files.push_back(data_dir() / "alltypes_tiny_pages.parquet");
  files.push_back(data_dir() / "delta_encoding_optional_column.parquet");
  std::atomic<int> calls{0};
  ParquetReadOptions par;
  par.parallel_for = [&](std::vector<std::function<void()>>& tasks) {
    ++calls;
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&] {
        for (size_t i; (i = next++) < tasks.size();) tasks[i]();
      });
    for (auto& th : threads) th.join();
  };
  for (const auto& p : files) {
    SCOPED_TRACE(p.filename().string());
    Table a = read_parquet(p.string());
    Table b = read_parquet(p.string(), par);
    ASSERT_EQ(a.num_columns(), b.num_columns());
    for (size_t c = 0; c < a.num_columns(); ++c) EXPECT_TRUE(a.column(c).equals(b.column(c))) << a.column_names()[c];
  }
  EXPECT_EQ(calls.load(), static_cast<int>(files.size()));
  // Errors found by parallel tasks surface the same way.
  std::string err;
  try {
    read_parquet((data_dir() / "nation.dict-malformed.parquet").string(), par);
  } catch (const ParquetError& e) {
    err = e.what();
  }
  EXPECT_NE(err.find("runs past the end"), std::string::npos) << err;
}

// ---- metadata ----------------------------------------------------------------

TEST(ParquetMetadataApi, DescribesSchemaRowGroupsAndStatistics) {
  auto md = read_parquet_metadata((data_dir() / "alltypes_plain.snappy.parquet").string());
  EXPECT_EQ(md.num_rows, 2);
  ASSERT_EQ(md.columns.size(), 11u);
  EXPECT_EQ(md.columns[0].name, "id");
  EXPECT_EQ(md.columns[0].physical_type, ParquetPhysicalType::Int32);
  EXPECT_EQ(md.columns[10].physical_type, ParquetPhysicalType::Int96);
  EXPECT_EQ(md.columns[10].table_type, DataType::timestamp(false));
  ASSERT_EQ(md.row_groups.size(), 1u);
  EXPECT_EQ(parquet_codec_name(md.row_groups[0].columns[0].codec), "SNAPPY");
  EXPECT_EQ(md.schema[0].num_children, 11);

  fs::path p = duckdb_v1();
  if (p.empty()) return;
  auto d = read_parquet_metadata(p.string());
  EXPECT_NE(d.created_by.find("DuckDB"), std::string::npos) << d.created_by;
  const auto& id = d.row_groups[1].columns[0];
  ASSERT_TRUE(id.statistics && id.statistics->min && id.statistics->max);
  const int64_t n0 = d.row_groups[0].num_rows, n1 = d.row_groups[1].num_rows;
  EXPECT_EQ(d.format_statistic(0, *id.statistics->min), std::to_string(n0));
  EXPECT_EQ(d.format_statistic(0, *id.statistics->max), std::to_string(n0 + n1 - 1));
  size_t ts = 7;
  ASSERT_EQ(d.columns[ts].name, "ts");
  EXPECT_EQ(d.format_statistic(ts, *d.row_groups[0].columns[ts].statistics->min), "2024-01-01T00:00:00");
  EXPECT_EQ(d.columns[ts].logical, "TIMESTAMP(isAdjustedToUTC=false, unit=MICROS)");
  EXPECT_EQ(d.columns[ts].table_type, DataType::timestamp(false));
  size_t s = 5;
  EXPECT_EQ(d.format_statistic(s, *d.row_groups[0].columns[s].statistics->min), "\"N\"");
}

TEST(ParquetMetadataApi, TryVariantsReturnErrors) {
  Result<Table> t = try_read_parquet("/nonexistent/x.parquet");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("/nonexistent/x.parquet"), std::string::npos);
  Result<ParquetMetadata> m = try_read_parquet_metadata((corpus_dir() / "README.md").string());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("not a Parquet file"), std::string::npos) << m.status().message();
}

// ---- bad input ---------------------------------------------------------------

TEST(ParquetBadInput, BadDataFilesGiveClearErrors) {
  // ARROW-GH-43605 (dictionary indices with bit width 0) is valid data: every
  // index is 0; DuckDB reads it the same way.
  int refused = 0;
  for (const auto& e : fs::directory_iterator(corpus_dir() / "bad_data")) {
    if (e.path().extension() != ".parquet") continue;
    SCOPED_TRACE(e.path().filename().string());
    std::string err = error_of(e.path());
    if (e.path().filename() == "ARROW-GH-43605.parquet") {
      EXPECT_EQ(err, "");
      auto dump = duckdb_dump(e.path());
      if (dump) {
        EXPECT_EQ(compare_with_dump(read_parquet(e.path().string()), *dump), "");
      }
      continue;
    }
    ++refused;
    EXPECT_NE(err, "");
    EXPECT_NE(err.find(e.path().string()), std::string::npos) << err;
  }
  EXPECT_EQ(refused, 7);
}

namespace {

std::vector<fs::path> robustness_files() {
  std::vector<fs::path> files;
  for (const char* n : {"alltypes_plain.snappy.parquet", "hadoop_lz4_compressed.parquet", "non_hadoop_lz4_compressed.parquet", "alltypes_dictionary.parquet", "delta_byte_array.parquet",
                        "delta_encoding_optional_column.parquet", "byte_stream_split.zstd.parquet", "rle_boolean_encoding.parquet",
                        "int32_with_null_pages.parquet", "fixed_length_decimal.parquet", "lz4_raw_compressed.parquet",
                        "datapage_v1-snappy-compressed-checksum.parquet", "concatenated_gzip_members.parquet",
                        "delta_binary_packed.parquet", "float16_nonzeros_and_nans.parquet", "int96_from_spark.parquet"})
    files.push_back(data_dir() / n);
  return files;
}

// Reads bytes; returns "" on success, the error otherwise. Anything but a
// ParquetError escaping is a test failure.
std::string read_bytes(const std::string& bytes, const std::string& name) {
  Buffer b = Buffer::copy_of(bytes.data(), bytes.size());
  ParquetReadOptions o;
  o.memory_limit = 256u << 20;
  try {
    Table t = read_parquet_buffer(b, name, o);
    // Touch every value so that a wrong buffer would show under ASan.
    for (const auto& c : t.columns()) (void)c.fingerprint();
    return "";
  } catch (const ParquetError& e) {
    return e.what();
  }
}

}  // namespace

TEST(ParquetBadInput, TruncatedFiles) {
  for (const auto& p : robustness_files()) {
    std::string bytes = read_file(p);
    std::string name = p.filename().string() + " (truncated)";
    size_t step = std::max<size_t>(1, bytes.size() / 97);
    for (size_t len = 0; len < bytes.size(); len += (len < 64 ? 1 : step)) {
      std::string err = read_bytes(bytes.substr(0, len), name);
      ASSERT_NE(err, "") << p.filename() << " cut at " << len;
      ASSERT_NE(err.find(name), std::string::npos) << err;
    }
    // The footer kept but data bytes lost: the offsets point past the data.
    if (bytes.size() > 200) {
      std::string hole = bytes.substr(0, 4) + bytes.substr(bytes.size() / 2);
      std::string err = read_bytes(hole, name);
      EXPECT_NE(err, "") << p.filename();
    }
  }
}

TEST(ParquetBadInput, BitFlippedFiles) {
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int ok = 0, errors = 0;
  for (const auto& p : robustness_files()) {
    std::string bytes = read_file(p);
    std::string name = p.filename().string() + " (flipped)";
    for (int k = 0; k < 400; ++k) {
      std::string m = bytes;
      // Half of the flips hit the footer, where a flip changes structure.
      size_t footer = std::min<size_t>(m.size(), 600);
      size_t at = (k % 2) ? m.size() - 1 - next() % footer : next() % m.size();
      m[at] = static_cast<char>(m[at] ^ static_cast<char>(1u << (next() % 8)));
      if (k % 5 == 0) m[at] = static_cast<char>(next());
      std::string err = read_bytes(m, name);
      if (err.empty()) {
        ++ok;
      } else {
        ++errors;
        ASSERT_NE(err.find(name), std::string::npos) << err;
      }
    }
  }
  EXPECT_GT(errors, 100);
  EXPECT_GT(ok, 100);  // many flips land in values and change nothing structural
}

TEST(ParquetBadInput, MemoryLimitRefusesHugeRowCounts) {
  fs::path p = data_dir() / "alltypes_tiny_pages.parquet";  // 7300 rows, 13 columns
  ParquetReadOptions o;
  o.memory_limit = 4096;
  std::string err = error_of(p, o);
  EXPECT_NE(err.find("more than the memory limit of 4096"), std::string::npos) << err;
  o.memory_limit = 64u << 20;
  EXPECT_EQ(error_of(p, o), "");
}
