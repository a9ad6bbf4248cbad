#include "results/s3/s3_client.h"

#include <curl/curl.h>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <thread>

namespace baton::aws {

// ---------------------------------------------------------------------------
// Requests and responses

struct S3Client::Request {
  std::string method = "GET";
  std::string bucket;
  std::string key;
  Pairs query;
  Pairs headers;  // extra headers, signed with the rest
  std::string detail;  // appended to "METHOD s3://bucket/key" in messages ("part 3", "range ...")

  // Body: in memory, or streamed from a reader.
  std::span<const std::byte> body;
  const BodyReader* reader = nullptr;
  const std::function<bool()>* rewind = nullptr;
  std::uint64_t reader_size = 0;

  // Response target for 2xx bodies: a caller's buffer (ranged GET), else a string.
  std::byte* out = nullptr;
  std::size_t out_capacity = 0;

  std::string what() const {
    std::string w = method + " s3://" + bucket;
    if (!key.empty()) w += "/" + key;
    if (!detail.empty()) w += " (" + detail + ")";
    return w;
  }
};

struct S3Client::Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;                            // error bodies, and 2xx bodies without `out`
  std::size_t out_bytes = 0;                   // bytes written to Request::out

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

namespace {

std::once_flag g_curl_init;

struct XmlError {
  std::string code;
  std::string message;
};

XmlError parse_xml_error(std::string_view body) {
  XmlError out;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return out;
  pugi::xml_node error = doc.child("Error");
  if (!error) return out;
  out.code = error.child_value("Code");
  out.message = error.child_value("Message");
  return out;
}

bool transient_code(std::string_view code) {
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "Throttling";  // not RequestTimeTooSkewed: the same clock would be refused again
}

bool transient_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND:  // only after the connection broke mid-request
      return true;
    default:
      return false;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::uint64_t parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// "bytes 0-9/1234" -> 1234.
std::optional<std::uint64_t> content_range_total(std::string_view value) {
  const auto slash = value.rfind('/');
  if (slash == std::string_view::npos || slash + 1 >= value.size() || value[slash + 1] == '*') return std::nullopt;
  return parse_u64(value.substr(slash + 1));
}

std::chrono::milliseconds backoff(const RetryPolicy& policy, int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  double cap = static_cast<double>(policy.base_delay.count());
  for (int i = 1; i < attempt && cap < static_cast<double>(policy.max_delay.count()); ++i) cap *= 2;
  cap = std::min(cap, static_cast<double>(policy.max_delay.count()));
  // "Equal jitter": half fixed so the delay grows, half random so clients spread out.
  std::uniform_real_distribution<double> jitter(cap / 2, cap);
  return std::chrono::milliseconds(static_cast<long long>(jitter(rng)));
}

}  // namespace

// ---------------------------------------------------------------------------
// Curl handles: idle ones kept for reuse (each keeps its connection alive), and
// one share for the DNS cache and TLS sessions.

class S3Client::HandlePool {
 public:
  HandlePool() {
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &HandlePool::lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &HandlePool::unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  }
  ~HandlePool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
    curl_share_cleanup(share_);
  }

  CURL* acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void release(CURL* h) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < 32) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }
  CURLSH* share() { return share_; }

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<HandlePool*>(self)->locks_[static_cast<std::size_t>(data) % kLocks].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<HandlePool*>(self)->locks_[static_cast<std::size_t>(data) % kLocks].unlock();
  }

  static constexpr std::size_t kLocks = 8;
  std::array<std::mutex, kLocks> locks_;
  CURLSH* share_ = nullptr;
  std::mutex mutex_;
  std::vector<CURL*> idle_;  // guarded by mutex_
};

// ---------------------------------------------------------------------------

Result<S3ClientOptions> options_from_environment(const EnvLookup& env) {
  auto settings = resolve_aws_settings(env);
  if (!settings.ok()) return settings.status();
  S3ClientOptions options;
  options.credentials = settings->credentials;
  options.region = settings->region;
  options.endpoint = settings->endpoint;
  options.addressing = settings->addressing;
  return options;
}

S3Client::S3Client(S3ClientOptions options) : options_(std::move(options)) {}

S3Client::~S3Client() = default;

