#pragma once
// Parquet for baton Tables, the parquet layer in one include: the reader
// (<baton/parquet/reader.h>) and the writer (<baton/parquet/writer.h>).
#include <baton/parquet/reader.h>
#include <baton/parquet/writer.h>
