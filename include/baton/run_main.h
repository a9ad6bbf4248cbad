#pragma once
// Turns a flow into a program: `./etl --path taxi.parquet`, `./etl --help`.
#include <baton/flow.h>

#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace baton {

namespace detail {

struct CommandLineParameter {
  ParameterInfo info;
  std::function<bool(std::string_view)> parse;  // false: not a valid value of the type
  std::function<bool()> is_set;
};

// Parses --name value / --name=value / --help. Returns an exit code to stop with
// (0 after --help, 2 for bad arguments, with a message on stderr), or nullopt to run.
std::optional<int> parse_command_line(const std::string& flow_name, const std::string& description,
                                      std::vector<CommandLineParameter>& params, int argc, char** argv);
// Runs the flow call, reports its final state and where to look, flushes the run
// history and returns the exit code (0 only for Completed).
int run_flow_program(const std::function<void()>& call);

}  // namespace detail

template <class R, class... Args>
int run_main(const Flow<R(Args...)>& flow, int argc, char** argv) {
  std::tuple<std::optional<std::remove_cvref_t<Args>>...> values;
  std::vector<ParameterInfo> infos = flow.parameters();
  std::vector<detail::CommandLineParameter> params;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (params.push_back({infos[I],
                       [&values](std::string_view text) {
                         using T = std::remove_cvref_t<std::tuple_element_t<I, std::tuple<Args...>>>;
                         auto v = detail::parse_value<T>(text);
                         if (!v) return false;
                         std::get<I>(values) = std::move(*v);
                         return true;
                       },
                       [&values] { return std::get<I>(values).has_value(); }}),
     ...);
  }(std::index_sequence_for<Args...>{});
  if (auto code = detail::parse_command_line(flow.name(), flow.options().description, params, argc, argv)) {
    return *code;
  }
  return detail::run_flow_program([&] {
    std::apply(
        [&](auto&... v) {
          (void)flow((v ? *v : std::remove_cvref_t<decltype(*v)>{})...);
        },
        values);
  });
}

}  // namespace baton
