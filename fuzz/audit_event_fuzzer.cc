// Canonical audit events (audit/event.h), the one text that is hashed, stored, shipped and
// searched. Whatever its fields hold, the canonical text is one line of strict JSON that the
// service's own reader accepts, gives every field back (valid UTF-8 within the bound exactly as
// it was), and yields search keys that are the fields escaped as AppendEscaped writes them. Any
// other text given to SearchKeysOf yields keys inside that text, or none.

#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>

#include "audit/event.h"
#include "common/utf8.h"
#include "fuzz_check.h"
#include "http/json.h"

namespace {

using namespace strongroom;

std::string Escaped(std::string_view value) {
  std::string out;
  audit::AppendEscaped(out, value);
  return out;
}

// What a field should read back as: itself when it is valid UTF-8 within the bound.
void CheckField(const boost::json::value& v, const std::string& field) {
  FUZZ_CHECK(v.is_string(), "a field that is not a string");
  if (field.size() <= audit::kMaxFieldBytes && Utf8CodePoints(field).has_value()) {
    FUZZ_CHECK(v.as_string() == field, "a field that did not read back as written");
  }
}

bool Inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (auto keys = audit::SearchKeysOf(fuzz::Text(data, size))) {
    const auto text = fuzz::Text(data, size);
    FUZZ_CHECK(Inside(keys->time, text) && Inside(keys->actor_id, text) &&
                   Inside(keys->action, text) && Inside(keys->target_id, text),
               "a search key outside its text");
  }

  FuzzedDataProvider in(data, size);
  audit::Event e;
  e.sequence = in.ConsumeIntegralInRange<int64_t>(1, INT64_MAX);  // assigned by the log
  e.time =
      TimePoint(std::chrono::milliseconds(in.ConsumeIntegralInRange<int64_t>(0, 253402300799999)));
  e.actor = {in.ConsumeRandomLengthString(1100), in.ConsumeRandomLengthString(64), "standard",
             in.ConsumeRandomLengthString(64)};
  e.source = in.ConsumeRandomLengthString(64);
  e.action = in.ConsumeRandomLengthString(64);
  e.target = {"record", in.ConsumeRandomLengthString(1100), in.ConsumeRandomLengthString(64)};
  e.allowed = in.ConsumeBool();
  e.reason = in.ConsumeRandomLengthString(256);
  e.outcome = "ok";
  e.request_id = in.ConsumeRandomLengthString(64);
  e.node = in.ConsumeRandomLengthString(64);
  const auto details = in.ConsumeIntegralInRange<int>(0, 4);
  // Detail names are the program's own constants; their values may come from anyone.
  for (int i = 0; i < details; ++i) {
    e.detail[std::string(1, static_cast<char>('a' + i))] = in.ConsumeRandomLengthString(128);
  }

  const auto canonical = audit::Canonical(e);
  for (unsigned char c : canonical) FUZZ_CHECK(c >= 0x20 && c != 0x7f, "a control in the text");
  auto parsed = http::ParseJson(canonical, 4);
  FUZZ_CHECK(parsed.has_value() && parsed->is_object(), "canonical text that is not strict JSON");
  const auto& o = parsed->as_object();
  FUZZ_CHECK(o.at("seq").to_number<int64_t>() == e.sequence, "the sequence changed");
  FUZZ_CHECK(o.at("time").as_string() == FormatRfc3339(e.time), "the time changed");
  CheckField(o.at("actor").at("id"), e.actor.account_id);
  CheckField(o.at("actor").at("username"), e.actor.username);
  CheckField(o.at("source"), e.source);
  CheckField(o.at("action"), e.action);
  CheckField(o.at("target").at("id"), e.target.id);
  CheckField(o.at("decision").at("reason"), e.reason);
  CheckField(o.at("request_id"), e.request_id);
  CheckField(o.at("node"), e.node);
  FUZZ_CHECK(o.at("decision").at("allow").as_bool() == e.allowed, "the decision changed");

  auto keys = audit::SearchKeysOf(canonical);
  FUZZ_CHECK(keys.has_value(), "a canonical event without search keys");
  FUZZ_CHECK(keys->actor_id == Escaped(e.actor.account_id), "the actor key is not the actor");
  FUZZ_CHECK(keys->action == Escaped(e.action), "the action key is not the action");
  FUZZ_CHECK(keys->target_id == Escaped(e.target.id), "the target key is not the target");
  FUZZ_CHECK(keys->time == Escaped(FormatRfc3339(e.time)), "the time key is not the time");
  return 0;
}
