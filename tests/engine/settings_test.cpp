#include "engine/settings.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace baton {
namespace {

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~EnvVar() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Settings, EveryDefinitionHasAnEnvironmentVariable) {
  for (const auto& d : settings::definitions()) {
    EXPECT_EQ(settings::env_name(d.name).rfind("BATON_", 0), 0u);
    EXPECT_FALSE(d.help.empty()) << d.name;
  }
}

TEST(Settings, EnvironmentOverridesDefaultsAndSaysSo) {
  EXPECT_EQ(settings::get("default_retries").source, settings::Source::Default);
  EnvVar v("BATON_DEFAULT_RETRIES", "4");
  EXPECT_EQ(settings::default_retries(), 4);
  EXPECT_EQ(settings::get("default_retries").source, settings::Source::Environment);
}

TEST(Settings, HomeAndDatabasePath) {
  EnvVar v("BATON_HOME", "/tmp/somewhere");
  EXPECT_EQ(settings::home(), "/tmp/somewhere");
  EXPECT_EQ(settings::database_path(), "/tmp/somewhere/baton.db");
}

TEST(Settings, BadValuesNameTheVariable) {
  EnvVar v("BATON_WORKERS", "lots");
  try {
    settings::workers();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("BATON_WORKERS=lots"), std::string::npos) << e.what();
  }
  EnvVar l("BATON_LOG_LEVEL", "LOUD");
  EXPECT_THROW(settings::log_level(), std::invalid_argument);
}

TEST(Settings, WorkersAreBoundedAndOverflowIsRefused) {
  for (const char* bad : {"2147483648", "4294967297", "100000", "0", "-1", "1.5", "abc"}) {
    EnvVar v("BATON_WORKERS", bad);
    try {
      settings::workers();
      ADD_FAILURE() << "BATON_WORKERS=" << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("from 1 to 1024"), std::string::npos) << e.what();
    }
  }
  EnvVar ok("BATON_WORKERS", "1024");
  EXPECT_EQ(settings::workers(), 1024);
}

TEST(Settings, NonFiniteAndHugeDurationsAreRefused) {
  for (const char* bad : {"nan", "inf", "1e300", "-1"}) {
    EnvVar v("BATON_DEFAULT_RETRY_DELAY_SECONDS", bad);
    EXPECT_THROW(settings::default_retry_delay(), std::invalid_argument) << bad;
  }
  EnvVar ok("BATON_DEFAULT_RETRY_DELAY_SECONDS", "2.5");
  EXPECT_EQ(settings::default_retry_delay(), std::chrono::milliseconds(2500));
}

TEST(Settings, EverySettingIsValidatedOnceAtStart) {
  EXPECT_NO_THROW(settings::validate_all());
  for (auto [name, value] : {std::pair{"BATON_PERSIST_RESULTS", "maybe"}, {"BATON_CACHE", "perhaps"},
                             {"BATON_HEARTBEAT_SECONDS", "-1"}, {"BATON_TASK_RUNNER", "quantum"},
                             {"BATON_HISTORY", "nah"}, {"BATON_DEFAULT_RETRIES", "-1"},
                             {"BATON_DEFAULT_CACHE_POLICY", "sometimes"}}) {
    EnvVar v(name, value);
    try {
      settings::validate_all();
      ADD_FAILURE() << name << "=" << value << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(name) + "=" + value), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace baton
