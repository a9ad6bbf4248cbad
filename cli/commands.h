#pragma once
// The `baton` command: one file per command group, each adding its subcommands
// to the application. main.cpp calls every add_*_commands in turn.
#include <baton/error.h>

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace baton::cli {

// Exit codes: 0 success, 1 a failure (unknown id, a run already final, an
// unreadable store), 2 bad arguments (CLI11's parse errors included).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Thrown by a command to end with a message on stderr and a non-zero exit code.
class CommandError : public Error {
 public:
  explicit CommandError(const std::string& message, int exit_code = kExitFailure)
      : Error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace baton::cli

// `baton flow-run ls|inspect|logs|cancel`
void add_flow_run_commands(CLI::App& app);
// `baton task-run ls`
void add_task_run_commands(CLI::App& app);
// `baton config`
void add_config_commands(CLI::App& app);
// `baton server start | database upgrade`
void add_server_commands(CLI::App& app);
// `baton deploy` and `baton deployment ls|inspect|run|pause|resume|delete`
void add_deployment_commands(CLI::App& app);
// `baton work-pool create|ls|inspect|delete` and `baton worker start`
void add_work_pool_commands(CLI::App& app);
// `baton concurrency-limit create|ls|delete`
void add_concurrency_limit_commands(CLI::App& app);
// `baton artifact ls`
void add_artifact_commands(CLI::App& app);
