// Under ThreadSanitizer (make tsan): a crashing task must die of its signal, not
// of the sanitizer's SEGV handler, and a forked worker may start threads (a flow
// inside a task), which ThreadSanitizer refuses after a fork unless told so.
// TSAN_OPTIONS from the environment still apply on top. Unused in other builds.
extern "C" const char* __tsan_default_options() { return "handle_segv=0 die_after_fork=0"; }
