#pragma once
// Words the command line names as commands, checked before CLI11 parses: CLI11
// itself only says "A subcommand is required" or "arguments were not expected"
// for `baton frobnicate` or `baton flow-run lss`. This names the word and lists
// the commands valid at that place, for every group of the tree.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace baton::cli {

// nullopt when every word in a command position is a known command (or the
// line asks for --help); otherwise the message, e.g.
//   unknown command 'frobnicate'; the commands of baton are: flow-run, task-run, ...
std::optional<std::string> check_command_words(const CLI::App& app, int argc, const char* const* argv);

}  // namespace baton::cli
