#pragma once
// `baton cache ls | inspect KEY | clear [--expired] [--task NAME]`: the persisted
// results of the configured result storage (BATON_RESULT_STORAGE, or --storage).
namespace CLI {
class App;
}

namespace baton {

// Adds the `cache` command group to `app`. Failures print a message naming the
// storage or key to stderr and exit with status 1 (CLI::RuntimeError).
void add_cache_commands(CLI::App& app);

}  // namespace baton
