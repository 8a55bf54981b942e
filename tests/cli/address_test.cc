#include "cli/address.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace stalk::cli {
namespace {

Endpoint Parse(std::string_view text) {
  auto ep = ParseAddress(text, "--addr");
  EXPECT_TRUE(ep.ok()) << text << ": " << (ep.ok() ? "" : ep.failure().message);
  return ep.ok() ? *ep : Endpoint{};
}

TEST(ParseAddress, HostPortForms) {
  EXPECT_EQ(Parse("example.org:11301").ToString(), "example.org:11301");
  EXPECT_EQ(Parse("tcp://172.17.0.5:11300").ToString(), "172.17.0.5:11300");
  EXPECT_EQ(Parse("example.org").ToString(), "example.org:11300");
  EXPECT_EQ(Parse("[::1]:9").host, "::1");
  EXPECT_EQ(Parse("[::1]:9").ToString(), "[::1]:9");
  EXPECT_EQ(Parse("[::1]").port, 11300);
}

TEST(ParseAddress, UnixSockets) {
  EXPECT_EQ(Parse("unix:/run/stalkd.sock").unix_path, "/run/stalkd.sock");
  EXPECT_EQ(Parse("unix:///run/stalkd.sock").unix_path, "/run/stalkd.sock");
  EXPECT_TRUE(Parse("unix:/x").is_unix());
}

TEST(ParseAddress, RejectsBadAddresses) {
  for (std::string_view bad : {"", ":11300", "host:", "host:0", "host:65536", "host:abc", "unix:",
                               "::1:11300", "[::1", "[::1]x", "tcp://"}) {
    auto ep = ParseAddress(bad, "--addr");
    ASSERT_FALSE(ep.ok()) << bad;
    EXPECT_EQ(ep.failure().code, ExitCode::kUsage);
  }
}

// Sets STALKD_HOST / STALKD_PORT for one test (unset when nullptr) and restores
// the environment afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* host, const char* port) {
    Set("STALKD_HOST", host);
    Set("STALKD_PORT", port);
  }
  ~ScopedEnv() {
    ::unsetenv("STALKD_HOST");
    ::unsetenv("STALKD_PORT");
  }

 private:
  static void Set(const char* name, const char* value) {
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
};

TEST(ResolveEndpoint, DefaultsToLocalhost) {
  ScopedEnv env(nullptr, nullptr);
  auto ep = ResolveEndpoint({});
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->ToString(), "localhost:11300");
}

TEST(ResolveEndpoint, EnvironmentThenFlags) {
  ScopedEnv env("queue.internal", "11400");
  EXPECT_EQ(ResolveEndpoint({})->ToString(), "queue.internal:11400");
  AddressFlags flags;
  flags.port = "5";
  EXPECT_EQ(ResolveEndpoint(flags)->ToString(), "queue.internal:5");
  flags.host = "other";
  EXPECT_EQ(ResolveEndpoint(flags)->ToString(), "other:5");
}

TEST(ResolveEndpoint, ContainerLinkPortGivesHostAndPort) {
  ScopedEnv env(nullptr, "tcp://172.17.0.5:11300");
  EXPECT_EQ(ResolveEndpoint({})->ToString(), "172.17.0.5:11300");
  AddressFlags flags;
  flags.port = "7";
  EXPECT_EQ(ResolveEndpoint(flags)->ToString(), "172.17.0.5:7");
}

TEST(ResolveEndpoint, AddrWinsAndRefusesMixing) {
  ScopedEnv env("h", "1");
  AddressFlags flags;
  flags.addr = "unix:/tmp/s";
  EXPECT_EQ(ResolveEndpoint(flags)->ToString(), "unix:/tmp/s");
  flags.port = "1";
  EXPECT_FALSE(ResolveEndpoint(flags).ok());
}

TEST(ResolveEndpoint, BadEnvironmentIsAUsageError) {
  ScopedEnv env(nullptr, "eleven");
  auto ep = ResolveEndpoint({});
  ASSERT_FALSE(ep.ok());
  EXPECT_EQ(ep.failure().code, ExitCode::kUsage);
  EXPECT_NE(ep.failure().message.find("STALKD_PORT"), std::string::npos) << ep.failure().message;
}

}  // namespace
}  // namespace stalk::cli
