#pragma once
// The headers every response carries (API.md), whatever produced it: handler, router miss or a
// protocol error. The API never serves active content, so its policy forbids everything.

#include <boost/beast/http/fields.hpp>
#include <string_view>

namespace strongroom::http {

void AddSecurityHeaders(boost::beast::http::fields& fields, std::string_view request_id);

}  // namespace strongroom::http
