// The id translation that lets the conformance suite (written for beanstalkd's
// sequential ids) run against stalkd on Redis, whose ids are sparse: IdMap, the
// two stream translators, and WireClient using them against a scripted peer on
// loopback (the real server-on-Redis case is the conformance suite itself with
// STALK_TEST_REDIS set).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/id_map.h"
#include "support/wire_client.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

// Server ids as stalkd on Redis makes them: slot * 2^39 + seq.
constexpr uint64_t kSlotUnit = uint64_t{1} << 39;
constexpr uint64_t kA = 12182 * kSlotUnit + 1;
constexpr uint64_t kB = 12182 * kSlotUnit + 2;
constexpr uint64_t kC = 3 * kSlotUnit + 1;

std::string S(uint64_t n) { return std::to_string(n); }

TEST(IdMap, NumbersServerIdsInOrderOfFirstAppearance) {
  IdMap map;
  EXPECT_EQ(map.OrdinalOf(kB), 1u);
  EXPECT_EQ(map.OrdinalOf(kA), 2u);
  EXPECT_EQ(map.OrdinalOf(kB), 1u);
  EXPECT_EQ(map.OrdinalOf(kC), 3u);
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.ServerIdOf(1), kB);
  EXPECT_EQ(map.ServerIdOf(2), kA);
  EXPECT_EQ(map.ServerIdOf(3), kC);
  EXPECT_EQ(map.ServerIdOf(0), std::nullopt);
  EXPECT_EQ(map.ServerIdOf(4), std::nullopt);
}

class Translation : public ::testing::Test {
 protected:
  Translation() : map_(std::make_shared<IdMap>()), commands_(map_), replies_(map_) {
    map_->OrdinalOf(kA);  // ordinal 1
    map_->OrdinalOf(kB);  // ordinal 2
  }
  std::shared_ptr<IdMap> map_;
  CommandTranslator commands_;
  ReplyTranslator replies_;
};

TEST_F(Translation, EveryVerbThatTakesAnIdGetsTheServerId) {
  EXPECT_EQ(commands_.Feed("peek 1\r\n"), "peek " + S(kA) + "\r\n");
  EXPECT_EQ(commands_.Feed("reserve-job 2\r\n"), "reserve-job " + S(kB) + "\r\n");
  EXPECT_EQ(commands_.Feed("delete 1\r\n"), "delete " + S(kA) + "\r\n");
  EXPECT_EQ(commands_.Feed("release 2 5 0\r\n"), "release " + S(kB) + " 5 0\r\n");
  EXPECT_EQ(commands_.Feed("bury 1 0\r\n"), "bury " + S(kA) + " 0\r\n");
  EXPECT_EQ(commands_.Feed("kick-job 1\r\n"), "kick-job " + S(kA) + "\r\n");
  EXPECT_EQ(commands_.Feed("touch 2\r\n"), "touch " + S(kB) + "\r\n");
  EXPECT_EQ(commands_.Feed("stats-job 2\r\n"), "stats-job " + S(kB) + "\r\n");
}

TEST_F(Translation, OtherCommandsAndUnknownOrBadIdsPassUnchanged) {
  for (const char* line :
       {"delete 9999\r\n", "peek 0\r\n", "peek 18446744073709551616\r\n", "peek 111foo\r\n",
        "peek foo1\r\n", "peek-ready\r\n", "kick 1\r\n", "use 1\r\n", "stats\r\n", "PEEK 1\r\n",
        "peek\r\n", "bogus 1\r\n", "\r\n", "reserve\r\n", "reserve-with-timeout 1\r\n"}) {
    EXPECT_EQ(commands_.Feed(line), line);
  }
}

TEST_F(Translation, PaddingAndSpacingOfTheIdAreKept) {
  EXPECT_EQ(commands_.Feed("peek   1\r\n"), "peek   " + S(kA) + "\r\n");
  // A zero-padded ordinal wider than the server id keeps its width.
  const std::string padded = "peek " + std::string(216, '0') + "1\r\n";
  const std::string out = commands_.Feed(padded);
  EXPECT_EQ(out.size(), padded.size());
  EXPECT_TRUE(out.ends_with(S(kA) + "\r\n")) << EscapeBytes(out);
  // A trailing space is kept (the server answers BAD_FORMAT either way).
  EXPECT_EQ(commands_.Feed("peek 1 \r\n"), "peek " + S(kA) + " \r\n");
}

