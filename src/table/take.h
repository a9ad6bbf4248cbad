#pragma once
// Gathers rows of a column by index: the kernel behind Table::filter, take
// and group-by. Indices must be in range (callers check); idx_valid, when not
// null, marks indices that are null (their rows become null).
#include <cstdint>

#include <baton/column.h>

namespace baton::detail {

Column take_column(const Column& c, const int64_t* idx, int64_t n, const uint8_t* idx_valid = nullptr);

}  // namespace baton::detail
