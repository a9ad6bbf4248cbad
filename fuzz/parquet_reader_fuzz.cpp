// libFuzzer target for the Parquet reader: any byte string must either read or
// fail with ParquetError, never crash, hang or read out of bounds (ASan+UBSan).
// Built only with -DBATON_FUZZ=ON and clang; run with `make fuzz`.
#include <baton/parquet/reader.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  baton::Buffer bytes = baton::Buffer::copy_of(data, size);
  baton::ParquetReadOptions options;
  options.memory_limit = 256u << 20;  // corrupt row counts must not exhaust the fuzzer's RSS limit
  try {
    baton::Table t = baton::read_parquet_buffer(bytes, "fuzz-input", options);
    for (const auto& c : t.columns()) (void)c.fingerprint();  // touch every value
  } catch (const baton::ParquetError&) {
  }
  try {
    baton::ParquetMetadata md = baton::read_parquet_metadata_buffer(bytes, "fuzz-input");
    for (const auto& rg : md.row_groups)
      for (size_t c = 0; c < rg.columns.size(); ++c)
        if (rg.columns[c].statistics && rg.columns[c].statistics->min)
          (void)md.format_statistic(c, *rg.columns[c].statistics->min);
  } catch (const baton::ParquetError&) {
  }
  return 0;
}
