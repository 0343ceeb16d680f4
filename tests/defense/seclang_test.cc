#include "defense/seclang.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace strongroom::defense {
namespace {

const SecChain* Find(const Analysis& a, int id) {
  const auto it = std::find_if(a.live.begin(), a.live.end(),
                               [id](const SecChain* c) { return c->head().id == id; });
  return it == a.live.end() ? nullptr : *it;
}

TEST(SecLangTest, ReadsRulesChainsActionsAndContinuedLines) {
  const auto rules = ParseSecLang(R"(# a comment
SecRuleEngine DetectionOnly
SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/__utm|x/|&ARGS:foo "!@rx ^a\"b$" \
    "id:10,phase:1,block,t:none,t:urlDecodeUni,t:LOWERCASE,msg:'a, b',multiMatch,\
    setvar:'tx.score=+%{tx.critical_anomaly_score}',setvar:!tx.gone,chain"
    SecRule TX:/^header_name_/ "@within %{tx.restricted_headers}" "t:none"
SecAction "id:11,phase:2,pass,nolog,t:lowercase,t:none,skipAfter:END"
SecMarker "END"
SecRuleRemoveById 12 20-22
)");
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->chains.size(), 3u);
  const auto& first = rules->chains[0];
  ASSERT_EQ(first.links.size(), 2u);
  const auto& head = first.head();
  EXPECT_EQ(head.id, 10);
  EXPECT_EQ(head.phase, 1);
  EXPECT_TRUE(first.logs());
  EXPECT_TRUE(head.multi_match);
  ASSERT_EQ(head.variables.size(), 3u);
  EXPECT_EQ(head.variables[1].key, "/__utm|x/") << "a | inside a /regex/ key";
  EXPECT_TRUE(head.variables[1].exclude);
  EXPECT_TRUE(head.variables[2].count);
  EXPECT_EQ(head.variables[2].collection, "ARGS");
  EXPECT_TRUE(head.op.negated);
  EXPECT_EQ(head.op.name, "rx");
  EXPECT_EQ(head.op.param, "^a\"b$");
  EXPECT_EQ(head.transformations, (std::vector<std::string>{"urldecodeuni", "lowercase"}));
  ASSERT_EQ(head.setvars.size(), 2u);
  EXPECT_EQ(head.setvars[0].name, "score");
  EXPECT_EQ(head.setvars[0].value, "+%{tx.critical_anomaly_score}");
  EXPECT_TRUE(head.setvars[1].unset);
  EXPECT_EQ(first.links[1].op.name, "within");
  EXPECT_TRUE(rules->chains[1].head().transformations.empty()) << "t:none clears what came before";
  EXPECT_EQ(rules->chains[1].head().skip_after, "END");
  EXPECT_EQ(rules->chains[2].head().kind, SecRule::Kind::kMarker);
  EXPECT_EQ(rules->removed, (std::set<int>{12, 20, 21, 22}));
}

TEST(SecLangTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(ParseSecLang("SecRule ARGS \"@rx a"));
  EXPECT_FALSE(ParseSecLang("Frobnicate on"));
  EXPECT_FALSE(ParseSecLang("Include \"/nonexistent/rules.conf\""));
  // Directives that would change what the rules see, read here or not: refused.
  EXPECT_FALSE(ParseSecLang("SecDefaultAction \"phase:2,log,pass,t:lowercase\""));
  EXPECT_FALSE(ParseSecLang("SecRuleUpdateTargetById 942100 !ARGS:q"));
  EXPECT_FALSE(ParseSecLang("SecRuleRemoveById 5-x"));
  EXPECT_FALSE(ParseSecLang("SecRuleRemoveById 9-5"));
}

TEST(SecLangTest, ConstantsDecideRulesAndSkips) {
  const auto rules = ParseSecLang(R"(
SecAction "id:1,phase:1,pass,nolog,setvar:tx.level=2"
SecRule &TX:level "@eq 0" "id:2,phase:1,pass,nolog,setvar:tx.level=1"
SecRule &TX:other "@eq 0" "id:3,phase:1,pass,nolog,setvar:tx.other=%{tx.level}"
SecRule TX:level "@lt 3" "id:4,phase:1,pass,nolog,skipAfter:END-HIGH"
SecRule ARGS "@rx high" "id:5,phase:1,block"
SecMarker "END-HIGH"
SecRule TX:level "@lt 2" "id:6,phase:1,pass,nolog,skipAfter:END-LOW"
SecRule ARGS "@rx low" "id:7,phase:1,block,setvar:tx.score=+5"
SecMarker "END-LOW"
SecRule TX:score "@ge 5" "id:8,phase:2,block"
SecRule TX:max_args "@eq 1" "id:9,phase:2,block"
)");
  ASSERT_TRUE(rules) << rules.error().message;
  const auto a = Analyse(*rules);
  EXPECT_EQ(a.tx.at("level").value, "2") << "the configuration's, not the default";
  EXPECT_EQ(a.tx.at("other").value, "2");
  EXPECT_EQ(Find(a, 5), nullptr) << "skipped: level 2 is under 3";
  EXPECT_NE(Find(a, 7), nullptr) << "level 2 is not under 2";
  EXPECT_FALSE(a.tx.at("score").known) << "set by a rule that reads the request";
  EXPECT_NE(Find(a, 8), nullptr);
  EXPECT_EQ(Find(a, 9), nullptr) << "nothing sets max_args";
  EXPECT_EQ(Find(a, 2), nullptr) << "decided false";
  EXPECT_TRUE(a.decided.contains(Find(a, 1)));
  EXPECT_FALSE(a.decided.contains(Find(a, 8)));
  EXPECT_TRUE(a.closed_collections.contains("IP")) << "no initcol";
  EXPECT_EQ(ExpandConstants("%{TX.level}/%{tx.other}", a.tx), "2/2");
  EXPECT_FALSE(ExpandConstants("%{tx.score}", a.tx));
  EXPECT_FALSE(ExpandConstants("%{request_headers.host}", a.tx));
}

TEST(SecLangTest, WhatMayOrMayNotRunLeavesItsConstantsUnknown) {
  const auto rules = ParseSecLang(R"(
SecAction "id:1,phase:1,pass,nolog,setvar:tx.level=1"
SecRule TX:level "@lt 3" "id:2,phase:1,pass,nolog,setvar:tx.partial=1,chain"
    SecRule TX:level "@gt 5" "setvar:tx.whole=1"
SecRule ARGS "@rx x" "id:3,phase:1,pass,nolog,skipAfter:END-MAYBE"
SecAction "id:4,phase:1,pass,nolog,setvar:tx.maybe=1"
SecMarker "END-MAYBE"
SecAction "id:5,phase:1,pass,nolog,setvar:tx.after=1"
)");
  ASSERT_TRUE(rules) << rules.error().message;
  const auto a = Analyse(*rules);
  EXPECT_FALSE(a.tx.at("partial").known) << "the first link's setvar ran when it matched";
  EXPECT_FALSE(a.tx.contains("whole")) << "the chain never fires";
  EXPECT_FALSE(a.tx.at("maybe").known) << "perhaps skipped";
  EXPECT_FALSE(a.decided.contains(Find(a, 4)));
  EXPECT_EQ(a.tx.at("after").value, "1") << "after the marker, decided again";
}

}  // namespace
}  // namespace strongroom::defense
