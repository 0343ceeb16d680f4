#pragma once
// Small text helpers shared by the domain modules.

#include <string>
#include <string_view>
#include <vector>

namespace strongroom {

// "a,b,c" -> {"a","b","c"}; "" -> {}. Empty items are dropped.
std::vector<std::string> SplitList(std::string_view text, char separator = ',');
// `s` without the spaces and tabs at either end (HTTP's optional whitespace).
std::string_view TrimBlanks(std::string_view s);
// {"a","b"} -> "a,b".
std::string JoinList(const std::vector<std::string>& items, char separator = ',');
// `s` with ASCII letters lower-cased, every other byte as it is: how names that are ASCII by
// definition compare (the rule language's directives and variables, SQL keywords).
std::string AsciiLower(std::string_view s);

// A one-line human text field (a title, a name, a reason): valid UTF-8, `min`..`max` code points,
// and no control characters (C0, DEL, C1, U+2028/U+2029). The message names `what`, never the
// value.
struct TextRule {
  std::string_view what;
  size_t min = 1;
  size_t max = 200;
};
// Returns "" if `value` is acceptable, else the reason.
std::string CheckText(std::string_view value, const TextRule& rule);

}  // namespace strongroom
