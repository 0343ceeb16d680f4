#include "records/record_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "common/text.h"
#include "retention/holds.h"

namespace strongroom::records {
namespace {

// The hour a time falls in, as list_counts keys it: "2026-12-03T11" (RFC 3339 cut at the hour).
std::string HourOf(TimePoint t) { return FormatRfc3339(t).substr(0, 13); }

constexpr std::string_view kTitle = "title";
constexpr std::string_view kBody = "body";

std::unexpected<Error> NotFound() { return Fail(ErrorCode::kNotFound, "no such record"); }

std::unexpected<Error> Refused(const authz::Decision& d) {
  if (d.hidden) return NotFound();
  return Fail(ErrorCode::kPermissionDenied, "not permitted: " + d.reason);
}

// Ids are made here ("rec-" and 32 hex digits); anything else cannot name a record.
bool PlausibleId(std::string_view id) {
  if (id.size() != 36 || !id.starts_with("rec-")) return false;
  return std::all_of(id.begin() + 4, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string Text(std::span<const uint8_t> bytes) { return std::string(bytes.begin(), bytes.end()); }

void Decided(audit::Event& event, const authz::Decision& d) {
  event.allowed = d.allow;
  event.reason = d.reason;
}

// Refuses a subject that may never touch record content, before the record is looked up.
Result<void> AdmitSubject(const authz::Subject& subject, TimePoint now, audit::Event& event) {
  const auto d = authz::DecideSubject(subject, now);
  if (d.allow) return {};
  Decided(event, d);
  return Refused(d);
}

// An update or delete names the version it read: a stale one is refused.
Result<void> CheckVersion(int64_t version, int64_t expected, audit::Event& ev) {
  if (version == expected) return {};
  ev.reason = "stale version";
  return Fail(ErrorCode::kFailedPrecondition,
              "the record has changed since that version; fetch it again");
}

// True when an active Retention Order holds record `id`.
Result<bool> HeldByOrder(store::Transaction& tx, std::string_view id) {
  static const std::string sql = "SELECT CASE WHEN " + std::string(retention::kHeldByOrder) +
                                 " THEN 1 ELSE 0 END FROM records r WHERE r.id = ?";
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, {std::string(id)}));
  return !rows.empty() && rows.front().Int(0) != 0;
}

}  // namespace

std::string NewRecordId(TimePoint now, crypto::Random& random) {
  const auto ms = static_cast<uint64_t>(now.time_since_epoch().count());
  return fmt::format("rec-{:012x}{}", ms & 0xffff'ffff'ffffULL, random.RandomHex(10));
}

struct RecordService::Stored {
  std::string org_id;
  RecordSummary summary;
  Bytes wrapped_key;
  Bytes title;
  Bytes body;
  authz::Resource resource() const {
    return {org_id, summary.remit, summary.classification, summary.descriptors};
  }
};

RecordService::RecordService(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                             const Clock& clock, crypto::Random& random, RecordsOptions options)
    : store_(store),
      audit_(audit),
      keys_(keys),
      clock_(clock),
      random_(random),
      options_(std::move(options)) {}

audit::Event RecordService::MakeEvent(const identity::Principal& who, std::string action,
                                      std::string_view id,
                                      const identity::RequestContext& ctx) const {
  return identity::EventFor(who, std::move(action), "record", id, ctx);
}

std::unexpected<Error> RecordService::RefuseInput(audit::Event event, const Error& error) {
  event.reason = "invalid input: " + error.message;
  return audit_.Refuse(std::move(event), error);
}

std::unexpected<Error> RecordService::RefuseMalformed(const identity::Principal& who,
                                                      std::string action, std::string_view id,
                                                      const Error& error,
                                                      const identity::RequestContext& ctx) {
  return RefuseInput(MakeEvent(who, std::move(action), id.substr(0, 64), ctx), error);
}

Result<void> RecordService::Validate(const RecordInput& in, bool with_remit) const {
  auto bad = [](std::string message) { return Fail(ErrorCode::kInvalidArgument, message); };
  if (with_remit) {
    if (auto p = CheckText(in.remit, {"remit", 1, 64}); !p.empty()) return bad(p);
  }
  if (auto p = CheckText(in.title, {"title", 1, kMaxTitleChars}); !p.empty()) return bad(p);
  if (in.classification != "OFFICIAL" && in.classification != authz::kSensitive) {
    return bad("classification must be OFFICIAL or OFFICIAL-SENSITIVE");
  }
  if (in.descriptors.size() > options_.descriptors.size()) {
    return bad("descriptors must not repeat");
  }
  for (size_t i = 0; i < in.descriptors.size(); ++i) {
    const auto& d = in.descriptors[i];
    if (std::find(options_.descriptors.begin(), options_.descriptors.end(), d) ==
        options_.descriptors.end()) {
      return bad("descriptors must come from the configured vocabulary: " +
                 JoinList(options_.descriptors, ' '));
    }
    if (std::find(in.descriptors.begin(), in.descriptors.begin() + static_cast<long>(i), d) !=
        in.descriptors.begin() + static_cast<long>(i)) {
      return bad("descriptors must not repeat");
    }
  }
  if (in.body_json.size() > kMaxBodyBytes) {
    return bad(fmt::format("body must be at most {} bytes of JSON", kMaxBodyBytes));
  }
  if (in.retain_until && *in.retain_until <= clock_.Now()) {
    return bad("retain_until must be in the future");
  }
  return {};
}

RecordsOptions OptionsFrom(const RecordsConfig& config) {
  return {config.descriptors, std::chrono::days(config.retention_days_official),
          std::chrono::days(config.retention_days_sensitive), config.export_threshold};
}

TimePoint RetainUntil(const RecordsOptions& options, const RecordInput& input, TimePoint now) {
  if (input.retain_until) return *input.retain_until;
  return now + (input.classification == authz::kSensitive ? options.retention_sensitive
                                                          : options.retention_official);
}

Result<SealedNew> SealNewRecord(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                                std::string_view org_id, const RecordInput& input) {
  ASSIGN_OR_RETURN(auto key, keys.NewRecordKey(tx, org_id, id));
  SealedNew out{std::move(key.wrapped), {}, {}};
  ASSIGN_OR_RETURN(out.title, keys.SealPart(key.key, org_id, id, 1, kTitle, AsBytes(input.title)));
  ASSIGN_OR_RETURN(out.body,
                   keys.SealPart(key.key, org_id, id, 1, kBody, AsBytes(input.body_json)));
  return out;
}

Result<void> InsertRecord(store::Transaction& tx, std::string_view id, std::string_view org_id,
                          std::string_view author, const RecordInput& labels,
                          const SealedNew& sealed, TimePoint retain_until, TimePoint now) {
  const std::string created = FormatRfc3339(now);
  RETURN_IF_ERROR(
      tx.Exec("INSERT INTO records (id, org_id, remit, classification, descriptors, version, "
              "wrapped_key, title, body, author_id, created_at, updated_at, retain_until) VALUES "
              "(?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
              {std::string(id), std::string(org_id), labels.remit, labels.classification,
               JoinList(labels.descriptors), sealed.wrapped_key, sealed.title, sealed.body,
               std::string(author), created, created, FormatRfc3339(retain_until)}));
  for (const auto& descriptor : labels.descriptors) {
    RETURN_IF_ERROR(tx.Exec("INSERT INTO record_descriptors (record_id, descriptor) VALUES (?, ?)",
                            {std::string(id), descriptor}));
  }
  return {};
}

Result<void> InsertRecord(store::Transaction& tx, store::KeyStore& keys, std::string_view id,
                          std::string_view org_id, std::string_view author,
                          const RecordInput& input, TimePoint retain_until, TimePoint now) {
  ASSIGN_OR_RETURN(auto sealed, SealNewRecord(tx, keys, id, org_id, input));
  return InsertRecord(tx, id, org_id, author, input, sealed, retain_until, now);
}

Result<std::optional<RecordService::Stored>> RecordService::Load(store::Transaction& tx,
                                                                 std::string_view id) {
  if (!PlausibleId(id)) return std::optional<Stored>();
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT org_id, remit, classification, descriptors, "
                                       "version, wrapped_key, title, body, author_id, "
                                       "created_at, updated_at, retain_until FROM records WHERE "
                                       "id = ?",
                                       {std::string(id)}));
  if (rows.empty()) return std::optional<Stored>();
  const auto& r = rows.front();
  Stored s;
  s.org_id = r.Text(0);
  s.summary.id = std::string(id);
  s.summary.remit = r.Text(1);
  s.summary.classification = r.Text(2);
  s.summary.descriptors = SplitList(r.Text(3));
  s.summary.version = r.Int(4);
  s.wrapped_key = r.Blob(5);
  s.title = r.Blob(6);
  s.body = r.Blob(7);
  s.summary.author = r.Text(8);
  s.summary.created_at = r.Text(9);
  s.summary.updated_at = r.Text(10);
  s.summary.retain_until = r.Text(11);
  return std::optional<Stored>(std::move(s));
}

