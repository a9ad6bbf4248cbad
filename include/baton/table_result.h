#pragma once
// The glue that makes a Table a task result: its fingerprint for cache keys (the
// one the Table remembers, so a key costs nothing for a table hashed before) and
// its serializer for persisted results (baton's columnar table file format).
// The table layer knows nothing of the engine; this header sits at the edge.
#include <baton/fingerprint.h>
#include <baton/serializer.h>
#include <baton/table.h>

#include <cstdint>
#include <functional>

namespace baton {

// Cache keys: the table's remembered XXH3-128 of its columns.
inline void baton_fingerprint(const Table& table, Hasher& hasher) {
  const Column::Fingerprint f = table.fingerprint();
  hasher.update(&f.high, sizeof f.high);
  hasher.update(&f.low, sizeof f.low);
}

namespace detail {
// The size of the table file of `table`, and the file's bytes in pieces.
std::uint64_t table_file_size(const Table& table);
void write_table_file_to(const Table& table, const std::function<void(const void*, std::size_t)>& out);
// Reads a table file from bytes (the table keeps them alive; no further copy).
Table table_from_file_bytes(MutableBuffer bytes);
}  // namespace detail

// Persisted results: a u64 size, then the table file. Binary serializer only (a
// table in JSON would be neither small nor fast; use Parquet for people).
template <class Archive>
void baton_serialize(Archive& ar, Table& table) {
  if constexpr (requires(Archive& a) { a.write_bytes(nullptr, std::size_t{0}); }) {
    ar.write_size(detail::table_file_size(table));
    detail::write_table_file_to(table, [&ar](const void* data, std::size_t size) { ar.write_bytes(data, size); });
  } else if constexpr (requires(Archive& a, void* p) { a.read_bytes(p, std::size_t{0}); }) {
    const std::uint64_t size = ar.read_size(1);  // bounded by the bytes left: a corrupt size cannot allocate
    MutableBuffer bytes(static_cast<std::size_t>(size));
    ar.read_bytes(bytes.data(), static_cast<std::size_t>(size));
    table = detail::table_from_file_bytes(std::move(bytes));
  } else if constexpr (!std::is_same_v<Archive, serialize_detail::ProbeArchive>) {
    throw SerializationError("a Table is persisted with the binary serializer only (Serializer::binary())");
  }
}

}  // namespace baton
