// The stalk::Conn facade (stalk/stalk.h) against a real server: every Tube call,
// lanes (a blocked Reserve never holds up a Put), emptying a tube, LZ4 compression
// and its skip rules as other readers see them, and the address rules of Dial and
// DialDefault. Protocol only: also run against beanstalkd.

#include <stdlib.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>

#include "client_fixture.h"
#include "stalk/stalk.h"
#include "support/wire_client.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

class FacadeTest : public ClientFixture {
 protected:
  Conn DialServer() {
    Result<Conn> c = Dial("127.0.0.1", server_->port(), ClientOptions());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  // Waits (bounded) until `n` clients wait in a reserve on the server.
  void WaitForWaiting(Client& probe, uint64_t n) {
    for (int i = 0; i < 2000; ++i) {
      Result<ServerStats> s = probe.Stats();
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      if (s->current_waiting == n) return;
      std::this_thread::sleep_for(5ms);
    }
    FAIL() << "never saw " << n << " waiting reserves";
  }
};

std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "stalkd compresses repetitive job bodies well. ";
  s.resize(n);
  return s;
}

TEST_F(FacadeTest, PutReserveTouchDelete) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Result<Tube> tube = conn.Use("jobs");
  ASSERT_OK(tube);
  EXPECT_EQ(tube->name(), "jobs");
  Result<JobId> id = tube->Put("payload", 0s, 60s);
  ASSERT_OK(id);
  Result<Job> job = tube->Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->id, *id);
  EXPECT_EQ(job->body, "payload");
  ASSERT_OK(tube->Touch(job->id));
  ASSERT_OK(tube->Delete(job->id));
  EXPECT_ERROR(tube->Delete(job->id), Error::kNotFound);
  EXPECT_ERROR(tube->Touch(job->id), Error::kNotFound);
  EXPECT_ERROR(tube->Reserve(0s), Error::kTimedOut);
}

TEST_F(FacadeTest, ReleaseBuryPeekBuriedKickJob) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube tube = *conn.Use("t");
  Result<JobId> id = tube.Put("x");
  ASSERT_OK(id);
  ASSERT_OK(tube.Reserve(5s));
  ASSERT_OK(tube.Release(*id, 0s, 3));
  Result<Job> again = tube.Reserve(5s);
  ASSERT_OK(again);
  EXPECT_EQ(again->id, *id);
  ASSERT_OK(tube.Bury(*id));
  Result<Job> buried = tube.PeekBuried();
  ASSERT_OK(buried);
  EXPECT_EQ(buried->id, *id);
  EXPECT_EQ(buried->body, "x");
  ASSERT_OK(tube.KickJob(*id));
  EXPECT_ERROR(tube.PeekBuried(), Error::kNotFound);
  EXPECT_ERROR(tube.KickJob(*id), Error::kNotFound);
  // Release and Bury of a job this Conn does not hold.
  EXPECT_ERROR(tube.Release(*id), Error::kNotFound);
  EXPECT_ERROR(tube.Bury(*id), Error::kNotFound);
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->name, "t");
  EXPECT_EQ(s->current_jobs_ready, 1u);
}

TEST_F(FacadeTest, TubesAreSeparate) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube a = *conn.Use("a");
  Tube b = *conn.Use("b");
  ASSERT_OK(a.Put("for a"));
  ASSERT_OK(b.Put("for b"));
  Result<Job> jb = b.Reserve(5s);
  ASSERT_OK(jb);
  EXPECT_EQ(jb->body, "for b");
  Result<Job> ja = a.Reserve(5s);
  ASSERT_OK(ja);
  EXPECT_EQ(ja->body, "for a");
  EXPECT_ERROR(conn.Use("bad name"), Error::kInvalidArgument);
  EXPECT_ERROR(conn.Use(""), Error::kInvalidArgument);
}

