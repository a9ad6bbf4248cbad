#pragma once
// The remembered fingerprint of a Column or Table: computed at most once,
// shared by copies of the same value, settable by a deserializer that read it
// from a file.
#include <mutex>
#include <optional>

#include <baton/column.h>

namespace baton::detail {

struct FingerprintCache {
  std::mutex mu;
  std::optional<Column::Fingerprint> value;  // guarded by mu

  template <class F>
  Column::Fingerprint get(F&& compute) {
    std::lock_guard<std::mutex> lock(mu);
    if (!value) value = compute();
    return *value;
  }
  void set(const Column::Fingerprint& fp) {
    std::lock_guard<std::mutex> lock(mu);
    value = fp;
  }
};

}  // namespace baton::detail
