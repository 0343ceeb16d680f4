#pragma once
// Authentication, in its parts: enrolment, sign-in, sessions, security keys and API tokens, built
// on the same services and sharing one count of wrong second factors per account. One Auth per
// instance.

#include "identity/auth_common.h"
#include "identity/enrolment.h"
#include "identity/second_factor.h"
#include "identity/security_keys.h"
#include "identity/sessions.h"
#include "identity/sign_in.h"
#include "identity/tokens.h"

namespace strongroom::identity {

class Auth {
 public:
  Auth(store::Store& store, audit::AuditLog& audit, store::KeyStore& keys, const Clock& clock,
       crypto::Random& random, const CommonPasswords& common, AuthOptions options = {})
      : options_(std::move(options)),
        deps_{store, audit, keys, clock, random, common, options_},
        factors_(deps_),
        enrolment(deps_, factors_),
        sign_in(deps_, factors_),
        sessions(deps_, factors_),
        security_keys(deps_, sessions),
        tokens(deps_) {}
  Auth(const Auth&) = delete;
  Auth& operator=(const Auth&) = delete;

  const AuthOptions& options() const { return options_; }

  // Audits a request refused before anyone's credentials were read (a malformed body, a form
  // from another site) as an anonymous attempt at `action`, and returns `error`.
  std::unexpected<Error> RefuseUnread(std::string action, const Error& error,
                                      const RequestContext& ctx) {
    return deps_.audit.Refuse(AnonymousEvent(std::move(action), ctx), error);
  }
  // Audits a request refused as `event` (its caller known) before it was acted on, and returns
  // `error`.
  std::unexpected<Error> Refuse(audit::Event event, const Error& error) {
    return deps_.audit.Refuse(std::move(event), error);
  }

 private:
  const AuthOptions options_;
  const AuthDeps deps_;
  SecondFactors factors_;

 public:
  Enrolment enrolment;
  SignIn sign_in;
  Sessions sessions;
  SecurityKeys security_keys;
  Tokens tokens;
};

}  // namespace strongroom::identity