Result<RecordService::Stored> RecordService::Find(store::Transaction& tx,
                                                  const authz::Subject& subject,
                                                  std::string_view id, audit::Event& ev) {
  RETURN_IF_ERROR(AdmitSubject(subject, clock_.Now(), ev));
  ASSIGN_OR_RETURN(auto stored, Load(tx, id));
  if (!stored) {
    ev.reason = "no such record";
    return NotFound();
  }
  ev.target.org = stored->org_id;
  return std::move(*stored);
}

Result<Written> RecordService::Create(const identity::Principal& who, const RecordInput& input,
                                      const identity::RequestContext& ctx) {
  std::promise<Result<Written>> promise;
  auto future = promise.get_future();
  CreateAsync(who, input, ctx, [&promise](Result<Written> r) { promise.set_value(std::move(r)); });
  return future.get();
}

// The writer only writes: the decision reads nothing the write could change (the caller's
// account as authenticated, the record's labels as sent), and the sealing needs only the
// organisation key, which never changes while the service runs (store/key_store.h). Both happen
// here; the write inserts what they produced.
void RecordService::CreateAsync(const identity::Principal& who, const RecordInput& input,
                                const identity::RequestContext& ctx,
                                std::function<void(Result<Written>)> done) {
  std::string id = NewRecordId(clock_.Now(), random_);
  auto event = MakeEvent(who, "record.create", id, ctx);
  if (auto v = Validate(input, true); !v) return done(RefuseInput(std::move(event), v.error()));
  const auto& subject = who.account;
  const auto now = clock_.Now();
  const auto d = authz::Decide(
      subject, authz::Action::kCreate,
      authz::Resource{subject.org_id, input.remit, input.classification, input.descriptors}, now);
  Decided(event, d);
  event.target.org = subject.org_id;
  if (!d.allow) return done(audit_.Refuse(std::move(event), Refused(d).error()));
  std::optional<Result<SealedNew>> sealed;
  auto read = store_.Read([&](store::Transaction& tx) -> Result<void> {
    sealed.emplace(SealNewRecord(tx, keys_, id, subject.org_id, input));
    return {};
  });
  if (!read) sealed.emplace(std::unexpected(read.error()));
  if (!*sealed) return done(audit_.Failed(std::move(event), sealed->error()));
  // Labels only: the plaintext stays here.
  RecordInput labels{input.remit, {}, input.classification, input.descriptors, {}, {}};
  audit_.ChangeAsync<Written>(
      std::move(event),
      [id, org = subject.org_id, author = who.account.id, labels = std::move(labels),
       sealed = std::move(**sealed), retain_until = RetainUntil(options_, input, now),
       now](store::Transaction& tx, audit::Event& ev) -> Result<Written> {
        RETURN_IF_ERROR(InsertRecord(tx, id, org, author, labels, sealed, retain_until, now));
        ev.detail["version"] = "1";
        return Written{id, 1};
      },
      std::move(done));
}

