// The HTTP shell: cpp-httplib (Debian's libcpp-httplib-dev). Chosen over
// Boost.Beast because the API is request/response plus one server-sent event
// stream, which httplib's thread-per-connection model serves in a few lines,
// and its gzip request bodies, payload limit and static mounts are built in.
// Routes come from api/routes.cpp; this file maps them onto paths, checks the
// API key, and turns exceptions into the JSON error bodies of openapi.json.
#include "server/server.h"

#include "server/api/json_codec.h"
#include "server/api/routes.h"
#include "server/api/stream_hub.h"
#include "server/db/server_database.h"
#include "server/services/notify_listener.h"
#include "server/services/scheduler.h"
#include "server/services/services.h"
#include "server/services/work_model.h"

#include <fmt/format.h>
#include <httplib.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <unistd.h>

namespace baton::server {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

Result<std::chrono::seconds> parse_retention(std::string_view text) {
  std::int64_t n = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc() || n <= 0 || r.ptr + 1 != text.data() + text.size()) {
    return Status::error(fmt::format("--retention: expected a number and a unit (30d, 12h, 90m, 45s), got '{}'", text));
  }
  switch (*r.ptr) {
    case 'd': return std::chrono::seconds(n * 86400);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'm': return std::chrono::seconds(n * 60);
    case 's': return std::chrono::seconds(n);
    default:
      return Status::error(fmt::format("--retention: unknown unit '{}' in '{}' (use d, h, m or s)", *r.ptr, text));
  }
}

namespace {

// Compares without an early exit, so the time taken says nothing about the key.
bool same_key(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.size() ? b.size() : 1)]);
  return diff == 0 && a.size() == b.size();
}

// Debian's cpp-httplib answers in brotli whenever a client accepts it, at
// brotli's slowest quality: about 100 ms for a 20 KB answer that gzip
// compresses in 4 ms, and browsers accept both. So a client that accepts gzip
// gets gzip. httplib compresses after the handlers, from the request's
// headers; the request is the server's own mutable object, passed const only
// by its handler signature, so rewriting the header here is well defined.
void prefer_gzip(httplib::Request& req) {
  auto it = req.headers.find("Accept-Encoding");
  if (it == req.headers.end() || it->second.find("br") == std::string::npos) return;
  it->second = it->second.find("gzip") != std::string::npos ? "gzip" : "identity";
}

std::filesystem::path find_ui_dir(const std::optional<std::filesystem::path>& option) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto usable = [&](const fs::path& p) { return fs::is_regular_file(p / "index.html", ec); };
  if (option) return *option;
  if (const char* env = std::getenv("BATON_UI_DIR"); env && *env) return env;
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    const fs::path bin = fs::path(std::string(exe, static_cast<std::size_t>(n))).parent_path();
    // Installed: <prefix>/bin/baton beside <prefix>/share/baton/ui. In a build
    // tree: <build>/cli/baton beside <build>/ui/dist (ui/CMakeLists.txt).
    for (const fs::path& candidate : {bin / ".." / "share" / "baton" / "ui", bin / ".." / "ui" / "dist"}) {
      if (usable(candidate)) return fs::weakly_canonical(candidate, ec);
    }
  }
  return {};
}

constexpr std::string_view kUiNotBuilt = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>baton server</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The baton web UI is not built</h1>
<p>The API is running at <a href="/api/health">/api/health</a>
(its description: <a href="/api/openapi.json">/api/openapi.json</a>).</p>
<p>To get the UI, build it (<code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>) or install baton,
or point the server at a built UI with <code>--ui-dir DIR</code> or <code>BATON_UI_DIR</code>.</p>
</body></html>
)";