Result<std::shared_ptr<S3Client>> S3Client::create(S3ClientOptions options) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (options.credentials.access_key.empty() || options.credentials.secret_key.empty()) {
    return Status::error("S3 client: no credentials (access key and secret are required)");
  }
  if (options.region.empty()) options.region = "us-east-1";
  if (options.part_size < (std::size_t{5} << 20)) {
    return Status::error("S3 client: part size " + std::to_string(options.part_size) +
                         " is below S3's minimum of 5 MiB");
  }
  if (options.max_in_flight < 1) options.max_in_flight = 1;
  std::shared_ptr<S3Client> client(new S3Client(std::move(options)));
  const S3ClientOptions& o = client->options_;
  std::string endpoint = o.endpoint.empty() ? "https://s3." + o.region + ".amazonaws.com" : o.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  const auto scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) {
    return Status::error("S3 endpoint '" + endpoint + "' has no scheme (want http://host[:port] or https://...)");
  }
  client->scheme_ = lower(endpoint.substr(0, scheme_end));
  if (client->scheme_ != "http" && client->scheme_ != "https") {
    return Status::error("S3 endpoint '" + endpoint + "': scheme must be http or https");
  }
  client->https_ = client->scheme_ == "https";
  std::string host = endpoint.substr(scheme_end + 3);
  if (host.empty() || host.find('/') != std::string::npos) {
    return Status::error("S3 endpoint '" + endpoint + "' must be scheme://host[:port] without a path");
  }
  // The Host header leaves out a port that is the scheme's default, as clients do.
  if ((client->https_ && host.ends_with(":443")) || (!client->https_ && host.ends_with(":80"))) {
    host.erase(host.rfind(':'));
  }
  client->host_ = host;
  client->endpoint_ = client->scheme_ + "://" + host;
  client->path_style_ = o.addressing == Addressing::kPath || (o.addressing == Addressing::kAuto && !o.endpoint.empty());
  client->handles_ = std::make_unique<HandlePool>();
  client->pool_ = std::make_unique<WorkPool>(std::max(1, o.threads));
  return client;
}

