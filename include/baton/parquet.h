#pragma once
// Parquet for baton Tables: the reader (parquet_reader.h) and the writer
// (parquet_writer.h). Include this one.
#include <baton/parquet/reader.h>
#include <baton/parquet/writer.h>
