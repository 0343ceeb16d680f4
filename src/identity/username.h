#pragma once
// Usernames: unique, per person, and never generic. A username is 3 to 64 characters of
// [a-z0-9._-], starting and ending with a letter or digit; upper-case ASCII is folded to lower case
// first, and anything else (spaces, control characters, non-ASCII look-alikes such as Cyrillic 'а'
// or full-width letters) is refused rather than normalised, so two different people can never end
// up with names that look the same. Generic names (admin, root, test, shared, team, support,
// guest, ...) are refused: an account must name one person.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace strongroom::identity {

// The built-in deny-list of generic names.
const std::vector<std::string>& DefaultGenericNames();

// Returns the canonical (lower-case) username, or kInvalidArgument with a message that does not
// echo the input.
Result<std::string> CanonicalUsername(
    std::string_view input, const std::vector<std::string>& generic_names = DefaultGenericNames());

}  // namespace strongroom::identity
