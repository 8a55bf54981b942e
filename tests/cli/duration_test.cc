#include "cli/duration.h"

#include <gtest/gtest.h>

namespace stalk::cli {
namespace {

using namespace std::chrono_literals;

Nanos Parse(std::string_view text) {
  auto d = ParseDuration(text, "--delay");
  EXPECT_TRUE(d.ok()) << text << ": " << (d.ok() ? "" : d.failure().message);
  return d.ok() ? *d : Nanos(-1);
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(Parse("30"), 30s);
  EXPECT_EQ(Parse("0"), 0s);
  EXPECT_EQ(Parse("2.5"), 2500ms);
}

TEST(ParseDuration, UnitsAndCompounds) {
  EXPECT_EQ(Parse("30s"), 30s);
  EXPECT_EQ(Parse("1m"), 60s);
  EXPECT_EQ(Parse("250ms"), 250ms);
  EXPECT_EQ(Parse("1m30s"), 90s);
  EXPECT_EQ(Parse("2h"), 7200s);
  EXPECT_EQ(Parse("1d"), 86400s);
  EXPECT_EQ(Parse("1.5h"), 5400s);
  EXPECT_EQ(Parse("10us"), 10us);
  EXPECT_EQ(Parse("7ns"), 7ns);
}

TEST(ParseDuration, RejectsGarbageWithUsageError) {
  for (std::string_view bad : {"", "-1", "-1s", "abc", "1x", "s", "1s2", "1.s.", "1 s", " 1",
                               "99999999999h", "1e5"}) {
    auto d = ParseDuration(bad, "--ttr");
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.failure().code, ExitCode::kUsage);
    EXPECT_NE(d.failure().message.find("--ttr"), std::string::npos) << d.failure().message;
  }
}

TEST(ToWireSeconds, RoundsUpAndSaysSo) {
  EXPECT_EQ(ToWireSeconds(250ms).seconds, 1u);
  EXPECT_TRUE(ToWireSeconds(250ms).rounded);
  EXPECT_EQ(ToWireSeconds(30s).seconds, 30u);
  EXPECT_FALSE(ToWireSeconds(30s).rounded);
  EXPECT_EQ(ToWireSeconds(1500ms).seconds, 2u);
  EXPECT_EQ(ToWireSeconds(0s).seconds, 0u);
  EXPECT_FALSE(ToWireSeconds(0s).rounded);
  EXPECT_EQ(RoundingNote("--delay", 250ms, ToWireSeconds(250ms)),
            "stalk: --delay 250ms rounded up to 1s (the protocol counts whole seconds)");
  EXPECT_EQ(RoundingNote("--delay", 2s, ToWireSeconds(2s)), "");
}

TEST(ToWireSeconds, RefusesMoreThanTheWireHolds) {
  EXPECT_TRUE(ToWireSecondsAtMost(4294967295s, 4294967295u, "--delay").ok());
  auto w = ToWireSecondsAtMost(4294967296s, 4294967295u, "--delay");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.failure().code, ExitCode::kUsage);
}

TEST(FormatDuration, ShortestExactForm) {
  EXPECT_EQ(FormatDuration(0s), "0s");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(3600s), "1h");
  EXPECT_EQ(FormatDuration(7ns), "7ns");
}

}  // namespace
}  // namespace stalk::cli
