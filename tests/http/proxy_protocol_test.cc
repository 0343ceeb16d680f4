// The PROXY protocol header reader (http/proxy_protocol.h): both versions as balancers send them,
// never a byte past the header, and every malformed header refused.

#include "http/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace strongroom::http {
namespace {

const std::string kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);

// Feeds `bytes` as a socket would give them, only as many as the reader asks for each time;
// returns how many it took.
size_t Feed(ProxyHeaderReader& r, const std::string& bytes) {
  size_t at = 0;
  while (r.Wanted() > 0 && at < bytes.size()) {
    const size_t n = std::min(r.Wanted(), bytes.size() - at);
    r.Add(std::string_view(bytes).substr(at, n));
    at += n;
  }
  return at;
}

std::string V2(uint8_t version_command, uint8_t family, const std::string& body) {
  std::string h = kV2Signature;
  h += static_cast<char>(version_command);
  h += static_cast<char>(family);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xFF);
  return h + body;
}

TEST(ProxyProtocolTest, Version1NamesTheClientAndNothingAfterItIsRead) {
  const std::string header = "PROXY TCP4 203.0.113.7 192.0.2.1 51234 8443\r\n";
  const std::string tls = "\x16\x03\x01\x02\x00";  // a ClientHello's first bytes
  ProxyHeaderReader r;
  EXPECT_EQ(Feed(r, header + tls), header.size());
  ASSERT_TRUE(r.done());
  EXPECT_EQ(r.source(), "203.0.113.7");
  EXPECT_EQ(r.Wanted(), 0u);
}

TEST(ProxyProtocolTest, Version1OverIpv6AndUnknown) {
  ProxyHeaderReader six;
  Feed(six, "PROXY TCP6 2001:db8:0:0::7 2001:db8::1 443 8443\r\n");
  ASSERT_TRUE(six.done());
  EXPECT_EQ(six.source(), "2001:db8::7") << "in its plain form";

  ProxyHeaderReader unknown;
  const std::string header = "PROXY UNKNOWN\r\n";
  EXPECT_EQ(Feed(unknown, header + "\x16\x03"), header.size());
  ASSERT_TRUE(unknown.done());
  EXPECT_EQ(unknown.source(), "") << "the balancer's own connection";
}

TEST(ProxyProtocolTest, Version2NamesTheClientOverIpv4AndIpv6) {
  const std::string v4 =
      V2(0x21, 0x11, std::string("\xCB\x00\x71\x07\xC0\x00\x02\x01\xC8\x22\x20\xFB", 12));
  ProxyHeaderReader r;
  EXPECT_EQ(Feed(r, v4 + "\x16\x03\x01"), v4.size());
  ASSERT_TRUE(r.done());
  EXPECT_EQ(r.source(), "203.0.113.7");

  std::string addresses(36, '\0');
  addresses[0] = '\x20';
  addresses[1] = '\x01';
  addresses[2] = '\x0d';
  addresses[3] = '\xb8';
  addresses[15] = '\x07';
  // A TLV after the addresses (as HAProxy adds): read and passed over.
  const std::string v6 = V2(0x21, 0x21, addresses + std::string("\x04\x00\x02\xAB\xCD", 5));
  ProxyHeaderReader r6;
  EXPECT_EQ(Feed(r6, v6 + "\x16"), v6.size());
  ASSERT_TRUE(r6.done());
  EXPECT_EQ(r6.source(), "2001:db8::7");

  ProxyHeaderReader local;
  EXPECT_EQ(Feed(local, V2(0x20, 0x00, "")), 16u);
  ASSERT_TRUE(local.done());
  EXPECT_EQ(local.source(), "") << "LOCAL: a health check of the balancer's own";
}