namespace {

struct TransferState {
  const S3Client::Request* request = nullptr;
  S3Client::Response* response = nullptr;
  CURL* handle = nullptr;
  std::size_t body_pos = 0;        // in-memory body sent so far
  std::uint64_t streamed = 0;      // reader body sent so far
  std::optional<Status> read_error;
  bool overflow = false;
  // A ranged GET answered for a zero-length object (Content-Range ".../0"): s3rver
  // then announces a 1-byte body it never sends, so the transfer is cut short at
  // the end of the headers instead of waiting for the server's idle timeout.
  bool empty_object = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  if (line == "\r\n" || line == "\n") {
    const auto& h = st->response->headers;
    auto range = h.find("content-range");
    if (range != h.end() && range->second.ends_with("/0")) {
      long code = 0;
      curl_easy_getinfo(st->handle, CURLINFO_RESPONSE_CODE, &code);
      if (code == 206) {
        st->empty_object = true;
        return 0;  // stop here: there is nothing to read
      }
    }
    return n;
  }
  if (line.starts_with("HTTP/")) {
    st->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return n;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    st->response->headers[lower(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
  return n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const std::size_t n = size * count;
  long code = 0;
  curl_easy_getinfo(st->handle, CURLINFO_RESPONSE_CODE, &code);
  if (st->request->out != nullptr && code >= 200 && code < 300) {
    auto& r = *st->response;
    if (r.out_bytes + n > st->request->out_capacity) {
      st->overflow = true;
      return 0;  // more than the range asked for: abort the transfer
    }
    std::memcpy(st->request->out + r.out_bytes, data, n);
    r.out_bytes += n;
    return n;
  }
  st->response->body.append(data, n);
  return n;
}

std::size_t on_read(char* data, std::size_t size, std::size_t count, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const std::size_t want = size * count;
  const S3Client::Request& req = *st->request;
  if (req.reader != nullptr) {
    const std::uint64_t left = req.reader_size - st->streamed;
    if (left == 0) return 0;
    const std::size_t ask = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
    auto got = (*req.reader)(data, ask);
    if (!got.ok()) {
      st->read_error = got.status();
      return CURL_READFUNC_ABORT;
    }
    if (*got == 0) {
      st->read_error = Status::error("the body ended after " + std::to_string(st->streamed) + " of " +
                                     std::to_string(req.reader_size) + " bytes");
      return CURL_READFUNC_ABORT;
    }
    st->streamed += *got;
    return *got;
  }
  const std::size_t left = req.body.size() - st->body_pos;
  const std::size_t n = std::min(want, left);
  std::memcpy(data, req.body.data() + st->body_pos, n);
  st->body_pos += n;
  return n;
}

// Curl rewinds the body when it resends a request on a fresh connection (a reused
// one turned out to be closed); without this it fails with CURLE_SEND_FAIL_REWIND.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* st = static_cast<TransferState*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  const S3Client::Request& req = *st->request;
  if (req.reader != nullptr) {
    if (offset != 0 || req.rewind == nullptr || !*req.rewind || !(*req.rewind)()) return CURL_SEEKFUNC_CANTSEEK;
    st->streamed = 0;
    return CURL_SEEKFUNC_OK;
  }
  if (static_cast<std::uint64_t>(offset) > req.body.size()) return CURL_SEEKFUNC_FAIL;
  st->body_pos = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

Result<S3Client::Response> S3Client::execute(Request& request, const RetryPolicy* retry) {
  const RetryPolicy& policy = retry != nullptr ? *retry : options_.retry;
  const bool virtual_host = !path_style_ && !request.bucket.empty();
  const std::string host = virtual_host ? request.bucket + "." + host_ : host_;
  std::string path;
  if (virtual_host) {
    path = "/" + uri_encode(request.key, true);
  } else {
    path = "/" + request.bucket;
    if (!request.key.empty()) path += "/" + uri_encode(request.key, true);
  }
  const std::string query = canonical_query(request.query);
  const std::string url = scheme_ + "://" + host + path + (query.empty() ? "" : "?" + query);

  std::string payload_hash;
  if (request.reader != nullptr) {
    payload_hash = kUnsignedPayload;
  } else if (request.body.empty()) {
    payload_hash = kEmptyPayloadSha256;
  } else if (options_.payload_signing == PayloadSigning::kAlways ||
             (options_.payload_signing == PayloadSigning::kAuto && !https_)) {
    payload_hash = sha256_hex(request.body.data(), request.body.size());
  } else {
    payload_hash = kUnsignedPayload;
  }

  const auto started = std::chrono::steady_clock::now();
  std::string last_error;
  for (int attempt = 1;; ++attempt) {
    const auto now = std::chrono::system_clock::now();
    const std::string date = amz_date(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    SigningRequest signing;
    signing.method = request.method;
    signing.canonical_uri = path;
    signing.query = request.query;
    signing.headers = request.headers;
    signing.headers.emplace_back("host", host);
    signing.headers.emplace_back("x-amz-content-sha256", payload_hash);
    signing.headers.emplace_back("x-amz-date", date);
    if (!options_.credentials.session_token.empty()) {
      signing.headers.emplace_back("x-amz-security-token", options_.credentials.session_token);
    }
    signing.payload_hash = payload_hash;
    const Signature signature = sign_v4(signing, {options_.credentials.access_key, options_.credentials.secret_key,
                                                  options_.region, "s3", date});

    curl_slist* headers = nullptr;
    for (const auto& [name, value] : signing.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
    headers = curl_slist_append(headers, ("Authorization: " + signature.authorization).c_str());
    headers = curl_slist_append(headers, "Expect:");        // no 100-continue round trip
    headers = curl_slist_append(headers, "Content-Type:");  // curl's form default means nothing to S3
    headers = curl_slist_append(headers, "Accept:");

    Response response;
    TransferState st;
    st.request = &request;
    st.response = &response;
    CURL* h = handles_->acquire();
    st.handle = h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_SHARE, handles_->share());
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    const std::uint64_t body_size = request.reader != nullptr ? request.reader_size : request.body.size();
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &st);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &on_seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &st);
    } else if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &st);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &on_seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &st);
    } else if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);

    requests_.fetch_add(1, std::memory_order_relaxed);
    if (request.method != "GET" && request.method != "HEAD") write_requests_.fetch_add(1, std::memory_order_relaxed);
    const CURLcode code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(headers);
    // A handle whose transfer failed may hold a broken connection; drop it.
    if (code == CURLE_OK) {
      handles_->release(h);
    } else {
      curl_easy_cleanup(h);
    }

    if (st.read_error) return Status::error("S3 " + request.what() + ": reading the body: " + st.read_error->message());
    if (st.overflow) {
      return Status::error("S3 " + request.what() + ": the server sent more bytes than the " +
                           std::to_string(request.out_capacity) + " asked for");
    }

    if (st.empty_object) {
      response.status = 206;
      return response;
    }

    bool transient = false;
    if (code != CURLE_OK) {
      transient = transient_curl(code);
      last_error = std::string(error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code)) + " (curl error " +
                   std::to_string(static_cast<int>(code)) + ")";
    } else if (response.status >= 500 || response.status == 429 ||
               (response.status == 400 && transient_code(parse_xml_error(response.body).code))) {
      transient = true;
      const XmlError e = parse_xml_error(response.body);
      last_error = "HTTP " + std::to_string(response.status) + (e.code.empty() ? "" : " " + e.code) +
                   (e.message.empty() ? "" : ": " + e.message);
    } else {
      return response;  // success, or a permanent answer the caller interprets
    }

    // Streamed bodies are retried only when they can start again.
    const bool can_resend =
        request.reader == nullptr || (request.rewind != nullptr && *request.rewind && (*request.rewind)());
    if (request.reader != nullptr) st.streamed = 0;
    if (!transient || !can_resend || attempt >= policy.max_attempts) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      char elapsed[32];
      std::snprintf(elapsed, sizeof elapsed, "%.1f", seconds);
      std::string msg = "S3 " + request.what() + " at " + endpoint_ + ": " + last_error;
      if (transient) {
        msg += " (gave up after " + std::to_string(attempt) + " attempt" + (attempt == 1 ? "" : "s") + " in " +
               elapsed + " s)";
      }
      return Status::error(msg);
    }
    std::this_thread::sleep_for(backoff(policy, attempt));
  }
}

