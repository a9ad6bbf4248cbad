// BATON_API_URL is checked once at start: a URL an engine can report to passes
// (normalised without a trailing '/'); anything else throws, naming the variable.
#include "engine/settings.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

namespace baton::settings {
namespace {

class ApiUrlSetting : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("BATON_API_URL"); }
  std::string with(const char* value) {
    setenv("BATON_API_URL", value, 1);
    return api_url();
  }
};

TEST_F(ApiUrlSetting, AcceptsTheUrlsOfAServer) {
  EXPECT_EQ(with("http://127.0.0.1:4200/api"), "http://127.0.0.1:4200/api");
  EXPECT_EQ(with("http://127.0.0.1:4200/api/"), "http://127.0.0.1:4200/api");
  EXPECT_EQ(with("https://baton.example.com/api"), "https://baton.example.com/api");
  EXPECT_EQ(with("http://[::1]:4200/api"), "http://[::1]:4200/api");
  EXPECT_EQ(with("http://localhost/api"), "http://localhost/api");
  unsetenv("BATON_API_URL");
  EXPECT_EQ(api_url(), "") << "unset: the SQLite run store";
}

TEST_F(ApiUrlSetting, RefusesAnythingElseNamingTheVariable) {
  for (const char* bad : {"localhost:4200", "ftp://h/api", "http://", "http:///api", "http://h:0/api", "http://h:65536/api",
                          "http://h:/api", "http://h:42x/api", "http://u:p@h/api", "http://h/api#x", "http://h /api",
                          "http://[::1/api"}) {
    try {
      with(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("BATON_API_URL=") + bad), std::string::npos) << e.what();
    }
  }
}

TEST(ApiTimeoutSetting, MustBeAboveZero) {
  setenv("BATON_API_TIMEOUT_SECONDS", "0", 1);
  EXPECT_THROW(api_timeout(), std::invalid_argument);
  setenv("BATON_API_TIMEOUT_SECONDS", "2.5", 1);
  EXPECT_EQ(api_timeout().count(), 2500);
  unsetenv("BATON_API_TIMEOUT_SECONDS");
  EXPECT_EQ(api_timeout().count(), 10000);
}

}  // namespace
}  // namespace baton::settings
