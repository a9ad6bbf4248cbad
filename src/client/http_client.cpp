#include "client/http_client.h"

#include "engine/settings.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <mutex>
#include <stdexcept>

namespace baton::client {

namespace {

std::once_flag g_curl_init;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

HttpClient::Options HttpClient::options_from_settings() {
  Options o;
  o.base_url = settings::api_url();
  o.api_key = settings::api_key();
  o.timeout = settings::api_timeout();
  o.connect_timeout = std::min(o.timeout, std::chrono::milliseconds(3'000));
  return o;
}

HttpClient::HttpClient(Options options) : options_(std::move(options)), handle_(std::make_unique<Handle>()) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  handle_->curl = curl_easy_init();
  if (handle_->curl == nullptr) throw std::runtime_error("libcurl could not create a handle");
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::get(std::string_view path) { return perform("GET", path, {}, false); }

HttpResponse HttpClient::post_json(std::string_view path, std::string_view body, bool gzip) {
  return perform("POST", path, body, gzip);
}

HttpResponse HttpClient::put_json(std::string_view path, std::string_view body) {
  return perform("PUT", path, body, false);
}

HttpResponse HttpClient::del(std::string_view path) { return perform("DELETE", path, {}, false); }

HttpResponse HttpClient::perform(std::string_view method, std::string_view path, std::string_view body, bool gzip) {
  HttpResponse r;
  r.url = options_.base_url + std::string(path);
  CURL* h = handle_->curl;
  curl_easy_reset(h);  // keeps the connection cache: keep-alive across requests
  std::string payload;
  const bool has_body = method == "POST" || method == "PUT";
  if (has_body) payload = gzip ? gzip_compress(body) : std::string(body);

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  if (has_body) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    if (gzip) headers = curl_slist_append(headers, "Content-Encoding: gzip");
  }
  const std::string auth = "Authorization: Bearer " + options_.api_key;
  if (!options_.api_key.empty()) headers = curl_slist_append(headers, auth.c_str());

  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // any encoding libcurl can decode
  if (has_body) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  }
  // PUT and DELETE ride on the POST machinery (a body, or none) with their own verb.
  if (method != "GET" && method != "POST") {
    const std::string verb(method);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, verb.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    r.status = 0;
    r.error = error[0] != '\0' ? error : curl_easy_strerror(rc);
    r.body.clear();
    return r;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

std::string HttpResponse::server_message() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {};
  auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return {};
  auto m = e->find("message");
  return m != e->end() && m->is_string() ? m->get<std::string>() : std::string();
}

std::string HttpResponse::describe() const {
  if (status == 0) {
    return fmt::format("cannot reach {} ({}); check that the server is running and that BATON_API_URL points at it", url, error);
  }
  const std::string said = server_message();
  if (unauthorized()) return fmt::format("{} from {}: BATON_API_KEY is wrong or missing", status, url);
  if (status == 503) {
    return fmt::format("503 from {}: the server cannot reach its database now{}", url, said.empty() ? "" : " (" + said + ")");
  }
  if (status == 404 && said.empty()) {
    return fmt::format("404 from {}: no such route; is BATON_API_URL the server's API (ending in /api)?", url);
  }
  if (!said.empty()) return fmt::format("{} from {}: {}", status, url, said);
  std::string snippet = body.substr(0, 200);
  return fmt::format("{} from {}{}", status, url, snippet.empty() ? "" : ": " + snippet);
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string gzip_compress(std::string_view data) {
  z_stream zs{};
  // 15 + 16: a gzip header and trailer; level 1: event JSON compresses ~10x even
  // there, and the writer thread's time matters more than the last few bytes.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib could not start a gzip stream");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib could not compress a request body");
  return out;
}

}  // namespace baton::client