// "/flow-runs/{id}/logs" -> "/api/flow-runs/([^/]+)/logs"
std::string path_regex(const std::string& path) {
  static const std::regex param(R"(\{[^}]+\})");
  return "/api" + std::regex_replace(path, param, "([^/]+)");
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::unique_ptr<db::ServerDatabase> db;
  std::unique_ptr<services::WorkModel> work;  // outlives the routes that use it
  api::StreamHub hub;
  std::unique_ptr<api::ApiContext> ctx;
  std::vector<api::Route> routes;
  std::vector<std::string> registered;
  std::filesystem::path ui_dir;
  httplib::Server http;
  int port = 0;
  std::unique_ptr<services::Services> services;
  std::unique_ptr<services::Scheduler> scheduler;
  std::unique_ptr<services::NotifyListener> listener;

  void respond_error(httplib::Response& res, int status, std::string_view message, std::string_view field = {}) {
    res.status = status;
    res.set_content(api::error_body(status, message, field), "application/json");
  }

  void dispatch(const api::Route& route, const httplib::Request& req, httplib::Response& res) {
    try {
      // POST routes take no query parameters; httplib would also put the fields
      // of a form-encoded body here, which are not ours to judge.
      for (const auto& [name, value] : req.method == "GET" ? req.params : httplib::Params{}) {
        if (std::find(route.query_params.begin(), route.query_params.end(), name) == route.query_params.end()) {
          throw db::BadInput(name, fmt::format("{}: unknown query parameter of {} {}", name, route.method, route.path));
        }
      }
      api::ApiRequest r;
      for (std::size_t i = 1; i < req.matches.size(); ++i) r.path_params.push_back(req.matches[i].str());
      if (req.method == "GET") r.query.insert(req.params.begin(), req.params.end());
      if (route.stream) return serve_stream(r, res);
      // The limit applies to the bytes on the wire (httplib checks it); a gzip
      // body may expand to 8 times that, no more.
      if (req.body.size() > 8 * options.max_body_bytes) {
        return respond_error(res, 413, fmt::format("the body is larger than the limit of {} bytes after "
                                                   "decompression",
                                                   8 * options.max_body_bytes));
      }
      r.body = req.body;
      auto out = route.handler(r);
      res.status = out.status;
      res.set_content(std::move(out.body), out.content_type.c_str());
    } catch (const db::Unprocessable& e) {
      respond_error(res, 422, e.what(), e.field());
    } catch (const db::BadInput& e) {
      respond_error(res, 400, e.what(), e.field());
    } catch (const db::TooLarge& e) {
      respond_error(res, 413, e.what());
    } catch (const db::NotFound& e) {
      respond_error(res, 404, e.what(), "id");
    } catch (const db::Conflict& e) {
      respond_error(res, 409, e.what());
    } catch (const db::DbError& e) {
      if (e.unavailable()) {
        res.set_header("Retry-After", "1");
        respond_error(res, 503, fmt::format("the database is unavailable: {}", e.what()));
      } else {
        respond_error(res, 500, fmt::format("database error: {}", e.what()));
      }
    } catch (const std::exception& e) {
      respond_error(res, 500, fmt::format("internal error: {}", e.what()));
    }
  }

  void serve_stream(const api::ApiRequest& r, httplib::Response& res) {
    std::optional<RunId> flow;
    if (auto it = r.query.find("flow_run"); it != r.query.end()) flow = db->resolve_flow_run(it->second);
    auto sub = hub.subscribe(flow);
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    auto first = std::make_shared<bool>(true);
    res.set_chunked_content_provider(
        "text/event-stream",
        [sub, first](std::size_t, httplib::DataSink& sink) {
          if (*first) {
            *first = false;
            const std::string hello = ": connected\n\n";
            return sink.write(hello.data(), hello.size());
          }
          auto msg = sub->wait(std::chrono::seconds(15));
          if (!msg) {
            sink.done();
            return true;
          }
          const std::string text = msg->empty() ? std::string(": keep-alive\n\n") : std::move(*msg);
          return sink.write(text.data(), text.size());
        },
        [this, sub](bool) { hub.unsubscribe(sub); });
  }

  void install() {
    work = std::make_unique<services::WorkModel>(*db);
    ctx = std::make_unique<api::ApiContext>(api::ApiContext{*db, hub, openapi_document(), work.get()});
    routes = api::make_routes(*ctx);
    http.new_task_queue = [n = options.threads] { return new httplib::ThreadPool(static_cast<std::size_t>(n)); };
    http.set_payload_max_length(options.max_body_bytes);
    http.set_keep_alive_max_count(10000);
    http.set_tcp_nodelay(true);
    http.set_read_timeout(60, 0);

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      prefer_gzip(const_cast<httplib::Request&>(req));
      if (!options.api_key || req.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
      if (req.path == "/api/health" || req.path == "/api/ready" || req.path == "/api/openapi.json") {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      const std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) == 0 && same_key(auth.substr(7), *options.api_key)) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      respond_error(res, 401,
                    auth.empty() ? "this server needs an API key: send Authorization: Bearer <key> (BATON_API_KEY)"
                                 : "the API key is wrong (BATON_API_KEY)");
      res.set_header("WWW-Authenticate", "Bearer");
      return httplib::Server::HandlerResponse::Handled;
    });

    for (const auto& route : routes) {
      const std::string pattern = path_regex(route.path);
      auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) { dispatch(route, req, res); };
      if (route.method == "GET") {
        http.Get(pattern, handler);
      } else if (route.method == "PUT") {
        http.Put(pattern, handler);
      } else if (route.method == "DELETE") {
        http.Delete(pattern, handler);
      } else {
        http.Post(pattern, handler);
      }
      registered.push_back(route.method + " " + route.path);
    }

    // The web UI: files from its directory, and index.html for any other path
    // that is not the API (client-side routes).
    ui_dir = find_ui_dir(options.ui_dir);
    std::error_code ec;
    if (!ui_dir.empty() && std::filesystem::is_directory(ui_dir, ec)) {
      http.set_mount_point("/", ui_dir.string());
    } else {
      ui_dir.clear();
    }
    http.Get(R"(/(?!api(/|$)).*)", [this](const httplib::Request&, httplib::Response& res) {
      if (!ui_dir.empty()) {
        std::ifstream in(ui_dir / "index.html", std::ios::binary);
        if (in) {
          std::stringstream ss;
          ss << in.rdbuf();
          res.set_content(ss.str(), "text/html; charset=utf-8");
          return;
        }
      }
      res.set_content(std::string(kUiNotBuilt), "text/html; charset=utf-8");
    });

    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          std::string message;
          switch (res.status) {
            case 404: message = fmt::format("no route {} {}", req.method, req.path); break;
            case 413: message = fmt::format("the body is larger than the limit of {} bytes", options.max_body_bytes); break;
            case 400: message = "malformed HTTP request"; break;
            case 415: message = "unsupported Content-Encoding (use gzip or none)"; break;
            default: message = fmt::format("HTTP error {}", res.status); break;
          }
          res.set_content(api::error_body(res.status, message), "application/json");
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      respond_error(res, 500, fmt::format("internal error: {}", what));
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_) {
    impl_->work->shutdown();
    impl_->hub.close();
    impl_->http.stop();
    impl_->scheduler.reset();
    impl_->listener.reset();
    impl_->services.reset();
  }
}

