#include "server/config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stalk::server {
namespace {

ParsedArgs Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "stalkd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

TEST(Config, DefaultsAreBeanstalkds) {
  ParsedArgs p = Parse({});
  ASSERT_EQ(p.action, ParsedArgs::Action::kRun);
  EXPECT_EQ(p.config.listen_address, "");
  EXPECT_EQ(p.config.port, 11300);
  EXPECT_EQ(p.config.max_job_bytes, 65535u);
  EXPECT_EQ(p.config.binlog_size_bytes, 10485760u);
  EXPECT_EQ(p.config.verbosity, 0);
  EXPECT_FALSE(p.config.fsync_ms.has_value());
}

TEST(Config, ValuesMayBeAttachedOrSeparate) {
  ParsedArgs p = Parse({"-p1234", "-l", "127.0.0.1", "-z", "100"});
  ASSERT_EQ(p.action, ParsedArgs::Action::kRun);
  EXPECT_EQ(p.config.port, 1234);
  EXPECT_EQ(p.config.listen_address, "127.0.0.1");
  EXPECT_EQ(p.config.max_job_bytes, 100u);
}

TEST(Config, VerbosityFlagsCombine) {
  EXPECT_EQ(Parse({"-VVV"}).config.verbosity, 3);
  EXPECT_EQ(Parse({"-V", "-V"}).config.verbosity, 2);
}

TEST(Config, LongFormsMatchShortOnes) {
  ParsedArgs p = Parse({"--listen", "unix:/tmp/s", "--port", "99", "--max-job-size", "7",
                        "--user", "nobody", "--binlog-dir", "/d", "--fsync-ms", "0"});
  ASSERT_EQ(p.action, ParsedArgs::Action::kRun);
  EXPECT_EQ(p.config.listen_address, "unix:/tmp/s");
  EXPECT_EQ(p.config.port, 99);
  EXPECT_EQ(p.config.max_job_bytes, 7u);
  EXPECT_EQ(p.config.user, "nobody");
  EXPECT_EQ(p.config.binlog_dir, "/d");
  EXPECT_EQ(p.config.fsync_ms, 0);
}

TEST(Config, MaxJobSizeIsCappedAtOneGibibyte) {
  EXPECT_EQ(Parse({"-z", "2000000000"}).config.max_job_bytes, 1073741824u);
}

TEST(Config, UnknownFlagOrStrayArgumentExitsWithUsageCode5) {
  ParsedArgs p = Parse({"-Q"});
  EXPECT_EQ(p.action, ParsedArgs::Action::kExit);
  EXPECT_EQ(p.exit_code, 5);
  EXPECT_EQ(Parse({"stray"}).exit_code, 5);
  EXPECT_EQ(Parse({"-p", "notaport"}).exit_code, 5);
}

TEST(Config, HelpAndVersionExitZero) {
  ParsedArgs h = Parse({"-h"});
  EXPECT_EQ(h.action, ParsedArgs::Action::kExit);
  EXPECT_EQ(h.exit_code, 0);
  ParsedArgs v = Parse({"-v"});
  EXPECT_EQ(v.action, ParsedArgs::Action::kExit);
  EXPECT_EQ(v.exit_code, 0);
}

}  // namespace
}  // namespace stalk::server