TEST_F(Translation, PutBodiesAreNeverRewritten) {
  const std::string body = "a\r\npeek 1\r\ndelete 2\r\n";
  const std::string put = "put 0 0 60 " + S(body.size()) + "\r\n" + body + "\r\n";
  EXPECT_EQ(commands_.Feed(put + "peek 1\r\n"), put + "peek " + S(kA) + "\r\n");
  // Byte by byte: the same stream.
  std::string out;
  for (char c : put + "peek 2\r\n") out += commands_.Feed(std::string(1, c));
  EXPECT_EQ(out, put + "peek " + S(kB) + "\r\n");
  // Padded and spaced numbers are read the way the server reads them.
  EXPECT_EQ(commands_.Feed("put  00  0  010  06\r\npeek 1\r\n"),
            "put  00  0  010  06\r\npeek 1\r\n");
  EXPECT_EQ(commands_.Feed("peek 1\r\n"), "peek " + S(kA) + "\r\n");
}

TEST_F(Translation, AJobTooBigStillHasItsBodySkipped) {
  // The server reads and discards the body, so its bytes are never commands.
  const std::string stream = "put 0 0 0 11\r\ndelete 1\r\nx\r\n";
  EXPECT_EQ(commands_.Feed(stream), stream);
  EXPECT_EQ(commands_.Feed("delete 1\r\n"), "delete " + S(kA) + "\r\n");
}

