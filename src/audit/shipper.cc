#include "audit/shipper.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "audit/event.h"
#include "audit/relp_client.h"
#include "store/meta.h"

namespace strongroom::audit {
namespace {

constexpr int kFacilityLogAudit = 13;
constexpr int kSeverityAlert = 1;
constexpr int kSeverityInfo = 6;
constexpr std::string_view kSdId = "strongroom@32473";

// RFC 5424 PARAM-VALUE escaping: '"', '\' and ']' are escaped with a backslash.
std::string SdValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string Header(std::string_view time, std::string_view hostname, std::string_view msgid,
                   int severity = kSeverityInfo) {
  return fmt::format("<{}>1 {} {} strongroom {} {}", kFacilityLogAudit * 8 + severity, time,
                     hostname, ::getpid(), msgid);
}

struct Outgoing {
  int64_t seq;
  std::string message;
};

Result<int64_t> ReadCursor(store::Transaction& tx) {
  ASSIGN_OR_RETURN(auto v, store::GetMeta(tx, "audit_shipped_seq"));
  return v ? std::stoll(*v) : 0;
}

}  // namespace

std::string EventMessage(int64_t seq, std::string_view time, std::string_view hash_hex,
                         std::string_view canonical, std::string_view hostname) {
  // Attacks, scans, patterns of attack, blocks and the IT Health Check gate's alerts reach the
  // collector at alert severity, for its alerting to pick up.
  const auto keys = SearchKeysOf(canonical);
  // (SearchKeysOf gives the action as written: a JSON string, quotes included.)
  static constexpr std::string_view kAlerts[] = {R"("security.attack")",
                                                 R"("security.scan")",
                                                 R"("security.block")",
                                                 R"("security.credential_stuffing")",
                                                 R"("security.password_spraying")",
                                                 R"("security.totp_guessing")",
                                                 R"("security.enumeration")",
                                                 R"("security.bulk_reading")",
                                                 R"("security.new_source_after_failures")",
                                                 R"("compliance.ithc.alert")"};
  bool alert = false;
  for (auto a : kAlerts) alert = alert || (keys && keys->action == a);
  return fmt::format("{} [{} seq=\"{}\" hash=\"{}\"] {}",
                     Header(time, hostname, "audit", alert ? kSeverityAlert : kSeverityInfo), kSdId,
                     seq, SdValue(hash_hex), canonical);
}

std::string CheckpointMessage(int64_t seq, std::string_view time, std::string_view head_hex,
                              std::string_view key_id, std::string_view signature_hex,
                              std::string_view hostname) {
  return fmt::format("{} [{} seq=\"{}\" head=\"{}\" key=\"{}\" sig=\"{}\"] -",
                     Header(time, hostname, "checkpoint"), kSdId, seq, SdValue(head_hex),
                     SdValue(key_id), SdValue(signature_hex));
}

class Shipper::Session {
 public:
  std::unique_ptr<RelpClient> client;
};

Shipper::Shipper(store::Store& store, ShipperOptions options)
    : store_(store), options_(std::move(options)), session_(std::make_unique<Session>()) {}

Shipper::~Shipper() { Stop(); }

void Shipper::Start() {
  thread_.Start(std::chrono::milliseconds(0), [this] { return Round(); });
}

void Shipper::Stop() { thread_.Stop(); }

Result<Standing> ReadStanding(store::Transaction& tx) {
  Standing s;
  ASSIGN_OR_RETURN(s.shipped, ReadCursor(tx));
  ASSIGN_OR_RETURN(auto head, tx.Query("SELECT COALESCE(MAX(seq), 0) FROM audit_events"));
  s.head = head.front().Int(0);
  ASSIGN_OR_RETURN(auto next, tx.Query("SELECT time FROM audit_events WHERE seq > ? ORDER BY seq "
                                       "LIMIT 1",
                                       {s.shipped}));
  if (!next.empty()) s.oldest_unshipped_at = next.front().Text(0);
  ASSIGN_OR_RETURN(auto checkpoint,
                   tx.Query("SELECT seq, time FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"));
  if (!checkpoint.empty()) {
    s.checkpointed = checkpoint.front().Int(0);
    s.checkpointed_at = checkpoint.front().Text(1);
  }
  return s;
}

Result<int64_t> Shipper::Backlog() {
  return store::ReadValue<int64_t>(store_, [](store::Transaction& tx) -> Result<int64_t> {
    ASSIGN_OR_RETURN(auto s, ReadStanding(tx));
    return std::max<int64_t>(0, s.head - s.shipped);
  });
}

Result<int64_t> Shipper::ShipOnce() {
  std::lock_guard ship_lock(ship_mu_);
  std::vector<Outgoing> out;
  int64_t cursor = 0;
  RETURN_IF_ERROR(store_.Read([&](store::Transaction& tx) -> Result<void> {
    ASSIGN_OR_RETURN(cursor, ReadCursor(tx));
    ASSIGN_OR_RETURN(auto events,
                     tx.Query("SELECT e.seq, e.time, e.hash, e.canonical, c.time, c.head_hash, "
                              "c.key_id, c.signature FROM audit_events e LEFT JOIN "
                              "audit_checkpoints c ON c.seq = e.seq WHERE e.seq > ? ORDER BY e.seq "
                              "LIMIT ?",
                              {cursor, static_cast<int64_t>(options_.batch)}));
    for (const auto& r : events) {
      const int64_t seq = r.Int(0);
      out.push_back(
          {seq, EventMessage(seq, r.Text(1), HexEncode(r.Blob(2)), r.Text(3), options_.hostname)});
      if (!r.IsNull(4)) {
        out.push_back({seq, CheckpointMessage(seq, r.Text(4), HexEncode(r.Blob(5)), r.Text(6),
                                              HexEncode(r.Blob(7)), options_.hostname)});
      }
    }
    return {};
  }));
  if (out.empty()) return 0;
  if (!session_->client) {
    auto client = RelpClient::Connect(options_.collector);
    if (!client) {
      ++failed_attempts_;
      return std::unexpected(client.error());
    }
    session_->client = std::move(*client);
  }
  std::vector<std::string> messages;
  messages.reserve(out.size());
  for (const auto& o : out) messages.push_back(o.message);
  Error error{ErrorCode::kUnavailable, ""};
  const size_t acked = session_->client->SendBatch(messages, &error);
  // Everything up to just before the first unacknowledged message's sequence is delivered.
  const int64_t shipped = acked == out.size() ? out.back().seq : out[acked].seq - 1;
  if (shipped > cursor) {
    RETURN_IF_ERROR(store_.Write([&](store::Transaction& tx) {
      return store::SetMeta(tx, "audit_shipped_seq", std::to_string(shipped));
    }));
  }
  if (acked < out.size()) {
    ++failed_attempts_;
    session_->client.reset();
    return std::unexpected(error);
  }
  return shipped - cursor;
}

std::chrono::milliseconds Shipper::Round() {
  auto shipped = ShipOnce();
  if (!shipped) {
    auto backlog = Backlog();
    spdlog::warn("audit shipping failed: {}; backlog {} events; retrying in {} ms",
                 shipped.error().message, backlog ? *backlog : -1, backoff_.count());
    const auto wait = backoff_;
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(30'000));
    failing_ = true;
    return wait;
  }
  if (failing_) spdlog::info("audit shipping resumed");
  failing_ = false;
  backoff_ = std::chrono::milliseconds(500);
  return std::chrono::milliseconds(*shipped > 0 ? 0 : 200);
}

}  // namespace strongroom::audit
