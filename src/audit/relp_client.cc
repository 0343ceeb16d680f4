#include "audit/relp_client.h"

#include <fmt/format.h>

#include <charconv>

namespace strongroom::audit {
namespace {

// Digits only: from_chars alone would take a sign.
bool ParseCount(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  std::from_chars(s.data(), s.data() + s.size(), out);
  return true;
}

}  // namespace

Result<std::unique_ptr<RelpClient>> RelpClient::Connect(const crypto::TlsClientConfig& config) {
  ASSIGN_OR_RETURN(auto channel, crypto::TlsChannel::Connect(config));
  std::unique_ptr<RelpClient> client(new RelpClient(std::move(channel)));
  RETURN_IF_ERROR(
      client->SendFrame("open", "relp_version=0\nrelp_software=strongroom\ncommands=syslog"));
  ASSIGN_OR_RETURN(auto txnr, client->ReadResponse());
  if (txnr != 1) return Fail(ErrorCode::kUnavailable, "collector refused the RELP session");
  return client;
}

Result<void> RelpClient::SendFrame(const std::string& command, const std::string& data) {
  const auto frame = fmt::format("{} {} {}{}{}\n", next_txnr_++, command, data.size(),
                                 data.empty() ? "" : " ", data);
  return channel_->Write(frame);
}

Result<std::optional<int64_t>> TakeRelpResponse(std::string& pending) {
  // A frame: TXNR SP COMMAND SP DATALEN [SP DATA] LF, where DATA is DATALEN bytes.
  const auto sp1 = pending.find(' ');
  const auto sp2 = sp1 == std::string::npos ? sp1 : pending.find(' ', sp1 + 1);
  const auto sp3 = sp2 == std::string::npos ? sp2 : pending.find_first_of(" \n", sp2 + 1);
  if (sp3 == std::string::npos) {
    if (pending.size() > kMaxRelpResponse) {
      return Fail(ErrorCode::kUnavailable, "RELP response too long");
    }
    return std::nullopt;
  }
  int64_t txnr = 0, len = 0;
  if (!ParseCount(std::string_view(pending).substr(0, sp1), txnr) ||
      !ParseCount(std::string_view(pending).substr(sp2 + 1, sp3 - sp2 - 1), len) ||
      len > static_cast<int64_t>(kMaxRelpResponse) || (len > 0 && pending[sp3] != ' ')) {
    return Fail(ErrorCode::kUnavailable, "malformed RELP response");
  }
  const std::string_view command = std::string_view(pending).substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t data_start = sp3 + (pending[sp3] == ' ' ? 1 : 0);
  const size_t frame_end = data_start + static_cast<size_t>(len);
  if (command.empty() || command.size() > 32 ||
      command.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
          std::string_view::npos ||
      frame_end >= kMaxRelpResponse) {
    return Fail(ErrorCode::kUnavailable, "malformed RELP response");
  }
  if (pending.size() <= frame_end) return std::nullopt;
  if (pending[frame_end] != '\n') return Fail(ErrorCode::kUnavailable, "malformed RELP response");
  const bool closed = command == "serverclose";
  // "200", then the end of the data, a space or a line break.
  const auto data = std::string_view(pending).substr(data_start, static_cast<size_t>(len));
  const bool positive = command == "rsp" && data.starts_with("200") &&
                        (data.size() == 3 || data[3] == ' ' || data[3] == '\n');
  pending.erase(0, frame_end + 1);
  if (closed) return Fail(ErrorCode::kUnavailable, "collector closed");
  if (!positive) return Fail(ErrorCode::kUnavailable, "collector refused a message");
  return txnr;
}

Result<int64_t> RelpClient::ReadResponse() {
  for (;;) {
    ASSIGN_OR_RETURN(auto txnr, TakeRelpResponse(pending_));
    if (txnr) return *txnr;
    RETURN_IF_ERROR(channel_->Read(pending_));
  }
}

size_t RelpClient::SendBatch(const std::vector<std::string>& messages, Error* error) {
  const int64_t first_txnr = next_txnr_;
  for (const auto& m : messages) {
    if (auto r = SendFrame("syslog", m); !r) {
      if (error) *error = r.error();
      return 0;  // nothing known to be acknowledged
    }
  }
  // Responses may in principle come in any order; count the acknowledged prefix.
  std::vector<bool> acked(messages.size(), false);
  size_t prefix = 0;
  for (size_t received = 0; received < messages.size(); ++received) {
    auto txnr = ReadResponse();
    if (!txnr) {
      if (error) *error = txnr.error();
      return prefix;
    }
    const int64_t index = *txnr - first_txnr;
    if (index >= 0 && index < static_cast<int64_t>(acked.size())) {
      acked[static_cast<size_t>(index)] = true;
    }
    while (prefix < acked.size() && acked[prefix]) ++prefix;
  }
  return prefix;
}

}  // namespace strongroom::audit
