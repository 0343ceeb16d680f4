#pragma once
// A deployment's fingerprint: what an IT Health Check covered, and what, changed, makes a major
// change that needs a new one before it goes live (CONTROLS.md, penetration tests and ITHC).
//
// A major change is computed, never declared: a fingerprint is a list of named components, taken
// from the binary, the configuration and the host, and a change to any *major* component is a
// major change:
//   release     the version's MAJOR.MINOR (a new patch release is not a major change)
//   listeners   every listener's address and the admin and metrics allow-lists
//   tls         the minimum TLS version (the suites are fixed in the binary, so by release)
//   store       the store's backend
//   keys        the master key's provider
//   detection   attack detection on or off, its mode, paranoia level and threshold
// The version itself, the machine's name and the configuration file's SHA-256 are recorded, not
// compared: any other edit (a timeout, a log level, a retention period) is not a major change, and
// neither is the same deployment on another machine (several nodes, a rescheduled container:
// hosting is its listeners, TLS, store and keys).
//
// Values; pure functions, safe from any thread.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/error.h"

namespace strongroom::compliance {

struct Fingerprint {
  // (name, value) in a fixed order: the major components first.
  std::vector<std::pair<std::string, std::string>> components;

  // "name=value" lines, the form the register keeps.
  std::string Text() const;
  // SHA-256 (hex) of the major components: equal digests, no major change between.
  std::string Digest() const;
  std::string Value(std::string_view name) const;
};

// The names of the major components, in order.
std::vector<std::string_view> MajorComponents();

// The fingerprint of the deployment `config` describes, run by this build on `host`. The file
// `config.path` is read for its digest ("" if it cannot be read).
Fingerprint FingerprintOf(const Config& config, std::string_view version, std::string_view host);

// The fingerprint of the deployment here: this build, this machine.
Fingerprint CurrentFingerprint(const Config& config);

// Parses Text() back; kDataLoss if it is not in that form.
Result<Fingerprint> ParseFingerprint(std::string_view text);

// The major components whose values differ between `a` and `b`, by name.
std::vector<std::string> MajorDifferences(const Fingerprint& a, const Fingerprint& b);

}  // namespace strongroom::compliance
