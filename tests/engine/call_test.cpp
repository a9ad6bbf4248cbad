#include <baton/baton.h>

#include <gtest/gtest.h>

#include <iostream>

namespace baton {
namespace {

TEST(Smoke, CallsSubmitsAndFlows) {
  auto add = BATON_TASK("add", [](int a, int b) { return a + b; });
  EXPECT_EQ(add(1, 2), 3);
  auto f = add.submit(1, 2);
  auto g = add.submit(f, 10);
  EXPECT_EQ(g.result(), 13);
  auto etl = BATON_FLOW("etl", [&](int n) {
    std::vector<Future<int>> fs = add.map(std::vector<int>{1, 2, 3}, unmapped(n));
    int total = 0;
    for (auto& x : fs) total += x.result();
    std::cout << "total " << total << std::endl;
    return total;
  });
  EXPECT_EQ(etl(10), 36);
  EXPECT_EQ(etl.parameters()[0].name, "n");
}

}  // namespace
}  // namespace baton
