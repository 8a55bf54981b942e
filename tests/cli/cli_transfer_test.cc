// Moving a tube between servers with `stalk export` / `stalk import`: from Debian's
// beanstalkd 1.12 (the source) into stalkd (the target), with ready, delayed and
// buried jobs and binary bodies. Every job is checked on the wire with stats-job
// and peek (not with the CLI under test): body bytes, priority, TTR, state, and
// the remaining delay within the protocol's whole-second rounding.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>

#include "cli/cli_runner.h"
#include "support/server_process.h"
#include "support/server_under_test.h"
#include "support/wire_client.h"
#include "support/yaml_doc.h"

namespace stalk::test {
namespace {

struct JobInfo {
  std::string tube, state, body;
  int64_t pri = 0, ttr = 0, time_left = 0;
};

std::string Put(WireClient& c, int pri, int delay, int ttr, const std::string& body) {
  c.Send("put " + std::to_string(pri) + " " + std::to_string(delay) + " " + std::to_string(ttr) +
         " " + std::to_string(body.size()) + "\r\n" + body + "\r\n");
  auto reply = c.ReadReply();
  EXPECT_TRUE(reply && reply->starts_with("INSERTED ")) << (reply ? *reply : "no reply");
  return reply ? *reply : "";
}

// stats-job + peek of `id` over the wire; nullopt for NOT_FOUND.
std::optional<JobInfo> Inspect(WireClient& c, uint64_t id) {
  c.Send("stats-job " + std::to_string(id) + "\r\n");
  auto reply = c.ReadReply();
  if (!reply || *reply == "NOT_FOUND\r\n") return std::nullopt;
  auto yaml = OkReplyBody(*reply);
  if (!yaml) return std::nullopt;
  auto doc = ParseYamlDoc(*yaml);
  if (!doc) return std::nullopt;
  JobInfo info;
  info.tube = YamlUnquote(doc->Get("tube").value_or(""));
  info.state = YamlUnquote(doc->Get("state").value_or(""));
  info.pri = std::stoll(YamlUnquote(doc->Get("pri").value_or("-1")));
  info.ttr = std::stoll(YamlUnquote(doc->Get("ttr").value_or("-1")));
  info.time_left = std::stoll(YamlUnquote(doc->Get("time-left").value_or("-1")));
  c.Send("peek " + std::to_string(id) + "\r\n");
  auto found = c.ReadReply();
  if (!found || !found->starts_with("FOUND ")) return std::nullopt;
  const size_t eol = found->find("\r\n");
  info.body = found->substr(eol + 2, found->size() - eol - 4);
  return info;
}

// Every job of `tube` among ids 1..max_id, by body (bodies are unique here).
std::map<std::string, JobInfo> JobsOf(WireClient& c, const std::string& tube, uint64_t max_id) {
  std::map<std::string, JobInfo> jobs;
  for (uint64_t id = 1; id <= max_id; ++id) {
    auto info = Inspect(c, id);
    if (info && info->tube == tube) jobs[info->body] = *info;
  }
  return jobs;
}

std::string Binary(int i) {
  std::string s = "job-" + std::to_string(i) + "\r\n";
  for (int b = 0; b < 256; ++b) s.push_back(static_cast<char>((b * (i + 3)) & 0xFF));
  return s;
}

class CliTransfer : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string target = ServerUnderTestPath();
    if (target.empty() || IsBeanstalkdBinary(target)) GTEST_SKIP() << "needs stalkd as the target";
    if (!std::filesystem::exists(BaselineServerPath())) GTEST_SKIP() << "no " << BaselineServerPath();
    std::string error;
    source_ = ServerProcess::Start({.binary = BaselineServerPath()}, &error);
    ASSERT_TRUE(source_) << error;
    target_ = ServerProcess::Start({.binary = target}, &error);
    ASSERT_TRUE(target_) << error;
    file_ = (std::filesystem::temp_directory_path() /
             ("stalk_cli_transfer." + std::to_string(::getpid()) + ".jsonl")).string();
  }
  void TearDown() override {
    if (!file_.empty()) std::filesystem::remove(file_);
  }

  CliRun Stalk(const ServerProcess& server, std::vector<std::string> args) {
    args.insert(args.begin(), {"--addr", "127.0.0.1:" + std::to_string(server.port())});
    return RunStalk(args);
  }