// The facade's promise: a thread blocked in Reserve never delays a Put on the same
// Conn. Proven by order, not by time: all the puts complete while the reserve is
// still blocked (the server says it is waiting, and it has not returned).
TEST_F(FacadeTest, ProducerNeverWaitsBehindABlockedReserve) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube work = *conn.Use("work");
  Tube other = *conn.Use("other");
  std::atomic<bool> reserve_returned{false};
  Result<Job> reserved = Status(Error::kClosed);
  std::thread consumer([&] {
    reserved = work.Reserve();  // no timeout: blocks until a job comes
    reserve_returned = true;
  });
  auto probe = Connect();
  ASSERT_TRUE(probe);
  WaitForWaiting(*probe, 1);
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK(other.Put("p" + std::to_string(i)));
    ASSERT_OK(other.Stats());
  }
  EXPECT_FALSE(reserve_returned.load()) << "the reserve returned without a job in its tube";
  Result<ServerStats> s = probe->Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_waiting, 1u);
  EXPECT_EQ(s->current_jobs_ready, 200u);
  Result<JobId> id = work.Put("wake up");
  ASSERT_OK(id);
  consumer.join();
  ASSERT_OK(reserved);
  EXPECT_EQ(reserved->id, *id);
  // Job commands go to the lane that holds the job.
  ASSERT_OK(work.Touch(*id));
  ASSERT_OK(work.Delete(*id));
}

TEST_F(FacadeTest, ConcurrentReservesEachGetALane) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube tube = *conn.Use("many");
  constexpr int kWorkers = 4;
  std::vector<std::thread> workers;
  std::vector<Result<Job>> got(kWorkers, Result<Job>(Status(Error::kClosed)));
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] { got[w] = tube.Reserve(20s); });
  }
  auto probe = Connect();
  ASSERT_TRUE(probe);
  WaitForWaiting(*probe, kWorkers);
  for (int i = 0; i < kWorkers; ++i) ASSERT_OK(tube.Put("j" + std::to_string(i)));
  for (auto& t : workers) t.join();
  for (auto& r : got) {
    ASSERT_OK(r);
    ASSERT_OK(tube.Delete(r->id));  // each through the lane holding it
  }
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_jobs_reserved, 0u);
  EXPECT_EQ(s->total_jobs, static_cast<uint64_t>(kWorkers));
}

TEST_F(FacadeTest, DeleteTubeEmptiesReadyDelayedAndBuried) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube tube = *conn.Use("doomed");
  Tube keep = *conn.Use("kept");
  for (int i = 0; i < 5; ++i) ASSERT_OK(tube.Put("ready"));
  for (int i = 0; i < 3; ++i) ASSERT_OK(tube.Put("delayed", 3600s));
  Result<JobId> b = tube.Put("to bury");
  ASSERT_OK(b);
  Result<Job> r = tube.Reserve(5s);  // reserves the first ready job...
  ASSERT_OK(r);
  ASSERT_OK(tube.Bury(r->id));  // ...and buries it
  Result<JobId> held = tube.Put("reserved");
  ASSERT_OK(held);
  ASSERT_OK(keep.Put("other tube"));
  // Reserve everything ready but one of them, and keep that one reserved.
  Result<Job> reserved = tube.Reserve(5s);
  ASSERT_OK(reserved);

  Result<uint64_t> n = conn.Delete("doomed");
  ASSERT_OK(n);
  // 10 jobs put: 5 ready ones (3 of the first 5, "to bury", "reserved"), 3
  // delayed, 1 buried are deleted; the one reserved stays.
  EXPECT_EQ(*n, 9u);
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_jobs_ready, 0u);
  EXPECT_EQ(s->current_jobs_delayed, 0u);
  EXPECT_EQ(s->current_jobs_buried, 0u);
  EXPECT_EQ(s->current_jobs_reserved, 1u);
  Result<TubeInfo> k = keep.Stats();
  ASSERT_OK(k);
  EXPECT_EQ(k->current_jobs_ready, 1u);
  ASSERT_OK(tube.Delete(reserved->id));
  EXPECT_ERROR(conn.Delete("-bad"), Error::kInvalidArgument);
}

