#include "defense/scan_watch.h"

#include "common/cidr.h"

namespace strongroom::defense {

bool ScanWatch::Miss(std::string_view source, std::string_view method, std::string_view path,
                     TimePoint now) {
  const auto key = SourceKey(source);
  // Not a secret or a defence against collisions: two paths that collide count once, which only
  // makes a scanner need one more.
  const uint64_t hash =
      std::hash<std::string_view>{}(path)*31 + std::hash<std::string_view>{}(method);
  std::lock_guard lock(mu_);
  if (sources_.size() >= policy_.max_sources && !sources_.contains(key)) sources_.clear();
  auto& w = sources_[key];
  if (w.seen.empty() || now - w.started >= policy_.window) {
    w = Window{now, {}, false};
  }
  if (static_cast<int>(w.seen.size()) < policy_.distinct) w.seen.insert(hash);
  if (w.reported || static_cast<int>(w.seen.size()) < policy_.distinct) return false;
  w.reported = true;
  return true;
}

}  // namespace strongroom::defense
