#pragma once
// The settings of the results layer, read from the environment like every baton
// setting (engine/settings.h): where results go by default and whether they are
// persisted by default.
//
//   BATON_RESULT_STORAGE   a directory path (default $BATON_HOME/storage),
//                          "memory", or s3://bucket/prefix (include/baton/s3.h)
//   BATON_PERSIST_RESULTS  true/false (default false): persist every task's result
//                          unless the task says otherwise
#include <baton/result_storage.h>
#include <baton/status.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace baton::results {

// The configured location, as text (the default filled in).
std::string storage_location();
// BATON_PERSIST_RESULTS; an unparseable value throws std::invalid_argument naming it.
bool persist_results_by_default();
// Opens the storage a location names (a directory, "memory", "s3://bucket/prefix");
// an error for a scheme this build does not know.
Result<std::shared_ptr<ResultStorage>> open_storage(std::string_view location);
// open_storage(storage_location()).
Result<std::shared_ptr<ResultStorage>> open_default_storage();
// Where file locks live: $BATON_HOME/locks.
std::filesystem::path locks_dir();

}  // namespace baton::results
