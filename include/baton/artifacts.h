#pragma once
// Artifacts: something a task or flow wants a person to see beside the run (a
// report in Markdown, a link to a dashboard, a small table of figures). Each call
// creates a new version of the artifact with that key, attributed to the calling
// flow run and task run (none outside a run).
//
// With BATON_API_URL set the artifact is posted to the server (POST /artifacts)
// and listed by `baton artifact ls` and on the run's page; without a server it is
// not kept (the local SQLite history has no artifacts), and the call only checks
// its arguments. A server that refuses it (bad key, more than 1 MiB) or cannot
// be reached is reported on stderr; the run goes on.
#include <string>
#include <vector>

namespace baton {

class Table;

// key: lowercase letters, digits and dashes (throws baton::Error otherwise).
void create_markdown_artifact(const std::string& key, const std::string& markdown,
                              const std::string& description = "");
void create_link_artifact(const std::string& key, const std::string& url, const std::string& text = "",
                          const std::string& description = "");
// The first row is the header.
void create_table_artifact(const std::string& key, const std::vector<std::vector<std::string>>& rows,
                           const std::string& description = "");
// Every cell as Table::head shows it (link the `baton` library).
void create_table_artifact(const std::string& key, const Table& table, const std::string& description = "");

}  // namespace baton