TEST(ProxyProtocolTest, AnythingElseIsRefusedWithoutReadingPastWhatItAskedFor) {
  const std::string v4body("\xCB\x00\x71\x07\xC0\x00\x02\x01\xC8\x22\x20\xFB", 12);
  const std::string cases[] = {
      // No header at all: a client's TLS handshake, a plain HTTP request.
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xaa\xbb\xcc\xdd", 15),
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
      // Version 1, malformed.
      "PROXY TCP4 203.0.113.7 192.0.2.1 51234\r\n",
      "PROXY TCP4 203.0.113.7 192.0.2.1 51234 8443 extra\r\n",
      "PROXY TCP4 203.0.113.7  192.0.2.1 51234 8443\r\n",
      "PROXY TCP5 203.0.113.7 192.0.2.1 51234 8443\r\n",
      "PROXY TCP4 2001:db8::7 192.0.2.1 51234 8443\r\n",
      "PROXY TCP6 203.0.113.7 2001:db8::1 51234 8443\r\n",
      "PROXY TCP4 203.0.113.256 192.0.2.1 51234 8443\r\n",
      "PROXY TCP4 203.0.113.7 192.0.2.1 65536 8443\r\n",
      "PROXY TCP4 203.0.113.7 192.0.2.1 051234 8443\r\n",
      "PROXY TCP4 203.0.113.7 192.0.2.1 -1 8443\r\n",
      "PROXY TCP4 localhost 192.0.2.1 51234 8443\r\n",
      "PROXY TCP4 203.0.113.7\n192.0.2.1 51234 8443\r\n",
      std::string("PROXY TCP4 203.0.113.7\0 192.0.2.1 51234 8443\r\n", 46),
      "PROXY TCP4 203.0.113.7 192.0.2.1 51234 8443\n",  // no CR: runs on past 107
      "PROXY " + std::string(200, 'A') + "\r\n",
      // Version 2, malformed.
      V2(0x11, 0x11, v4body),                 // version 1 in a version 2 header
      V2(0x22, 0x11, v4body),                 // an unknown command
      V2(0x21, 0x12, v4body),                 // UDP
      V2(0x21, 0x31, std::string(216, 'x')),  // a Unix socket
      V2(0x21, 0x11, v4body.substr(0, 8)),    // addresses cut short
      V2(0x21, 0x21, std::string(20, '\0')),
      V2(0x21, 0x11, std::string(ProxyHeaderReader::kMaxV2Body + 1, '\0')),
  };
  for (const auto& bytes : cases) {
    ProxyHeaderReader r;
    const size_t taken = Feed(r, bytes + std::string(1000, 'Z'));
    EXPECT_TRUE(r.failed()) << bytes;
    EXPECT_FALSE(r.done());
    EXPECT_EQ(r.Wanted(), 0u);
    EXPECT_FALSE(r.error().empty());
    EXPECT_LE(taken, 16 + ProxyHeaderReader::kMaxV2Body) << "never reads on and on";
    EXPECT_EQ(r.error().find("203.0.113"), std::string::npos) << "the bytes are not repeated";
  }
}

TEST(ProxyProtocolTest, AnIpv4AddressMappedIntoIpv6IsTheIpv4One) {
  ProxyHeaderReader r;
  Feed(r, "PROXY TCP6 ::ffff:203.0.113.7 2001:db8::1 443 8443\r\n");
  ASSERT_TRUE(r.done());
  EXPECT_EQ(r.source(), "203.0.113.7") << "one client, one key for its limits";
  for (const char* zoned : {"PROXY TCP6 fe80::1%eth0 fe80::2 443 8443\r\n",
                            "PROXY TCP6 2001:db8::7%1 2001:db8::1 443 8443\r\n"}) {
    ProxyHeaderReader z;
    Feed(z, zoned);
    EXPECT_TRUE(z.failed()) << zoned;
  }
}

// A balancer elsewhere cannot give its clients this machine's loopback rights (the admin and
// metrics surfaces' default allow-lists); one on this machine is already there.
TEST(ProxyProtocolTest, OnlyABalancerOnThisMachineMayNameALoopbackAddress) {
  EXPECT_TRUE(MayName("10.0.0.10", "203.0.113.7"));
  EXPECT_TRUE(MayName("10.0.0.10", "2001:db8::7"));
  for (const char* local : {"127.0.0.1", "127.9.9.9", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1"}) {
    EXPECT_FALSE(MayName("10.0.0.10", local)) << local;
    EXPECT_FALSE(MayName("2001:db8::10", local)) << local;
    EXPECT_TRUE(MayName("127.0.0.9", local)) << local;
    EXPECT_TRUE(MayName("::ffff:127.0.0.9", local)) << local;
  }
  EXPECT_FALSE(MayName("10.0.0.10", "not an address"));
}

TEST(ProxyProtocolTest, MoreThanItAskedForIsRefused) {
  ProxyHeaderReader r;
  r.Add(std::string(16, 'P'));
  EXPECT_TRUE(r.failed());
}

}  // namespace
}  // namespace strongroom::http
