// The `baton` command, run as a user would: its output, its JSON and its exit
// codes, against a run history written through the store.
#include "util/process_info.h"
#include "store/sqlite_run_store.h"
#include "testutil/process.h"

#include <baton/version.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace baton {
namespace {

using engine::Event;
namespace fs = std::filesystem;

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string* intern(const std::string& name) {
  static std::map<std::string, std::unique_ptr<std::string>> names;
  auto& slot = names[name];
  if (!slot) slot = std::make_unique<std::string>(name);
  return slot.get();
}

TimePoint at(long long seconds, int ms = 0) {
  return TimePoint(std::chrono::seconds(seconds)) + std::chrono::milliseconds(ms);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "baton-cli-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    home_ = dir_ / "home";
  }
  void TearDown() override {
    if (std::getenv("BATON_CLI_TEST_KEEP") != nullptr) {  // for looking at the output by hand
      std::printf("kept %s\n", home_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `baton args...` with BATON_HOME pointing at this test's directory.
  Output baton(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv_s = {BATON_CLI_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("BATON_", 0) != 0) env_s.emplace_back(*e);
    }
    env_s.push_back("BATON_HOME=" + home_.string());
    for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    const fs::path out_path = dir_ / "stdout";
    const fs::path err_path = dir_ / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    Output o;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      o.err = "cannot start " + argv_s[0];
      return o;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = slurp(out_path);
    o.err = slurp(err_path);
    return o;
  }

  std::unique_ptr<store::SqliteRunStore> open_store() {
    store::SqliteRunStoreOptions o;
    o.path = home_ / "baton.db";
    o.task_run_write_delay = std::chrono::milliseconds(0);
    auto s = store::SqliteRunStore::open(o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(s).value();
  }

  engine::FlowRunCreated flow(RunId id, const std::string& name, TimePoint created) {
    engine::FlowRunCreated e;
    e.id = id;
    e.flow_name = intern(name);
    e.run_name = name + "-" + id.str().substr(0, 4);
    e.parameters_json = R"({"path": "taxi.parquet", "rows": 1000})";
    e.tags_json = R"(["nightly"])";
    e.version = "2";
    e.created = created;
    e.pid = ::getpid();
    e.process_started = baton::process_start_time(e.pid).value_or(0);
    e.hostname = baton::host_name();
    return e;
  }
  static engine::TaskRunCreated task(RunId id, RunId flow_run, const std::string& name, const std::string& run_name,
                                     TimePoint created) {
    engine::TaskRunCreated e;
    e.id = id;
    e.flow_run = flow_run;
    e.task_name = intern(name);
    e.run_name = run_name;
    e.parameters_json = "{}";
    e.created = created;
    return e;
  }
  static engine::StateChanged fs(RunId id, StateType t, TimePoint when, std::string msg = {}) {
    return {id, engine::RunKind::Flow, t, when, std::move(msg)};
  }
  static engine::StateChanged ts(RunId id, StateType t, TimePoint when, std::string msg = {}) {
    return {id, engine::RunKind::Task, t, when, std::move(msg)};
  }

  // An "etl" run that failed (load -> transform, transform failed), a completed
  // "report" run, and an "etl" run still running in this process.
  void populate() {
    auto store = open_store();
    std::vector<Event> b = {
        flow(etl_, "etl", at(1'700'000'000)),
        fs(etl_, StateType::Running, at(1'700'000'001)),
        task(load_, etl_, "load", "load-taxi.parquet", at(1'700'000'001)),
        ts(load_, StateType::Running, at(1'700'000'001, 100)),
        engine::LogRecorded{etl_, {}, LogLevel::Info, at(1'700'000'001, 50), "flow etl starts"},
        engine::LogRecorded{etl_, load_, LogLevel::Info, at(1'700'000'001, 200), "read 1000 rows\nsecond line"},
        ts(load_, StateType::Completed, at(1'700'000'002, 350)),
        task(transform_, etl_, "transform", "transform-0", at(1'700'000'002, 400)),
        engine::EdgeAdded{etl_, load_, transform_, engine::EdgeKind::Data},
        ts(transform_, StateType::Running, at(1'700'000'002, 500)),
        engine::LogRecorded{etl_, transform_, LogLevel::Error, at(1'700'000'002, 600), "division by zero"},
        ts(transform_, StateType::Failed, at(1'700'000'002, 700), "division by zero"),
        fs(etl_, StateType::Failed, at(1'700'000'003), "1 of 2 task runs failed"),
        flow(report_, "report", at(1'700'000'100)),
        fs(report_, StateType::Running, at(1'700'000'101)),
        fs(report_, StateType::Completed, at(1'700'000'161, 500)),
        flow(live_, "etl", at(1'700'000'200)),
        fs(live_, StateType::Running, at(1'700'000'201)),
    };
    store->write(b);
  }

  fs::path dir_;
  fs::path home_;
  RunId etl_{0x1111111100004000ull, 0x8000000000000001ull};
  RunId report_{0x2222222200004000ull, 0x8000000000000002ull};
  RunId live_{0x1111111200004000ull, 0x8000000000000003ull};  // shares "1111111" with etl_
  RunId load_{0xaaaaaaaa00004000ull, 0x8000000000000004ull};
  RunId transform_{0xbbbbbbbb00004000ull, 0x8000000000000005ull};
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

TEST_F(CliTest, FlowRunLsOnAnEmptyHistory) {
  Output o = baton({"flow-run", "ls"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("No flow runs"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::exists(home_ / "baton.db"));
  Output j = baton({"flow-run", "ls", "--json"});
  EXPECT_EQ(j.code, 0);
  EXPECT_EQ(nlohmann::json::parse(j.out), nlohmann::json::array());
}

TEST_F(CliTest, FlowRunLsListsNewestFirstWithFilters) {
  populate();
  Output o = baton({"flow-run", "ls"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto l = lines(o.out);
  ASSERT_EQ(l.size(), 4u) << o.out;
  EXPECT_EQ(l[0].rfind("ID", 0), 0u);
  EXPECT_NE(l[0].find("STATE"), std::string::npos);
  EXPECT_EQ(l[1].rfind("11111112", 0), 0u) << l[1];  // newest first, 8-char ids
  EXPECT_NE(l[1].find("Running"), std::string::npos);
  EXPECT_EQ(l[2].rfind("22222222", 0), 0u) << l[2];
  EXPECT_NE(l[2].find("Completed"), std::string::npos);
  EXPECT_NE(l[2].find("1m00s"), std::string::npos) << l[2];  // 101 s -> 161.5 s
  EXPECT_EQ(l[3].rfind("11111111", 0), 0u);
  EXPECT_NE(l[3].find("Failed"), std::string::npos);
  // Columns line up: STATE starts at the same offset in every line.
  const auto col = l[0].find("STATE");
  for (std::size_t i = 1; i < l.size(); ++i) {
    const auto s = l[i].find_first_of("RCF", col);
    EXPECT_EQ(s, col) << l[i];
  }

  Output etl = baton({"flow-run", "ls", "--flow", "etl"});
  EXPECT_EQ(lines(etl.out).size(), 3u) << etl.out;
  Output failed = baton({"flow-run", "ls", "--state", "failed"});
  ASSERT_EQ(lines(failed.out).size(), 2u) << failed.out;
  EXPECT_EQ(lines(failed.out)[1].rfind("11111111", 0), 0u);
  Output one = baton({"flow-run", "ls", "--limit", "1"});
  EXPECT_EQ(lines(one.out).size(), 2u);
  Output none = baton({"flow-run", "ls", "--flow", "nosuch"});
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.out.find("No flow runs match"), std::string::npos);

  Output j = baton({"flow-run", "ls", "--json", "--flow", "etl"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0]["id"], live_.str());
  EXPECT_EQ(parsed[1]["id"], etl_.str());
  EXPECT_EQ(parsed[1]["state"], "Failed");
  EXPECT_EQ(parsed[1]["state_type"], "FAILED") << "Prefect's state type beside the name";
  EXPECT_EQ(parsed[1]["state_message"], "1 of 2 task runs failed");
  EXPECT_EQ(parsed[1]["parameters"]["rows"], 1000);
  EXPECT_EQ(parsed[1]["task_run_count"], 2);
  EXPECT_EQ(parsed[1]["created"], "2023-11-14T22:13:20.000000Z");
  EXPECT_DOUBLE_EQ(parsed[1]["duration_seconds"].get<double>(), 2.0);
}

TEST_F(CliTest, FlowRunInspectShowsEverything) {
  populate();
  Output o = baton({"flow-run", "inspect", "11111111"});
  ASSERT_EQ(o.code, 0) << o.err;
  for (const std::string& expected :
       {etl_.str(), std::string("Failed: 1 of 2 task runs failed"), std::string("version 2"), std::string("Parameters"),
        std::string("\"taxi.parquet\""), std::string("rows"), std::string("State history"), std::string("Pending"),
        std::string("Running"), std::string("Task runs (2)"), std::string("load-taxi.parquet"),
        std::string("transform-0"), std::string("1.25s"), std::string("200ms"), std::string("division by zero"),
        std::string("Dependencies (1)"), std::string("aaaaaaaa load-taxi.parquet"), std::string("bbbbbbbb transform-0"),
        std::string("data"), std::string("pid " + std::to_string(::getpid()))}) {
    EXPECT_NE(o.out.find(expected), std::string::npos) << "missing '" << expected << "' in\n" << o.out;
  }
  Output full = baton({"flow-run", "inspect", etl_.str()});
  EXPECT_EQ(full.out, o.out);

  Output j = baton({"flow-run", "inspect", "11111111", "--json"});
  ASSERT_EQ(j.code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["id"], etl_.str());
  ASSERT_EQ(parsed["state_history"].size(), 3u);
  EXPECT_EQ(parsed["state_history"][2]["state"], "Failed");
  EXPECT_EQ(parsed["state_history"][1]["state_type"], "RUNNING");
  ASSERT_EQ(parsed["task_runs"].size(), 2u);
  EXPECT_EQ(parsed["task_runs"][1]["state_type"], "FAILED");
  EXPECT_EQ(parsed["task_runs"][0]["run_name"], "load-taxi.parquet");
  EXPECT_DOUBLE_EQ(parsed["task_runs"][0]["duration_seconds"].get<double>(), 1.25);
  EXPECT_EQ(parsed["task_runs"][1]["state"], "Failed");
  ASSERT_EQ(parsed["dependencies"].size(), 1u);
  EXPECT_EQ(parsed["dependencies"][0]["upstream"], load_.str());
  EXPECT_EQ(parsed["dependencies"][0]["downstream"], transform_.str());
  EXPECT_EQ(parsed["dependencies"][0]["kind"], "data");
}

TEST_F(CliTest, UnknownAmbiguousAndMalformedIdsAreClearErrors) {
  populate();
  Output unknown = baton({"flow-run", "inspect", "deadbeef"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(unknown.out.empty());
  EXPECT_NE(unknown.err.find("no flow run with id deadbeef"), std::string::npos) << unknown.err;

  Output ambiguous = baton({"flow-run", "inspect", "1111111"});
  EXPECT_EQ(ambiguous.code, 1);
  EXPECT_NE(ambiguous.err.find("ambiguous"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find(etl_.str()), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find(live_.str()), std::string::npos) << ambiguous.err;

  Output malformed = baton({"flow-run", "logs", "xyz!"});
  EXPECT_EQ(malformed.code, 1);
  EXPECT_NE(malformed.err.find("not a flow run id"), std::string::npos) << malformed.err;

  for (const auto& cmd : {std::vector<std::string>{"task-run", "ls", "--flow-run", "deadbeef"},
                          std::vector<std::string>{"flow-run", "cancel", "deadbeef"},
                          std::vector<std::string>{"flow-run", "logs", "deadbeef"}}) {
    Output o = baton(cmd);
    EXPECT_EQ(o.code, 1) << cmd[0] << " " << cmd[1];
    EXPECT_NE(o.err.find("no flow run with id deadbeef"), std::string::npos) << o.err;
  }
}

TEST_F(CliTest, BadArgumentsExitWithUsageErrors) {
  for (const auto& args : {std::vector<std::string>{}, std::vector<std::string>{"flow-run"},
                           std::vector<std::string>{"flow-run", "ls", "--limit", "0"},
                           std::vector<std::string>{"flow-run", "ls", "--limit", "many"},
                           std::vector<std::string>{"flow-run", "ls", "--state", "Sleeping"},
                           std::vector<std::string>{"flow-run", "inspect"},
                           std::vector<std::string>{"flow-run", "ls", "--bogus"},
                           std::vector<std::string>{"task-run", "ls"}, std::vector<std::string>{"nonsense"}}) {
    Output o = baton(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(o.code, 2) << joined << "\nstdout: " << o.out << "\nstderr: " << o.err;
    EXPECT_FALSE(o.err.empty()) << joined;
  }
  Output bad_state = baton({"flow-run", "ls", "--state", "Sleeping"});
  EXPECT_NE(bad_state.err.find("--state Sleeping: unknown state"), std::string::npos) << bad_state.err;
  Output help = baton({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("flow-run"), std::string::npos);
  EXPECT_NE(help.out.find("task-run"), std::string::npos);
  EXPECT_NE(help.out.find("config"), std::string::npos);
}

TEST_F(CliTest, AnUnknownCommandIsNamedWithTheValidOnesInEveryGroup) {
  Output top = baton({"frobnicate"});
  EXPECT_EQ(top.code, 2);
  EXPECT_NE(top.err.find("unknown command 'frobnicate'"), std::string::npos) << top.err;
  for (const char* group : {"flow-run", "task-run", "cache", "parquet", "taxi", "config"}) {
    EXPECT_NE(top.err.find(group), std::string::npos) << group << " not listed in: " << top.err;
  }
  EXPECT_EQ(top.err.find("A subcommand is required"), std::string::npos) << top.err;

  struct Case {
    std::vector<std::string> args;
    std::string word;
    std::vector<std::string> valid;
  };
  for (const Case& c : {Case{{"flow-run", "lss"}, "lss", {"ls", "inspect", "logs", "cancel"}},
                        Case{{"task-run", "list"}, "list", {"ls"}},
                        Case{{"cache", "purge"}, "purge", {"ls", "inspect", "clear"}},
                        Case{{"parquet", "dump", "x.parquet"}, "dump", {"schema", "meta", "head", "cat"}},
                        Case{{"taxi", "make"}, "make", {"generate"}}}) {
    Output o = baton(c.args);
    EXPECT_EQ(o.code, 2) << c.word;
    EXPECT_NE(o.err.find("unknown command '" + c.word + "'"), std::string::npos) << o.err;
    EXPECT_NE(o.err.find(c.args[0]), std::string::npos) << "the group is named: " << o.err;
    for (const auto& v : c.valid) EXPECT_NE(o.err.find(v), std::string::npos) << v << " not listed in: " << o.err;
  }
  // A group given without its command lists the commands too.
  Output bare = baton({"parquet"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_NE(bare.err.find("baton parquet needs a command: one of schema, meta, head, cat"), std::string::npos)
      << bare.err;
  // Help still works in every group.
  EXPECT_EQ(baton({"flow-run", "--help"}).code, 0);
}

TEST_F(CliTest, VersionComesFromTheProjectVersion) {
  Output o = baton({"--version"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "baton " BATON_VERSION_STRING "\n");
}

// Many flow runs with long parameters: a history of many pages.
void write_many_runs(store::SqliteRunStore& store, int n) {
  std::vector<Event> b;
  for (int i = 0; i < n; ++i) {
    RunId id{0x3000000000004000ull + static_cast<std::uint64_t>(i), 0x8000000000000000ull + static_cast<std::uint64_t>(i)};
    engine::FlowRunCreated e;
    e.id = id;
    e.flow_name = intern("bulk");
    e.run_name = "bulk-" + std::to_string(i);
    e.parameters_json = "{\"pad\": \"" + std::string(400, 'p') + "\"}";
    e.tags_json = "[]";
    e.created = at(1'700'000'000 + i);
    b.push_back(e);
    b.push_back(engine::StateChanged{id, engine::RunKind::Flow, StateType::Completed, at(1'700'000'000 + i, 5), ""});
  }
  store.write(b);
}

TEST_F(CliTest, ADamagedHistoryIsReportedAsDamagedNamingTheFile) {
  {
    auto store = open_store();
    write_many_runs(*store, 400);
  }  // closed: the WAL is checkpointed into baton.db
  const fs::path db = home_ / "baton.db";
  ASSERT_FALSE(fs::exists(home_ / "baton.db-wal") && fs::file_size(home_ / "baton.db-wal") > 0);
  const auto size = fs::file_size(db);
  ASSERT_GT(size, 64u * 4096u) << "the history should span many pages";
  {
    // Pages in the middle overwritten with bytes no page holds.
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    std::string junk(size / 2, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919u) >> 3);
    f.seekp(static_cast<std::streamoff>(size / 4 / 4096 * 4096));
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  Output o = baton({"flow-run", "ls", "--limit", "1000"});
  EXPECT_NE(o.code, 0) << "a damaged history listed as if whole:\n" << o.out.substr(0, 2000);
  EXPECT_NE(o.err.find("run history " + db.string() + " is damaged"), std::string::npos) << o.err;
}

TEST_F(CliTest, AReadOnlyHistoryCanBeRead) {
  populate();
  const fs::path db = home_ / "baton.db";
  // Root ignores file modes: then the history's directory becomes a read-only
  // mount, in a mount namespace of its own.
  std::vector<std::string> cmd;
  if (::geteuid() != 0) {
    fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(home_, fs::perms::owner_read | fs::perms::owner_exec);
  } else {
    if (testing::run({"/usr/bin/unshare", "-m", "true"}).exit_code != 0) GTEST_SKIP() << "no mount namespace can be made here";
    cmd = {"/usr/bin/unshare", "-m", "/bin/sh", "-c",
           "mount --bind \"$BATON_HOME\" \"$BATON_HOME\" && mount -o remount,bind,ro \"$BATON_HOME\" && "
           "touch \"$BATON_HOME/probe\" 2>/dev/null && exit 99; exec \"$0\" \"$@\"",
           BATON_CLI_PATH};
  }
  auto run_cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = cmd.empty() ? std::vector<std::string>{BATON_CLI_PATH} : cmd;
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run(argv, {{"BATON_HOME", home_.string()}});
  };
  testing::Output ls = run_cli({"flow-run", "ls"});
  if (::geteuid() != 0) fs::permissions(home_, fs::perms::owner_all);
  ASSERT_NE(ls.exit_code, 99) << "the mount did not become read-only";
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  EXPECT_NE(ls.out.find("etl"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("report"), std::string::npos) << ls.out;
  testing::Output logs = run_cli({"flow-run", "logs", etl_.str()});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("division by zero"), std::string::npos) << logs.out;
  testing::Output cancel = run_cli({"flow-run", "cancel", live_.str()});
  EXPECT_NE(cancel.exit_code, 0);
  EXPECT_NE(cancel.err.find("read-only"), std::string::npos) << cancel.err;
  if (::geteuid() != 0) fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(CliTest, FlowRunResumeLetsAPausedRunGoOnAndRefusesOthers) {
  populate();
  open_store()->write(std::vector<Event>{fs(live_, StateType::Paused, at(1'700'000'202), "waiting")});
  Output ok = baton({"flow-run", "resume", live_.str()});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(fs::exists(home_ / "resume" / live_.str())) << "pause_flow_run waits for this file";
  Output refused = baton({"flow-run", "resume", etl_.str()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("is not paused: its state is Failed"), std::string::npos) << refused.err;
}

TEST_F(CliTest, FlowRunLogsInOrderWithTheirSource) {
  populate();
  Output o = baton({"flow-run", "logs", "11111111"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto l = lines(o.out);
  ASSERT_EQ(l.size(), 4u) << o.out;
  EXPECT_NE(l[0].find("INFO"), std::string::npos);
  EXPECT_NE(l[0].find("flow"), std::string::npos);
  EXPECT_NE(l[0].find("flow etl starts"), std::string::npos);
  EXPECT_NE(l[1].find("load-taxi.parquet"), std::string::npos);
  EXPECT_NE(l[1].find("read 1000 rows"), std::string::npos);
  EXPECT_EQ(l[2].find_first_not_of(' '), l[1].find("read 1000 rows")) << "continuation lines line up\n" << o.out;
  EXPECT_NE(l[3].find("ERROR"), std::string::npos);
  EXPECT_NE(l[3].find("transform-0"), std::string::npos);

  Output j = baton({"flow-run", "logs", "11111111", "--json"});
  ASSERT_EQ(j.code, 0);
  auto parsed = nlohmann::json::parse(j.out);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_TRUE(parsed[0]["task_run"].is_null());
  EXPECT_EQ(parsed[1]["task_run"], load_.str());
  EXPECT_EQ(parsed[1]["message"], "read 1000 rows\nsecond line");
  EXPECT_EQ(parsed[2]["level"], "ERROR");

  Output empty = baton({"flow-run", "logs", "2222"});
  EXPECT_EQ(empty.code, 0);
  EXPECT_NE(empty.out.find("No logs"), std::string::npos);
}

TEST_F(CliTest, TaskRunLs) {
  populate();
  Output o = baton({"task-run", "ls", "--flow-run", "11111111"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto l = lines(o.out);
  ASSERT_EQ(l.size(), 3u) << o.out;
  EXPECT_EQ(l[1].rfind("aaaaaaaa", 0), 0u);
  EXPECT_NE(l[1].find("Completed"), std::string::npos);
  EXPECT_NE(l[1].find("1.25s"), std::string::npos);
  EXPECT_EQ(l[2].rfind("bbbbbbbb", 0), 0u);
  EXPECT_NE(l[2].find("Failed"), std::string::npos);
  EXPECT_NE(l[2].find("division by zero"), std::string::npos);

  Output j = baton({"task-run", "ls", "--flow-run", etl_.str(), "--json"});
  ASSERT_EQ(j.code, 0);
  auto parsed = nlohmann::json::parse(j.out);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0]["id"], load_.str());
  EXPECT_EQ(parsed[0]["task_name"], "load");
  EXPECT_EQ(parsed[1]["state_message"], "division by zero");

  Output none = baton({"task-run", "ls", "--flow-run", "2222"});
  EXPECT_EQ(none.code, 0);
  EXPECT_NE(none.out.find("No task runs"), std::string::npos);
}

TEST_F(CliTest, CancelRecordsTheRequestAndRefusesFinalRuns) {
  populate();
  Output o = baton({"flow-run", "cancel", "11111112"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Cancellation of flow run 11111112"), std::string::npos) << o.out;
  auto store = open_store();
  const std::vector<RunId> active = {live_};
  EXPECT_EQ(store->heartbeat(active), active);
  Output inspect = baton({"flow-run", "inspect", "11111112"});
  EXPECT_NE(inspect.out.find("Cancel"), std::string::npos) << inspect.out;

  Output final_run = baton({"flow-run", "cancel", "2222"});
  EXPECT_EQ(final_run.code, 1);
  EXPECT_NE(final_run.err.find("already Completed"), std::string::npos) << final_run.err;
}

TEST_F(CliTest, MarksRunsOfAKilledProcessCrashedOnStart) {
  const RunId doomed{0x3333333300004000ull, 0x8000000000000006ull};
  const RunId running_task{0x4444444400004000ull, 0x8000000000000007ull};
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = open_store();
    std::vector<Event> b = {flow(doomed, "doomed", at(1'700'000'300)), fs(doomed, StateType::Running, at(1'700'000'301)),
                            task(running_task, doomed, "sleep", "sleep-0", at(1'700'000'302)),
                            ts(running_task, StateType::Running, at(1'700'000'302))};
    store->write(b);
    ::raise(SIGKILL);
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  Output o = baton({"flow-run", "ls"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Crashed"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("marked 1 flow run"), std::string::npos) << o.err;
  Output t = baton({"task-run", "ls", "--flow-run", "33333333", "--json"});
  auto parsed = nlohmann::json::parse(t.out);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]["state"], "Crashed");
  EXPECT_NE(parsed[0]["state_message"].get<std::string>().find("process " + std::to_string(child)), std::string::npos);
  Output again = baton({"flow-run", "ls"});
  EXPECT_TRUE(again.err.empty()) << again.err;  // marked once
}

TEST_F(CliTest, ConfigShowsEverySettingWithItsSource) {
  Output o = baton({"config"}, {{"BATON_LOG_LEVEL", "debug"}, {"BATON_WORKERS", "3"}});
  ASSERT_EQ(o.code, 0) << o.err;
  auto l = lines(o.out);
  ASSERT_GE(l.size(), 11u) << o.out;
  EXPECT_NE(o.out.find("BATON_HOME"), std::string::npos);
  for (const auto& line : l) {
    if (line.rfind("home ", 0) == 0) {
      EXPECT_NE(line.find(home_.string()), std::string::npos) << line;
      EXPECT_NE(line.find("environment"), std::string::npos) << line;
    }
    if (line.rfind("database ", 0) == 0) {
      EXPECT_NE(line.find((home_ / "baton.db").string()), std::string::npos) << line;
      EXPECT_NE(line.find("default"), std::string::npos) << line;
    }
    if (line.rfind("workers ", 0) == 0) {
      EXPECT_NE(line.find("3  "), std::string::npos) << line;
    }
  }
  Output j = baton({"config", "--json"}, {{"BATON_LOG_LEVEL", "debug"}});
  ASSERT_EQ(j.code, 0);
  auto parsed = nlohmann::json::parse(j.out);
  ASSERT_GE(parsed.size(), 10u);
  bool saw_level = false;
  for (const auto& s : parsed) {
    EXPECT_TRUE(s.contains("name") && s.contains("variable") && s.contains("value") && s.contains("source"));
    if (s["name"] == "log_level") {
      saw_level = true;
      EXPECT_EQ(s["source"], "environment");
      EXPECT_EQ(s["value"], "debug");
    }
    if (s["name"] == "task_runner") {
      EXPECT_EQ(s["source"], "default");
    }
  }
  EXPECT_TRUE(saw_level);

  Output bad = baton({"config"}, {{"BATON_WORKERS", "lots"}});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("invalid"), std::string::npos) << bad.out;
  EXPECT_NE(bad.err.find("1 setting has an invalid value"), std::string::npos) << bad.err;
}

TEST_F(CliTest, AnUnusableStoreIsAClearError) {
  fs::create_directories(home_);
  { std::ofstream(home_ / "baton.db") << "definitely not an SQLite database, but long enough to be checked.......\n"; }
  Output o = baton({"flow-run", "ls"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find((home_ / "baton.db").string()), std::string::npos) << o.err;
}

}  // namespace
}  // namespace baton