Result<Record> RecordService::View(store::Transaction& tx, const authz::Subject& subject,
                                   std::string_view id, audit::Event& ev) {
  ASSIGN_OR_RETURN(auto stored, Find(tx, subject, id, ev));
  const auto d = authz::Decide(subject, authz::Action::kView, stored.resource(), clock_.Now());
  Decided(ev, d);
  if (!d.allow) return Refused(d);
  const auto version = stored.summary.version;
  ASSIGN_OR_RETURN(auto key, keys_.OpenRecordKey(tx, stored.org_id, id, stored.wrapped_key));
  ASSIGN_OR_RETURN(auto title,
                   keys_.OpenPart(key, stored.org_id, id, version, kTitle, stored.title));
  ASSIGN_OR_RETURN(auto body, keys_.OpenPart(key, stored.org_id, id, version, kBody, stored.body));
  Record out{std::move(stored.summary), Text(body)};
  out.summary.title = Text(title);
  ev.detail["version"] = std::to_string(version);
  return out;
}

Result<Record> RecordService::Get(const identity::Principal& who, std::string_view id,
                                  const identity::RequestContext& ctx) {
  const auto& subject = who.account;
  return audit_.Observe<Record>(
      MakeEvent(who, "record.view", id, ctx),
      [&](store::Transaction& tx, audit::Event& ev) { return View(tx, subject, id, ev); });
}

