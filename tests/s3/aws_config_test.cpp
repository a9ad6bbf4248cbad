// Where credentials, region and endpoint come from: environment first, then the
// shared files, with errors that name the variable or file and profile.
#include "results/s3/aws_config.h"
#include "results/s3/s3_url.h"
#include "s3rver_fixture.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace baton::aws {
namespace {

using testing::TempDir;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

TEST(AwsConfig, EnvironmentCredentialsRegionEndpoint) {
  TempDir home;
  auto s = resolve_aws_settings(env_of({{"HOME", home.str()},
                                        {"AWS_ACCESS_KEY_ID", "AK"},
                                        {"AWS_SECRET_ACCESS_KEY", "SK"},
                                        {"AWS_SESSION_TOKEN", "TOKEN"},
                                        {"AWS_REGION", "eu-west-3"},
                                        {"AWS_DEFAULT_REGION", "us-west-2"},
                                        {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"}}));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->credentials.access_key, "AK");
  EXPECT_EQ(s->credentials.secret_key, "SK");
  EXPECT_EQ(s->credentials.session_token, "TOKEN");
  EXPECT_EQ(s->credentials.source, "env AWS_ACCESS_KEY_ID");
  EXPECT_EQ(s->region, "eu-west-3");  // AWS_REGION wins over AWS_DEFAULT_REGION
  EXPECT_EQ(s->endpoint, "http://127.0.0.1:9000");
}

TEST(AwsConfig, DefaultRegionFallbacks) {
  TempDir home;
  auto s = resolve_aws_settings(env_of({{"HOME", home.str()},
                                        {"AWS_ACCESS_KEY_ID", "AK"},
                                        {"AWS_SECRET_ACCESS_KEY", "SK"},
                                        {"AWS_DEFAULT_REGION", "us-west-2"}}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->region, "us-west-2");
  auto t = resolve_aws_settings(env_of({{"HOME", home.str()}, {"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"}}));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->region, "us-east-1");
  EXPECT_TRUE(t->endpoint.empty());
}

TEST(AwsConfig, HalfSetEnvironmentIsAnError) {
  TempDir home;
  auto s = resolve_aws_settings(env_of({{"HOME", home.str()}, {"AWS_ACCESS_KEY_ID", "AK"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << s.status().message();
}

TEST(AwsConfig, SharedFilesWithProfile) {
  TempDir home;
  std::filesystem::create_directories(home.str() + "/.aws");
  write_file(home.str() + "/.aws/credentials",
             "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = DEFAULTSECRET\n\n"
             "# a comment\n[dev]\naws_access_key_id=DEVKEY\naws_secret_access_key = DEV/SECRET+x\n"
             "aws_session_token = DEVTOKEN\n");
  write_file(home.str() + "/.aws/config",
             "[default]\nregion = us-east-2\n[profile dev]\nregion = ap-south-1\n"
             "endpoint_url = http://localhost:4568\ns3 =\n  addressing_style = virtual\n");
  auto d = resolve_aws_settings(env_of({{"HOME", home.str()}}));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->credentials.access_key, "DEFAULTKEY");
  EXPECT_EQ(d->credentials.source, "profile 'default' in " + home.str() + "/.aws/credentials");
  EXPECT_EQ(d->region, "us-east-2");

  auto p = resolve_aws_settings(env_of({{"HOME", home.str()}, {"AWS_PROFILE", "dev"}}));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->credentials.access_key, "DEVKEY");
  EXPECT_EQ(p->credentials.secret_key, "DEV/SECRET+x");
  EXPECT_EQ(p->credentials.session_token, "DEVTOKEN");
  EXPECT_EQ(p->region, "ap-south-1");
  EXPECT_EQ(p->endpoint, "http://localhost:4568");
  EXPECT_EQ(p->addressing, Addressing::kVirtual);

  // The environment still wins over the files.
  auto e = resolve_aws_settings(env_of({{"HOME", home.str()},
                                        {"AWS_PROFILE", "dev"},
                                        {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                        {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"}}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->credentials.access_key, "ENVKEY");
  EXPECT_EQ(e->region, "ap-south-1");
}

TEST(AwsConfig, FileOverridesAndCredentialsInConfigFile) {
  TempDir dir;
  write_file(dir.str() + "/conf", "[profile ci]\naws_access_key_id = CFGKEY\naws_secret_access_key = CFGSECRET\n");
  auto s = resolve_aws_settings(env_of({{"HOME", "/nonexistent"},
                                        {"AWS_CONFIG_FILE", dir.str() + "/conf"},
                                        {"AWS_SHARED_CREDENTIALS_FILE", dir.str() + "/none"},
                                        {"AWS_PROFILE", "ci"}}));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->credentials.access_key, "CFGKEY");
  EXPECT_EQ(s->credentials.source, "profile 'ci' in " + dir.str() + "/conf");
}

TEST(AwsConfig, MissingProfileNamesFilesAndProfile) {
  TempDir home;
  auto s = resolve_aws_settings(env_of({{"HOME", home.str()}, {"AWS_PROFILE", "nope"}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("profile 'nope'"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find(home.str() + "/.aws/credentials"), std::string::npos);
}

TEST(AwsConfig, NoCredentialsAnywhere) {
  TempDir home;
  auto s = resolve_aws_settings(env_of({{"HOME", home.str()}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no AWS credentials"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(AwsConfig, IncompleteProfile) {
  TempDir home;
  std::filesystem::create_directories(home.str() + "/.aws");
  write_file(home.str() + "/.aws/credentials", "[default]\naws_access_key_id = ONLYKEY\n");
  auto s = resolve_aws_settings(env_of({{"HOME", home.str()}}));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("aws_secret_access_key"), std::string::npos) << s.status().message();
}

TEST(S3Url, Parses) {
  auto a = parse_s3_url("s3://my-bucket/runs/taxi");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->bucket, "my-bucket");
  EXPECT_EQ(a->prefix, "runs/taxi/");
  EXPECT_EQ(a->url(), "s3://my-bucket/runs/taxi/");
  auto b = parse_s3_url("s3://bucket");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->prefix, "");
  auto c = parse_s3_url("s3://bucket/");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->prefix, "");
}

TEST(S3Url, RejectsWithReasons) {
  for (const char* bad : {"http://bucket/x", "s3://", "s3:///prefix", "s3://Upper/x", "s3://ab/x", "s3://b_d/x",
                          "s3://bucket/a//b", "s3://bucket/a/../b", "s3://-bucket/x"}) {
    auto r = parse_s3_url(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("s3"), std::string::npos) << r.status().message();
    }
  }
}

}  // namespace
}  // namespace baton::aws
