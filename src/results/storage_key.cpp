#include <baton/result_storage.h>

namespace baton {

Status validate_storage_key(std::string_view key) {
  auto bad = [key](std::string_view why) {
    return Status::error("bad storage key '" + std::string(key) + "': " + std::string(why));
  };
  if (key.empty()) return bad("empty");
  if (key.size() > 1024) return bad("longer than 1024 bytes");
  if (key.front() == '/') return bad("starts with '/' (keys are relative)");
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view seg = key.substr(start, end - start);
    if (seg.empty()) return bad("empty path segment");
    if (seg == "." || seg == "..") return bad("'.' or '..' segment");
    if (seg.starts_with(".baton")) return bad("segments starting with '.baton' are reserved");
    if (seg.size() > 255) return bad("a segment is longer than 255 bytes");
    for (char c : seg) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7F || c == '\\') return bad("control character or backslash");
    }
    start = end + 1;
  }
  return Status();
}

}  // namespace baton