Result<Written> RecordService::Update(const identity::Principal& who, std::string_view id,
                                      int64_t expected_version, const RecordInput& input,
                                      const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "record.update", id, ctx);
  if (auto v = Validate(input, false); !v) return RefuseInput(std::move(event), v.error());
  const auto& subject = who.account;
  return audit_.Change<Written>(
      std::move(event), [&](store::Transaction& tx, audit::Event& ev) -> Result<Written> {
        ASSIGN_OR_RETURN(auto stored, Find(tx, subject, id, ev));
        const auto now = clock_.Now();
        auto d = authz::Decide(subject, authz::Action::kUpdate, stored.resource(), now);
        if (d.allow) {
          // The new labels must be ones the editor could create.
          authz::Resource next{stored.org_id, stored.summary.remit, input.classification,
                               input.descriptors};
          d = authz::Decide(subject, authz::Action::kCreate, next, now);
        }
        Decided(ev, d);
        if (!d.allow) return Refused(d);
        RETURN_IF_ERROR(CheckVersion(stored.summary.version, expected_version, ev));
        const int64_t version = expected_version + 1;
        ASSIGN_OR_RETURN(auto key, keys_.OpenRecordKey(tx, stored.org_id, id, stored.wrapped_key));
        ASSIGN_OR_RETURN(auto title, keys_.SealPart(key, stored.org_id, id, version, kTitle,
                                                    AsBytes(input.title)));
        ASSIGN_OR_RETURN(auto body, keys_.SealPart(key, stored.org_id, id, version, kBody,
                                                   AsBytes(input.body_json)));
        const std::string retain =
            input.retain_until ? FormatRfc3339(*input.retain_until) : stored.summary.retain_until;
        ASSIGN_OR_RETURN(
            auto changed,
            tx.Exec("UPDATE records SET classification = ?, descriptors = ?, version = ?, "
                    "title = ?, body = ?, updated_at = ?, retain_until = ? WHERE id = ? AND "
                    "version = ?",
                    {input.classification, JoinList(input.descriptors), version, title, body,
                     FormatRfc3339(now), retain, std::string(id), expected_version}));
        if (changed != 1) return Fail(ErrorCode::kInternal, "record update lost a race");
        RETURN_IF_ERROR(
            tx.Exec("DELETE FROM record_descriptors WHERE record_id = ?", {std::string(id)}));
        for (const auto& descriptor : input.descriptors) {
          RETURN_IF_ERROR(
              tx.Exec("INSERT INTO record_descriptors (record_id, descriptor) VALUES (?, ?)",
                      {std::string(id), descriptor}));
        }
        ev.detail["version"] = std::to_string(version);
        return Written{std::string(id), version};
      });
}

