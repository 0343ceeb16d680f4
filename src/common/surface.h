#pragma once
// What a listener serves, and so what a request that came in on it may reach. Strongroom's routes
// fall into three surfaces, each normally on its own listener (DESIGN.md, network segmentation):
//
// - public: records, exports and the sign-in of standard accounts;
// - admin: privileged sign-in, administration, the audit log, retention orders and SCIM;
// - metrics: the Prometheus exposition, and nothing else.
//
// A listener serves a set of surfaces (one for each listener in production; all three on one
// listener for development), and a connection's set is the listener's minus the surfaces its
// source is not allowed (the admin and metrics allow-lists). A route belongs to one surface or,
// like health and sign-in, to several; it is found only on a connection that reaches one of them.

#include <cstdint>
#include <string_view>

namespace strongroom {

enum class Surface : uint8_t {
  kNone = 0,
  kPublic = 1,
  kAdmin = 2,
  kMetrics = 4,
  kAll = 7,
};

constexpr Surface operator|(Surface a, Surface b) {
  return static_cast<Surface>(static_cast<uint8_t>(a) | static_cast<uint8_t>(b));
}
constexpr Surface operator&(Surface a, Surface b) {
  return static_cast<Surface>(static_cast<uint8_t>(a) & static_cast<uint8_t>(b));
}
constexpr Surface Without(Surface a, Surface b) {
  return static_cast<Surface>(static_cast<uint8_t>(a) & ~static_cast<uint8_t>(b));
}
// Whether `have` reaches any surface of `want`.
constexpr bool Reaches(Surface have, Surface want) { return (have & want) != Surface::kNone; }

// "public", "admin", "metrics", or several joined with '+'.
std::string_view SurfaceName(Surface surface);

}  // namespace strongroom