Status S3Client::error_status(const Request& request, const Response& response) const {
  const XmlError e = parse_xml_error(response.body);
  std::string msg = "S3 " + request.what() + ": HTTP " + std::to_string(response.status);
  if (!e.code.empty()) msg += " " + e.code;
  if (!e.message.empty()) msg += ": " + e.message;
  if (e.code.empty() && request.method == "HEAD") msg += " (a HEAD response has no error body)";
  if (response.status == 401 || response.status == 403 || e.code == "InvalidAccessKeyId" ||
      e.code == "SignatureDoesNotMatch" || e.code == "ExpiredToken" || e.code == "InvalidToken") {
    msg += " [credentials from " + options_.credentials.source + ", access key " + options_.credentials.access_key +
           ", region " + options_.region + ", endpoint " + endpoint_ + "]";
  }
  return Status::error(msg);
}

// ---------------------------------------------------------------------------
// Object operations

Result<std::optional<ObjectInfo>> S3Client::head_object(std::string_view bucket, std::string_view key) {
  Request req;
  req.method = "HEAD";
  req.bucket = bucket;
  req.key = key;
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status == 404) return std::optional<ObjectInfo>();
  if (res->status != 200) return error_status(req, *res);
  ObjectInfo info;
  info.key = key;
  info.size = parse_u64(res->header("content-length"));
  info.etag = res->header("etag");
  info.last_modified = res->header("last-modified");
  return std::optional<ObjectInfo>(std::move(info));
}

Status S3Client::put_object(std::string_view bucket, std::string_view key, std::span<const std::byte> body) {
  Request req;
  req.method = "PUT";
  req.bucket = bucket;
  req.key = key;
  req.body = body;
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status != 200) return error_status(req, *res);
  return Status();
}

Status S3Client::put_object_stream(std::string_view bucket, std::string_view key, std::uint64_t size,
                                   const BodyReader& reader, const std::function<bool()>& rewind) {
  Request req;
  req.method = "PUT";
  req.bucket = bucket;
  req.key = key;
  req.reader = &reader;
  req.reader_size = size;
  req.rewind = rewind ? &rewind : nullptr;
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status != 200) return error_status(req, *res);
  return Status();
}

Result<std::optional<std::string>> S3Client::get_object(std::string_view bucket, std::string_view key,
                                                        std::optional<ByteRange> range) {
  Request req;
  req.bucket = bucket;
  req.key = key;
  if (range) {
    if (range->length == 0) return std::optional<std::string>(std::string());
    req.headers.emplace_back("range", "bytes=" + std::to_string(range->offset) + "-" +
                                          std::to_string(range->offset + range->length - 1));
  }
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status == 404 && parse_xml_error(res->body).code != "NoSuchBucket") return std::optional<std::string>();
  if (res->status == 416) return std::optional<std::string>(std::string());
  if (res->status != 200 && res->status != 206) return error_status(req, *res);
  return std::optional<std::string>(std::move(res->body));
}

