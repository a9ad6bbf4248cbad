#pragma once
// A small HTTP client for the baton server's API: one libcurl handle (keep-alive
// across requests), timeouts, `Authorization: Bearer` from BATON_API_KEY, and JSON
// request bodies that may be gzip-compressed. Every failure is described in one
// sentence that names the URL and the setting at fault, for a person to act on.
//
// Thread safety: one thread at a time per client (the engine's writer thread, or
// the CLI's only thread); make one client per thread.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace baton::client {

struct HttpResponse {
  std::string url;        // the full URL asked
  long status = 0;        // the HTTP status; 0 when no answer came (see error)
  std::string error;      // why no answer came (libcurl's words), when status is 0
  std::string body;

  bool ok() const { return status >= 200 && status < 300; }
  // No answer, or an answer that says "later" (502, 503, 504): worth retrying.
  bool unavailable() const { return status == 0 || status == 502 || status == 503 || status == 504; }
  bool unauthorized() const { return status == 401 || status == 403; }
  // One sentence for a person, naming the URL and what to check:
  //   "401 from http://h:4200/api/events: BATON_API_KEY is wrong or missing"
  //   "cannot reach http://h:4200/api/events (Couldn't connect to server); check that the server is running and that BATON_API_URL points at it"
  //   "404 from http://h:4200/api/flow-runs/abc: no flow run with id abc"  (the server's own message)
  std::string describe() const;
  // The server's error message from a JSON error body ({"error": {"message": ...}}), or "".
  std::string server_message() const;
};

class HttpClient {
 public:
  struct Options {
    std::string base_url;  // http://host:port/api (no trailing '/')
    std::string api_key;   // "" sends no Authorization header
    std::chrono::milliseconds timeout{10'000};        // whole request
    std::chrono::milliseconds connect_timeout{3'000};
  };
  // From BATON_API_URL, BATON_API_KEY and BATON_API_TIMEOUT_SECONDS (validated
  // settings; throws std::invalid_argument naming a bad one).
  static Options options_from_settings();

  explicit HttpClient(Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const std::string& base_url() const { return options_.base_url; }

  // `path` starts with '/' and is appended to the base URL ("/flow-runs?limit=5").
  HttpResponse get(std::string_view path);
  // POSTs a JSON body; with `gzip` it is compressed (Content-Encoding: gzip).
  HttpResponse post_json(std::string_view path, std::string_view body, bool gzip = false);
  // PUT with a JSON body; DELETE with none.
  HttpResponse put_json(std::string_view path, std::string_view body);
  HttpResponse del(std::string_view path);
  // The whole-request timeout for the next requests (a long poll needs more than the default).
  void set_timeout(std::chrono::milliseconds timeout) { options_.timeout = timeout; }

 private:
  HttpResponse perform(std::string_view method, std::string_view path, std::string_view body, bool gzip);

  Options options_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
std::string url_encode(std::string_view value);

// gzip (RFC 1952) of `data` at a fast level; the server accepts it as
// Content-Encoding: gzip. Throws std::runtime_error only if zlib fails to start.
std::string gzip_compress(std::string_view data);

}  // namespace baton::client
