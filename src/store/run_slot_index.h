#pragma once
// A flat hash index from run ids to slot numbers: open addressing with linear
// probing in one array, deletion by backward shift (no tombstones). The run
// store's writer looks every event's run up here; a node-based map costs a
// cache miss per lookup and an allocation per run, this costs neither.
//
// Not thread-safe (the writer thread's own). Ids need not be non-empty.
#include <baton/run_id.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace baton::store {

class RunSlotIndex {
 public:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  // The slot of `id`, or kNone.
  std::uint32_t find(const RunId& id) const {
    if (size_ == 0) return kNone;
    for (std::size_t i = home(id);; i = (i + 1) & mask_) {
      const Entry& e = table_[i];
      if (e.slot == kNone) return kNone;
      if (e.id == id) return e.slot;
    }
  }

  // Adds `id`, which must not be present, with slot `slot` (not kNone).
  void insert(const RunId& id, std::uint32_t slot) {
    if ((size_ + 1) * 2 > table_.size()) grow();
    std::size_t i = home(id);
    while (table_[i].slot != kNone) i = (i + 1) & mask_;
    table_[i] = Entry{id, slot};
    ++size_;
  }

  // Removes `id` if present.
  void erase(const RunId& id) {
    if (size_ == 0) return;
    std::size_t i = home(id);
    while (true) {
      if (table_[i].slot == kNone) return;
      if (table_[i].id == id) break;
      i = (i + 1) & mask_;
    }
    // Backward shift: move later entries of the probe run into the hole when
    // their home is not between the hole and themselves.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; table_[j].slot != kNone; j = (j + 1) & mask_) {
      const std::size_t h = home(table_[j].id);
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (!stays) {
        table_[hole] = table_[j];
        hole = j;
      }
    }
    table_[hole] = Entry{};
    --size_;
  }

  std::size_t size() const { return size_; }

 private:
  struct Entry {
    RunId id;
    std::uint32_t slot = kNone;
  };

  std::size_t home(const RunId& id) const { return std::hash<RunId>{}(id) & mask_; }

  void grow() {
    std::vector<Entry> old = std::exchange(table_, std::vector<Entry>(old_capacity_or_min() * 2));
    mask_ = table_.size() - 1;
    size_ = 0;
    for (const Entry& e : old) {
      if (e.slot != kNone) insert(e.id, e.slot);
    }
  }
  std::size_t old_capacity_or_min() const { return table_.empty() ? 32 : table_.size(); }

  std::vector<Entry> table_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace baton::store
