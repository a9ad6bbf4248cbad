#include <baton/byte_stream.h>

#include <algorithm>
#include <cstring>

namespace baton {

Result<std::size_t> SpanSource::read(void* data, std::size_t size) {
  const std::size_t n = std::min(size, bytes_.size() - pos_);
  if (n > 0) std::memcpy(data, bytes_.data() + pos_, n);
  pos_ += n;
  return n;
}

}  // namespace baton
