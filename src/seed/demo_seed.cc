#include "seed/demo_seed.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <random>

#include "common/text.h"
#include "identity/username.h"
#include "lifecycle/lifecycle.h"
#include "store/meta.h"

namespace strongroom::seed {
namespace {

constexpr std::array kFirstNames = {"ada",   "basil", "cora",  "dev",  "elin",   "fergus", "gita",
                                    "hal",   "ines",  "jonah", "kemi", "lorcan", "mina",   "niall",
                                    "olwen", "priya", "quinn", "rhys", "sana",   "tomas"};
constexpr std::array kSurnames = {"example", "sample", "specimen", "placeholder", "dummy"};
constexpr std::array kTopics = {
    "Housing referral",   "Benefit review",      "Probation check-in", "Supplier invoice query",
    "Safeguarding note",  "Court date reminder", "Contract variation", "Incident follow-up",
    "Complaint response", "Information request"};
constexpr std::array kRemits = {"north", "south"};
constexpr int kRecordBatch = 500;

std::string Capitalised(std::string_view word) {
  std::string out(word);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

struct Person {
  std::string username;
  std::string name;
  std::string email;
  std::string kind = "standard";
  std::vector<std::string> roles;
  std::vector<std::string> remits;
  std::vector<std::string> grants;
};

// The i-th person of the organisation with letter `org`: 0 its admin (privileged), 1 an editor
// and 2 an approver who see everything in the organisation, 3 a reader of one remit with one
// grant, then a spread of readers and editors with drawn remits and grants.
Person MakePerson(char org, int i, const std::vector<std::string>& descriptors,
                  std::mt19937_64& draw) {
  const std::string first = kFirstNames[static_cast<size_t>(i) % kFirstNames.size()];
  const std::string last =
      kSurnames[(static_cast<size_t>(i) / kFirstNames.size()) % kSurnames.size()];
  const int round = i / static_cast<int>(kFirstNames.size() * kSurnames.size());
  Person p;
  p.username = fmt::format("{}.{}.{}", first, last, static_cast<char>(org - 'A' + 'a'));
  if (round > 0) p.username += std::to_string(round);
  p.name = fmt::format("{} {} ({})", Capitalised(first), Capitalised(last), org);
  p.email = p.username + "@demo.invalid";
  std::vector<std::string> every_grant = descriptors;
  every_grant.emplace_back(authz::kSensitive);
  const std::vector<std::string> both(kRemits.begin(), kRemits.end());
  switch (i) {
    case 0:
      p.kind = "privileged";
      p.roles = {"org_admin"};
      break;
    case 1:
      p.roles = {"editor"};
      p.remits = both;
      p.grants = every_grant;
      break;
    case 2:
      p.roles = {"approver", "reader"};
      p.remits = both;
      p.grants = every_grant;
      break;
    case 3:
      p.roles = {"reader"};
      p.remits = {"north"};
      if (!descriptors.empty()) p.grants = {descriptors.front()};
      break;
    default: {
      p.roles = {draw() % 3 == 0 ? "editor" : "reader"};
      const auto where = draw() % 3;
      p.remits = where == 2 ? both : std::vector<std::string>{kRemits[where]};
      for (const auto& g : every_grant) {
        if (draw() % 2 == 0) p.grants.push_back(g);
      }
    }
  }
  return p;
}

records::RecordInput MakeRecord(char org, int n, const std::vector<std::string>& descriptors,
                                std::mt19937_64& draw) {
  records::RecordInput in;
  in.remit = kRemits[draw() % kRemits.size()];
  in.classification = draw() % 4 == 0 ? std::string(authz::kSensitive) : "OFFICIAL";
  for (const auto& d : descriptors) {
    if (draw() % 10 < 3) in.descriptors.push_back(d);
  }
  const auto* topic = kTopics[draw() % kTopics.size()];
  const auto case_number = fmt::format("DEMO-{}-{:06}", org, n);
  in.title = fmt::format("{} ({}, synthetic)", topic, case_number);
  // One draw per statement: the order of draws, and so the content, is fixed by the seed alone.
  const auto first = kFirstNames[draw() % kFirstNames.size()];
  const auto last = kSurnames[draw() % kSurnames.size()];
  const std::string contact = fmt::format("{} {}", Capitalised(first), Capitalised(last));
  boost::json::object body;
  body["synthetic"] = true;
  body["case_number"] = case_number;
  body["summary"] = fmt::format("{} raised for a fictional person; no real data.", topic);
  body["contact"] = {{"name", contact},
                     {"telephone", fmt::format("01632 960{:03}", draw() % 1000)}};
  body["next_review_days"] = static_cast<int64_t>(draw() % 90 + 1);
  in.body_json = boost::json::serialize(body);
  return in;
}

class Seeder {
 public:
  Seeder(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys, const Clock& clock,
         crypto::Random& random, Environment environment,
         const records::RecordsOptions& records_options, std::string_view operator_name)
      : store_(store),
        audit_(audit),
        keys_(keys),
        clock_(clock),
        random_(random),
        options_(records_options),
        operator_(operator_name),
        reason_(fmt::format("synthetic demo data on a {} instance, written by seed-demo; "
                            "approved by no one",
                            EnvironmentName(environment))) {}

  struct Seeded {
    std::string id;
    std::string author;  // the editor in whose name its records are written
  };

  // One organisation with its remits and people, in one transaction.
  Result<Seeded> Organisation(char letter, int people, std::mt19937_64& draw, SeedReport& report) {
    identity::OrgInput org;
    org.name = fmt::format("Demo Supplier {}", letter);
    const auto now = clock_.Now();
    const auto in_a_year = FormatRfc3339(now + std::chrono::days(365)).substr(0, 10);
    org.iso27001 = {fmt::format("DEMO-ISO27001-{}", letter), in_a_year};
    org.cyber_essentials_plus = {fmt::format("DEMO-CEP-{}", letter), in_a_year};
    const std::string org_id = "org-" + random_.RandomHex(8);
    std::string author;
    std::vector<SeededAccount> seeded;
    RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) -> Result<void> {
      seeded.clear();
      ASSIGN_OR_RETURN(auto made, identity::InsertOrg(tx, keys_, org_id, org, now));
      RETURN_IF_ERROR(Audit(tx, "seed.org.create", "org", org_id, org_id, {{"name", made.name}}));
      for (const auto* remit : kRemits) {
        RETURN_IF_ERROR(lifecycle::InsertRemit(tx, org_id, remit, now));
      }
      for (int i = 0; i < people; ++i) {
        const Person p = MakePerson(letter, i, options_.descriptors, draw);
        // The generator's names meet the username policy like anyone's.
        ASSIGN_OR_RETURN(auto username, identity::CanonicalUsername(p.username));
        if (username != p.username)
          return Fail(ErrorCode::kInternal, "seed username not canonical");
        identity::NewAccount a;
        a.org_id = org_id;
        a.username = p.username;
        a.person_name = p.name;
        a.person_email = p.email;
        a.kind = p.kind;
        a.roles = JoinList(p.roles);
        a.remits = JoinList(p.remits);
        a.grants = JoinList(p.grants);
        a.bpss_verified_on = FormatRfc3339(now).substr(0, 10);
        a.bpss_verified_by = "seed-demo (synthetic person)";
        a.expiry_days = made.agreed_expiry_days;
        ASSIGN_OR_RETURN(auto account, identity::InsertAccount(tx, random_, now, a,
                                                               lifecycle::kJoinTokenLifetime));
        RETURN_IF_ERROR(Audit(tx, "seed.account.create", "account", account.account_id, org_id,
                              {{"username", p.username}, {"roles", a.roles}}));
        if (i == 1) author = account.account_id;
        seeded.push_back({made.name, p.username, p.kind, a.roles, a.remits, a.grants,
                          account.enrolment_token, account.token_expires_at});
      }
      return {};
    }));
    for (auto& s : seeded) report.accounts.push_back(std::move(s));
    ++report.organisations;
    return Seeded{org_id, author};
  }

