#include "cli/args.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <sstream>

namespace stalk::cli {
namespace {

using namespace std::chrono_literals;

struct Parsed {
  Outcome<Invocation> inv = Failure{};
  std::string out, err;
};

Parsed Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "stalk");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Parsed p;
  p.inv = ParseArgs(static_cast<int>(argv.size()), argv.data(), out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

void ExpectUsage(std::vector<std::string> args, std::string_view in_message = "") {
  Parsed p = Parse(args);
  ASSERT_FALSE(p.inv.ok()) << args.at(0);
  EXPECT_EQ(p.inv.failure().code, ExitCode::kUsage) << args.at(0);
  EXPECT_FALSE(p.err.empty());
  EXPECT_NE(p.err.find(in_message), std::string::npos) << p.err;
}

TEST(ParseArgs, PutWithEveryFlag) {
  Parsed p = Parse({"put", "--tube", "emails", "--pri", "10", "--delay", "250ms", "--ttr", "2m", "hello"});
  ASSERT_TRUE(p.inv.ok()) << p.err;
  EXPECT_EQ(p.inv->command, Command::kPut);
  EXPECT_EQ(p.inv->tube, "emails");
  EXPECT_EQ(p.inv->pri, 10u);
  EXPECT_EQ(p.inv->delay, 250ms);
  EXPECT_EQ(p.inv->ttr, 120s);
  EXPECT_EQ(p.inv->body, "hello");
  EXPECT_FALSE(p.inv->file.has_value());
}

TEST(ParseArgs, PutDefaultsReadStdin) {
  ::unsetenv("STALKD_HOST");
  ::unsetenv("STALKD_PORT");
  Parsed p = Parse({"put"});
  ASSERT_TRUE(p.inv.ok()) << p.err;
  EXPECT_FALSE(p.inv->body.has_value());
  EXPECT_FALSE(p.inv->file.has_value());
  EXPECT_EQ(p.inv->tube, "default");
  EXPECT_EQ(p.inv->pri, 1024u);
  EXPECT_EQ(p.inv->ttr, 60s);
  EXPECT_EQ(p.inv->endpoint.ToString(), "localhost:11300");
}

TEST(ParseArgs, GlobalFlagsBeforeOrAfterTheCommand) {
  Parsed before = Parse({"--addr", "unix:/tmp/s", "stats"});
  ASSERT_TRUE(before.inv.ok()) << before.err;
  EXPECT_EQ(before.inv->endpoint.unix_path, "/tmp/s");
  Parsed after = Parse({"stats", "-H", "h", "-p", "12"});
  ASSERT_TRUE(after.inv.ok()) << after.err;
  EXPECT_EQ(after.inv->endpoint.ToString(), "h:12");
}

TEST(ParseArgs, ReserveFlags) {
  Parsed p = Parse({"reserve", "--tube", "a", "--tube", "b", "--timeout", "0", "--bury", "--json"});
  ASSERT_TRUE(p.inv.ok()) << p.err;
  EXPECT_EQ(p.inv->watch, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.inv->timeout, 0s);
  EXPECT_EQ(p.inv->after, AfterReserve::kBury);
  EXPECT_TRUE(p.inv->json);
  Parsed forever = Parse({"reserve"});
  ASSERT_TRUE(forever.inv.ok());
  EXPECT_FALSE(forever.inv->timeout.has_value());
}

TEST(ParseArgs, PeekByIdOrByState) {
  Parsed id = Parse({"peek", "42"});
  ASSERT_TRUE(id.inv.ok()) << id.err;
  EXPECT_EQ(id.inv->peek, PeekWhat::kId);
  EXPECT_EQ(id.inv->ids, std::vector<uint64_t>{42});
  Parsed buried = Parse({"peek", "--buried", "--tube", "t"});
  ASSERT_TRUE(buried.inv.ok()) << buried.err;
  EXPECT_EQ(buried.inv->peek, PeekWhat::kBuried);
  EXPECT_EQ(buried.inv->tube, "t");
}

TEST(ParseArgs, OtherCommands) {
  EXPECT_EQ(Parse({"delete", "1", "2"}).inv->ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Parse({"kick-job", "3"}).inv->command, Command::kKickJob);
  Parsed kick = Parse({"kick", "10", "--tube", "t"});
  EXPECT_EQ(kick.inv->bound, 10u);
  Parsed pause = Parse({"pause", "emails", "1m"});
  EXPECT_EQ(pause.inv->tube, "emails");
  EXPECT_EQ(pause.inv->pause_for, 60s);
  EXPECT_EQ(Parse({"stats", "--job", "9"}).inv->stats_job, 9u);
  EXPECT_EQ(Parse({"stats", "--tube", "x"}).inv->stats_tube, "x");
  EXPECT_FALSE(Parse({"stats"}).inv->stats_tube.has_value());
  EXPECT_TRUE(Parse({"tubes", "--stats", "--json"}).inv->with_stats);
  Parsed top = Parse({"top", "--once", "--interval", "500ms"});
  EXPECT_EQ(top.inv->iterations, 1u);
  EXPECT_EQ(top.inv->interval, 500ms);
  Parsed exp = Parse({"export", "--tube", "t", "--out", "f", "--keep"});
  EXPECT_TRUE(exp.inv->keep);
  EXPECT_EQ(exp.inv->path, "f");
  Parsed imp = Parse({"import", "--file", "f", "--tube", "u"});
  EXPECT_EQ(imp.inv->import_tube, "u");
  EXPECT_FALSE(Parse({"import", "--file", "f"}).inv->import_tube.has_value());
}

TEST(ParseArgs, HelpExitsZeroWithExamples) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--help"}, {"put", "--help"}, {"reserve", "-h"}, {"export", "--help"}, {"top", "--help"}}) {
    Parsed p = Parse(args);
    ASSERT_FALSE(p.inv.ok());
    EXPECT_EQ(p.inv.failure().code, ExitCode::kOk);
    EXPECT_TRUE(p.err.empty()) << p.err;
    if (args.size() == 1) {
      EXPECT_NE(p.out.find("Exit codes"), std::string::npos) << p.out;
    } else {
      EXPECT_NE(p.out.find("Examples:"), std::string::npos) << p.out;
    }
  }
}

TEST(ParseArgs, UsageErrors) {
  ExpectUsage({});
  ExpectUsage({"frobnicate"});
  ExpectUsage({"put", "--pri", "-1", "x"});
  ExpectUsage({"put", "--pri", "4294967296", "x"}, "--pri");
  ExpectUsage({"put", "--delay", "soon", "x"}, "--delay");
  ExpectUsage({"put", "--file", "f", "body"});
  ExpectUsage({"reserve", "--delete", "--bury"});
  ExpectUsage({"reserve", "--timeout", "-5"});
  ExpectUsage({"peek"}, "give an ID");
  ExpectUsage({"peek", "1", "--ready"});
  ExpectUsage({"peek", "abc"}, "job id");
  ExpectUsage({"delete"});
  ExpectUsage({"delete", "1", "x"}, "job id");
  ExpectUsage({"kick", "--tube", "t"});
  ExpectUsage({"pause", "t"});
  ExpectUsage({"stats", "--tube", "t", "--job", "1"});
  ExpectUsage({"top", "--interval", "0"}, "--interval");
  ExpectUsage({"top", "--iterations", "0"});
  ExpectUsage({"export", "--tube", "t"});
  ExpectUsage({"import"});
  ExpectUsage({"stats", "--addr", "h:1", "--port", "2"}, "--addr");
  ExpectUsage({"stats", "--port", "0"}, "--port");
}

}  // namespace
}  // namespace stalk::cli
