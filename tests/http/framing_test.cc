// Request framing decided from the header alone: the table is RFC 9112 §6.1 and §6.3 as this
// server applies them.

#include "http/framing.h"

#include <gtest/gtest.h>

#include <boost/beast/core.hpp>

namespace strongroom::http {
namespace {

// Parses `head` (a request line and header fields) with Beast's own parser, as the server does.
Framing FramingOf(const std::string& head) {
  beast_http::request_parser<beast_http::string_body> parser;
  boost::beast::error_code ec;
  const std::string bytes = head + "\r\n";
  parser.put(boost::asio::buffer(bytes), ec);
  if (ec && ec != beast_http::error::need_more) {
    ADD_FAILURE() << "Beast refused the header itself (" << ec.message() << "): " << head;
    return Framing::kBadRequest;
  }
  EXPECT_TRUE(parser.is_header_done()) << head;
  return CheckFraming(parser.get());
}

struct Case {
  const char* fields;
  Framing expected;
};

TEST(FramingTest, OnlyExactlyChunkedIsAcceptedAsATransferEncoding) {
  const Case cases[] = {
      {"", Framing::kOk},
      {"Content-Length: 3\r\n", Framing::kOk},
      {"Transfer-Encoding: chunked\r\n", Framing::kOk},
      {"Transfer-Encoding: CHUNKED\r\n", Framing::kOk},
      {"Transfer-Encoding: \tchunked \r\n", Framing::kOk},
      {"Transfer-Encoding: xchunked\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: chunkedx\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: chunked, identity\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: identity\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: gzip\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: \r\n", Framing::kBadRequest},
      {"Transfer-Encoding: ,chunked\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: chunked,\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: chunked;q=1\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: \"chunked\"\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: chunked, chunked\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: gzip, chunked\r\n", Framing::kNotImplemented},
      {"Transfer-Encoding: identity, chunked\r\n", Framing::kNotImplemented},
      {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", Framing::kNotImplemented},
      {"Transfer-Encoding: xchunked\r\nContent-Length: 3\r\n", Framing::kBadRequest},
      {"Transfer-Encoding: identity\r\nContent-Length: 3\r\n", Framing::kBadRequest},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FramingOf(std::string("POST /x HTTP/1.1\r\nHost: a\r\n") + c.fields), c.expected)
        << c.fields;
  }
}

TEST(FramingTest, ATransferEncodingOnAnHttp10RequestIsFaultyFraming) {
  EXPECT_EQ(FramingOf("POST /x HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"),
            Framing::kBadRequest);
  EXPECT_EQ(FramingOf("POST /x HTTP/1.0\r\nHost: a\r\nContent-Length: 1\r\n"), Framing::kOk);
}

}  // namespace
}  // namespace strongroom::http
