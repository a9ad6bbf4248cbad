#include <baton/cache_policy.h>

#include <algorithm>
#include <cstdint>

namespace baton::cache {

namespace {

void add_text(Hasher& h, std::string_view s) {
  const std::uint64_t n = s.size();
  h.update(&n, sizeof n);
  h.update(s.data(), s.size());
}

void add_fingerprint(Hasher& h, const Fingerprint& f) {
  h.update(&f.hi, sizeof f.hi);
  h.update(&f.lo, sizeof f.lo);
}

}  // namespace

Policy Policy::custom(KeyFunction fn) {
  Policy p;
  p.custom_.push_back(std::move(fn));
  return p;
}

Policy operator+(const Policy& a, const Policy& b) {
  Policy out = a;
  out.parts_ = a.parts_ + b.parts_;
  for (const auto& e : b.excluded_) out.excluded_.push_back(e);
  std::sort(out.excluded_.begin(), out.excluded_.end());
  out.excluded_.erase(std::unique(out.excluded_.begin(), out.excluded_.end()), out.excluded_.end());
  out.custom_.insert(out.custom_.end(), b.custom_.begin(), b.custom_.end());
  return out;
}

Policy operator-(const Policy& a, std::string_view argument) {
  Policy out = a;
  auto it = std::lower_bound(out.excluded_.begin(), out.excluded_.end(), argument);
  if (it == out.excluded_.end() || *it != argument) out.excluded_.insert(it, std::string(argument));
  return out;
}

std::optional<std::string> Policy::compute_key(const KeyContext& c) const {
  if (is_none()) return std::nullopt;
  if (parts_.bits == 0 && custom_.size() == 1) return custom_.front()(c);

  // Each part adds what it contributes, tagged, and nothing when it contributes
  // nothing (an empty source, no flow run, no arguments): so policies that differ
  // only by parts with nothing to say give the same key.
  Hasher h;
  h.update(std::string_view("baton.cache.v2"));
  add_text(h, c.task_name);
  if (parts_.bits & Parts::kInputs) {
    for (const Argument& arg : c.arguments) {
      if (!arg.fingerprint) continue;  // quoted: not part of any key
      if (std::binary_search(excluded_.begin(), excluded_.end(), arg.name)) continue;
      h.update(std::string_view("i"));
      add_text(h, arg.name);
      add_fingerprint(h, *arg.fingerprint);
    }
  }
  if ((parts_.bits & Parts::kTaskSource) && !c.task_source.empty()) {
    h.update(std::string_view("s"));
    add_text(h, c.task_source);
  }
  if ((parts_.bits & Parts::kFlowParameters) && c.flow_parameters) {
    h.update(std::string_view("p"));
    add_fingerprint(h, *c.flow_parameters);
  }
  if ((parts_.bits & Parts::kRunId) && !c.flow_run_id.empty()) {
    h.update(std::string_view("r"));
    h.update(&c.flow_run_id.hi, sizeof c.flow_run_id.hi);
    h.update(&c.flow_run_id.lo, sizeof c.flow_run_id.lo);
  }
  for (const KeyFunction& fn : custom_) {
    std::optional<std::string> part = fn(c);
    if (!part) return std::nullopt;
    add_text(h, *part);
  }
  return h.digest().str();
}

std::string Policy::describe() const {
  if (is_none()) return "none";
  std::string out;
  auto add = [&out](std::string_view s) {
    if (!out.empty()) out += " + ";
    out += s;
  };
  if (parts_.bits & Parts::kInputs) {
    std::string s = "inputs";
    for (const auto& e : excluded_) s += " - \"" + e + "\"";
    add(s);
  }
  if (parts_.bits & Parts::kTaskSource) add("task_source");
  if (parts_.bits & Parts::kFlowParameters) add("flow_parameters");
  if (parts_.bits & Parts::kRunId) add("run_id");
  for (std::size_t i = 0; i < custom_.size(); ++i) add("custom");
  return out;
}

}  // namespace baton::cache
