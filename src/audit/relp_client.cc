#include "audit/relp_client.h"

#include <fmt/format.h>

#include <charconv>

namespace strongroom::audit {
namespace {

constexpr size_t kMaxResponse = 64 * 1024;

bool ParseInt(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
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

Result<int64_t> RelpClient::ReadResponse() {
  for (;;) {
    // A frame: TXNR SP "rsp" SP LEN SP DATA LF, where DATA is LEN bytes.
    const auto sp1 = pending_.find(' ');
    const auto sp2 = sp1 == std::string::npos ? sp1 : pending_.find(' ', sp1 + 1);
    const auto sp3 = sp2 == std::string::npos ? sp2 : pending_.find_first_of(" \n", sp2 + 1);
    if (sp3 != std::string::npos) {
      int64_t txnr = 0, len = 0;
      if (!ParseInt(std::string_view(pending_).substr(0, sp1), txnr) ||
          !ParseInt(std::string_view(pending_).substr(sp2 + 1, sp3 - sp2 - 1), len) || len < 0 ||
          len > static_cast<int64_t>(kMaxResponse)) {
        return Fail(ErrorCode::kUnavailable, "malformed RELP response");
      }
      const std::string command = pending_.substr(sp1 + 1, sp2 - sp1 - 1);
      const size_t data_start = sp3 + (pending_[sp3] == ' ' ? 1 : 0);
      const size_t frame_end = data_start + static_cast<size_t>(len);
      if (pending_.size() > frame_end) {
        const std::string data = pending_.substr(data_start, static_cast<size_t>(len));
        pending_.erase(0, frame_end + 1);  // and the trailing LF
        if (command == "serverclose") return Fail(ErrorCode::kUnavailable, "collector closed");
        if (command != "rsp" || !data.starts_with("200")) {
          return Fail(ErrorCode::kUnavailable, "collector refused a message");
        }
        return txnr;
      }
    }
    if (pending_.size() > kMaxResponse)
      return Fail(ErrorCode::kUnavailable, "RELP response too long");
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
