// The HTTP client against a real HTTP server (cpp-httplib, in process): the key
// travels as a bearer token, bodies are gzip-compressed, and every failure is a
// sentence naming the URL and the setting to check.
#include "client/http_client.h"
#include "client/server_reader.h"
#include "server_fixture.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <thread>

namespace baton::client {
namespace {

std::string gunzip(const std::string& data) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(data.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string("<not gzip>");
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Post("/api/echo", [this](const httplib::Request& req, httplib::Response& res) {
      authorization_ = req.get_header_value("Authorization");
      encoding_ = req.get_header_value("Content-Encoding");
      body_ = req.body;
      res.set_content(R"({"ok": true})", "application/json");
    });
    server_.Get("/api/locked", [](const httplib::Request&, httplib::Response& res) {
      res.status = 401;
      res.set_content(R"({"error": {"status": 401, "message": "missing or wrong API key"}})", "application/json");
    });
    server_.Get("/api/flow-runs/abc", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"({"error": {"status": 404, "message": "no flow run with id abc"}})", "application/json");
    });
    server_.Get("/api/busy", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content(R"({"error": {"status": 503, "message": "the database is unavailable"}})", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    base_ = "http://127.0.0.1:" + std::to_string(port_) + "/api";
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::string base_;
  std::string authorization_, encoding_, body_;
};

TEST_F(HttpClientTest, TheKeyIsABearerTokenAndABodyCanBeGzipped) {
  HttpClient http({base_, "s3cret", std::chrono::seconds(5), std::chrono::seconds(2)});
  const std::string json = R"({"events": [)" + std::string(5000, ' ') + "]}";
  HttpResponse r = http.post_json("/echo", json, /*gzip=*/true);
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(authorization_, "Bearer s3cret");
  EXPECT_EQ(encoding_, "gzip");
  // cpp-httplib built with zlib inflates the body itself; without, it is the gzip bytes.
  const bool still_gzip = body_.size() >= 2 && body_[0] == '\x1f' && body_[1] == '\x8b';
  EXPECT_EQ(still_gzip ? gunzip(body_) : body_, json);
  EXPECT_LT(gzip_compress(json).size(), json.size() / 10);

  HttpClient anonymous({base_, "", std::chrono::seconds(5), std::chrono::seconds(2)});
  ASSERT_TRUE(anonymous.post_json("/echo", "{}").ok());
  EXPECT_EQ(authorization_, "") << "no key, no header";
  EXPECT_EQ(body_, "{}");
}

TEST_F(HttpClientTest, EachFailureNamesTheUrlAndTheSettingAtFault) {
  HttpClient http({base_, "wrong", std::chrono::seconds(5), std::chrono::seconds(2)});
  HttpResponse locked = http.get("/locked");
  EXPECT_TRUE(locked.unauthorized());
  EXPECT_EQ(locked.describe(), "401 from " + base_ + "/locked: BATON_API_KEY is wrong or missing");

  HttpResponse busy = http.get("/busy");
  EXPECT_TRUE(busy.unavailable());
  EXPECT_NE(busy.describe().find("503 from " + base_ + "/busy"), std::string::npos) << busy.describe();

  HttpResponse unknown = http.get("/flow-runs/abc");
  EXPECT_EQ(unknown.describe(), "404 from " + base_ + "/flow-runs/abc: no flow run with id abc");

  const std::string closed = "http://127.0.0.1:" + std::to_string(baton::testing::free_loopback_port()) + "/api";
  HttpClient nowhere({closed, "", std::chrono::seconds(5), std::chrono::seconds(2)});
  HttpResponse down = nowhere.get("/flow-runs");
  EXPECT_TRUE(down.unavailable());
  EXPECT_NE(down.describe().find("cannot reach " + closed + "/flow-runs"), std::string::npos) << down.describe();
  EXPECT_NE(down.describe().find("BATON_API_URL"), std::string::npos) << down.describe();
}

TEST_F(HttpClientTest, TheReaderPassesTheServersMessageForAnUnknownId) {
  ServerReader reader({base_, "", std::chrono::seconds(5), std::chrono::seconds(2)});
  auto run = reader.find_flow_run("abc");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.status().message(), "no flow run with id abc");
}

TEST(ApiTime, ParsesTheApisTimesAndRefusesOthers) {
  auto t = parse_api_time("2026-12-07T11:25:30.123456Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(t->time_since_epoch()).count(), 1796642730123456LL);
  EXPECT_EQ(parse_api_time("2026-12-07T12:25:30.123456+01:00"), t);
  EXPECT_EQ(parse_api_time("2026-12-07T11:25:30.1234561Z"), t) << "digits past microseconds are dropped";
  EXPECT_FALSE(parse_api_time("2026-12-07 11:25:30Z").has_value());
  EXPECT_FALSE(parse_api_time("yesterday").has_value());
  EXPECT_FALSE(parse_api_time("").has_value());
}

TEST(UrlEncode, KeepsUnreservedCharactersAndEscapesTheRest) {
  EXPECT_EQ(url_encode("hello_flow-1.0~"), "hello_flow-1.0~");
  EXPECT_EQ(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace baton::client
