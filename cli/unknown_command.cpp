#include "unknown_command.h"

#include <string_view>
#include <vector>

namespace baton::cli {

namespace {

std::string command_path(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : " ") + p;
  return out;
}

std::string valid_words(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

}  // namespace

std::optional<std::string> check_command_words(const CLI::App& app, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h" || a == "--version") return std::nullopt;  // CLI11 answers these
  }
  const CLI::App* level = &app;
  std::vector<std::string> path{app.get_name()};
  for (int i = 1; i < argc; ++i) {
    if (level->get_subcommands([](const CLI::App*) { return true; }).empty()) return std::nullopt;
    const std::string_view word = argv[i];
    // Options of a group (there are few: --help) come before its command; a word
    // that is an option is left to CLI11.
    if (word.starts_with("-")) return std::nullopt;
    const CLI::App* next = nullptr;
    try {
      next = level->get_subcommand(std::string(word));
    } catch (const CLI::OptionNotFound&) {
      return "unknown command '" + std::string(word) + "'; the commands of " + command_path(path) +
             " are: " + valid_words(*level) + " (" + command_path(path) + " --help)";
    }
    level = next;
    path.push_back(std::string(word));
  }
  // The line ends at a group that needs a command: say which ones there are.
  if (!level->get_subcommands([](const CLI::App*) { return true; }).empty() &&
      level->get_require_subcommand_min() > 0) {
    return command_path(path) + " needs a command: one of " + valid_words(*level) + " (" + command_path(path) +
           " --help)";
  }
  return std::nullopt;
}

}  // namespace baton::cli
