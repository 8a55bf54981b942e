#include "redis/endpoint.h"

#include <gtest/gtest.h>

namespace stalk::redis {
namespace {

std::vector<Endpoint> MustParse(std::string_view text) {
  auto r = ParseRedisAddress(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : std::vector<Endpoint>{};
}

TEST(ParseRedisAddress, AcceptsSeedListsWithOrWithoutScheme) {
  EXPECT_EQ(MustParse("redis://127.0.0.1:7000"), (std::vector<Endpoint>{{"127.0.0.1", 7000}}));
  EXPECT_EQ(MustParse("redis://a:1,b:2,c:65535"),
            (std::vector<Endpoint>{{"a", 1}, {"b", 2}, {"c", 65535}}));
  EXPECT_EQ(MustParse("localhost:7001"), (std::vector<Endpoint>{{"localhost", 7001}}));
  EXPECT_EQ(MustParse("redis.example"), (std::vector<Endpoint>{{"redis.example", 6379}}));
  EXPECT_EQ(MustParse("redis://[::1]:7000,[fe80::1]"),
            (std::vector<Endpoint>{{"::1", 7000}, {"fe80::1", 6379}}));
}

TEST(ParseRedisAddress, RejectsBadInputWithAReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c : {Case{"", "no host"},
                        Case{"redis://", "no host"},
                        Case{"http://a:1", "unsupported scheme"},
                        Case{"rediss://a:1", "unsupported scheme"},
                        Case{"redis://a:1,", "empty host:port"},
                        Case{"redis://,a:1", "empty host:port"},
                        Case{"redis://a:1,,b:2", "empty host:port"},
                        Case{"redis://:7000", "empty host"},
                        Case{"redis://a:", "not a number"},
                        Case{"redis://a:0", "not a number"},
                        Case{"redis://a:65536", "not a number"},
                        Case{"redis://a:12x", "not a number"},
                        Case{"redis://a:-1", "not a number"},
                        Case{"redis://user:pw@a:1", "credentials"},
                        Case{"redis://a:1/0", "database"},
                        Case{"redis://::1:7000", "brackets"},
                        Case{"redis://[::1:7000", "unclosed"},
                        Case{"redis://[::1]7000", "expected ':'"}}) {
    auto r = ParseRedisAddress(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.reason), std::string::npos)
        << c.text << " -> " << r.status().message();
  }
}

TEST(Endpoint, PrintsHostAndPort) {
  EXPECT_EQ((Endpoint{"127.0.0.1", 7000}.ToString()), "127.0.0.1:7000");
  EXPECT_EQ((Endpoint{"::1", 7000}.ToString()), "[::1]:7000");
}

}  // namespace
}  // namespace stalk::redis