TEST_F(FacadeTest, CompressionRoundTripAndCounters) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube tube = *conn.Use("lz");
  const std::string big = Compressible(20000);
  Result<JobId> id = tube.Put(big, 0s, 60s, /*compress=*/true);
  ASSERT_OK(id);

  // A reader that is not libstalk sees the marker and a smaller body.
  WireClient raw(server_->port());
  ASSERT_TRUE(raw.Send("peek " + std::to_string(*id) + "\r\n"));
  std::optional<std::string> reply = raw.ReadReply();
  ASSERT_TRUE(reply);
  size_t crlf = reply->find("\r\n");
  ASSERT_NE(crlf, std::string::npos);
  std::string stored = reply->substr(crlf + 2, reply->size() - crlf - 4);
  EXPECT_EQ(stored.substr(0, 4), std::string("\0SZ4", 4));
  EXPECT_LT(stored.size(), big.size());

  // A libstalk Client with decompress off sees the stored bytes too.
  Options o = ClientOptions();
  o.decompress = false;
  auto plain = Connect(o);
  ASSERT_TRUE(plain);
  Result<Job> peeked = plain->Peek(*id);
  ASSERT_OK(peeked);
  EXPECT_EQ(peeked->body, stored);
  // ... and one with the default decompresses.
  auto reader = Connect();
  ASSERT_TRUE(reader);
  Result<Job> plain_peek = reader->Peek(*id);
  ASSERT_OK(plain_peek);
  EXPECT_EQ(plain_peek->body, big);

  Result<Job> job = tube.Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->body, big);
  ASSERT_OK(tube.Bury(job->id));
  Result<Job> buried = tube.PeekBuried();
  ASSERT_OK(buried);
  EXPECT_EQ(buried->body, big);

  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->jobs_compressed, 1u);
  EXPECT_EQ(s->jobs_skipped, 0u);
  EXPECT_EQ(s->bytes_saved, big.size() - stored.size());
  EXPECT_EQ(s->current_jobs_buried, 1u);  // the server's half is there too
}

TEST_F(FacadeTest, CompressionSkipsSmallAndIncompressibleBodies) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube tube = *conn.Use("lz");
  std::mt19937 rng(3);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  const std::string small = Compressible(kMinCompressBytes - 1);
  Result<JobId> a = tube.Put(small, 0s, 60s, true);
  ASSERT_OK(a);
  Result<JobId> b = tube.Put(noise, 0s, 60s, true);
  ASSERT_OK(b);
  Options o = ClientOptions();
  o.decompress = false;
  auto plain = Connect(o);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->Peek(*a)->body, small);  // stored as they are
  EXPECT_EQ(plain->Peek(*b)->body, noise);
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->jobs_skipped, 2u);
  EXPECT_EQ(s->jobs_compressed, 0u);
  EXPECT_EQ(s->bytes_saved, 0u);
  // Without compress, nothing is counted.
  ASSERT_OK(tube.Put(Compressible(10000)));
  EXPECT_EQ(tube.Stats()->jobs_skipped, 2u);
}

TEST_F(FacadeTest, ABodyThatLooksCompressedButIsNotComesBackUnchanged) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Tube tube = *conn.Use("lz");
  std::string fake = std::string("\0SZ4\x01", 5) + std::string("\x10\x27\0\0garbage", 11);
  ASSERT_OK(tube.Put(fake));
  Result<Job> job = tube.Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->body, fake);
}

TEST_F(FacadeTest, ConnIsMovableAndTubesOutliveIt) {
  ASSERT_TRUE(StartServer());
  Conn conn = DialServer();
  Conn moved = std::move(conn);
  Tube tube = *moved.Use("m");
  ASSERT_NE(moved.client(), nullptr);
  EXPECT_EQ(moved.address(), "127.0.0.1:" + std::to_string(server_->port()));
  { Conn gone = std::move(moved); }
  ASSERT_OK(tube.Put("still works"));
  EXPECT_EQ(tube.Reserve(5s)->body, "still works");
}

TEST_F(FacadeTest, DialAddresses) {
  ASSERT_TRUE(StartServer());
  const std::string port = std::to_string(server_->port());
  for (const std::string& a :
       {"127.0.0.1:" + port, "tcp://127.0.0.1:" + port, "localhost:" + port}) {
    Result<Conn> c = Dial(a, ClientOptions());
    ASSERT_OK(c);
    ASSERT_OK(c->Use("default")->Put("x"));
  }
}