  // On the source: 2 buried, 4 ready (binary bodies, assorted pri/ttr), 2 delayed.
  void FillSource() {
    WireClient c(source_->port());
    c.Roundtrip("use mail\r\n", "USING mail\r\n");
    c.Roundtrip("watch mail\r\n", "WATCHING 2\r\n");
    c.Roundtrip("ignore default\r\n", "WATCHING 1\r\n");
    for (int i = 0; i < 2; ++i) {
      Put(c, 100 + i, 0, 60, "buried-" + std::to_string(i));
      c.Send("reserve-with-timeout 5\r\n");
      auto reply = c.ReadReply();
      ASSERT_TRUE(reply && reply->starts_with("RESERVED ")) << (reply ? *reply : "");
      const std::string id = reply->substr(9, reply->find(' ', 9) - 9);
      c.Roundtrip("bury " + id + " " + std::to_string(100 + i) + "\r\n", "BURIED\r\n");
    }
    for (int i = 0; i < 4; ++i) Put(c, i * 1000, 0, 10 + i, Binary(i));
    Put(c, 5, 120, 30, "delayed-120");
    Put(c, 6, 3600, 40, "delayed-3600");
  }

  std::unique_ptr<ServerProcess> source_, target_;
  std::string file_;
};

TEST_F(CliTransfer, ExportFromBeanstalkdImportIntoStalkd) {
  FillSource();
  WireClient src(source_->port());
  const auto before = JobsOf(src, "mail", 20);
  ASSERT_EQ(before.size(), 8u);

  // --keep: a copy; the source is as it was.
  CliRun keep = Stalk(*source_, {"export", "--tube", "mail", "--out", file_, "--keep"});
  ASSERT_EQ(keep.exit_code, 0) << keep.Describe();
  EXPECT_NE(keep.err.find("exported 8 jobs (4 ready, 2 delayed, 2 buried)"), std::string::npos) << keep.err;
  const auto kept = JobsOf(src, "mail", 20);
  ASSERT_EQ(kept.size(), before.size());
  for (const auto& [body, job] : before) {
    const JobInfo& now = kept.at(body);
    EXPECT_EQ(now.state, job.state) << body;
    EXPECT_EQ(now.pri, job.pri) << body;
    EXPECT_EQ(now.ttr, job.ttr) << body;
    if (job.state == "delayed") {
      EXPECT_LE(now.time_left, job.time_left + 1) << body;
      EXPECT_GE(now.time_left, job.time_left - 3) << body;  // seconds passed, rounding
    }
  }
  // The buried jobs keep their order (oldest first).
  src.Roundtrip("use mail\r\n", "USING mail\r\n");
  src.Send("peek-buried\r\n");
  auto oldest = src.ReadReply();
  ASSERT_TRUE(oldest.has_value());
  EXPECT_TRUE(oldest->ends_with("\r\nburied-0\r\n")) << *oldest;

  // Move: the source is emptied.
  CliRun move = Stalk(*source_, {"export", "--tube", "mail", "--out", file_});
  ASSERT_EQ(move.exit_code, 0) << move.Describe();
  EXPECT_TRUE(JobsOf(src, "mail", 20).empty());

  CliRun imp = Stalk(*target_, {"import", "--file", file_});
  ASSERT_EQ(imp.exit_code, 0) << imp.Describe();
  EXPECT_NE(imp.err.find("imported 8 jobs (4 ready, 2 delayed, 2 buried) into tube mail"),
            std::string::npos) << imp.err;
  WireClient dst(target_->port());
  const auto after = JobsOf(dst, "mail", 20);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [body, job] : before) {
    ASSERT_TRUE(after.contains(body)) << body;
    const JobInfo& moved = after.at(body);
    EXPECT_EQ(moved.body, body);
    EXPECT_EQ(moved.state, job.state) << body;
    EXPECT_EQ(moved.pri, job.pri) << body;
    EXPECT_EQ(moved.ttr, job.ttr) << body;
    if (job.state == "delayed") {
      EXPECT_LE(moved.time_left, job.time_left + 1) << body;
      EXPECT_GE(moved.time_left, job.time_left - 5) << body;
    }
  }
  // Buried order survives the move too.
  dst.Roundtrip("use mail\r\n", "USING mail\r\n");
  dst.Send("peek-buried\r\n");
  auto first = dst.ReadReply();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->ends_with("\r\nburied-0\r\n")) << *first;
}

}  // namespace
}  // namespace stalk::test