TEST_F(Translation, ABadPutLineHasNoBody) {
  for (const char* bad : {"put 0 0 0 10b\r\n", "put 0 0 0 4294967296\r\n", "put +0 0 10 1\r\n",
                          "put 0 0 10 1 \r\n", "put 0 0 10\r\n", "put -1 0 100 1\r\n"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(commands_.Feed(bad), bad);
    EXPECT_EQ(commands_.Feed("peek 1\r\n"), "peek " + S(kA) + "\r\n");
  }
  // Longer than the 224-byte line limit: BAD_FORMAT, no body.
  const std::string long_put = "put " + std::string(220, '0') + " 0 0 1\r\n";
  EXPECT_EQ(commands_.Feed(long_put), long_put);
  EXPECT_EQ(commands_.Feed("peek 1\r\n"), "peek " + S(kA) + "\r\n");
}

TEST_F(Translation, OnlyALineThatMayTakeAnIdIsHeldBack) {
  EXPECT_EQ(commands_.Feed("pe"), "");
  EXPECT_EQ(commands_.Feed("ek 1\r"), "");
  EXPECT_EQ(commands_.Feed("\n"), "peek " + S(kA) + "\r\n");
  // "p" could be "peek": held until "pu" rules it out.
  EXPECT_EQ(commands_.Feed("p"), "");
  EXPECT_EQ(commands_.Feed("ut 0 0 60 100\r\nhalf a body"), "put 0 0 60 100\r\nhalf a body");
  CommandTranslator fresh(map_);
  EXPECT_EQ(fresh.Feed(std::string(50, 'a')), std::string(50, 'a'));
  EXPECT_EQ(fresh.Feed("\r\n"), "\r\n");
  EXPECT_EQ(fresh.Feed("reserve"), "");  // could still be reserve-job
  EXPECT_EQ(fresh.Feed("\r\n"), "reserve\r\n");
  EXPECT_EQ(fresh.Feed("touch 1"), "");
  EXPECT_EQ(fresh.Flush(), "touch 1");
  // A lone '\n' does not end a line.
  EXPECT_EQ(fresh.Feed("\r\ndelete 1\n2\r\n"), "\r\ndelete 1\n2\r\n");
}

// "put...peek 3" sent at once: ordinal 3 may come from the put's reply, so the
// peek (and what follows it) waits for it.
TEST_F(Translation, APipelinedIdWaitsForTheReplyThatMayBringIt) {
  const std::string put = "put 0 0 60 1\r\na\r\n";
  EXPECT_EQ(commands_.Feed(put + "peek 3\r\nst"), put);
  EXPECT_TRUE(commands_.blocked());
  EXPECT_EQ(commands_.Feed("ats\r\n"), "");
  EXPECT_EQ(commands_.Resume(/*give_up=*/false), "");  // no reply yet
  map_->OrdinalOf(kC);
  commands_.NoteReplies(1);
  EXPECT_EQ(commands_.Resume(false), "peek " + S(kC) + "\r\nstats\r\n");
  EXPECT_FALSE(commands_.blocked());
  // Every command answered: an unknown ordinal goes out as it is, at once.
  commands_.NoteReplies(3);
  EXPECT_EQ(commands_.Feed("peek 4\r\n"), "peek 4\r\n");
  // More than the replies still to come (2) could assign: no wait either.
  EXPECT_EQ(commands_.Feed(put + "peek 6\r\n"), put + "peek 6\r\n");
  // Giving up sends the line unchanged.
  EXPECT_EQ(commands_.Feed("peek 4\r\ndelete 1\r\n"), "");
  EXPECT_TRUE(commands_.blocked());
  EXPECT_EQ(commands_.Resume(/*give_up=*/true), "peek 4\r\ndelete " + S(kA) + "\r\n");
}

TEST_F(Translation, RepliesGetOrdinalsInOrderOfFirstAppearance) {
  IdMap& map = *map_;
  EXPECT_EQ(replies_.Feed("INSERTED " + S(kC) + "\r\n"), "INSERTED 3\r\n");
  EXPECT_EQ(replies_.Feed("INSERTED " + S(kA) + "\r\n"), "INSERTED 1\r\n");
  EXPECT_EQ(replies_.Feed("BURIED " + S(kB) + "\r\nBURIED\r\n"), "BURIED 2\r\nBURIED\r\n");
  EXPECT_EQ(replies_.Feed("RESERVED " + S(kC) + " 12\r\nINSERTED 7\r\n\r\n"),
            "RESERVED 3 12\r\nINSERTED 7\r\n\r\n");
  EXPECT_EQ(replies_.Feed("FOUND " + S(kB) + " 0\r\n\r\n"), "FOUND 2 0\r\n\r\n");
  EXPECT_EQ(replies_.Feed("INSERTED 99\r\n"), "INSERTED 4\r\n");
  EXPECT_EQ(map.ServerIdOf(4), 99u);
  for (const char* same : {"NOT_FOUND\r\n", "DELETED\r\n", "KICKED 5\r\n", "WATCHING 2\r\n",
                           "USING 123\r\n", "TIMED_OUT\r\n", "BAD_FORMAT\r\n"}) {
    EXPECT_EQ(replies_.Feed(same), same);
  }
}

TEST_F(Translation, StatsJobIdIsTranslatedAndTheLengthRecomputed) {
  const std::string doc = "---\nid: " + S(kB) + "\ntube: default\nstate: ready\n";
  const std::string want_doc = "---\nid: 2\ntube: default\nstate: ready\n";
  EXPECT_EQ(replies_.Feed("OK " + S(doc.size()) + "\r\n" + doc + "\r\n"),
            "OK " + S(want_doc.size()) + "\r\n" + want_doc + "\r\n");
  // `stats` has an "id" too (the server's, hex, maybe all digits): not a job id.
  const std::string stats = "---\ncurrent-jobs-urgent: 0\nid: 1234567890123456\n";
  const std::string reply = "OK " + S(stats.size()) + "\r\n" + stats + "\r\n";
  EXPECT_EQ(replies_.Feed(reply), reply);
  const std::string list = "---\n- default\n- 123\n";
  const std::string list_reply = "OK " + S(list.size()) + "\r\n" + list + "\r\n";
  EXPECT_EQ(replies_.Feed(list_reply), list_reply);
}

TEST_F(Translation, RepliesAreTranslatedOnlyOnceWhole) {
  const std::string stream =
      "INSERTED " + S(kA) + "\r\nRESERVED " + S(kB) + " 8\r\nab\r\ncd\r\n\r\nNOT_FOUND\r\n";
  std::string out;
  for (size_t i = 0; i + 1 < stream.size(); ++i) out += replies_.Feed(stream.substr(i, 1));
  EXPECT_EQ(out, "INSERTED 1\r\nRESERVED 2 8\r\nab\r\ncd\r\n\r\n");
  EXPECT_EQ(replies_.pending(), "NOT_FOUND\r");
  EXPECT_EQ(replies_.TakePending(), "NOT_FOUND\r");
  EXPECT_EQ(replies_.pending(), "");
}

TEST_F(Translation, AGarbageLengthDoesNotSwallowTheStream) {
  EXPECT_EQ(replies_.Feed("FOUND 1 99999999999\r\nNOT_FOUND\r\n"),
            "FOUND 1 99999999999\r\nNOT_FOUND\r\n");
  EXPECT_EQ(replies_.Feed("OK x\r\n"), "OK x\r\n");
}

// A loopback peer that reads what it expects and answers with scripted bytes,
// one byte per write so the client sees every reply split.
class ScriptedPeer {
 public:
  struct Step {
    std::string expect;  // bytes the client must send
    std::string answer;  // bytes to send back
  };
  explicit ScriptedPeer(std::vector<Step> steps) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 1) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, steps = std::move(steps)] { Run(steps); });
  }
  ~ScriptedPeer() {
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  // What the client sent that the script did not expect ("" if all matched).
  std::string mismatch() {
    if (thread_.joinable()) thread_.join();
    return mismatch_;
  }

 private:
  void Run(const std::vector<Step>& steps) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) {
      mismatch_ = "no connection";
      return;
    }
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    for (const Step& step : steps) {
      std::string got;
      while (got.size() < step.expect.size()) {
        pollfd q{fd, POLLIN, 0};
        char buf[4096];
        ssize_t n = ::poll(&q, 1, 5000) == 1 ? ::recv(fd, buf, sizeof buf, 0) : -1;
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      if (got != step.expect) {
        mismatch_ = "expected " + EscapeBytes(step.expect) + ", got " + EscapeBytes(got);
        break;
      }
      for (char c : step.answer) {
        if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) break;
      }
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::string mismatch_;
};

