// A flow program that includes <baton/flow.h> and <baton/task.h> only, not
// <baton/baton.h>: linking the umbrella library is enough for its runs to be
// recorded (the defaults are wired by an object file, not by a header).
#include <baton/flow.h>
#include <baton/task.h>

#include <cstdio>

auto twice = BATON_TASK("twice", [](int x) { return 2 * x; });

auto doubled = BATON_FLOW("two_headers", [](int x) { return twice(x); });

int main() {
  std::printf("%d\n", doubled(21));
  return 0;
}
