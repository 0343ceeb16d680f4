// `strongroom audit verify` and `strongroom audit search`.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "audit/audit_log.h"
#include "audit/search.h"
#include "audit/verifier.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/stopped_instance.h"
#include "common/config.h"
#include "crypto/signing.h"
#include "store/meta.h"

namespace strongroom::cli {
namespace {

Result<TimePoint> ParseTime(const std::string& text) {
  auto t = ParseRfc3339(text);
  if (!t) {
    return Fail(ErrorCode::kInvalidArgument, "times are RFC 3339 UTC, e.g. 2026-11-28T09:00:00Z");
  }
  return *t;
}

// On a database several nodes share, every node's copy there (audit_copy.h); this node's against
// its own journal too. False if any fails.
bool VerifyCopies(ReadableInstance& o) {
  if (o.log->copy() == nullptr) return true;
  auto nodes = audit::KnownNodes(*o.store);
  if (!nodes) {
    PrintError(nodes.error().message);
    return false;
  }
  const auto& own_node = o.log->copy()->node();
  if (std::find(nodes->begin(), nodes->end(), own_node) == nodes->end()) {
    nodes->push_back(own_node);
  }
  bool ok = true;
  for (const auto& node : *nodes) {
    const bool own = node == own_node;
    auto r = audit::VerifyCopy(*o.store, node, o.key->public_key, o.config.environment,
                               own ? o.log->journal().dir() : std::filesystem::path());
    const auto name = audit::internal::Literal(node);  // a name is shown escaped, as events do
    if (!r) {
      PrintError(fmt::format("node {}'s audit copy: {}", name, r.error().message));
      ok = false;
    } else if (!r->ok) {
      fmt::print(
          "node {}'s audit copy in the database FAILED verification\nfirst bad sequence: "
          "{}\nproblem: {}\n",
          name, r->first_bad_sequence, r->problem);
      ok = false;
    } else if (r->events == 0 && r->checkpoints == 0) {
      fmt::print(
          "node {}'s audit copy in the database: none yet (a node copies its journal at "
          "each maintenance tick, and as it stops)\n",
          name);
    } else {
      // A node's copy follows its journal by up to a tick, and rows removed from its end are
      // copied again at the next: say how far it reaches.
      const auto head = o.log->journal().DurableHead().sequence;
      fmt::print(
          "node {}'s audit copy in the database verified: {} events, {} checkpoints, "
          "signed through {}{}\n",
          name, r->events, r->checkpoints, r->signed_through,
          !own              ? ""
          : r->head == head ? ", the same as this node's journal"
                            : fmt::format(", the same as this node's journal through {} "
                                          "of its {} (the rest is copied at the node's "
                                          "next tick)",
                                          r->head, head));
    }
  }
  return ok;
}

int RunVerify(const std::string& config_path) {
  auto o = OpenForReading(config_path);
  if (!o) {
    PrintError(o.error().message);
    return ExitCodeFor(o.error());
  }
  // Verifying reads the journal as it is: not recorded, so that it changes nothing it checks.
  auto committed =
      store::ReadValue<int64_t>(*o->store, [&](store::Transaction& tx) -> Result<int64_t> {
        ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, o->log->CommittedKey()));
        return v ? std::stoll(*v) : 0;
      });
  if (!committed) {
    PrintError(committed.error().message);
    return kExitRuntime;
  }
  auto report = audit::Verify(o->log->journal().dir(), o->log->index(), o->key->public_key,
                              o->config.environment, *committed);
  if (!report) {
    PrintError(report.error().message);
    return kExitRuntime;
  }
  if (!report->ok) {
    fmt::print("audit log FAILED verification\nfirst bad sequence: {}\nproblem: {}\n",
               report->first_bad_sequence, report->problem);
    return kExitRuntime;
  }
  fmt::print("audit log verified: {} events, {} checkpoints, {} index entries, chain intact\n",
             report->events, report->checkpoints, report->index_entries);
  return VerifyCopies(*o) ? kExitOk : kExitRuntime;
}

struct SearchArgs {
  std::string config, actor, target, action, since, until, cursor;
  int limit = 100;
};

int RunSearch(const SearchArgs& a) {
  auto o = OpenForReading(a.config);
  if (!o) {
    PrintError(o.error().message);
    return ExitCodeFor(o.error());
  }
  audit::SearchQuery q{a.actor,      a.target,     a.action, "",
                       std::nullopt, std::nullopt, a.cursor, a.limit};
  for (auto [text, out] : {std::pair{&a.since, &q.since}, std::pair{&a.until, &q.until}}) {
    if (text->empty()) continue;
    auto t = ParseTime(*text);
    if (!t) {
      PrintError(t.error().message);
      return kExitUsage;
    }
    *out = *t;
  }
  auto& log = *o->log;
  auto e = o->OperatorEvent("audit.search", {"audit", "", ""});
  e.detail = {{"actor", a.actor}, {"target", a.target}, {"action", a.action},
              {"since", a.since}, {"until", a.until},   {"cursor", a.cursor}};
  auto page = log.ObserveSearch(std::move(e), q);
  if (!page) {
    PrintError(page.error().message);
    return ExitCodeFor(page.error());
  }
  for (const auto& ev : page->events) fmt::print("{}\n", ev);
  if (!page->next_cursor.empty()) fmt::print(stderr, "next cursor: {}\n", page->next_cursor);
  return kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  auto* audit = app.add_subcommand("audit", "Verify and search the audit log");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain and signed checkpoints; exit 1 naming the first bad event");
  auto config = AddConfigOption(verify);
  verify->callback([config, exit_code] { *exit_code = RunVerify(*config); });

  auto* search = audit->add_subcommand("search", "Search events, newest first (itself audited)");
  auto a = std::make_shared<SearchArgs>();
  search->add_option("--config", a->config, "Path to strongroom.toml")->required();
  search->add_option("--actor", a->actor, "Account id");
  search->add_option("--target", a->target, "Target id");
  search->add_option("--action", a->action, "Action, e.g. record.view");
  search->add_option("--since", a->since, "From this time (RFC 3339 UTC)");
  search->add_option("--until", a->until, "Before this time (RFC 3339 UTC)");
  search->add_option("--cursor", a->cursor, "Continue from a previous page");
  search->add_option("--limit", a->limit, "Events per page (1-1000)")->capture_default_str();
  search->callback([a, exit_code] { *exit_code = RunSearch(*a); });
}

}  // namespace strongroom::cli
