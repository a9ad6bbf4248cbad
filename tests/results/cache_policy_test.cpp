#include <baton/cache_policy.h>
#include <baton/fingerprint.h>

#include <gtest/gtest.h>

#include <vector>

namespace baton::cache {
namespace {

// The engine's side, in miniature: fingerprints of the arguments, then the policy.
struct Call {
  std::string task = "transform";
  std::string source = "[](int a, int b) { return a + b; }";
  RunId flow_run{11, 22};
  std::optional<Fingerprint> params = fingerprint_of(std::string("flow-params"));
  std::vector<std::pair<std::string, std::optional<Fingerprint>>> args = {
      {"a", fingerprint_of(1)}, {"b", fingerprint_of(2)}, {"verbose", fingerprint_of(true)}};

  std::optional<std::string> key(const Policy& p) const {
    std::vector<Argument> a;
    for (const auto& [name, f] : args) a.push_back({name, f});
    KeyContext c{task, source, flow_run, params, a};
    return p(c);
  }
};

TEST(CachePolicy, ConstantsComposeAtCompileTime) {
  static_assert(default_policy == inputs + task_source + run_id);
  static_assert(inputs + task_source == task_source + inputs);
  static_assert(none + inputs == inputs);
  EXPECT_EQ(Policy(default_policy).describe(), "inputs + task_source + run_id");
  EXPECT_EQ((inputs - "verbose" + task_source).describe(), "inputs - \"verbose\" + task_source");
}

TEST(CachePolicy, NoneGivesNoKey) {
  Call c;
  EXPECT_FALSE(c.key(none));
  EXPECT_TRUE(Policy(none).is_none());
  EXPECT_FALSE(c.key(Policy()));
  EXPECT_EQ(c.key(none + inputs), c.key(inputs));
}

TEST(CachePolicy, KeyIsStableHexAndOrderIndependent) {
  Call c;
  auto k = c.key(inputs + task_source);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->size(), 32u);
  EXPECT_TRUE(Fingerprint::parse(*k));
  EXPECT_EQ(c.key(inputs + task_source), k);
  EXPECT_EQ(c.key(task_source + inputs), k);
  EXPECT_EQ(c.key(Policy(task_source) + Policy(inputs)), k);
}

TEST(CachePolicy, InputsFollowArgumentValues) {
  Call c;
  const auto k1 = c.key(inputs);
  c.args[0].second = fingerprint_of(100);
  EXPECT_NE(c.key(inputs), k1);
  // The source and run do not matter to `inputs` alone.
  Call d;
  d.source = "other";
  d.flow_run = RunId{1, 1};
  EXPECT_EQ(d.key(inputs), k1);
}

TEST(CachePolicy, InputsMinusArgumentIgnoresThatArgument) {
  Call c;
  const auto k1 = c.key(inputs - "verbose");
  c.args[2].second = fingerprint_of(false);
  EXPECT_EQ(c.key(inputs - "verbose"), k1);
  EXPECT_NE(c.key(inputs), Call().key(inputs));  // without the exclusion it matters
  c.args[0].second = fingerprint_of(5);
  EXPECT_NE(c.key(inputs - "verbose"), k1);  // other arguments still do
  // Subtraction applies inside compound policies and is idempotent.
  Call e;
  EXPECT_EQ(e.key((inputs + task_source) - "verbose"), e.key(inputs - "verbose" + task_source));
  EXPECT_EQ(e.key(inputs - "verbose" - "verbose"), e.key(inputs - "verbose"));
  EXPECT_EQ(e.key(inputs - "no_such_argument"), e.key(inputs));
}

TEST(CachePolicy, ExcludedArgumentsAreNeverInKeys) {
  Call c;
  c.args[2].second = std::nullopt;  // quote(x): the engine passes no fingerprint
  const auto k = c.key(inputs);
  c.args[2].second = std::nullopt;
  EXPECT_EQ(c.key(inputs), k);
  EXPECT_EQ(c.key(inputs), Call().key(inputs - "verbose"));
}

TEST(CachePolicy, TaskSourceChangesWhenTheTextChanges) {
  Call c;
  const auto k1 = c.key(task_source);
  c.source = "[](int a, int b) { return a * b; }";
  EXPECT_NE(c.key(task_source), k1);
  c.source = "v2";  // an explicit version string stands in for the source
  const auto kv = c.key(task_source);
  EXPECT_EQ(c.key(task_source), kv);
  EXPECT_NE(kv, k1);
}

TEST(CachePolicy, RunIdAndFlowParameters) {
  Call c;
  const auto k_run = c.key(run_id);
  const auto k_params = c.key(flow_parameters);
  c.flow_run = RunId{33, 44};
  EXPECT_NE(c.key(run_id), k_run);
  EXPECT_EQ(c.key(flow_parameters), k_params);
  c.params = fingerprint_of(std::string("other params"));
  EXPECT_NE(c.key(flow_parameters), k_params);
  c.params.reset();
  EXPECT_NE(c.key(flow_parameters), k_params);
}

TEST(CachePolicy, PartsThatContributeNothingDoNotChangeTheKey) {
  Call c;
  c.source = "";
  c.flow_run = RunId{};
  EXPECT_EQ(c.key(Policy(default_policy) - "b"), c.key(run_id + (inputs - "b")));
  EXPECT_EQ(c.key(inputs + task_source), c.key(inputs));
  c.params.reset();
  EXPECT_EQ(c.key(inputs + flow_parameters), c.key(inputs));
  // A part that does contribute still changes it.
  c.source = "v1";
  EXPECT_NE(c.key(inputs + task_source), c.key(inputs));
}

TEST(CachePolicy, TaskNameSeparatesTasks) {
  Call a, b;
  b.task = "load";
  EXPECT_NE(a.key(inputs), b.key(inputs));
}

TEST(CachePolicy, CustomKeyFunction) {
  Call c;
  auto by_a = Policy::custom([](const KeyContext& ctx) -> std::optional<std::string> {
    return "a-" + ctx.arguments[0].fingerprint->str().substr(0, 8);
  });
  const auto k = c.key(by_a);
  ASSERT_TRUE(k);
  EXPECT_TRUE(k->starts_with("a-"));  // alone: used verbatim
  auto refuse = Policy::custom([](const KeyContext&) { return std::optional<std::string>(); });
  EXPECT_FALSE(c.key(refuse));
  EXPECT_FALSE(c.key(inputs + refuse));  // a custom part can veto caching
  const auto combined = c.key(inputs + by_a);
  ASSERT_TRUE(combined);
  EXPECT_EQ(combined->size(), 32u);
  EXPECT_NE(combined, c.key(inputs));
  EXPECT_EQ((inputs + by_a).describe(), "inputs + custom");
}

template <class T>
struct Quoted {
  T value;
};

}  // namespace
}  // namespace baton::cache

template <class T>
struct baton::exclude_from_cache_key<baton::cache::Quoted<T>> : std::true_type {};

namespace baton::cache {
namespace {

struct NoFingerprint {};
static_assert(CacheKeyArgument<std::string>);
static_assert(CacheKeyArgument<Quoted<NoFingerprint>>);
static_assert(!CacheKeyArgument<NoFingerprint>);

TEST(CachePolicy, ArgumentHelperFingerprintsOrExcludes) {
  const Argument a = argument("path", std::string("x.parquet"));
  EXPECT_EQ(a.name, "path");
  EXPECT_EQ(a.fingerprint, fingerprint_of(std::string("x.parquet")));
  const Argument q = argument("logger", Quoted<NoFingerprint>{});
  EXPECT_FALSE(q.fingerprint);
}

}  // namespace
}  // namespace baton::cache
