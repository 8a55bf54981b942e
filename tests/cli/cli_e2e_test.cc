// The `stalk` binary end to end, against a real server started per test: every
// subcommand, --json parsed back, exit codes, bad arguments, binary bodies.
//
// Only the protocol is used, so the suite also runs against Debian's beanstalkd
// (registered a second time with STALK_TEST_SERVER=/usr/bin/beanstalkd).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <iterator>
#include <map>
#include <fstream>
#include <thread>

#include "cli/cli_runner.h"
#include "support/server_fixture.h"

namespace stalk::test {
namespace {

using Json = nlohmann::json;

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s + "\r\nend\r\n";
}

class CliE2e : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(StartServer());
    addr_ = "127.0.0.1:" + std::to_string(server().port());
    dir_ = std::filesystem::temp_directory_path() /
           ("stalk_cli_e2e." + std::to_string(::getpid()) + "." +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    ServerFixture::TearDown();
  }

  // Runs stalk against the test's server.
  CliRun Stalk(std::vector<std::string> args, CliOptions options = {}) {
    args.insert(args.begin(), {"--addr", addr_});
    return RunStalk(args, options);
  }
  // Runs stalk and expects exit code 0; returns stdout.
  std::string Ok(std::vector<std::string> args, CliOptions options = {}) {
    CliRun r = Stalk(args, options);
    EXPECT_EQ(r.exit_code, 0) << args.at(0) << ": " << r.Describe();
    return r.out;
  }
  Json OkJson(std::vector<std::string> args) {
    const std::string out = Ok(args);
    Json j = Json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }
  uint64_t Put(std::vector<std::string> args) {
    args.insert(args.begin(), "put");
    const std::string out = Ok(args);
    return std::stoull(out.empty() ? "0" : out);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::string addr_;
  std::filesystem::path dir_;
};

TEST_F(CliE2e, PutFromArgumentPrintsTheIdAndPeekPrintsTheBody) {
  const uint64_t id = Put({"hello world"});
  EXPECT_GT(id, 0u);
  CliRun r = Stalk({"peek", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "hello world");  // the raw body, nothing else, on stdout
  EXPECT_NE(r.err.find("job " + std::to_string(id)), std::string::npos) << r.err;
}

TEST_F(CliE2e, PutFromFileKeepsBinaryBodiesByteForByte) {
  const std::string body = AllBytes();
  std::ofstream(Path("body.bin"), std::ios::binary) << body;
  const uint64_t id = Put({"--file", Path("body.bin")});
  CliRun r = Stalk({"peek", std::to_string(id)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, body);
  Json j = OkJson({"peek", std::to_string(id), "--json"});
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["bytes"], body.size());
  EXPECT_FALSE(j.contains("body"));  // not UTF-8: only the base64 form
  EXPECT_EQ(j["body_base64"].get<std::string>().size(), (body.size() + 2) / 3 * 4);
}

TEST_F(CliE2e, PutFromStdinKeepsBinaryBodies) {
  const std::string body = AllBytes();
  CliOptions stdin_body;
  stdin_body.stdin_bytes = body;
  CliRun put = Stalk({"put", "--tube", "bin"}, stdin_body);
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  CliRun r = Stalk({"reserve", "--tube", "bin", "--timeout", "5", "--delete"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, body);
  CliOptions dash;
  dash.stdin_bytes = "from dash";
  EXPECT_EQ(Stalk({"put", "--file", "-"}, dash).exit_code, 0);
  EXPECT_EQ(Ok({"peek", "--ready"}), "from dash");
}

TEST_F(CliE2e, PutOptionsReachTheServerWithDurationsRoundedUp) {
  CliRun put = Stalk({"put", "--tube", "opts", "--pri", "7", "--delay", "1500ms", "--ttr", "2m", "x"});
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  EXPECT_NE(put.err.find("--delay 1500ms rounded up to 2s"), std::string::npos) << put.err;
  Json j = OkJson({"stats", "--job", put.out.substr(0, put.out.size() - 1), "--json"});
  EXPECT_EQ(j["tube"], "opts");
  EXPECT_EQ(j["state"], "delayed");
  EXPECT_EQ(j["pri"], 7);
  EXPECT_EQ(j["delay"], 2);
  EXPECT_EQ(j["ttr"], 120);
  EXPECT_TRUE(j["age"].is_number());
}

TEST_F(CliE2e, ReserveTimesOutWithExitCode4) {
  CliRun r = Stalk({"reserve", "--tube", "empty", "--timeout", "0"});
  EXPECT_EQ(r.exit_code, 4) << r.Describe();
  EXPECT_NE(r.err.find("TIMED_OUT"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(CliE2e, ReserveDeleteRemovesTheJob) {
  const uint64_t id = Put({"--tube", "work", "payload"});
  CliRun r = Stalk({"reserve", "--tube", "work", "--timeout", "5", "--delete"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "payload");
  EXPECT_NE(r.err.find("reserved job " + std::to_string(id)), std::string::npos) << r.err;
  CliRun gone = Stalk({"stats", "--job", std::to_string(id)});
  EXPECT_EQ(gone.exit_code, 1) << gone.Describe();
  EXPECT_NE(gone.err.find("NOT_FOUND"), std::string::npos) << gone.err;
}

TEST_F(CliE2e, ReserveJsonReleaseAndTheDefaultReleaseOnExit) {
  const uint64_t id = Put({"--tube", "t", "--pri", "5", "héllo"});
  Json j = OkJson({"reserve", "--tube", "t", "--timeout", "5", "--json", "--release"});
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["body"], "héllo");
  EXPECT_EQ(j["tube"], "t");
  EXPECT_EQ(j["pri"], 5);
  EXPECT_EQ(OkJson({"stats", "--job", std::to_string(id), "--json"})["state"], "ready");
  // Without --delete/--bury/--release the job goes back when stalk exits.
  EXPECT_EQ(Ok({"reserve", "--tube", "t", "--timeout", "5"}), "héllo");
  Json after = OkJson({"stats", "--job", std::to_string(id), "--json"});
  EXPECT_EQ(after["state"], "ready");
  EXPECT_EQ(after["pri"], 5);
}

TEST_F(CliE2e, ReserveWatchesOnlyTheGivenTubes) {
  Put({"in-default"});
  const uint64_t b = Put({"--tube", "b", "in-b"});
  Json j = OkJson({"reserve", "--tube", "a", "--tube", "b", "--timeout", "5", "--json", "--delete"});
  EXPECT_EQ(j["id"], b);
}

TEST_F(CliE2e, BuryPeekBuriedKickAndKickJob) {
  const uint64_t a = Put({"--tube", "k", "a"});
  const uint64_t b = Put({"--tube", "k", "b"});
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Stalk({"reserve", "--tube", "k", "--timeout", "5", "--bury"}).exit_code, 0);
  }
  EXPECT_EQ(Ok({"peek", "--buried", "--tube", "k"}), "a");
  CliRun none = Stalk({"peek", "--ready", "--tube", "k"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("NOT_FOUND"), std::string::npos) << none.err;
  EXPECT_EQ(Ok({"kick", "1", "--tube", "k"}), "1\n");
  EXPECT_EQ(OkJson({"stats", "--job", std::to_string(a), "--json"})["state"], "ready");
  Ok({"kick-job", std::to_string(b)});
  EXPECT_EQ(OkJson({"stats", "--job", std::to_string(b), "--json"})["state"], "ready");
  CliRun again = Stalk({"kick-job", std::to_string(b)});  // not buried or delayed any more
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
}

TEST_F(CliE2e, PeekDelayed) {
  const uint64_t id = Put({"--tube", "d", "--delay", "100", "later"});
  Json j = OkJson({"peek", "--delayed", "--tube", "d", "--json"});
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["state"], "delayed");
  EXPECT_EQ(j["body"], "later");
}

TEST_F(CliE2e, DeleteManyReportsEachMissingJobWithTheServersWord) {
  const uint64_t a = Put({"a"});
  CliRun r = Stalk({"delete", std::to_string(a), "999999"});
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("delete 999999: NOT_FOUND"), std::string::npos) << r.err;
  EXPECT_EQ(Stalk({"peek", std::to_string(a)}).exit_code, 1);  // a was deleted
}

TEST_F(CliE2e, PauseShowsInTubeStats) {
  Put({"--tube", "p", "x"});
  Ok({"pause", "p", "1m"});
  Json j = OkJson({"stats", "--tube", "p", "--json"});
  EXPECT_EQ(j["name"], "p");
  EXPECT_EQ(j["pause"], 60);
  EXPECT_EQ(j["cmd-pause-tube"], 1);
  EXPECT_EQ(j["current-jobs-ready"], 1);
}

TEST_F(CliE2e, StatsTableAndJson) {
  Put({"x"});
  const std::string table = Ok({"stats"});
  EXPECT_NE(table.find("current-jobs-ready"), std::string::npos) << table;
  EXPECT_NE(table.find("cmd-put"), std::string::npos) << table;
  Json j = OkJson({"stats", "--json"});
  ASSERT_TRUE(j.is_object());
  EXPECT_TRUE(j["current-jobs-ready"].is_number_unsigned());
  EXPECT_EQ(j["current-jobs-ready"], 1);
  EXPECT_EQ(j["cmd-put"], 1);
  EXPECT_TRUE(j["pid"].is_number());
  EXPECT_EQ(j["pid"], server().pid());
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_TRUE(j["draining"].is_boolean());
  const std::string tube_table = Ok({"stats", "--tube", "default"});
  EXPECT_NE(tube_table.find("name"), std::string::npos);
}

TEST_F(CliE2e, TubesListJsonAndCounts) {
  Put({"--tube", "alpha", "1"});
  Put({"--tube", "alpha", "2"});
  EXPECT_EQ(Ok({"tubes"}), "default\nalpha\n");
  Json names = OkJson({"tubes", "--json"});
  EXPECT_EQ(names, Json::parse(R"(["default","alpha"])"));
  Json counts = OkJson({"tubes", "--stats", "--json"});
  ASSERT_TRUE(counts.is_array());
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[1]["name"], "alpha");
  EXPECT_EQ(counts[1]["current-jobs-ready"], 2);
  const std::string table = Ok({"tubes", "--stats"});
  EXPECT_NE(table.find("TUBE"), std::string::npos) << table;
  EXPECT_NE(table.find("alpha"), std::string::npos) << table;
}

TEST_F(CliE2e, TopOnceShowsTheTubesWithoutEscapeCodesOnAPipe) {
  Put({"--tube", "topt", "1"});
  const std::string once = Ok({"top", "--once"});
  EXPECT_EQ(once.find('\x1b'), std::string::npos) << once;
  EXPECT_NE(once.find("topt"), std::string::npos) << once;
  EXPECT_NE(once.find("default"), std::string::npos) << once;
  EXPECT_NE(once.find("PUTS/S"), std::string::npos) << once;
  // Two screens: the second has rates (numbers, not "-").
  const std::string two = Ok({"top", "--iterations", "2", "--interval", "100ms"});
  const size_t second = two.find("stalk top", 1);
  ASSERT_NE(second, std::string::npos) << two;
  const std::string screen2 = two.substr(second);
  const size_t row = screen2.find("\ntopt ");
  ASSERT_NE(row, std::string::npos) << screen2;
  const std::string line = screen2.substr(row + 1, screen2.find('\n', row + 1) - row - 1);
  EXPECT_TRUE(line.ends_with("0.0")) << line;
}

TEST_F(CliE2e, ExitCodes) {
  CliRun help = Stalk({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
  for (const char* cmd : {"put", "reserve", "peek", "delete", "kick", "kick-job", "pause", "stats",
                          "tubes", "top", "export", "import"}) {
    CliRun r = Stalk({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << cmd;
  }
  EXPECT_EQ(Stalk({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Stalk({"put", "--pri", "x", "body"}).exit_code, 2);
  EXPECT_EQ(Stalk({"put", "--file", Path("missing")}).exit_code, 5);
  CliRun bad_tube = Stalk({"put", "--tube", "has space", "x"});
  EXPECT_EQ(bad_tube.exit_code, 2) << bad_tube.Describe();
  CliRun nowhere = RunStalk({"--addr", "unix:" + Path("no.sock"), "stats"});
  EXPECT_EQ(nowhere.exit_code, 3) << nowhere.Describe();
  EXPECT_NE(nowhere.err.find("cannot connect"), std::string::npos) << nowhere.err;
}

TEST_F(CliE2e, AddressFromTheEnvironment) {
  CliOptions env;
  env.env = {{"STALKD_HOST", "127.0.0.1"}, {"STALKD_PORT", std::to_string(server().port())}};
  CliRun r = RunStalk({"tubes"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  env.env = {{"STALKD_PORT", "tcp://127.0.0.1:" + std::to_string(server().port())}};
  r = RunStalk({"tubes"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  r = RunStalk({"-H", "127.0.0.1", "-p", std::to_string(server().port()), "tubes"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
}

// Export/import within one server: the protocol-only part of the transfer tests
// (cli_transfer_test moves jobs from beanstalkd to stalkd).
class CliTransferE2e : public CliE2e {
 protected:
  // A buried, a ready and a delayed job in tube "x".
  void Fill() {
    buried_ = Put({"--tube", "x", "--pri", "9", "b"});
    ASSERT_EQ(Stalk({"reserve", "--tube", "x", "--timeout", "5", "--bury"}).exit_code, 0);
    ready_ = Put({"--tube", "x", "--pri", "3", "--ttr", "30", "r"});
    delayed_ = Put({"--tube", "x", "--delay", "100", "--ttr", "7", "d"});
  }
  Json JobStats(uint64_t id) { return OkJson({"stats", "--job", std::to_string(id), "--json"}); }

  uint64_t buried_ = 0, ready_ = 0, delayed_ = 0;
};

TEST_F(CliTransferE2e, ExportKeepLeavesTheTubeAsItWas) {
  Fill();
  std::map<uint64_t, Json> before;
  for (uint64_t id : {buried_, ready_, delayed_}) before[id] = JobStats(id);
  CliRun r = Stalk({"export", "--tube", "x", "--out", Path("x.jsonl"), "--keep"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("exported 3 jobs (1 ready, 1 delayed, 1 buried)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << "no bar when stderr is not a terminal";
  for (uint64_t id : {buried_, ready_, delayed_}) {
    Json now = JobStats(id);
    EXPECT_EQ(now["state"], before[id]["state"]) << id;
    EXPECT_EQ(now["pri"], before[id]["pri"]) << id;
    EXPECT_EQ(now["ttr"], before[id]["ttr"]) << id;
  }
  // The remaining delay survives, within the protocol's whole-second rounding.
  const int64_t left = JobStats(delayed_)["time-left"].get<int64_t>();
  EXPECT_LE(left, 100);
  EXPECT_GE(left, before[delayed_]["time-left"].get<int64_t>() - 2);
  Json tube = OkJson({"stats", "--tube", "x", "--json"});
  EXPECT_EQ(tube["current-jobs-ready"], 1);
  EXPECT_EQ(tube["current-jobs-delayed"], 1);
  EXPECT_EQ(tube["current-jobs-buried"], 1);
  EXPECT_EQ(tube["current-jobs-reserved"], 0);
}

TEST_F(CliTransferE2e, ExportMovesAndImportPutsEveryJobBack) {
  Fill();
  CliRun r = Stalk({"export", "--tube", "x", "--out", Path("x.jsonl"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  for (uint64_t id : {buried_, ready_, delayed_}) {
    EXPECT_EQ(Stalk({"stats", "--job", std::to_string(id)}).exit_code, 1) << "still there: " << id;
  }
  CliRun imp = Stalk({"import", "--file", Path("x.jsonl"), "--tube", "y"});
  ASSERT_EQ(imp.exit_code, 0) << imp.Describe();
  EXPECT_NE(imp.err.find("imported 3 jobs (1 ready, 1 delayed, 1 buried) into tube y"),
            std::string::npos) << imp.err;
  Json ready = OkJson({"peek", "--ready", "--tube", "y", "--json"});
  EXPECT_EQ(ready["body"], "r");
  EXPECT_EQ(ready["pri"], 3);
  EXPECT_EQ(ready["ttr"], 30);
  Json delayed = OkJson({"peek", "--delayed", "--tube", "y", "--json"});
  EXPECT_EQ(delayed["body"], "d");
  EXPECT_EQ(delayed["ttr"], 7);
  const int64_t left = JobStats(delayed["id"].get<uint64_t>())["time-left"].get<int64_t>();
  EXPECT_GE(left, 95);
  EXPECT_LE(left, 100);
  Json buried = OkJson({"peek", "--buried", "--tube", "y", "--json"});
  EXPECT_EQ(buried["body"], "b");
  EXPECT_EQ(buried["pri"], 9);
  EXPECT_EQ(buried["state"], "buried");
}

TEST_F(CliTransferE2e, ExportOfAnEmptyOrMissingTubeWritesAnEmptyFile) {
  CliRun r = Stalk({"export", "--tube", "nothing-here", "--out", Path("e.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  CliRun imp = Stalk({"import", "--file", Path("e.jsonl")});
  EXPECT_EQ(imp.exit_code, 0) << imp.Describe();
  EXPECT_NE(imp.err.find("imported 0 jobs"), std::string::npos) << imp.err;
}

TEST_F(CliTransferE2e, ExportCountsJobsReservedByOthers) {
  Put({"--tube", "x", "held"});
  Put({"--tube", "x", "free"});
  // A client holds the first job while stalk exports.
  auto holder = Connect();
  holder->Roundtrip("watch x\r\n", "WATCHING 2\r\n");
  ASSERT_TRUE(holder->Send("reserve\r\n"));
  ASSERT_TRUE(holder->ReadReply().has_value());
  CliRun r = Stalk({"export", "--tube", "x", "--out", Path("x.jsonl"), "--keep"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("exported 1 jobs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 jobs reserved by other clients were not exported"), std::string::npos) << r.err;
}

TEST_F(CliTransferE2e, CorruptOrTruncatedFilesImportNothing) {
  Fill();
  ASSERT_EQ(Stalk({"export", "--tube", "x", "--out", Path("x.jsonl"), "--keep"}).exit_code, 0);
  std::ifstream in(Path("x.jsonl"), std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(good.size(), 20u);
  std::ofstream(Path("cut.jsonl"), std::ios::binary) << good.substr(0, good.size() - 20);
  CliRun cut = Stalk({"import", "--file", Path("cut.jsonl"), "--tube", "z"});
  EXPECT_EQ(cut.exit_code, 5) << cut.Describe();
  EXPECT_NE(cut.err.find("line 5"), std::string::npos) << cut.err;
  EXPECT_NE(cut.err.find("nothing imported"), std::string::npos) << cut.err;
  std::string bad = good;
  bad[good.find("\"body\":\"") + 8] = '!';  // the first job's base64
  std::ofstream(Path("bad.jsonl"), std::ios::binary) << bad;
  CliRun corrupt = Stalk({"import", "--file", Path("bad.jsonl"), "--tube", "z"});
  EXPECT_EQ(corrupt.exit_code, 5) << corrupt.Describe();
  EXPECT_NE(corrupt.err.find("line 2"), std::string::npos) << corrupt.err;
  std::ofstream(Path("junk.bin"), std::ios::binary) << std::string("\x00\xff garbage", 10);
  EXPECT_EQ(Stalk({"import", "--file", Path("junk.bin")}).exit_code, 5);
  EXPECT_EQ(Stalk({"import", "--file", Path("none.jsonl")}).exit_code, 5);
  // Tube z never got a job.
  EXPECT_EQ(Stalk({"stats", "--tube", "z"}).exit_code, 1);
}

}  // namespace
}  // namespace stalk::test
