#include "engine/log_capture.h"

#include "engine/logging_internal.h"
#include "engine/run_context.h"

#include <pthread.h>

#include <cstring>
#include <iostream>
#include <mutex>
#include <streambuf>
#include <string>

namespace baton::engine {

namespace {

std::mutex g_terminal_mu;  // one whole line at a time on the terminal
std::streambuf* g_stdout = nullptr;
std::streambuf* g_stderr = nullptr;

// Unbuffered from the stream's point of view (no put area is shared between
// threads): every write lands in this thread's line buffer.
class CaptureBuf final : public std::streambuf {
 public:
  explicit CaptureBuf(bool is_stderr) : is_stderr_(is_stderr) {}

  void flush_partial() {
    Line& l = line();
    if (!l.text.empty()) emit_line(l, false);
  }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    char c = traits_type::to_char_type(ch);
    append(&c, 1);
    return ch;
  }

  std::streamsize xsputn(const char* s, std::streamsize n) override {
    append(s, static_cast<std::size_t>(n));
    return n;
  }

  // A flush shows the partial line on the terminal now (prompts, progress) but
  // keeps it for the log until its line is complete.
  int sync() override {
    Line& l = line();
    if (l.shown < l.text.size()) {
      write_terminal(is_stderr_, std::string_view(l.text).substr(l.shown));
      l.shown = l.text.size();
    }
    return 0;
  }

 private:
  struct Line {
    std::string text;
    std::size_t shown = 0;  // bytes of text already written to the terminal
  };

  Line& line() {
    thread_local Line lines[2];
    return lines[is_stderr_ ? 1 : 0];
  }

  void append(const char* s, std::size_t n) {
    Line& l = line();
    while (n > 0) {
      const char* nl = static_cast<const char*>(std::memchr(s, '\n', n));
      if (nl == nullptr) {
        l.text.append(s, n);
        return;
      }
      std::size_t len = static_cast<std::size_t>(nl - s);
      l.text.append(s, len);
      emit_line(l, true);
      s += len + 1;
      n -= len + 1;
    }
  }

  void emit_line(Line& l, bool newline) {
    const detail::RunContext& ctx = detail::current_context();
    if (ctx.log_prints && (ctx.task != nullptr || ctx.flow != nullptr || ctx.remote != nullptr)) {
      record_captured_line(LogLevel::Info, l.text);
    }
    std::string_view rest = std::string_view(l.text).substr(l.shown);
    if (newline) {
      std::string out(rest);
      out.push_back('\n');
      write_terminal(is_stderr_, out);
    } else if (!rest.empty()) {
      write_terminal(is_stderr_, rest);
    }
    l.text.clear();
    l.shown = 0;
  }

  bool is_stderr_;
};

CaptureBuf* g_capture_out = nullptr;
CaptureBuf* g_capture_err = nullptr;

}  // namespace

void install_log_capture() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A process pool forks while other threads print: the child must not inherit
    // the terminal lock held.
    pthread_atfork([] { g_terminal_mu.lock(); }, [] { g_terminal_mu.unlock(); }, [] { g_terminal_mu.unlock(); });
    g_stdout = std::cout.rdbuf();
    g_stderr = std::cerr.rdbuf();
    // Leaked on purpose: streams may be written during static destruction.
    g_capture_out = new CaptureBuf(false);
    g_capture_err = new CaptureBuf(true);
    std::cout.rdbuf(g_capture_out);
    std::cerr.rdbuf(g_capture_err);
  });
}

void flush_thread_output() {
  if (g_capture_out != nullptr) g_capture_out->flush_partial();
  if (g_capture_err != nullptr) g_capture_err->flush_partial();
}

void write_terminal(bool to_stderr, std::string_view text) {
  std::lock_guard lock(g_terminal_mu);
  std::streambuf* out = to_stderr ? g_stderr : g_stdout;
  if (out == nullptr) out = to_stderr ? std::cerr.rdbuf() : std::cout.rdbuf();
  out->sputn(text.data(), static_cast<std::streamsize>(text.size()));
  out->pubsync();
}

}  // namespace baton::engine
