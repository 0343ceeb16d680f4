#include "audit/shipper.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "audit/event.h"
#include "audit/relp_client.h"

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

std::string DamageMessage(std::string_view problem, std::string_view hostname) {
  return fmt::format("{} [{} problem=\"{}\"] -", Header("-", hostname, "damage", kSeverityAlert),
                     kSdId, SdValue(problem));
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

Shipper::Shipper(AuditLog& log, ShipperOptions options)
    : log_(log), options_(std::move(options)), session_(std::make_unique<Session>()) {}

Shipper::~Shipper() { Stop(); }

void Shipper::Start() {
  thread_.Start(std::chrono::milliseconds(0), [this] { return Round(); });
}

void Shipper::Stop() { thread_.Stop(); }

Result<int64_t> Shipper::Backlog() {
  ASSIGN_OR_RETURN(int64_t shipped, log_.index().Shipped());
  return std::max<int64_t>(0, log_.journal().DurableHead().sequence - shipped);
}

Result<int64_t> Shipper::ShipOnce() {
  std::lock_guard ship_lock(ship_mu_);
  ASSIGN_OR_RETURN(int64_t cursor, log_.index().Shipped());
  const int64_t head = log_.journal().DurableHead().sequence;
  if (!reader_ || reader_after_ != cursor) {
    // First round, or the last one failed part-way: read again from the cursor.
    ASSIGN_OR_RETURN(auto reader, JournalReader::From(log_.journal().dir(), cursor + 1));
    reader_.emplace(std::move(reader));
    reader_after_ = cursor;
  }
  std::vector<Outgoing> out;
  while (out.size() < static_cast<size_t>(options_.batch)) {
    auto item = reader_->Next(head);
    if (!item) {
      if (item.error().code != ErrorCode::kDataLoss) {
        reader_.reset();
        return std::unexpected(item.error());
      }
      // A damaged record cannot be shipped as it is: the collector is told, at alert severity,
      // where it lies (audit verify names it here), and shipping goes on after it.
      spdlog::error("audit shipping: {}", item.error().message);
      out.push_back({out.empty() ? cursor : out.back().seq,
                     DamageMessage(item.error().message, options_.hostname)});
      reader_->Skip();
      continue;
    }
    if (!*item) break;
    const auto& r = (*item)->record;
    if (r.kind == RecordKind::kEvent) {
      const auto keys = SearchKeysOf(r.text);
      const auto time = keys && keys->time.size() >= 2 ? keys->time.substr(1, keys->time.size() - 2)
                                                       : std::string_view("-");
      out.push_back({r.sequence,
                     EventMessage(r.sequence, time, HexEncode(r.hash), r.text, options_.hostname)});
    } else if (r.kind == RecordKind::kCheckpoint && r.sequence > 0) {
      CheckpointText c;
      if (!ParseCheckpointText(r.text, c)) continue;
      out.push_back({std::max(r.sequence, cursor),
                     CheckpointMessage(r.sequence, c.time, HexEncode(r.hash), c.key_id,
                                       HexEncode(c.signature), options_.hostname)});
    }
  }
  if (out.empty()) return 0;
  if (!session_->client) {
    auto client = RelpClient::Connect(options_.collector);
    if (!client) {
      ++failed_attempts_;
      reader_.reset();
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
  if (shipped > cursor) RETURN_IF_ERROR(log_.index().SetShipped(shipped));
  if (acked < out.size()) {
    ++failed_attempts_;
    session_->client.reset();
    reader_.reset();
    return std::unexpected(error);
  }
  reader_after_ = std::max(shipped, cursor);
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
