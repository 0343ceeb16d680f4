// JSON request bodies (http/json.h): what the strict reader accepts is valid UTF-8, no deeper than
// allowed, has no key twice, and re-serialises to text it accepts again with the same meaning.
// Objects are then read as handlers read them (FieldReader).

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <set>

#include "common/utf8.h"
#include "fuzz_check.h"
#include "http/json.h"

namespace {

using namespace strongroom;

constexpr int kDepth = 16;

int Depth(const boost::json::value& v) {
  int deepest = 0;
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) deepest = std::max(deepest, Depth(kv.value()));
    return deepest + 1;
  }
  if (v.is_array()) {
    for (const auto& e : v.as_array()) deepest = std::max(deepest, Depth(e));
    return deepest + 1;
  }
  return 0;
}

bool NoKeyTwice(const boost::json::value& v) {
  if (v.is_object()) {
    std::set<std::string_view> keys;
    for (const auto& kv : v.as_object()) {
      if (!keys.insert(kv.key()).second || !NoKeyTwice(kv.value())) return false;
    }
  }
  if (v.is_array()) {
    for (const auto& e : v.as_array())
      if (!NoKeyTwice(e)) return false;
  }
  return true;
}

// The same shape as Boost.JSON's own reading of the text, each number within a hair of Boost's
// (which reads some a little off): so the strict reader's corrected numbers sit where they were.
bool LikeBoosts(const boost::json::value& ours, const boost::json::value& boosts) {
  if (ours.kind() != boosts.kind()) return false;
  switch (ours.kind()) {
    case boost::json::kind::double_: {
      const double a = ours.get_double(), b = boosts.get_double();
      // Boost reads zero with a large exponent ("-0e222222") as not a number; it is zero.
      return a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b)) ||
             (std::fabs(a) < 1e-300 && std::fabs(b) < 1e-300) || (a == 0 && !std::isfinite(b));
    }
    case boost::json::kind::array: {
      const auto &x = ours.get_array(), &y = boosts.get_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!LikeBoosts(x[i], y[i])) return false;
      }
      return true;
    }
    case boost::json::kind::object: {
      const auto &x = ours.get_object(), &y = boosts.get_object();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
        if (i->key() != j->key() || !LikeBoosts(i->value(), j->value())) return false;
      }
      return true;
    }
    default:
      return ours == boosts;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto text = fuzz::Text(data, size);
  auto value = http::ParseJson(text, kDepth);
  if (!value) return 0;
  FUZZ_CHECK(Utf8CodePoints(text).has_value(), "accepted text that is not UTF-8");
  FUZZ_CHECK(Depth(*value) <= kDepth, "accepted nesting deeper than allowed");
  FUZZ_CHECK(NoKeyTwice(*value), "accepted an object with a key twice");
  FUZZ_CHECK(LikeBoosts(*value, boost::json::parse(text)), "a value unlike Boost's reading of it");
  const auto again_text = boost::json::serialize(*value);
  auto again = http::ParseJson(again_text, kDepth);
  FUZZ_CHECK(again.has_value(), "refused its own re-serialisation");
  FUZZ_CHECK(*again == *value, "re-serialisation changed the meaning");

  if (value->is_object()) {
    http::FieldReader f(value->as_object());
    auto title = f.String("title", 800);
    FUZZ_CHECK(!title || title->size() <= 800, "a string longer than its bound");
    auto tags = f.StringArray("tags", 16, 32, false);
    FUZZ_CHECK(!tags || tags->size() <= 16, "more items than the bound");
    if (tags) {
      for (const auto& t : *tags) FUZZ_CHECK(t.size() <= 32, "an item longer than its bound");
    }
    auto n = f.Int("limit", 1, 100, 10);
    FUZZ_CHECK(!n || (*n >= 1 && *n <= 100), "a number outside its bounds");
    (void)f.Bool("active", false);
    (void)f.Object("body", false);
    (void)f.ObjectArray("items", 8, false);
    auto done = f.Finish();
    // Finish refuses any field not read: an object with only those fields is the only kind
    // it may pass.
    if (done) {
      for (const auto& kv : value->as_object()) {
        const auto k = kv.key();
        FUZZ_CHECK(k == "title" || k == "tags" || k == "limit" || k == "active" || k == "body" ||
                       k == "items",
                   "Finish passed a field nobody read");
      }
    }
  }
  return 0;
}