Result<std::optional<GetResult>> S3Client::get_range(std::string_view bucket, std::string_view key, ByteRange range,
                                                     std::byte* out, std::string_view if_match) {
  if (range.length == 0) {
    auto info = head_object(bucket, key);
    if (!info.ok()) return info.status();
    if (!info->has_value()) return std::optional<GetResult>();
    return std::optional<GetResult>(GetResult{0, (*info)->size, (*info)->etag});
  }
  Request req;
  req.bucket = bucket;
  req.key = key;
  const std::string range_text =
      "bytes=" + std::to_string(range.offset) + "-" + std::to_string(range.offset + range.length - 1);
  req.headers.emplace_back("range", range_text);
  if (!if_match.empty()) req.headers.emplace_back("if-match", std::string(if_match));
  req.detail = range_text;
  req.out = out;
  req.out_capacity = static_cast<std::size_t>(range.length);
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status == 404 && parse_xml_error(res->body).code != "NoSuchBucket") return std::optional<GetResult>();
  if (res->status == 416) {
    // At or past the end (an empty object included): no bytes, and the size from HEAD.
    auto info = head_object(bucket, key);
    if (!info.ok()) return info.status();
    if (!info->has_value()) return std::optional<GetResult>();
    return std::optional<GetResult>(GetResult{0, (*info)->size, (*info)->etag});
  }
  if (res->status == 412) {
    return Status::error("S3 " + req.what() + ": the object changed while it was being read (ETag is no longer " +
                         std::string(if_match) + ")");
  }
  if (res->status != 200 && res->status != 206) return error_status(req, *res);
  GetResult out_result;
  out_result.bytes = res->out_bytes;
  out_result.etag = res->header("etag");
  if (res->status == 206) {
    auto total = content_range_total(res->header("content-range"));
    if (!total) return Status::error("S3 " + req.what() + ": 206 response without a usable Content-Range");
    out_result.object_size = *total;
  } else {
    out_result.object_size = parse_u64(res->header("content-length"));  // server ignored the range: whole object
  }
  if (!if_match.empty() && !out_result.etag.empty() && out_result.etag != if_match) {
    return Status::error("S3 " + req.what() + ": the object changed while it was being read (ETag " +
                         out_result.etag + ", expected " + std::string(if_match) + ")");
  }
  return std::optional<GetResult>(std::move(out_result));
}

Status S3Client::delete_object(std::string_view bucket, std::string_view key) {
  Request req;
  req.method = "DELETE";
  req.bucket = bucket;
  req.key = key;
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status == 204 || res->status == 200) return Status();
  if (res->status == 404 && parse_xml_error(res->body).code == "NoSuchKey") return Status();
  return error_status(req, *res);
}

Result<ListPage> S3Client::list_objects_page(std::string_view bucket, std::string_view prefix,
                                             std::string_view continuation_token, int max_keys,
                                             std::string_view delimiter) {
  Request req;
  req.bucket = bucket;
  req.query = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}, {"prefix", std::string(prefix)}};
  if (!continuation_token.empty()) req.query.emplace_back("continuation-token", std::string(continuation_token));
  if (!delimiter.empty()) req.query.emplace_back("delimiter", std::string(delimiter));
  req.detail = "list prefix '" + std::string(prefix) + "'";
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status != 200) return error_status(req, *res);
  pugi::xml_document doc;
  if (!doc.load_buffer(res->body.data(), res->body.size())) {
    return Status::error("S3 " + req.what() + ": the response is not XML");
  }
  pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) return Status::error("S3 " + req.what() + ": the response has no ListBucketResult");
  ListPage page;
  for (pugi::xml_node c : root.children("Contents")) {
    ObjectInfo info;
    info.key = c.child_value("Key");
    info.size = parse_u64(c.child_value("Size"));
    info.etag = c.child_value("ETag");
    info.last_modified = c.child_value("LastModified");
    page.objects.push_back(std::move(info));
  }
  for (pugi::xml_node p : root.children("CommonPrefixes")) page.common_prefixes.emplace_back(p.child_value("Prefix"));
  if (std::string_view(root.child_value("IsTruncated")) == "true") {
    page.next_continuation_token = root.child_value("NextContinuationToken");
    if (page.next_continuation_token.empty()) {
      return Status::error("S3 " + req.what() + ": a truncated listing without NextContinuationToken");
    }
  }
  return page;
}

Result<std::vector<ObjectInfo>> S3Client::list_objects(std::string_view bucket, std::string_view prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  do {
    auto page = list_objects_page(bucket, prefix, token);
    if (!page.ok()) return page.status();
    for (auto& o : page->objects) out.push_back(std::move(o));
    token = std::move(page->next_continuation_token);
  } while (!token.empty());
  return out;
}