  // Records [from, to) of the organisation `letter`, in one transaction.
  Result<void> Records(char letter, const std::string& org_id, const std::string& author, int from,
                       int to, std::mt19937_64& draw) {
    std::vector<records::RecordInput> batch;
    for (int n = from; n < to; ++n)
      batch.push_back(MakeRecord(letter, n + 1, options_.descriptors, draw));
    return store_.Write([&](store::Transaction& tx) -> Result<void> {
      const auto now = clock_.Now();
      for (const auto& in : batch) {
        const std::string id = records::NewRecordId(now, random_);
        RETURN_IF_ERROR(records::InsertRecord(tx, keys_, id, org_id, author, in,
                                              records::RetainUntil(options_, in, now), now));
        RETURN_IF_ERROR(Audit(tx, "seed.record.create", "record", id, org_id,
                              {{"classification", in.classification}}));
      }
      return {};
    });
  }

 private:
  Result<void> Audit(store::Transaction& tx, std::string action, std::string type,
                     const std::string& id, const std::string& org,
                     std::map<std::string, std::string> detail) {
    audit::Event e;
    e.actor = {"", operator_, "cli", ""};
    e.source = "cli";
    e.action = std::move(action);
    e.target = {std::move(type), id, org};
    e.allowed = true;
    e.reason = reason_;
    e.outcome = "ok";
    e.detail = std::move(detail);
    RETURN_IF_ERROR(audit_.Append(tx, std::move(e)));
    return {};
  }

