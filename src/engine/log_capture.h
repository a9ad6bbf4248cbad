#pragma once
// log_prints: std::cout and std::cerr are routed through a stream buffer that keeps
// one line buffer per thread, so lines printed by concurrent tasks never mix and
// each complete line is attributed to the run its thread is executing. Every line
// still reaches the terminal, whole.
#include <string_view>

namespace baton::engine {

// Installs the capturing buffers on std::cout and std::cerr (once per process).
void install_log_capture();
// Emits what this thread printed without a final newline yet (end of a run body).
void flush_thread_output();
// Writes text straight to the terminal's stderr or stdout, bypassing capture, as
// one piece (no interleaving with captured lines).
void write_terminal(bool to_stderr, std::string_view text);

}  // namespace baton::engine
