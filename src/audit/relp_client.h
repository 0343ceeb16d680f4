#pragma once
// A RELP (Reliable Event Logging Protocol) client over mutually authenticated TLS, speaking to
// rsyslog's imrelp. RELP acknowledges every frame; `SendBatch` pipelines a batch of messages and
// reports exactly how many of them, from the front, the collector acknowledged. That count is what
// lets the shipper move its persisted cursor only over delivered events.
//
// Frames: TXNR SP COMMAND SP DATALEN [SP DATA] LF; the collector answers each with
// "TXNR rsp LEN 200 OK". A session opens with "open" (relp_version=0, commands=syslog).
//
// Thread-safety: none; the shipper thread owns its client.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "crypto/tls_channel.h"

namespace strongroom::audit {

// The longest response frame a collector may send; more is a broken session.
inline constexpr size_t kMaxRelpResponse = 64 * 1024;

// Takes one response frame from the front of `pending` (the bytes read so far): its TXNR when it
// is a positive response ("rsp" whose data starts "200"); nullopt, leaving `pending` as it is,
// when no whole frame has arrived yet. A malformed frame (numbers that are not 1 to 9 digits, a
// command that is not 1 to 32 letters, a frame of kMaxRelpResponse bytes or more, data not ended by
// LF), a refusal (any status but "200") or a "serverclose" is an error, after which the session
// cannot be trusted. Pure; fuzzed by fuzz/relp_fuzzer.cc.
Result<std::optional<int64_t>> TakeRelpResponse(std::string& pending);

class RelpClient {
 public:
  static Result<std::unique_ptr<RelpClient>> Connect(const crypto::TlsClientConfig& config);

  // Sends every message; returns the number acknowledged in order from the first. An error means
  // the session is broken (the caller reconnects); messages not counted must be sent again.
  size_t SendBatch(const std::vector<std::string>& messages, Error* error);

 private:
  explicit RelpClient(std::unique_ptr<crypto::TlsChannel> ch) : channel_(std::move(ch)) {}
  Result<void> SendFrame(const std::string& command, const std::string& data);
  // Reads one "rsp" frame; returns its txnr, or an error if it is not a positive response.
  Result<int64_t> ReadResponse();

  std::unique_ptr<crypto::TlsChannel> channel_;
  int64_t next_txnr_ = 1;
  std::string pending_;
};

}  // namespace strongroom::audit