  store::Store& store_;
  audit::AuditLog& audit_;
  store::KeyStore& keys_;
  const Clock& clock_;
  crypto::Random& random_;
  const records::RecordsOptions& options_;
  const std::string operator_;
  const std::string reason_;
};

Result<void> CheckOptions(const SeedOptions& o) {
  auto bad = [](std::string m) { return Fail(ErrorCode::kInvalidArgument, std::move(m)); };
  if (o.organisations < 1 || o.organisations > kMaxOrganisations) {
    return bad(fmt::format("organisations must be from 1 to {}", kMaxOrganisations));
  }
  if (o.people_per_organisation < kMinPeoplePerOrganisation ||
      o.people_per_organisation > kMaxPeoplePerOrganisation) {
    return bad(fmt::format("people per organisation must be from {} to {}",
                           kMinPeoplePerOrganisation, kMaxPeoplePerOrganisation));
  }
  if (o.records_per_organisation < 0 || o.records_per_organisation > kMaxRecordsPerOrganisation) {
    return bad(
        fmt::format("records per organisation must be from 0 to {}", kMaxRecordsPerOrganisation));
  }
  return {};
}

}  // namespace

Result<SeedReport> SeedDemo(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys,
                            const Clock& clock, crypto::Random& random, Environment environment,
                            const records::RecordsOptions& records_options,
                            std::string_view operator_name, const SeedOptions& options,
                            const std::function<void(int64_t, int64_t)>& progress) {
  if (environment == Environment::kProduction) {
    return Fail(ErrorCode::kFailedPrecondition,
                "seed-demo refuses to run on a production instance: synthetic data is for "
                "preproduction, test and development instances only");
  }
  // The store says what it is, whatever a configuration claims.
  RETURN_IF_ERROR(store::CheckEnvironment(store, environment));
  RETURN_IF_ERROR(CheckOptions(options));
  bool seeded_before = false;
  RETURN_IF_ERROR(store.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(auto orgs, identity::ListOrgs(tx, {}));
    seeded_before = std::any_of(orgs.begin(), orgs.end(), [](const identity::Org& o) {
      return o.name.starts_with("Demo Supplier ");
    });
    return {};
  }));
  if (seeded_before) {
    return Fail(ErrorCode::kAlreadyExists, "this instance already holds demo data");
  }
  std::mt19937_64 draw(options.content_seed);
  Seeder seeder(store, audit, keys, clock, random, environment, records_options, operator_name);
  SeedReport report;
  const int64_t total = int64_t{options.organisations} * options.records_per_organisation;
  int64_t done = 0;
  for (int o = 0; o < options.organisations; ++o) {
    const char letter = static_cast<char>('A' + o);
    ASSIGN_OR_RETURN(auto org,
                     seeder.Organisation(letter, options.people_per_organisation, draw, report));
    for (int from = 0; from < options.records_per_organisation; from += kRecordBatch) {
      const int to = std::min(from + kRecordBatch, options.records_per_organisation);
      RETURN_IF_ERROR(seeder.Records(letter, org.id, org.author, from, to, draw));
      report.records += to - from;
      done += to - from;
      if (progress) progress(done, total);
    }
  }
  return report;
}

}  // namespace strongroom::seed
