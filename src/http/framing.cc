#include "http/framing.h"

#include <string_view>
#include <vector>

namespace strongroom::http {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsChunked(std::string_view coding) {
  constexpr std::string_view kChunked = "chunked";
  if (coding.size() != kChunked.size()) return false;
  for (size_t i = 0; i < coding.size(); ++i) {
    if ((coding[i] | 0x20) != kChunked[i]) return false;
  }
  return true;
}

// Appends the codings of one field value; false if an element is empty or not a bare token.
bool SplitCodings(std::string_view value, std::vector<std::string_view>& out) {
  for (;;) {
    const auto comma = value.find(',');
    const auto element = TrimOws(value.substr(0, comma));
    if (element.empty()) return false;
    for (char c : element) {
      if (!IsTokenChar(c)) return false;  // parameters (";q=...") and odd bytes included
    }
    out.push_back(element);
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

Framing CheckFraming(const beast_http::request_header<>& header) {
  std::vector<std::string_view> codings;
  bool present = false;
  for (const auto& field : header) {
    if (field.name() != beast_http::field::transfer_encoding) continue;
    present = true;
    if (!SplitCodings(field.value(), codings)) return Framing::kBadRequest;
  }
  if (!present) return Framing::kOk;
  if (header.version() < 11) return Framing::kBadRequest;
  if (header.find(beast_http::field::content_length) != header.end()) return Framing::kBadRequest;
  if (!IsChunked(codings.back())) return Framing::kBadRequest;
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (IsChunked(codings[i])) return Framing::kBadRequest;
  }
  return codings.size() == 1 ? Framing::kOk : Framing::kNotImplemented;
}

}  // namespace strongroom::http