Result<void> RecordService::Delete(const identity::Principal& who, std::string_view id,
                                   int64_t expected_version, const identity::RequestContext& ctx) {
  const auto& subject = who.account;
  auto done = audit_.Change<bool>(
      MakeEvent(who, "record.delete", id, ctx),
      [&](store::Transaction& tx, audit::Event& ev) -> Result<bool> {
        ASSIGN_OR_RETURN(auto stored, Find(tx, subject, id, ev));
        const auto d =
            authz::Decide(subject, authz::Action::kDelete, stored.resource(), clock_.Now());
        Decided(ev, d);
        if (!d.allow) return Refused(d);
        RETURN_IF_ERROR(CheckVersion(stored.summary.version, expected_version, ev));
        ASSIGN_OR_RETURN(auto held, HeldByOrder(tx, id));
        if (held) {
          ev.reason = "held by a Retention Order";
          return Fail(ErrorCode::kFailedPrecondition,
                      "a Retention Order holds this record: it cannot be deleted");
        }
        // Crypto-shredding: the wrapped data key goes with the row (secure_delete overwrites it).
        RETURN_IF_ERROR(tx.Exec("DELETE FROM records WHERE id = ?", {std::string(id)}));
        ev.detail["version"] = std::to_string(expected_version);
        return true;
      });
  if (!done) return std::unexpected(done.error());
  return {};
}

Result<ListPage> RecordService::ReadScope(store::Transaction& tx, const authz::ListScope& scope,
                                          std::string_view cursor, int limit,
                                          std::vector<Record>* full) {
  ListPage page;
  if (scope.remits.empty()) return page;
  // The policy's scope, as SQL: only records the caller may see are ever read.
  std::string sql =
      "SELECT r.id, r.remit, r.classification, r.descriptors, r.version, r.wrapped_key, "
      "r.title, r.author_id, r.created_at, r.updated_at, r.retain_until, r.body FROM records r "
      "WHERE r.org_id = ? AND r.remit IN (";
  store::Params params{scope.org_id};
  for (size_t i = 0; i < scope.remits.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.emplace_back(scope.remits[i]);
  }
  sql += ")";
  if (!scope.sensitive) sql += " AND r.classification = 'OFFICIAL'";
  sql += " AND NOT EXISTS (SELECT 1 FROM record_descriptors d WHERE d.record_id = r.id";
  if (!scope.grants.empty()) {
    sql += " AND d.descriptor NOT IN (";
    for (size_t i = 0; i < scope.grants.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.emplace_back(scope.grants[i]);
    }
    sql += ")";
  }
  sql += ") AND r.id > ? ORDER BY r.id LIMIT ?";
  params.emplace_back(std::string(cursor));
  params.emplace_back(int64_t{limit} + 1);
  ASSIGN_OR_RETURN(auto rows, tx.Query(sql, params));
  const bool more = rows.size() > static_cast<size_t>(limit);
  if (more) rows.pop_back();
  for (const auto& r : rows) {
    RecordSummary s;
    s.id = r.Text(0);
    s.remit = r.Text(1);
    s.classification = r.Text(2);
    s.descriptors = SplitList(r.Text(3));
    s.version = r.Int(4);
    ASSIGN_OR_RETURN(auto key, keys_.OpenRecordKey(tx, scope.org_id, s.id, r.Blob(5)));
    ASSIGN_OR_RETURN(auto title,
                     keys_.OpenPart(key, scope.org_id, s.id, s.version, kTitle, r.Blob(6)));
    s.title = Text(title);
    s.author = r.Text(7);
    s.created_at = r.Text(8);
    s.updated_at = r.Text(9);
    s.retain_until = r.Text(10);
    if (full != nullptr) {
      ASSIGN_OR_RETURN(auto body,
                       keys_.OpenPart(key, scope.org_id, s.id, s.version, kBody, r.Blob(11)));
      full->push_back(Record{s, Text(body)});
    }
    page.items.push_back(std::move(s));
  }
  if (more) page.next_cursor = page.items.back().id;
  return page;
}

Result<std::vector<Record>> RecordService::ReadForExport(store::Transaction& tx,
                                                         const authz::Subject& requester,
                                                         std::string_view remit, size_t max) {
  const auto scoped = authz::ScopeForList(requester, remit, clock_.Now());
  if (!scoped.decision.allow) return Refused(scoped.decision);
  std::vector<Record> out;
  std::string cursor;
  do {
    ASSIGN_OR_RETURN(auto page, ReadScope(tx, scoped.scope, cursor, kMaxListLimit, &out));
    if (out.size() > max) {
      return Fail(ErrorCode::kResourceExhausted,
                  fmt::format("an export holds at most {} records: narrow its scope", max));
    }
    cursor = page.next_cursor;
  } while (!cursor.empty());
  return out;
}