// setenv/unsetenv for the length of a test.
class EnvGuard {
 public:
  EnvGuard() { Clear(); }
  ~EnvGuard() { Clear(); }
  void Set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  static void Clear() {
    ::unsetenv("STALKD_HOST");
    ::unsetenv("STALKD_PORT");
  }
};

TEST_F(FacadeTest, DialDefaultReadsTheEnvironment) {
  ASSERT_TRUE(StartServer());
  const std::string port = std::to_string(server_->port());
  EnvGuard env;
  env.Set("STALKD_HOST", "127.0.0.1");
  env.Set("STALKD_PORT", port);
  Result<Conn> c = DialDefault(ClientOptions());
  ASSERT_OK(c);
  ASSERT_OK(c->Use("env")->Put("x"));
  // A container link names the host too, and wins over STALKD_HOST.
  env.Set("STALKD_HOST", "no-such-host.invalid");
  env.Set("STALKD_PORT", "tcp://127.0.0.1:" + port);
  c = DialDefault(ClientOptions());
  ASSERT_OK(c);
  EXPECT_EQ(c->address(), "127.0.0.1:" + port);
}

TEST(DefaultAddress, DefaultsAndContainerLinks) {
  EnvGuard env;
  Result<Options> o = DefaultAddress();
  ASSERT_OK(o);
  EXPECT_EQ(o->host, "localhost");
  EXPECT_EQ(o->port, 11300);
  env.Set("STALKD_PORT", "11301");
  EXPECT_EQ(DefaultAddress()->port, 11301);
  env.Set("STALKD_HOST", "queue.internal");
  EXPECT_EQ(DefaultAddress()->host, "queue.internal");
  env.Set("STALKD_PORT", "tcp://172.17.0.5:11300");
  o = DefaultAddress();
  ASSERT_OK(o);
  EXPECT_EQ(o->host, "172.17.0.5");
  EXPECT_EQ(o->port, 11300);
}

TEST(DefaultAddress, BadValuesAreInvalidArguments) {
  EnvGuard env;
  for (const char* bad : {"abc", "0", "70000", "-1", "11300x", "tcp://",
                          "tcp://host:", "tcp://:11300", "tcp://host:port", "udp://1.2.3.4:5"}) {
    env.Set("STALKD_PORT", bad);
    Result<Options> o = DefaultAddress();
    ASSERT_FALSE(o.ok()) << bad;
    EXPECT_EQ(o.error(), Error::kInvalidArgument) << bad;
    EXPECT_NE(o.status().message().find("STALKD_PORT"), std::string::npos)
        << bad << ": " << o.status().ToString();
    Result<Conn> c = DialDefault();
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error(), Error::kInvalidArgument);
  }
}

TEST(ParseAddress, Forms) {
  Result<Options> o = ParseAddress("example.com:1234");
  ASSERT_OK(o);
  EXPECT_EQ(o->host, "example.com");
  EXPECT_EQ(o->port, 1234);
  o = ParseAddress("example.com");
  ASSERT_OK(o);
  EXPECT_EQ(o->port, 11300);
  o = ParseAddress("[::1]:11301");
  ASSERT_OK(o);
  EXPECT_EQ(o->host, "::1");
  EXPECT_EQ(o->port, 11301);
  o = ParseAddress("unix:/run/stalkd.sock");
  ASSERT_OK(o);
  EXPECT_EQ(o->unix_path, "/run/stalkd.sock");
  o = ParseAddress("unix:///run/stalkd.sock");
  ASSERT_OK(o);
  EXPECT_EQ(o->unix_path, "/run/stalkd.sock");
  for (const char* bad : {"", ":11300", "host:", "host:0", "host:65536", "::1:5", "[::1", "[::1]x",
                          "unix:", "redis://h:1", "host:12a"}) {
    Result<Options> r = ParseAddress(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), Error::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace stalk::test
