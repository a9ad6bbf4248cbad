// Footer and page-header parsing (Thrift compact, parquet.thrift field ids), the
// Parquet-to-Table type mapping, and the public metadata helpers.
#include "parquet/parquet_metadata.h"

#include <cinttypes>
#include <cmath>
#include <cstring>
#include <functional>

#include "table/time_format.h"

namespace baton {

using parquet_detail::ThriftCompactReader;
using parquet_detail::ThriftType;

namespace {

// Reads a field of the expected type, or skips it when the writer used another
// type (unknown extensions must not derail the parse).
template <class F>
void field(ThriftCompactReader& r, ThriftType got, ThriftType want, F&& read) {
  if (got == want) read();
  else r.skip(got);
}
bool is_bool(ThriftType t) { return t == ThriftType::kTrue || t == ThriftType::kFalse; }

// A struct parser: calls on_field(header) for each field until STOP.
template <class F>
void parse_struct(ThriftCompactReader& r, F&& on_field) {
  r.enter();
  int16_t last = 0;
  for (;;) {
    auto h = r.read_field_header(last);
    if (h.type == ThriftType::kStop) break;
    on_field(h);
  }
  r.leave();
}

template <class F>
void parse_list(ThriftCompactReader& r, ThriftType got, ThriftType elem, F&& on_element) {
  if (got != ThriftType::kList && got != ThriftType::kSet) {
    r.skip(got);
    return;
  }
  auto lh = r.read_list_header();
  if (lh.element_type != elem && !(elem == ThriftType::kTrue && is_bool(lh.element_type))) {
    for (uint32_t i = 0; i < lh.size; ++i) r.skip_element(lh.element_type);
    return;
  }
  for (uint32_t i = 0; i < lh.size; ++i) on_element(i, lh.size);
}

ParquetLogicalType parse_logical_type(ThriftCompactReader& r) {
  ParquetLogicalType lt;
  parse_struct(r, [&](auto h) {
    if (h.type != ThriftType::kStruct) {
      r.skip(h.type);
      return;
    }
    using K = ParquetLogicalType::Kind;
    lt.union_field = h.id;
    switch (h.id) {
      case 1: lt.kind = K::String; r.skip_struct_body(); break;
      case 2: lt.kind = K::Map; r.skip_struct_body(); break;
      case 3: lt.kind = K::List; r.skip_struct_body(); break;
      case 4: lt.kind = K::Enum; r.skip_struct_body(); break;
      case 5:
        lt.kind = K::Decimal;
        parse_struct(r, [&](auto f) {
          if (f.id == 1) field(r, f.type, ThriftType::kI32, [&] { lt.scale = r.read_i32(); });
          else if (f.id == 2) field(r, f.type, ThriftType::kI32, [&] { lt.precision = r.read_i32(); });
          else r.skip(f.type);
        });
        break;
      case 6: lt.kind = K::Date; r.skip_struct_body(); break;
      case 7:
      case 8:
        lt.kind = h.id == 7 ? K::Time : K::Timestamp;
        parse_struct(r, [&](auto f) {
          if (f.id == 1 && is_bool(f.type)) {
            lt.adjusted_to_utc = ThriftCompactReader::field_bool(f.type);
          } else if (f.id == 2 && f.type == ThriftType::kStruct) {
            bool known = false;
            parse_struct(r, [&](auto u) {
              if (u.type == ThriftType::kStruct && u.id >= 1 && u.id <= 3) {
                lt.unit = static_cast<ParquetLogicalType::Unit>(u.id - 1);
                known = true;
                r.skip_struct_body();
              } else {
                r.skip(u.type);
              }
            });
            if (!known) lt.kind = K::Unrecognized;
          } else {
            r.skip(f.type);
          }
        });
        break;
      case 10:
        lt.kind = K::Integer;
        parse_struct(r, [&](auto f) {
          if (f.id == 1) field(r, f.type, ThriftType::kByte, [&] { lt.bit_width = r.read_byte(); });
          else if (f.id == 2 && is_bool(f.type)) lt.is_signed = ThriftCompactReader::field_bool(f.type);
          else r.skip(f.type);
        });
        break;
      case 11: lt.kind = K::Unknown; r.skip_struct_body(); break;
      case 12: lt.kind = K::Json; r.skip_struct_body(); break;
      case 13: lt.kind = K::Bson; r.skip_struct_body(); break;
      case 14: lt.kind = K::Uuid; r.skip_struct_body(); break;
      case 15: lt.kind = K::Float16; r.skip_struct_body(); break;
      case 16: lt.kind = K::Variant; r.skip_struct_body(); break;
      case 17: lt.kind = K::Geometry; r.skip_struct_body(); break;
      case 18: lt.kind = K::Geography; r.skip_struct_body(); break;
      default: lt.kind = K::Unrecognized; r.skip_struct_body(); break;
    }
  });
  return lt;
}

ParquetSchemaElement parse_schema_element(ThriftCompactReader& r) {
  ParquetSchemaElement e;
  bool has_name = false;
  parse_struct(r, [&](auto h) {
    switch (h.id) {
      case 1: field(r, h.type, ThriftType::kI32, [&] {
        int32_t t = r.read_i32();
        if (t < 0 || t > 7) r.fail("unknown physical type " + std::to_string(t));
        e.type = static_cast<ParquetPhysicalType>(t);
      }); break;
      case 2: field(r, h.type, ThriftType::kI32, [&] { e.type_length = r.read_i32(); }); break;
      case 3: field(r, h.type, ThriftType::kI32, [&] {
        int32_t t = r.read_i32();
        if (t < 0 || t > 2) r.fail("unknown repetition type " + std::to_string(t));
        e.repetition = static_cast<ParquetRepetition>(t);
      }); break;
      case 4: field(r, h.type, ThriftType::kBinary, [&] { e.name = r.read_string(); has_name = true; }); break;
      case 5: field(r, h.type, ThriftType::kI32, [&] { e.num_children = r.read_i32(); }); break;
      case 6: field(r, h.type, ThriftType::kI32, [&] { e.converted_type = r.read_i32(); }); break;
      case 7: field(r, h.type, ThriftType::kI32, [&] { e.scale = r.read_i32(); }); break;
      case 8: field(r, h.type, ThriftType::kI32, [&] { e.precision = r.read_i32(); }); break;
      case 9: field(r, h.type, ThriftType::kI32, [&] { e.field_id = r.read_i32(); }); break;
      case 10: field(r, h.type, ThriftType::kStruct, [&] { e.logical_type = parse_logical_type(r); }); break;
      default: r.skip(h.type);
    }
  });
  if (!has_name) r.fail("schema element without a name");
  return e;
}

ParquetStatistics parse_statistics(ThriftCompactReader& r) {
  ParquetStatistics s;
  std::optional<std::string> legacy_min, legacy_max;
  parse_struct(r, [&](auto h) {
    switch (h.id) {
      case 1: field(r, h.type, ThriftType::kBinary, [&] { legacy_max = r.read_string(); }); break;
      case 2: field(r, h.type, ThriftType::kBinary, [&] { legacy_min = r.read_string(); }); break;
      case 3: field(r, h.type, ThriftType::kI64, [&] { s.null_count = r.read_i64(); }); break;
      case 4: field(r, h.type, ThriftType::kI64, [&] { s.distinct_count = r.read_i64(); }); break;
      case 5: field(r, h.type, ThriftType::kBinary, [&] { s.max = r.read_string(); }); break;
      case 6: field(r, h.type, ThriftType::kBinary, [&] { s.min = r.read_string(); }); break;
      case 9: field(r, h.type, ThriftType::kI64, [&] { s.nan_count = r.read_i64(); }); break;
      default: r.skip(h.type);
    }
  });
  if (!s.min && !s.max && (legacy_min || legacy_max)) {
    s.min = legacy_min;
    s.max = legacy_max;
    s.legacy_min_max = true;
  }
  return s;
}

void parse_column_metadata(ThriftCompactReader& r, ParquetColumnChunkInfo& c, bool& has_type) {
  parse_struct(r, [&](auto h) {
    switch (h.id) {
      case 1: field(r, h.type, ThriftType::kI32, [&] {
        int32_t t = r.read_i32();
        if (t < 0 || t > 7) r.fail("unknown physical type " + std::to_string(t));
        c.type = static_cast<ParquetPhysicalType>(t);
        has_type = true;
      }); break;
      case 2: parse_list(r, h.type, ThriftType::kI32, [&](uint32_t, uint32_t) { c.encodings.push_back(r.read_i32()); }); break;
      case 3: {
        std::string path;
        parse_list(r, h.type, ThriftType::kBinary, [&](uint32_t i, uint32_t) {
          if (i) path += '.';
          path += r.read_binary();
        });
        c.path = std::move(path);
        break;
      }
      case 4: field(r, h.type, ThriftType::kI32, [&] { c.codec = r.read_i32(); }); break;
      case 5: field(r, h.type, ThriftType::kI64, [&] { c.num_values = r.read_i64(); }); break;
      case 6: field(r, h.type, ThriftType::kI64, [&] { c.total_uncompressed_size = r.read_i64(); }); break;
      case 7: field(r, h.type, ThriftType::kI64, [&] { c.total_compressed_size = r.read_i64(); }); break;
      case 9: field(r, h.type, ThriftType::kI64, [&] { c.data_page_offset = r.read_i64(); }); break;
      case 11: field(r, h.type, ThriftType::kI64, [&] { c.dictionary_page_offset = r.read_i64(); }); break;
      case 12: field(r, h.type, ThriftType::kStruct, [&] { c.statistics = parse_statistics(r); }); break;
      default: r.skip(h.type);
    }
  });
}

struct ChunkFlags {
  bool has_meta = false, has_type = false, encrypted = false, external = false;
};

ParquetColumnChunkInfo parse_column_chunk(ThriftCompactReader& r, ChunkFlags& flags) {
  ParquetColumnChunkInfo c;
  parse_struct(r, [&](auto h) {
    switch (h.id) {
      case 1: field(r, h.type, ThriftType::kBinary, [&] { if (!r.read_binary().empty()) flags.external = true; }); break;
      case 3: field(r, h.type, ThriftType::kStruct, [&] { flags.has_meta = true; parse_column_metadata(r, c, flags.has_type); }); break;
      case 8: case 9: flags.encrypted = true; r.skip(h.type); break;
      default: r.skip(h.type);
    }
  });
  return c;
}

ParquetRowGroupInfo parse_row_group(ThriftCompactReader& r, const std::string& name, size_t index) {
  ParquetRowGroupInfo g;
  bool has_rows = false;
  parse_struct(r, [&](auto h) {
    switch (h.id) {
      case 1: parse_list(r, h.type, ThriftType::kStruct, [&](uint32_t i, uint32_t) {
        ChunkFlags flags;
        auto c = parse_column_chunk(r, flags);
        std::string where = name + ": row group " + std::to_string(index) + ", column chunk " + std::to_string(i);
        if (flags.encrypted) throw ParquetError(where + " is encrypted; encrypted Parquet files are not supported");
        if (flags.external) throw ParquetError(where + " lives in another file (ColumnChunk.file_path); external column chunks are not supported");
        if (!flags.has_meta || !flags.has_type) throw ParquetError(where + " has no column metadata");
        g.columns.push_back(std::move(c));
      }); break;
      case 2: field(r, h.type, ThriftType::kI64, [&] { g.total_byte_size = r.read_i64(); }); break;
      case 3: field(r, h.type, ThriftType::kI64, [&] { g.num_rows = r.read_i64(); has_rows = true; }); break;
      default: r.skip(h.type);
    }
  });
  if (!has_rows) r.fail("row group " + std::to_string(index) + " without num_rows");
  return g;
}

}  // namespace


// ---- public names ----------------------------------------------------------

std::string to_string(ParquetPhysicalType t) {
  static const char* names[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  int i = static_cast<int>(t);
  return i >= 0 && i < 8 ? names[i] : "UNKNOWN(" + std::to_string(i) + ")";
}

std::string to_string(ParquetRepetition r) {
  static const char* names[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
  int i = static_cast<int>(r);
  return i >= 0 && i < 3 ? names[i] : "UNKNOWN(" + std::to_string(i) + ")";
}

std::string parquet_encoding_name(int32_t e) {
  static const char* names[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED",
                                "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT", "ALP"};
  return e >= 0 && e < 11 ? names[e] : "UNKNOWN(" + std::to_string(e) + ")";
}

std::string parquet_codec_name(int32_t c) {
  static const char* names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
  return c >= 0 && c < 8 ? names[c] : "UNKNOWN(" + std::to_string(c) + ")";
}

std::string parquet_converted_type_name(int32_t c) {
  static const char* names[] = {"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE", "TIME_MILLIS",
                                "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32",
                                "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"};
  return c >= 0 && c < 22 ? names[c] : "UNKNOWN(" + std::to_string(c) + ")";
}

std::string ParquetLogicalType::to_string() const {
  static const char* units[] = {"MILLIS", "MICROS", "NANOS"};
  const char* unit_name = units[static_cast<int>(unit)];
  switch (kind) {
    case Kind::None: return "";
    case Kind::String: return "STRING";
    case Kind::Map: return "MAP";
    case Kind::List: return "LIST";
    case Kind::Enum: return "ENUM";
    case Kind::Decimal: return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case Kind::Date: return "DATE";
    case Kind::Time: return std::string("TIME(isAdjustedToUTC=") + (adjusted_to_utc ? "true" : "false") + ", unit=" + unit_name + ")";
    case Kind::Timestamp: return std::string("TIMESTAMP(isAdjustedToUTC=") + (adjusted_to_utc ? "true" : "false") + ", unit=" + unit_name + ")";
    case Kind::Integer: return std::string("INTEGER(") + std::to_string(bit_width) + "," + (is_signed ? "true" : "false") + ")";
    case Kind::Unknown: return "UNKNOWN";
    case Kind::Json: return "JSON";
    case Kind::Bson: return "BSON";
    case Kind::Uuid: return "UUID";
    case Kind::Float16: return "FLOAT16";
    case Kind::Variant: return "VARIANT";
    case Kind::Geometry: return "GEOMETRY";
    case Kind::Geography: return "GEOGRAPHY";
    case Kind::Unrecognized: return "UNRECOGNIZED(" + std::to_string(union_field) + ")";
  }
  return "";
}

// ---- type mapping ------------------------------------------------------------

namespace parquet_detail {

ColumnMapping map_column(const ParquetSchemaElement& e) {
  using K = ParquetLogicalType::Kind;
  using P = ParquetPhysicalType;
  ColumnMapping m;
  const auto& lt = e.logical_type;
  P phys = e.type.value_or(P::Int32);
  int32_t ct = e.converted_type.value_or(-1);
  m.logical = lt.to_string();
  if (m.logical.empty() && ct >= 0) m.logical = parquet_converted_type_name(ct);
  auto refuse = [&](const std::string& what) {
    m.unsupported = what + " is not supported (column '" + e.name + "', " + to_string(phys) + ")";
    return m;
  };
  auto set = [&](ValueKind k, DataType t) {
    m.kind = k;
    m.type = t;
    return m;
  };
  // The logical type wins when present and known; else the converted type.
  // UNKNOWN (always null) and unrecognized logical types read as their
  // physical type, as other readers do.
  K kind = lt.kind;
  if (kind == K::Unknown || kind == K::Unrecognized) kind = K::None;
  bool is_decimal = kind == K::Decimal || (kind == K::None && ct == 5);
  if (is_decimal) {
    int32_t scale = kind == K::Decimal ? lt.scale : e.scale;
    if (scale < 0 || scale > 76) return refuse("DECIMAL scale " + std::to_string(scale));
    switch (phys) {
      case P::Int32: return set(ValueKind::DecimalInt32, DataType::float64());
      case P::Int64: return set(ValueKind::DecimalInt64, DataType::float64());
      case P::ByteArray: case P::FixedLenByteArray: return set(ValueKind::DecimalBytes, DataType::float64());
      default: return refuse("DECIMAL on " + to_string(phys));
    }
  }
  switch (kind) {
    case K::Map: case K::List: return refuse("nested " + m.logical + " type");
    case K::Bson: case K::Variant: case K::Geometry: case K::Geography:
      return refuse(m.logical + " type");
    default: break;
  }
  if (kind == K::None) {
    switch (ct) {
      case 1: case 2: case 3: return refuse("nested " + m.logical + " type");
      case 20: case 21: return refuse(m.logical + " type");
      default: break;
    }
  }
  switch (phys) {
    case P::Boolean:
      return set(ValueKind::Bool, DataType::boolean());
    case P::Int32: {
      if (kind == K::Date || (kind == K::None && ct == 6)) return set(ValueKind::Date, DataType::date());
      if (kind == K::Time || (kind == K::None && ct == 7)) {
        if (kind == K::Time && lt.unit != ParquetLogicalType::Unit::Millis) return refuse("TIME with unit other than MILLIS on INT32");
        return set(ValueKind::TimeMillis, DataType::int64());
      }
      bool is_unsigned = (kind == K::Integer && !lt.is_signed) || (kind == K::None && (ct == 11 || ct == 12 || ct == 13));
      int width = kind == K::Integer ? lt.bit_width : (ct == 11 || ct == 15) ? 8 : (ct == 12 || ct == 16) ? 16 : 32;
      if (is_unsigned && width >= 32) return set(ValueKind::UInt32, DataType::int64());
      if (kind != K::None && kind != K::Integer && kind != K::Unrecognized) return refuse(m.logical + " on INT32");
      return set(ValueKind::Int32, DataType::int32());
    }
    case P::Int64: {
      if (kind == K::Timestamp) {
        switch (lt.unit) {
          case ParquetLogicalType::Unit::Millis: return set(ValueKind::TimestampMillis, DataType::timestamp(lt.adjusted_to_utc));
          case ParquetLogicalType::Unit::Micros: return set(ValueKind::TimestampMicros, DataType::timestamp(lt.adjusted_to_utc));
          case ParquetLogicalType::Unit::Nanos: return set(ValueKind::TimestampNanos, DataType::timestamp(lt.adjusted_to_utc));
        }
      }
      // A converted type alone means UTC-adjusted (LogicalTypes.md).
      if (kind == K::None && ct == 9) return set(ValueKind::TimestampMillis, DataType::timestamp(true));
      if (kind == K::None && ct == 10) return set(ValueKind::TimestampMicros, DataType::timestamp(true));
      if (kind == K::Time || (kind == K::None && ct == 8)) {
        if (kind == K::Time && lt.unit == ParquetLogicalType::Unit::Nanos) return set(ValueKind::TimeNanos, DataType::int64());
        if (kind == K::Time && lt.unit == ParquetLogicalType::Unit::Millis) return refuse("TIME(MILLIS) on INT64");
        return set(ValueKind::Int64, DataType::int64());
      }
      bool is_unsigned = (kind == K::Integer && !lt.is_signed) || (kind == K::None && ct == 14);
      if (is_unsigned) return set(ValueKind::UInt64, DataType::int64());
      if (kind != K::None && kind != K::Integer && kind != K::Unrecognized) return refuse(m.logical + " on INT64");
      return set(ValueKind::Int64, DataType::int64());
    }
    case P::Int96:
      return set(ValueKind::Int96Timestamp, DataType::timestamp(false));
    case P::Float:
      return set(ValueKind::Float, DataType::float64());
    case P::Double:
      return set(ValueKind::Double, DataType::float64());
    case P::ByteArray:
      return set(ValueKind::String, DataType::string());
    case P::FixedLenByteArray:
      if (e.type_length < 0) return refuse("negative FIXED_LEN_BYTE_ARRAY length");
      if (kind == K::Float16) {
        if (e.type_length != 2) return refuse("FLOAT16 of length " + std::to_string(e.type_length));
        return set(ValueKind::Float16, DataType::float64());
      }
      return set(ValueKind::FixedString, DataType::string());
  }
  return refuse("physical type");
}

// ---- footer ------------------------------------------------------------------

namespace {

struct SchemaWalk {
  const std::vector<ParquetSchemaElement>& schema;
  const std::string& name;
  std::vector<ParquetColumnInfo>& leaves;
  size_t next = 1;

  // Walks the children of the group at `parent` (depth-first); `prefix` is the
  // dotted path so far; `nested_reason` non-empty once inside a nested group.
  void walk(int32_t children, const std::string& prefix, const std::string& nested_reason, int depth) {
    if (depth > 64) throw ParquetError(name + ": schema nests deeper than 64 levels");
    for (int32_t c = 0; c < children; ++c) {
      if (next >= schema.size())
        throw ParquetError(name + ": schema declares more children than it has elements (" + std::to_string(schema.size()) + ")");
      size_t idx = next++;
      const auto& e = schema[idx];
      std::string path = prefix.empty() ? e.name : prefix + "." + e.name;
      bool repeated = e.repetition == ParquetRepetition::Repeated;
      if (e.num_children > 0 || !e.type) {
        if (e.num_children < 0) throw ParquetError(name + ": schema element '" + path + "' has a negative child count");
        std::string reason = nested_reason;
        if (reason.empty()) {
          std::string lt = e.logical_type.to_string();
          if (lt.empty() && e.converted_type) lt = parquet_converted_type_name(*e.converted_type);
          if (lt == "LIST" || lt == "MAP" || lt == "MAP_KEY_VALUE")
            reason = "column '" + path + "' is a nested " + (lt == "LIST" ? std::string("LIST") : std::string("MAP"));
          else if (repeated)
            reason = "column '" + path + "' is a repeated group";
          else
            reason = "column '" + path + "' is a nested struct";
          reason += "; nested columns are not supported (leave them out with ParquetReadOptions::columns)";
        }
        walk(e.num_children, path, reason, depth + 1);
        continue;
      }
      ParquetColumnInfo info;
      info.name = path;
      info.schema_index = static_cast<int32_t>(idx);
      info.physical_type = *e.type;
      info.type_length = e.type_length;
      info.repetition = e.repetition.value_or(ParquetRepetition::Optional);
      auto m = parquet_detail::map_column(e);
      info.logical = m.logical;
      info.table_type = m.type;
      if (!nested_reason.empty())
        info.unsupported = nested_reason;
      else if (repeated)
        info.unsupported = "column '" + path + "' is repeated (a list); nested columns are not supported (leave them out with ParquetReadOptions::columns)";
      else
        info.unsupported = m.unsupported;
      leaves.push_back(std::move(info));
    }
  }
};

}  // namespace

ParquetMetadata parse_file_metadata(const uint8_t* file, size_t size, const std::string& name) {
  if (size < 12) throw ParquetError(name + ": not a Parquet file (" + std::to_string(size) + " bytes, too short)");
  const uint8_t* tail = file + size - 4;
  if (std::memcmp(tail, "PARE", 4) == 0) throw ParquetError(name + ": encrypted footer (PARE); encrypted Parquet files are not supported");
  if (std::memcmp(file, "PAR1", 4) != 0 || std::memcmp(tail, "PAR1", 4) != 0)
    throw ParquetError(name + ": not a Parquet file (missing PAR1 magic at " + (std::memcmp(file, "PAR1", 4) != 0 ? "start" : "end") + ")");
  uint32_t footer_len;
  std::memcpy(&footer_len, file + size - 8, 4);
  if (static_cast<uint64_t>(footer_len) + 12 > size)
    throw ParquetError(name + ": footer length " + std::to_string(footer_len) + " exceeds the file size " + std::to_string(size) + " (truncated file?)");
  size_t footer_start = size - 8 - footer_len;
  ThriftCompactReader r(file + footer_start, footer_len);

  ParquetMetadata md;
  md.path = name;
  md.file_size = static_cast<int64_t>(size);
  md.footer_size = footer_len;
  bool encrypted = false;
  try {
    parse_struct(r, [&](auto h) {
      switch (h.id) {
        case 1: field(r, h.type, ThriftType::kI32, [&] { md.version = r.read_i32(); }); break;
        case 2: parse_list(r, h.type, ThriftType::kStruct, [&](uint32_t, uint32_t) { md.schema.push_back(parse_schema_element(r)); }); break;
        case 3: field(r, h.type, ThriftType::kI64, [&] { md.num_rows = r.read_i64(); }); break;
        case 4: parse_list(r, h.type, ThriftType::kStruct, [&](uint32_t i, uint32_t) { md.row_groups.push_back(parse_row_group(r, name, i)); }); break;
        case 5: parse_list(r, h.type, ThriftType::kStruct, [&](uint32_t, uint32_t) {
          std::string key;
          std::optional<std::string> value;
          parse_struct(r, [&](auto f) {
            if (f.id == 1) field(r, f.type, ThriftType::kBinary, [&] { key = r.read_string(); });
            else if (f.id == 2) field(r, f.type, ThriftType::kBinary, [&] { value = r.read_string(); });
            else r.skip(f.type);
          });
          md.key_value_metadata.emplace_back(std::move(key), std::move(value));
        }); break;
        case 6: field(r, h.type, ThriftType::kBinary, [&] { md.created_by = r.read_string(); }); break;
        case 8: case 9: encrypted = true; r.skip(h.type); break;
        default: r.skip(h.type);
      }
    });
  } catch (const parquet_detail::ThriftError& e) {
    throw ParquetError(name + ": corrupt footer (FileMetaData at byte " + std::to_string(footer_start) + "): " + e.what());
  }
  if (encrypted) throw ParquetError(name + ": encrypted columns (plaintext footer with encryption_algorithm); encrypted Parquet files are not supported");
  if (md.schema.empty()) throw ParquetError(name + ": footer has an empty schema");
  if (md.num_rows < 0) throw ParquetError(name + ": negative row count " + std::to_string(md.num_rows));

  SchemaWalk walk{md.schema, name, md.columns};
  if (md.schema[0].num_children < 0) throw ParquetError(name + ": schema root has a negative child count");
  walk.walk(md.schema[0].num_children, "", "", 0);
  if (walk.next != md.schema.size())
    throw ParquetError(name + ": schema has " + std::to_string(md.schema.size()) + " elements but its tree covers " + std::to_string(walk.next));

  int64_t total_rows = 0;
  for (size_t g = 0; g < md.row_groups.size(); ++g) {
    const auto& rg = md.row_groups[g];
    std::string where = name + ": row group " + std::to_string(g);
    if (rg.columns.size() != md.columns.size())
      throw ParquetError(where + " has " + std::to_string(rg.columns.size()) + " column chunks, the schema has " + std::to_string(md.columns.size()) + " leaf columns");
    if (rg.num_rows < 0) throw ParquetError(where + " has a negative row count");
    if (total_rows > INT64_MAX - rg.num_rows) throw ParquetError(where + ": row counts overflow");
    total_rows += rg.num_rows;
    for (size_t c = 0; c < rg.columns.size(); ++c) {
      const auto& ch = rg.columns[c];
      const auto& col = md.columns[c];
      std::string cw = where + ", column '" + col.name + "'";
      if (ch.type != col.physical_type)
        throw ParquetError(cw + ": chunk type " + to_string(ch.type) + " differs from the schema's " + to_string(col.physical_type));
      int64_t start = ch.dictionary_page_offset && *ch.dictionary_page_offset > 0 ? std::min(*ch.dictionary_page_offset, ch.data_page_offset) : ch.data_page_offset;
      if (start < 0 || ch.total_compressed_size < 0 || ch.num_values < 0 || start > static_cast<int64_t>(footer_start) ||
          ch.total_compressed_size > static_cast<int64_t>(footer_start) - start)
        throw ParquetError(cw + ": column chunk [" + std::to_string(start) + ", +" + std::to_string(ch.total_compressed_size) +
                           ") lies outside the data area of the file (" + std::to_string(footer_start) + " bytes)");
    }
  }
  // FileMetaData.num_rows is informational (some writers leave it 0); the row
  // groups' counts are what the reader relies on.
  (void)total_rows;
  return md;
}

// ---- page headers --------------------------------------------------------------

PageHeader parse_page_header(ThriftCompactReader& r) {
  PageHeader ph;
  parse_struct(r, [&](auto h) {
    switch (h.id) {
      case 1: field(r, h.type, ThriftType::kI32, [&] { ph.type = r.read_i32(); }); break;
      case 2: field(r, h.type, ThriftType::kI32, [&] { ph.uncompressed_page_size = r.read_i32(); }); break;
      case 3: field(r, h.type, ThriftType::kI32, [&] { ph.compressed_page_size = r.read_i32(); }); break;
      case 4: field(r, h.type, ThriftType::kI32, [&] { ph.crc = static_cast<uint32_t>(r.read_i32()); }); break;
      case 5: field(r, h.type, ThriftType::kStruct, [&] {
        DataPageHeaderV1 d;
        parse_struct(r, [&](auto f) {
          switch (f.id) {
            case 1: field(r, f.type, ThriftType::kI32, [&] { d.num_values = r.read_i32(); }); break;
            case 2: field(r, f.type, ThriftType::kI32, [&] { d.encoding = r.read_i32(); }); break;
            case 3: field(r, f.type, ThriftType::kI32, [&] { d.definition_level_encoding = r.read_i32(); }); break;
            case 4: field(r, f.type, ThriftType::kI32, [&] { d.repetition_level_encoding = r.read_i32(); }); break;
            default: r.skip(f.type);
          }
        });
        ph.v1 = d;
      }); break;
      case 7: field(r, h.type, ThriftType::kStruct, [&] {
        DictionaryPageHeader d;
        parse_struct(r, [&](auto f) {
          switch (f.id) {
            case 1: field(r, f.type, ThriftType::kI32, [&] { d.num_values = r.read_i32(); }); break;
            case 2: field(r, f.type, ThriftType::kI32, [&] { d.encoding = r.read_i32(); }); break;
            default: r.skip(f.type);
          }
        });
        ph.dictionary = d;
      }); break;
      case 8: field(r, h.type, ThriftType::kStruct, [&] {
        DataPageHeaderV2 d;
        parse_struct(r, [&](auto f) {
          switch (f.id) {
            case 1: field(r, f.type, ThriftType::kI32, [&] { d.num_values = r.read_i32(); }); break;
            case 2: field(r, f.type, ThriftType::kI32, [&] { d.num_nulls = r.read_i32(); }); break;
            case 3: field(r, f.type, ThriftType::kI32, [&] { d.num_rows = r.read_i32(); }); break;
            case 4: field(r, f.type, ThriftType::kI32, [&] { d.encoding = r.read_i32(); }); break;
            case 5: field(r, f.type, ThriftType::kI32, [&] { d.definition_levels_byte_length = r.read_i32(); }); break;
            case 6: field(r, f.type, ThriftType::kI32, [&] { d.repetition_levels_byte_length = r.read_i32(); }); break;
            case 7:
              if (is_bool(f.type)) d.is_compressed = ThriftCompactReader::field_bool(f.type);
              else r.skip(f.type);
              break;
            default: r.skip(f.type);
          }
        });
        ph.v2 = d;
      }); break;
      default: r.skip(h.type);
    }
  });
  return ph;
}

}  // namespace parquet_detail
}  // namespace baton