TEST(WireClientWithIdMap, TestSeesOrdinalsAndServerSeesItsOwnIds) {
  const std::string body = "peek 1\r\nINSERTED 5\r\n";
  const std::string job_doc = "---\nid: " + S(kA) + "\n";
  ScriptedPeer peer({
      {"put 0 0 60 " + S(body.size()) + "\r\n" + body + "\r\n", "INSERTED " + S(kA) + "\r\n"},
      {"put 0 0 60 1\r\nx\r\n", "INSERTED " + S(kC) + "\r\n"},
      {"peek " + S(kC) + "\r\n", "FOUND " + S(kC) + " 1\r\nx\r\n"},
      {"reserve\r\n", "RESERVED " + S(kA) + " " + S(body.size()) + "\r\n" + body + "\r\n"},
      {"stats-job " + S(kA) + "\r\n", "OK " + S(job_doc.size()) + "\r\n" + job_doc + "\r\n"},
      {"delete 9\r\n", "NOT_FOUND\r\n"},
  });
  WireClient c(peer.port());
  c.UseIdMap(std::make_shared<IdMap>());
  c.Roundtrip(PutCommand(body), "INSERTED 1\r\n");
  c.Roundtrip(PutCommand("x"), "INSERTED 2\r\n");
  c.Roundtrip("peek 2\r\n", "FOUND 2 1\r\nx\r\n");
  c.Send("reserve\r\n");
  auto reply = c.ReadReply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, "RESERVED 1 " + S(body.size()) + "\r\n" + body + "\r\n");
  c.Roundtrip("stats-job 1\r\n", "OK 10\r\n---\nid: 1\n\r\n");
  c.Roundtrip("delete 9\r\n", "NOT_FOUND\r\n");
  EXPECT_TRUE(c.ExpectClosed());
  EXPECT_EQ(peer.mismatch(), "");
}

TEST(WireClientWithIdMap, OneMapServesEveryConnectionOfATest) {
  auto map = std::make_shared<IdMap>();
  ScriptedPeer first({{"put 0 0 60 1\r\na\r\n", "INSERTED " + S(kB) + "\r\n"}});
  ScriptedPeer second({{"delete " + S(kB) + "\r\n", "DELETED\r\n"}});
  WireClient a(first.port());
  a.UseIdMap(map);
  a.Roundtrip(PutCommand("a"), "INSERTED 1\r\n");
  WireClient b(second.port());
  b.UseIdMap(map);
  b.Roundtrip("delete 1\r\n", "DELETED\r\n");
  EXPECT_EQ(first.mismatch(), "");
  EXPECT_EQ(second.mismatch(), "");
}

TEST(WireClientWithIdMap, PipelinedCommandsMayNameJobsTheyCreate) {
  ScriptedPeer peer({
      {"put 0 0 60 1\r\na\r\n", "INSERTED " + S(kC) + "\r\n"},
      {"peek " + S(kC) + "\r\nbogus\r\n", "FOUND " + S(kC) + " 1\r\na\r\nUNKNOWN_COMMAND\r\n"},
  });
  WireClient c(peer.port());
  c.UseIdMap(std::make_shared<IdMap>());
  c.Send(PutCommand("a") + "peek 1\r\nbogus\r\n");
  c.Expect("INSERTED 1\r\nFOUND 1 1\r\na\r\nUNKNOWN_COMMAND\r\n");
  EXPECT_EQ(peer.mismatch(), "");
}

// An incomplete reply followed by EOF is shown as it came, not lost.
TEST(WireClientWithIdMap, APartialReplyAtCloseIsShownUntranslated) {
  ScriptedPeer peer({{"peek 1\r\n", "FOUND " + S(kA) + " 10\r\nabc"}});
  WireClient c(peer.port());
  c.UseIdMap(std::make_shared<IdMap>());
  c.Send("peek 1\r\n");
  EXPECT_EQ(c.ReadReply(), std::nullopt);  // EOF before the reply was whole
  EXPECT_EQ(c.pending(), "FOUND " + S(kA) + " 10\r\nabc");
  EXPECT_EQ(peer.mismatch(), "");
}

}  // namespace
}  // namespace stalk::test