Result<std::string> S3Client::create_multipart_upload(std::string_view bucket, std::string_view key) {
  Request req;
  req.method = "POST";
  req.bucket = bucket;
  req.key = key;
  req.query = {{"uploads", ""}};
  req.detail = "create multipart upload";
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status != 200) return error_status(req, *res);
  pugi::xml_document doc;
  doc.load_buffer(res->body.data(), res->body.size());
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) return Status::error("S3 " + req.what() + ": the response has no UploadId");
  return id;
}

Result<std::string> S3Client::upload_part(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                          int part_number, std::span<const std::byte> body) {
  Request req;
  req.method = "PUT";
  req.bucket = bucket;
  req.key = key;
  req.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}};
  req.detail = "part " + std::to_string(part_number);
  req.body = body;
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status != 200) return error_status(req, *res);
  std::string etag = res->header("etag");
  if (etag.empty()) return Status::error("S3 " + req.what() + ": the response has no ETag");
  return etag;
}

Status S3Client::complete_multipart_upload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                           const std::vector<CompletedPart>& parts) {
  pugi::xml_document body_doc;
  pugi::xml_node root = body_doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const CompletedPart& p : parts) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.part_number);
    part.append_child("ETag").text().set(p.etag.c_str());
  }
  std::ostringstream xml;
  body_doc.save(xml, "", pugi::format_raw);
  const std::string body = xml.str();

  Request req;
  req.method = "POST";
  req.bucket = bucket;
  req.key = key;
  req.query = {{"uploadId", std::string(upload_id)}};
  req.detail = "complete multipart upload of " + std::to_string(parts.size()) + " parts";
  req.body = std::as_bytes(std::span(body.data(), body.size()));
  auto res = execute(req);
  if (!res.ok()) return res.status();
  if (res->status != 200) return error_status(req, *res);
  // S3 may answer 200 and still fail: the error is then in the body.
  if (!parse_xml_error(res->body).code.empty()) {
    Response r = std::move(*res);
    r.status = 200;
    return error_status(req, r);
  }
  return Status();
}

Status S3Client::abort_multipart_upload(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                        const RetryPolicy* retry) {
  Request req;
  req.method = "DELETE";
  req.bucket = bucket;
  req.key = key;
  req.query = {{"uploadId", std::string(upload_id)}};
  req.detail = "abort multipart upload " + std::string(upload_id);
  auto res = execute(req, retry);
  if (!res.ok()) return res.status();
  if (res->status == 204 || res->status == 200) return Status();
  if (res->status == 404 && parse_xml_error(res->body).code == "NoSuchUpload") return Status();
  return error_status(req, *res);
}

Result<std::vector<MultipartUploadInfo>> S3Client::list_multipart_uploads(std::string_view bucket,
                                                                          std::string_view prefix) {
  std::vector<MultipartUploadInfo> out;
  std::string key_marker;
  std::string upload_marker;
  for (;;) {
    Request req;
    req.bucket = bucket;
    req.query = {{"uploads", ""}, {"prefix", std::string(prefix)}};
    if (!key_marker.empty()) req.query.emplace_back("key-marker", key_marker);
    if (!upload_marker.empty()) req.query.emplace_back("upload-id-marker", upload_marker);
    req.detail = "list multipart uploads under '" + std::string(prefix) + "'";
    auto res = execute(req);
    if (!res.ok()) return res.status();
    if (res->status != 200) return error_status(req, *res);
    pugi::xml_document doc;
    doc.load_buffer(res->body.data(), res->body.size());
    pugi::xml_node root = doc.child("ListMultipartUploadsResult");
    if (!root) return Status::error("S3 " + req.what() + ": the response has no ListMultipartUploadsResult");
    for (pugi::xml_node u : root.children("Upload")) {
      out.push_back({u.child_value("Key"), u.child_value("UploadId"), u.child_value("Initiated")});
    }
    if (std::string_view(root.child_value("IsTruncated")) != "true") break;
    key_marker = root.child_value("NextKeyMarker");
    upload_marker = root.child_value("NextUploadIdMarker");
    if (key_marker.empty() && upload_marker.empty()) break;
  }
  return out;
}

Status S3Client::check_bucket(std::string_view bucket, std::string_view prefix) {
  auto page = list_objects_page(bucket, prefix, {}, 1);
  return page.ok() ? Status() : page.status();
}

}  // namespace baton::aws
