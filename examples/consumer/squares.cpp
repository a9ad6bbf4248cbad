// A flow in a project outside baton's tree: it maps a task over 1..N, keeps the
// squares in a Table, writes it to Parquet and reads it back.
//
//   ./squares --count 10 --out squares.parquet
//   baton flow-run ls
#include <baton/baton.h>
#include <baton/column_builder.h>
#include <baton/parquet.h>
#include <baton/table.h>
#include <baton/version.h>

#include <cstdint>
#include <iostream>
#include <ranges>
#include <stdexcept>
#include <string>

auto square = BATON_TASK("square", [](std::int64_t x) { return x * x; });

auto squares = BATON_FLOW("squares", [](std::int64_t count, const std::string& out) {
                 if (count < 1 || count > 1'000'000) {
                   throw std::invalid_argument("--count must be from 1 to 1000000, got " + std::to_string(count));
                 }
                 if (out.empty()) throw std::invalid_argument("--out: a Parquet file to write is required");
                 baton::ColumnBuilder<std::int64_t> n;
                 baton::ColumnBuilder<std::int64_t> sq;
                 std::int64_t i = 1;
                 for (const auto& f : square.map(std::views::iota(std::int64_t{1}, count + 1))) {
                   n.append(i++);
                   sq.append(f.result());
                 }
                 baton::write_parquet(baton::Table({"n", "square"}, {n.finish(), sq.finish()}), out);
                 const baton::Table back = baton::read_parquet(out);
                 std::cout << "baton " << BATON_VERSION_STRING << ": " << back.num_rows() << " squares written to "
                           << out << " and read back" << std::endl;
                 return back.num_rows();
               }).log_prints(true);

int main(int argc, char** argv) { return baton::run_main(squares, argc, argv); }
