// `baton`: look at the run history (flow runs, task runs, logs), cancel a run,
// the result cache, Parquet files, the synthetic taxi data, and the settings. Each command group lives in its own file.
#include "cache_commands.h"
#include "commands.h"
#include "parquet_commands.h"
#include "taxi_commands.h"
#include "unknown_command.h"

#include <baton/version.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  CLI::App app{"baton: workflow orchestration for data pipelines.\n"
               "Shows the run history kept in $BATON_HOME/baton.db, or by the server at BATON_API_URL\n"
               "(see `baton config`)."};
  app.name("baton");
  app.require_subcommand(1);
  app.fallthrough(false);
  app.set_version_flag("--version", "baton " BATON_VERSION_STRING);

  // Every command group, in the order `baton --help` lists them.
  using AddCommands = void (*)(CLI::App&);
  for (AddCommands add : {add_flow_run_commands, add_task_run_commands, baton::add_cache_commands,
                          add_deployment_commands, add_work_pool_commands, add_concurrency_limit_commands,
                          add_artifact_commands, baton::cli::add_parquet_commands, baton::cli::add_taxi_commands,
                          add_server_commands,
                          add_config_commands}) {
    add(app);
  }

  if (auto unknown = baton::cli::check_command_words(app, argc, argv)) {
    std::fprintf(stderr, "baton: error: %s\n", unknown->c_str());
    return baton::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command that failed (it printed why): its own status, not a usage error
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help or the error
    return rc == 0 ? 0 : baton::cli::kExitUsage;
  } catch (const baton::cli::CommandError& e) {
    std::fprintf(stderr, "baton: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: error: %s\n", e.what());
    return baton::cli::kExitFailure;
  }
  return 0;
}
