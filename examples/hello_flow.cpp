// The smallest useful flow: tasks called directly, submitted, mapped and retried,
// with prints captured into the run's log.
//
//   ./hello_flow --name world --count 5
//   baton flow-run ls
//   baton flow-run logs <id>
#include <baton/baton.h>

#include <iostream>
#include <stdexcept>
#include <string>

auto greet = BATON_TASK("greet", [](const std::string& name) {
  std::cout << "hello, " << name << "!" << std::endl;
  return "hello " + name;
});

auto square = BATON_TASK("square", [](int x) { return x * x; }).task_run_name("square-{x}");

// Fails its first attempt, the way a flaky network call does; the retry succeeds.
auto flaky_sum = BATON_TASK("flaky_sum", [](const std::vector<int>& values) {
                   static int attempts = 0;
                   if (++attempts == 1) throw std::runtime_error("connection reset (first attempt)");
                   long total = 0;
                   for (int v : values) total += v;
                   return total;
                 }).retries(2);

auto hello = BATON_FLOW("hello", [](const std::string& name, int count) {
               if (count < 0 || count > 1'000'000) {
                 throw std::invalid_argument("--count must be from 0 to 1000000, got " + std::to_string(count));
               }
               greet(name);
               auto squares = square.map(std::views::iota(1, count + 1));
               std::vector<int> values;
               for (const auto& f : squares) values.push_back(f.result());
               long total = flaky_sum(values);
               std::cout << "sum of the first " << count << " squares: " << total << std::endl;
               return total;
             })
                 .description("greets, squares some numbers in parallel and adds them up")
                 .log_prints(true);

int main(int argc, char** argv) { return baton::run_main(hello, argc, argv); }
