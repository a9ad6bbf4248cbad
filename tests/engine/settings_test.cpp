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

}  // namespace
}  // namespace baton
