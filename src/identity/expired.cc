#include "identity/expired.h"

namespace strongroom::identity {

Result<ExpiredCounts> DeleteExpired(store::Transaction& tx, TimePoint now,
                                    std::chrono::hours device_lifetime) {
  ExpiredCounts out;
  const auto now_text = FormatRfc3339(now);
  // Sessions past the absolute lifetime: the idle ones are ended on use, or here within a day.
  const auto day_ago = FormatRfc3339(now - std::chrono::hours(24));
  ASSIGN_OR_RETURN(
      out.sessions,
      tx.Exec("DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?", {day_ago, day_ago}));
  ASSIGN_OR_RETURN(out.challenges,
                   tx.Exec("DELETE FROM login_challenges WHERE expires_at <= ?", {now_text}));
  ASSIGN_OR_RETURN(auto ceremonies,
                   tx.Exec("DELETE FROM webauthn_challenges WHERE expires_at <= ?", {now_text}));
  out.challenges += ceremonies;
  ASSIGN_OR_RETURN(out.enrolment_tokens,
                   tx.Exec("DELETE FROM enrolment_tokens WHERE expires_at <= ? OR used_at IS NOT "
                           "NULL",
                           {now_text}));
  ASSIGN_OR_RETURN(out.devices, tx.Exec("DELETE FROM known_devices WHERE last_used_at < ?",
                                        {FormatRfc3339(now - device_lifetime)}));
  ASSIGN_OR_RETURN(out.throttles,
                   tx.Exec("DELETE FROM login_throttle WHERE next_allowed_at < ?", {day_ago}));
  return out;
}

Result<Forgotten> ForgetLiveCredentials(store::Transaction& tx, TimePoint now) {
  Forgotten out;
  ASSIGN_OR_RETURN(out.sessions, tx.Exec("DELETE FROM sessions"));
  RETURN_IF_ERROR(tx.Exec("DELETE FROM login_challenges"));
  RETURN_IF_ERROR(tx.Exec("DELETE FROM webauthn_challenges"));
  ASSIGN_OR_RETURN(out.enrolment_tokens,
                   tx.Exec("UPDATE enrolment_tokens SET used_at = ? WHERE used_at IS NULL",
                           {FormatRfc3339(now)}));
  return out;
}

}  // namespace strongroom::identity