Result<ListPage> RecordService::List(const identity::Principal& who, std::string_view remit,
                                     int limit, std::string_view cursor,
                                     const identity::RequestContext& ctx) {
  auto event = MakeEvent(who, "record.list", "", ctx);
  event.detail["remit"] = std::string(remit);
  if (limit < 1 || limit > kMaxListLimit) {
    return RefuseInput(std::move(event),
                       Error{ErrorCode::kInvalidArgument, "limit must be a number from 1 to 100"});
  }
  if (!cursor.empty() && !PlausibleId(cursor)) {
    return RefuseInput(std::move(event),
                       Error{ErrorCode::kInvalidArgument, "cursor is not one this service gave"});
  }
  const auto& subject = who.account;
  const auto now = clock_.Now();
  const auto scoped = authz::ScopeForList(subject, remit, now);
  bool capped = false;
  auto page = audit_.Observe<ListPage>(
      std::move(event), [&](store::Transaction& tx, audit::Event& ev) -> Result<ListPage> {
        Decided(ev, scoped.decision);
        ev.target.org = subject.org_id;
        if (!scoped.decision.allow) return Refused(scoped.decision);
        // No one pages through an organisation without an export: past the threshold in 24
        // hours, listing stops until an export of theirs is approved. Counted by the hour
        // (list_counts), so the window reaches back 24 to 25 hours: never less than 24.
        ASSIGN_OR_RETURN(auto read,
                         tx.Query("SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM list_counts "
                                  "WHERE account_id = ? AND hour >= ?",
                                  {who.account.id, HourOf(now - std::chrono::hours(24))}));
        if (read.front().Int(0) >= options_.export_threshold) {
          bool approved = false;
          if (options_.approved_export_since) {
            ASSIGN_OR_RETURN(approved, options_.approved_export_since(
                                           tx, who.account.id, now - std::chrono::hours(24)));
          }
          if (!approved) {
            capped = true;
            ev.allowed = false;
            ev.reason =
                fmt::format("listing cap: {} records listed in 24 hours", read.front().Int(0));
            return Fail(ErrorCode::kPermissionDenied,
                        fmt::format("you have listed {} records in 24 hours: request an export "
                                    "(POST /api/v1/exports) to see more",
                                    options_.export_threshold));
          }
        }
        ListPage out;
        if (scoped.scope.remits.empty()) {
          ev.detail["count"] = "0";
          return out;
        }
        ASSIGN_OR_RETURN(out, ReadScope(tx, scoped.scope, cursor, limit, nullptr));
        ev.detail["count"] = std::to_string(out.items.size());
        return out;
      });
  if (capped) {
    // A security event of its own, for whoever watches for bulk harvesting.
    auto alarm = MakeEvent(who, "security.listing_cap", "", ctx);
    alarm.allowed = false;
    alarm.reason = "listing beyond the export threshold without an approved export";
    alarm.outcome = "permission_denied";
    if (!audit_.Record(std::move(alarm))) {
      return Fail(ErrorCode::kUnavailable, "the audit log cannot be written");
    }
  }
  if (page && !page->items.empty()) {
    const auto count = static_cast<int64_t>(page->items.size());
    store_.WriteAsync(
        [id = who.account.id, hour = HourOf(now), gone = HourOf(now - std::chrono::hours(25)),
         count](store::Transaction& tx) -> Result<void> {
          RETURN_IF_ERROR(
              tx.Exec("INSERT INTO list_counts (account_id, hour, count) VALUES (?, ?, ?) ON "
                      "CONFLICT (account_id, hour) DO UPDATE SET count = list_counts.count + "
                      "excluded.count",
                      {id, hour, count}));
          RETURN_IF_ERROR(
              tx.Exec("DELETE FROM list_counts WHERE account_id = ? AND hour < ?", {id, gone}));
          return {};
        },
        [](Result<void>) {});
  }
  return page;
}

}  // namespace strongroom::records
