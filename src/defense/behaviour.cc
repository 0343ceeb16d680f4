#include "defense/behaviour.h"

#include <boost/json.hpp>
#include <charconv>

#include "common/cidr.h"

namespace strongroom::defense {
namespace {

namespace json = boost::json;

std::string Text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

template <typename Table>
void Bound(Table& table, const std::string& key) {
  if (table.size() >= kMaxKeys && !table.contains(key)) table.clear();
}

}  // namespace

std::optional<Fact> FactOf(std::string_view canonical) {
  boost::system::error_code ec;
  const auto v = json::parse(canonical, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  Fact f;
  const auto time = ParseRfc3339(Text(o, "time"));
  if (!time) return std::nullopt;
  f.time = *time;
  if (const auto* a = o.if_contains("actor"); a != nullptr && a->is_object()) {
    f.account_id = Text(a->get_object(), "id");
    f.username = Text(a->get_object(), "username");
    f.session = Text(a->get_object(), "session");
  }
  f.source = Text(o, "source");
  f.action = Text(o, "action");
  f.outcome = Text(o, "outcome");
  if (const auto* d = o.if_contains("decision"); d != nullptr && d->is_object()) {
    const auto* allow = d->get_object().if_contains("allow");
    f.allowed = allow != nullptr && allow->is_bool() && allow->get_bool();
  }
  if (const auto* d = o.if_contains("detail"); d != nullptr && d->is_object()) {
    const auto count = Text(d->get_object(), "count");
    std::from_chars(count.data(), count.data() + count.size(), f.count);
    f.wrong_code = d->get_object().contains("second_factor_failures");
  }
  return f;
}

std::string_view ActionOf(Pattern::Kind kind) {
  switch (kind) {
    case Pattern::Kind::kCredentialStuffing:
      return "security.credential_stuffing";
    case Pattern::Kind::kPasswordSpraying:
      return "security.password_spraying";
    case Pattern::Kind::kTotpGuessing:
      return "security.totp_guessing";
    case Pattern::Kind::kEnumeration:
      return "security.enumeration";
    case Pattern::Kind::kBulkReading:
      return "security.bulk_reading";
    case Pattern::Kind::kNewSourceAfterFailures:
      return "security.new_source_after_failures";
  }
  return "security.behaviour";
}

bool Behaviour::AddDistinct(std::unordered_map<std::string, Distinct>& table,
                            const std::string& key, const std::string& value, TimePoint now,
                            std::chrono::minutes window, int enough, int* count) {
  Bound(table, key);
  auto& d = table[key];
  if (d.values.empty() || now - d.started >= window) d = Distinct{now, {}, false};
  if (static_cast<int>(d.values.size()) < enough) d.values.insert(value);
  *count = static_cast<int>(d.values.size());
  if (d.reported || *count < enough) return false;
  d.reported = true;
  return true;
}

bool Behaviour::AddTime(std::unordered_map<std::string, Times>& table, const std::string& key,
                        TimePoint now, std::chrono::minutes window, int enough) {
  Bound(table, key);
  auto& t = table[key];
  t.at.push_back(now);
  while (!t.at.empty() && now - t.at.front() >= window) t.at.pop_front();
  while (static_cast<int>(t.at.size()) > enough) t.at.pop_front();
  if (static_cast<int>(t.at.size()) < enough) return false;
  if (t.reported_at && now - *t.reported_at < window) return false;  // once a window
  t.reported_at = now;
  return true;
}

void Behaviour::SignInFailed(const Fact& f, std::vector<Pattern>& out) {
  const auto source = SourceKey(f.source);
  int count = 0;
  if (AddDistinct(usernames_by_source_, source, f.username, f.time, kPatternWindow,
                  kStuffingUsernames, &count)) {
    out.push_back({Pattern::Kind::kCredentialStuffing, f.source, "", count, 4});
  }
  if (f.username.empty() || f.username == "(malformed username)") return;
  if (AddDistinct(sources_by_username_, f.username, source, f.time, kPatternWindow,
                  kSprayingSources, &count)) {
    out.push_back({Pattern::Kind::kPasswordSpraying, f.source, f.username, count, 0});
  }
  (void)AddTime(failures_by_account_, f.username, f.time, kPatternWindow, kNewSourceFailures);
}

std::vector<Pattern> Behaviour::Observe(const Fact& f) {
  std::vector<Pattern> out;
  if (f.action.starts_with("security.")) return out;  // this module's own, and the WAF's
  const auto source = SourceKey(f.source);
  if (f.action == "auth.login.password" && !f.allowed) {
    SignInFailed(f, out);
  } else if ((f.action == "auth.login.password" || f.action == "auth.login") && f.allowed &&
             !f.username.empty()) {
    // Someone who signs in from here after a mistake was not stuffing credentials.
    if (const auto it = usernames_by_source_.find(source);
        it != usernames_by_source_.end() && !it->second.reported) {
      it->second.values.erase(f.username);
    }
    if (f.action == "auth.login" && !f.session.empty()) {
      Bound(session_source_, f.session);
      session_source_[f.session] = source;
    }
  } else if (f.action == "auth.login" && f.wrong_code && !f.username.empty()) {
    // A wrong second factor on a live challenge, however many challenges.
    if (AddTime(totp_failures_by_source_, f.username + " " + source, f.time, kPatternWindow,
                kTotpFailures)) {
      out.push_back({Pattern::Kind::kTotpGuessing, f.source, f.username, kTotpFailures, 4});
    } else if (AddTime(totp_failures_, f.username, f.time, kPatternWindow, kTotpFailures)) {
      out.push_back({Pattern::Kind::kTotpGuessing, f.source, f.username, kTotpFailures, 0});
    }
    (void)AddTime(failures_by_account_, f.username, f.time, kPatternWindow, kNewSourceFailures);
  } else if ((f.action == "record.view" || f.action == "record.update" ||
              f.action == "record.delete") &&
             f.outcome == "not_found") {
    const auto key = f.username.empty() ? source : f.username;
    if (AddTime(misses_, key, f.time, kEnumerationWindow, kEnumerationMisses)) {
      out.push_back({Pattern::Kind::kEnumeration, f.source, f.username, kEnumerationMisses, 2});
    }
  } else if (f.action == "record.list" && f.allowed && !f.username.empty() && f.count > 0) {
    Bound(listed_, f.username);
    auto& l = listed_[f.username];
    l.lists.emplace_back(f.time, f.count);
    l.total += f.count;
    while (!l.lists.empty() && (f.time - l.lists.front().first >= std::chrono::hours(24) ||
                                l.lists.size() > kMaxLists)) {
      l.total -= l.lists.front().second;
      l.lists.pop_front();
    }
    const bool near = static_cast<double>(l.total) >= kBulkShare * export_threshold_;
    if (near && (!l.reported_at || f.time - *l.reported_at >= std::chrono::hours(24))) {
      l.reported_at = f.time;
      out.push_back(
          {Pattern::Kind::kBulkReading, f.source, f.username, static_cast<int>(l.total), 0});
    }
  }
  // A session at work from another source than the one it signed in from, after failures.
  if (f.allowed && !f.session.empty() && !f.username.empty() && f.action != "auth.login") {
    const auto failures = failures_by_account_.find(f.username);
    const bool burst = failures != failures_by_account_.end() &&
                       static_cast<int>(failures->second.at.size()) >= kNewSourceFailures &&
                       f.time - failures->second.at.front() < kPatternWindow;
    const auto began = session_source_.find(f.session);
    if (burst && began != session_source_.end() && began->second != source &&
        !reported_sessions_.contains(f.session)) {
      if (reported_sessions_.size() >= kMaxKeys) reported_sessions_.clear();
      reported_sessions_.insert(f.session);
      out.push_back({Pattern::Kind::kNewSourceAfterFailures, f.source, f.username,
                     static_cast<int>(failures->second.at.size()), 0});
    }
  }
  return out;
}

}  // namespace strongroom::defense
