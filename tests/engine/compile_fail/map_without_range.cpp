// Must not compile: map with no argument to iterate. The test expects one clear
// static_assert message, not a cascade through the engine's headers.
#include <baton/task.h>

int main() {
  auto add = baton::task("add", [](int a, int b) { return a + b; });
  auto futures = add.map(1, 2);
  return static_cast<int>(futures.size());
}