Result<std::unique_ptr<Server>> Server::create(ServerOptions options) {
  if (!is_loopback(options.host) && (!options.api_key || options.api_key->empty())) {
    return Status::error(fmt::format("refusing to listen on {} without an API key: set BATON_API_KEY or "
                                     "--api-key-file (or listen on 127.0.0.1)",
                                     options.host));
  }
  if (options.api_key && options.api_key->empty()) options.api_key.reset();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  try {
    db::ServerDatabaseOptions dbo;
    dbo.database = impl->options.database;
    dbo.max_connections = impl->options.max_connections;
    impl->db = std::make_unique<db::ServerDatabase>(std::move(dbo));
  } catch (const std::exception& e) {
    return Status::error(fmt::format("cannot open the server database: {}", e.what()));
  }
  impl->install();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Result<int> Server::bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host);
    if (impl_->port <= 0) return Status::error(fmt::format("cannot listen on {}: no free port", o.host));
  } else {
    if (!impl_->http.bind_to_port(o.host, o.port)) {
      return Status::error(fmt::format("cannot listen on {}:{} (in use, or not an address of this host)", o.host, o.port));
    }
    impl_->port = o.port;
  }
  return impl_->port;
}

void Server::run() {
  services::ServiceOptions so;
  so.crash_check_every = impl_->options.crash_check_every;
  so.default_heartbeat = impl_->options.default_heartbeat;
  so.retention = impl_->options.retention;
  so.retention_every = impl_->options.retention_every;
  so.on_crashed = [this](const std::vector<RunId>& ids) { impl_->hub.publish_flow_runs(ids, *impl_->db); };
  impl_->services = std::make_unique<services::Services>(*impl_->db, std::move(so));
  services::SchedulerOptions sched;
  sched.schedule_every = impl_->options.schedule_every;
  sched.check_every = impl_->options.lease_check_every;
  sched.on_changed = [this](const std::vector<RunId>& ids) { impl_->hub.publish_flow_runs(ids, *impl_->db); };
  impl_->scheduler = std::make_unique<services::Scheduler>(*impl_->work, std::move(sched));
  impl_->scheduler->start();
  impl_->listener = std::make_unique<services::NotifyListener>(*impl_->work);
  impl_->http.listen_after_bind();
  impl_->scheduler.reset();
  impl_->listener.reset();
  impl_->services.reset();
}

void Server::stop() {
  impl_->work->shutdown();
  impl_->hub.close();
  impl_->http.stop();
}

std::string Server::api_url() const {
  const std::string& h = impl_->options.host;
  const bool v6 = h.find(':') != std::string::npos && h.front() != '[';
  return fmt::format("http://{}{}{}:{}/api", v6 ? "[" : "", h, v6 ? "]" : "", impl_->port);
}

std::vector<std::string> Server::registered_routes() const { return impl_->registered; }

std::filesystem::path Server::ui_dir() const { return impl_->ui_dir; }

}  // namespace baton::server
