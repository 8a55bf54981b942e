// stalk::Client against a real server: every call with its success and each error
// answer the server can give it, pipelining (10,000 puts in flight), bodies of every
// shape, timeouts, connect failures, and a server killed and restarted under a
// connected client. Protocol only, so the suite also runs against Debian's
// beanstalkd (STALK_TEST_SERVER=/usr/bin/beanstalkd; a separate ctest entry).

#include "stalk/client.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client_fixture.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

class ClientTest : public ClientFixture {};

TEST_F(ClientTest, PutReserveDeleteRoundTrip) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<JobId> id = c->Put("hello");
  ASSERT_OK(id);
  Result<Job> job = c->Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->id, *id);
  EXPECT_EQ(job->body, "hello");
  ASSERT_OK(c->Delete(job->id));
  EXPECT_ERROR(c->Delete(job->id), Error::kNotFound);
  EXPECT_EQ(c->reconnects(), 0u);
  EXPECT_EQ(c->address(), "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(ClientTest, UseAndListTubeUsed) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<std::string> used = c->ListTubeUsed();
  ASSERT_OK(used);
  EXPECT_EQ(*used, "default");
  ASSERT_OK(c->Use("emails"));
  used = c->ListTubeUsed();
  ASSERT_OK(used);
  EXPECT_EQ(*used, "emails");
  Result<JobId> id = c->Put("x");
  ASSERT_OK(id);
  Result<JobStats> s = c->StatsJob(*id);
  ASSERT_OK(s);
  EXPECT_EQ(s->tube, "emails");
}

TEST_F(ClientTest, BadTubeNamesAreRefusedBeforeSending) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  const std::string too_long(201, 'a');
  for (std::string_view bad :
       {std::string_view(""), std::string_view("-x"), std::string_view("a b"),
        std::string_view("a\r\nput"), std::string_view(too_long)}) {
    EXPECT_ERROR(c->Use(bad), Error::kInvalidArgument);
    EXPECT_ERROR(c->Watch(bad), Error::kInvalidArgument);
    EXPECT_ERROR(c->Ignore(bad), Error::kInvalidArgument);
    EXPECT_ERROR(c->StatsTube(bad), Error::kInvalidArgument);
    EXPECT_ERROR(c->PauseTube(bad, 1s), Error::kInvalidArgument);
    EXPECT_ERROR(c->PutIn(bad, "x"), Error::kInvalidArgument);
  }
  // The connection is still in step.
  ASSERT_OK(c->Use(std::string(200, 'a')));
  EXPECT_EQ(*c->ListTubeUsed(), std::string(200, 'a'));
}

TEST_F(ClientTest, NegativeDurationsAreInvalid) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  PutOptions o;
  o.delay = -1s;
  EXPECT_ERROR(c->Put("x", o), Error::kInvalidArgument);
  o = PutOptions();
  o.ttr = -1s;
  EXPECT_ERROR(c->Put("x", o), Error::kInvalidArgument);
  EXPECT_ERROR(c->Reserve(-1s), Error::kInvalidArgument);
  EXPECT_ERROR(c->Release(1, 0, -1s), Error::kInvalidArgument);
  EXPECT_ERROR(c->PauseTube("default", -1s), Error::kInvalidArgument);
  ASSERT_OK(c->Put("still in step"));
}

TEST_F(ClientTest, ReserveTimesOutAndDeadlineSoon) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  EXPECT_ERROR(c->Reserve(0s), Error::kTimedOut);
  PutOptions o;
  o.ttr = 1s;
  ASSERT_OK(c->Put("short", o));
  ASSERT_OK(c->Reserve(0s));
  // The reservation is inside its last second: the server answers at once.
  EXPECT_ERROR(c->Reserve(5s), Error::kDeadlineSoon);
}

TEST_F(ClientTest, ReserveJob) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_OK(c->Put("a"));
  Result<JobId> b = c->Put("b");
  ASSERT_OK(b);
  Result<Job> job = c->ReserveJob(*b);
  ASSERT_OK(job);
  EXPECT_EQ(job->body, "b");
  EXPECT_ERROR(c->ReserveJob(*b + 100), Error::kNotFound);
}

TEST_F(ClientTest, ReleaseBuryTouchKick) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<JobId> id = c->Put("job");
  ASSERT_OK(id);
  EXPECT_ERROR(c->Release(*id, 5), Error::kNotFound);  // not reserved
  EXPECT_ERROR(c->Touch(*id), Error::kNotFound);
  EXPECT_ERROR(c->Bury(*id, 5), Error::kNotFound);
  ASSERT_OK(c->Reserve(0s));
  ASSERT_OK(c->Touch(*id));
  ASSERT_OK(c->Release(*id, 7, 0s));
  Result<JobStats> s = c->StatsJob(*id);
  ASSERT_OK(s);
  EXPECT_EQ(s->pri, 7u);
  EXPECT_EQ(s->state, "ready");
  EXPECT_EQ(s->releases, 1u);

  ASSERT_OK(c->Reserve(0s));
  ASSERT_OK(c->Bury(*id, 9));
  Result<Job> buried = c->PeekBuried();
  ASSERT_OK(buried);
  EXPECT_EQ(buried->id, *id);
  Result<uint64_t> kicked = c->Kick(10);
  ASSERT_OK(kicked);
  EXPECT_EQ(*kicked, 1u);
  EXPECT_ERROR(c->PeekBuried(), Error::kNotFound);

  ASSERT_OK(c->Reserve(0s));
  ASSERT_OK(c->Bury(*id, 9));
  ASSERT_OK(c->KickJob(*id));
  EXPECT_ERROR(c->KickJob(*id), Error::kNotFound);  // ready now: nothing to kick
  EXPECT_ERROR(c->KickJob(*id + 1000), Error::kNotFound);
  Result<uint64_t> none = c->Kick(10);
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0u);
}

TEST_F(ClientTest, ReleaseWithDelayAndPeeks) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  EXPECT_ERROR(c->PeekReady(), Error::kNotFound);
  EXPECT_ERROR(c->PeekDelayed(), Error::kNotFound);
  EXPECT_ERROR(c->PeekBuried(), Error::kNotFound);
  EXPECT_ERROR(c->Peek(12345), Error::kNotFound);
  PutOptions delayed;
  delayed.delay = 3600s;
  Result<JobId> d = c->Put("later", delayed);
  ASSERT_OK(d);
  Result<JobId> r = c->Put("now");
  ASSERT_OK(r);
  Result<Job> pr = c->PeekReady();
  ASSERT_OK(pr);
  EXPECT_EQ(pr->id, *r);
  Result<Job> pd = c->PeekDelayed();
  ASSERT_OK(pd);
  EXPECT_EQ(pd->id, *d);
  EXPECT_EQ(pd->body, "later");
  Result<Job> p = c->Peek(*d);
  ASSERT_OK(p);
  EXPECT_EQ(p->body, "later");
  // A delayed job is kicked (no buried ones).
  Result<uint64_t> k = c->Kick(1);
  ASSERT_OK(k);
  EXPECT_EQ(*k, 1u);

  Result<Job> first = c->Reserve(0s);  // the kicked job: same priority, lower id
  ASSERT_OK(first);
  EXPECT_EQ(first->id, *d);
  ASSERT_OK(c->Release(*d, 0, 3600s));
  Result<JobStats> s = c->StatsJob(*d);
  ASSERT_OK(s);
  EXPECT_EQ(s->state, "delayed");
}

TEST_F(ClientTest, WatchIgnoreAndListTubesWatched) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<uint64_t> n = c->Watch("a");
  ASSERT_OK(n);
  EXPECT_EQ(*n, 2u);
  n = c->Watch("a");
  ASSERT_OK(n);
  EXPECT_EQ(*n, 2u);
  n = c->Ignore("default");
  ASSERT_OK(n);
  EXPECT_EQ(*n, 1u);
  EXPECT_ERROR(c->Ignore("a"), Error::kNotIgnored);
  Result<std::vector<std::string>> w = c->ListTubesWatched();
  ASSERT_OK(w);
  EXPECT_EQ(*w, std::vector<std::string>{"a"});
  // Reserve takes from the watched tube only.
  ASSERT_OK(c->Put("in default"));
  EXPECT_ERROR(c->Reserve(0s), Error::kTimedOut);
  ASSERT_OK(c->PutIn("a", "in a"));
  Result<Job> job = c->Reserve(0s);
  ASSERT_OK(job);
  EXPECT_EQ(job->body, "in a");
}

TEST_F(ClientTest, PutInAndPeekInSetTheTubeInOneWrite) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<JobId> id = c->PutIn("one", "1");
  ASSERT_OK(id);
  EXPECT_EQ(*c->ListTubeUsed(), "one");
  ASSERT_OK(c->PutIn("two", "2"));
  Result<Job> p = c->PeekReadyIn("one");
  ASSERT_OK(p);
  EXPECT_EQ(p->id, *id);
  EXPECT_ERROR(c->PeekDelayedIn("one"), Error::kNotFound);
  EXPECT_ERROR(c->PeekBuriedIn("two"), Error::kNotFound);
}

TEST_F(ClientTest, PauseTube) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  EXPECT_ERROR(c->PauseTube("nosuchtube", 1s), Error::kNotFound);
  ASSERT_OK(c->Put("x"));
  ASSERT_OK(c->PauseTube("default", 3600s));
  Result<TubeStats> s = c->StatsTube("default");
  ASSERT_OK(s);
  EXPECT_EQ(s->pause_s, 3600);
  EXPECT_EQ(s->cmd_pause_tube, 1u);
  EXPECT_ERROR(c->Reserve(0s), Error::kTimedOut);
}

TEST_F(ClientTest, StatsDocumentsAreParsed) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_OK(c->Use("stats-tube"));
  Result<JobId> id = c->Put("x", PutOptions{5, 0s, 30s});
  ASSERT_OK(id);
  Result<JobStats> js = c->StatsJob(*id);
  ASSERT_OK(js);
  EXPECT_EQ(js->id, *id);
  EXPECT_EQ(js->tube, "stats-tube");
  EXPECT_EQ(js->pri, 5u);
  EXPECT_EQ(js->ttr_s, 30);
  EXPECT_ERROR(c->StatsJob(*id + 100), Error::kNotFound);

  Result<TubeStats> ts = c->StatsTube("stats-tube");
  ASSERT_OK(ts);
  EXPECT_EQ(ts->name, "stats-tube");
  EXPECT_EQ(ts->current_jobs_ready, 1u);
  EXPECT_EQ(ts->current_jobs_urgent, 1u);
  EXPECT_EQ(ts->total_jobs, 1u);
  EXPECT_EQ(ts->current_using, 1u);
  EXPECT_ERROR(c->StatsTube("nosuchtube"), Error::kNotFound);

  Result<ServerStats> ss = c->Stats();
  ASSERT_OK(ss);
  EXPECT_EQ(ss->current_jobs_ready, 1u);
  EXPECT_EQ(ss->cmd.at("put"), 1u);
  EXPECT_EQ(ss->cmd.at("stats-job"), 2u);
  EXPECT_EQ(ss->cmd.at("use"), 1u);
  EXPECT_EQ(ss->total_jobs, 1u);
  EXPECT_EQ(ss->pid, static_cast<int64_t>(server_->pid()));
  EXPECT_EQ(ss->current_connections, 1u);
  EXPECT_FALSE(ss->version.empty());
  EXPECT_FALSE(ss->draining);

  Result<std::vector<std::string>> tubes = c->ListTubes();
  ASSERT_OK(tubes);
  std::vector<std::string> sorted = *tubes;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"default", "stats-tube"}));
}

TEST_F(ClientTest, JobTooBigIsAValueAndTheConnectionStaysInStep) {
  ASSERT_TRUE(StartServer({"-z", "10"}));
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_OK(c->Put("0123456789"));
  EXPECT_ERROR(c->Put("0123456789A"), Error::kJobTooBig);
  std::vector<std::string_view> batch = {"ok", "this one is too big", "ok again"};
  std::vector<Result<JobId>> r = c->PutMany(batch);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].ok());
  EXPECT_FALSE(r[1].ok());
  if (!r[1].ok()) {
    EXPECT_EQ(r[1].error(), Error::kJobTooBig);
  }
  EXPECT_TRUE(r[2].ok());
  Result<ServerStats> s = c->Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_jobs_ready, 3u);
}

TEST_F(ClientTest, DrainingIsAValue) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(server_->Signal(SIGUSR1));
  // The signal is handled asynchronously: wait (bounded) for stats to say so.
  bool draining = false;
  for (int i = 0; i < 500 && !draining; ++i) {
    Result<ServerStats> s = c->Stats();
    ASSERT_OK(s);
    draining = s->draining;
    if (!draining) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(draining);
  EXPECT_ERROR(c->Put("x"), Error::kDraining);
}

// Bodies are counted, never searched: CRLFs, NULs, a body that is itself a reply
// line, and a body of just "\r\n" all come back byte for byte.
TEST_F(ClientTest, BinaryAndCrlfBodiesRoundTrip) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  const std::vector<std::string> bodies = {"line1\r\nline2\r\n",
                                           "\r\n",
                                           "INSERTED 99\r\n",
                                           "RESERVED 1 5\r\nhello\r\n",
                                           std::string("\0\0\0", 3),
                                           all_bytes,
                                           "",
                                           std::string(70000 - 70000, 'x')};
  std::vector<JobId> ids;
  for (const std::string& b : bodies) {
    Result<JobId> id = c->Put(b);
    ASSERT_OK(id);
    ids.push_back(*id);
  }
  for (size_t i = 0; i < bodies.size(); ++i) {
    Result<Job> p = c->Peek(ids[i]);
    ASSERT_OK(p);
    EXPECT_EQ(p->body, bodies[i]) << i;
    Result<Job> r = c->Reserve(0s);
    ASSERT_OK(r);
    EXPECT_EQ(r->id, ids[i]);
    EXPECT_EQ(r->body, bodies[i]) << i;
  }
}

TEST_F(ClientTest, OneMebibyteBody) {
  ASSERT_TRUE(StartServer({"-z", std::to_string(2 << 20)}));
  auto c = Connect();
  ASSERT_TRUE(c);
  std::mt19937 rng(7);
  std::string body(1 << 20, '\0');
  for (char& ch : body) ch = static_cast<char>(rng());
  Result<JobId> id = c->Put(body);
  ASSERT_OK(id);
  Result<Job> job = c->Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->id, *id);
  EXPECT_TRUE(job->body == body) << "1 MiB body differs";
}

TEST_F(ClientTest, TenThousandPutsInFlightWithPutMany) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  std::vector<std::string> storage;
  for (int i = 0; i < 10000; ++i) storage.push_back("job-" + std::to_string(i) + "\r\n");
  std::vector<std::string_view> bodies(storage.begin(), storage.end());
  std::vector<Result<JobId>> ids = c->PutMany(bodies);
  ASSERT_EQ(ids.size(), bodies.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(ids[i].ok()) << i << ": " << ids[i].status().ToString();
    if (i > 0) {
      ASSERT_GT(*ids[i], *ids[i - 1]);  // replies matched in order
    }
  }
  // Spot-check that each id carries its own body.
  for (size_t i : {size_t{0}, size_t{1}, size_t{4999}, size_t{9999}}) {
    Result<Job> p = c->Peek(*ids[i]);
    ASSERT_OK(p);
    EXPECT_EQ(p->body, storage[i]);
  }
  Result<std::vector<Job>> jobs = c->ReserveMany(10000, 5s);
  ASSERT_OK(jobs);
  ASSERT_EQ(jobs->size(), 10000u);
  for (size_t i = 0; i < jobs->size(); ++i) ASSERT_EQ((*jobs)[i].body, storage[i]);
}

TEST_F(ClientTest, ManyThreadsShareOneClient) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 625;  // 10,000 puts in all
  std::vector<std::vector<std::pair<JobId, std::string>>> got(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        Result<JobId> id = c->Put(body);
        if (!id.ok()) {
          ++failures;
          continue;
        }
        got[t].emplace_back(*id, body);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  std::set<JobId> unique;
  for (auto& v : got) {
    for (auto& [id, body] : v) unique.insert(id);
  }
  EXPECT_EQ(unique.size(), size_t{kThreads * kPerThread});
  // Each thread's ids rise (its calls were answered in its order), and each id
  // holds the body its caller sent: no reply went to the wrong caller.
  for (auto& v : got) {
    for (size_t i = 1; i < v.size(); ++i) ASSERT_GT(v[i].first, v[i - 1].first);
    for (size_t i = 0; i < v.size(); i += 97) {
      Result<Job> p = c->Peek(v[i].first);
      ASSERT_OK(p);
      EXPECT_EQ(p->body, v[i].second);
    }
  }
}

TEST_F(ClientTest, ReserveManyTakesWhatIsReady) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<std::vector<Job>> none = c->ReserveMany(5, 0s);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  for (const char* b : {"a", "b", "c"}) ASSERT_OK(c->Put(b));
  Result<std::vector<Job>> jobs = c->ReserveMany(5, 1s);
  ASSERT_OK(jobs);
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[0].body, "a");
  EXPECT_EQ((*jobs)[2].body, "c");
  Result<std::vector<Job>> zero = c->ReserveMany(0, 0s);
  ASSERT_OK(zero);
  EXPECT_TRUE(zero->empty());
}

TEST_F(ClientTest, UnixSocket) {
  std::string path = ::testing::TempDir() + "/stalk-client-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  ServerProcess::Options o;
  o.binary = binary_;
  o.unix_path = path;
  std::string error;
  server_ = ServerProcess::Start(o, &error);
  ASSERT_TRUE(server_) << error;
  Options co = ClientOptions();
  co.unix_path = path;
  auto c = Connect(co);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address(), "unix:" + path);
  ASSERT_OK(c->Put("over unix"));
  Result<Job> j = c->Reserve(0s);
  ASSERT_OK(j);
  EXPECT_EQ(j->body, "over unix");
  server_.reset();
  ::unlink(path.c_str());
}

// A TCP port on loopback with nothing listening.
uint16_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_F(ClientTest, ConnectRefusedIsConnectFailed) {
  Options o;
  o.host = "127.0.0.1";
  o.port = ClosedPort();
  o.max_connect_attempts = 3;
  o.backoff.initial = 1ms;
  Result<std::unique_ptr<Client>> c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kConnectFailed);
  EXPECT_NE(c.status().message().find("3 attempts"), std::string::npos) << c.status().ToString();
}

TEST_F(ClientTest, ConnectTimeoutAndBadAddressesAreConnectFailed) {
  // A listener that never accepts, its queue full: the kernel drops further SYNs,
  // so a connect can only time out.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  ASSERT_EQ(::listen(listener, 0), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int f = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    (void)::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fillers.push_back(f);
  }
  Options o;
  o.host = "127.0.0.1";
  o.port = ntohs(a.sin_port);
  o.connect_timeout = 300ms;
  o.max_connect_attempts = 2;
  o.backoff.initial = 1ms;
  Result<std::unique_ptr<Client>> c = Client::Connect(o);
  for (int f : fillers) ::close(f);
  ::close(listener);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kConnectFailed) << c.status().ToString();
  EXPECT_NE(c.status().message().find("timed out"), std::string::npos) << c.status().ToString();

  o.host = "no-such-host.invalid";
  c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kConnectFailed) << c.status().ToString();

  o.unix_path = "/nonexistent/dir/stalk.sock";
  c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kConnectFailed) << c.status().ToString();

  Options empty;
  empty.host = "";
  c = Client::Connect(empty);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kInvalidArgument);
}

TEST_F(ClientTest, CallTimeoutOnAStoppedServerThenRecovers) {
  ASSERT_TRUE(StartServer());
  Options o = ClientOptions();
  o.call_timeout = 300ms;
  auto c = Connect(o);
  ASSERT_TRUE(c);
  ASSERT_OK(c->Put("before"));
  ASSERT_TRUE(server_->Signal(SIGSTOP));
  Result<JobId> r = c->Put("while stopped");
  ASSERT_TRUE(server_->Signal(SIGCONT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kCallTimeout) << r.status().ToString();
  // The timed-out connection was dropped; the next call reconnects.
  o.call_timeout = 20s;
  Result<ServerStats> s = c->Stats();
  ASSERT_OK(s);
  EXPECT_EQ(c->reconnects(), 1u);
}

TEST_F(ClientTest, KilledAndRestartedServerRestoresUseAndWatch) {
  ASSERT_TRUE(StartServer());
  const uint16_t port = server_->port();
  auto c = Connect();
  ASSERT_TRUE(c);
  ASSERT_OK(c->Use("produce"));
  ASSERT_OK(c->Watch("consume"));
  ASSERT_OK(c->Ignore("default"));
  ASSERT_OK(c->Put("before the crash"));

  server_->Kill();
  server_.reset();
  ASSERT_TRUE(StartServer({}, port));

  // The next call reconnects first and replays use/watch/ignore.
  Result<JobId> id = c->Put("after the restart");
  ASSERT_OK(id);
  EXPECT_EQ(c->reconnects(), 1u);
  Result<JobStats> s = c->StatsJob(*id);
  ASSERT_OK(s);
  EXPECT_EQ(s->tube, "produce");
  Result<std::vector<std::string>> watched = c->ListTubesWatched();
  ASSERT_OK(watched);
  EXPECT_EQ(*watched, std::vector<std::string>{"consume"});

  auto other = Connect();
  ASSERT_TRUE(other);
  ASSERT_OK(other->PutIn("consume", "for the watcher"));
  Result<Job> job = c->Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->body, "for the watcher");
}

TEST_F(ClientTest, CallsInFlightWhenTheServerDiesAreDisconnected) {
  ASSERT_TRUE(StartServer());
  const uint16_t port = server_->port();
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<Job> blocked = Status(Error::kClosed);
  std::thread t([&] { blocked = c->Reserve(); });
  // Wait (bounded) until the reserve is on the server.
  auto probe = Connect();
  ASSERT_TRUE(probe);
  for (int i = 0; i < 1000; ++i) {
    Result<ServerStats> s = probe->Stats();
    ASSERT_OK(s);
    if (s->current_waiting == 1) break;
    std::this_thread::sleep_for(5ms);
  }
  server_->Kill();
  t.join();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error(), Error::kDisconnected) << blocked.status().ToString();

  // With reconnect off, a broken connection stays broken.
  ASSERT_TRUE(StartServer({}, port));
  Options o = ClientOptions();
  o.reconnect = false;
  auto fragile = Connect(o);
  ASSERT_TRUE(fragile);
  server_->Kill();
  server_.reset();
  ASSERT_TRUE(StartServer({}, port));
  EXPECT_ERROR(fragile->Put("x"), Error::kDisconnected);
}

TEST_F(ClientTest, DestroyingTheClientEndsACallInFlightWithClosed) {
  ASSERT_TRUE(StartServer());
  auto c = Connect();
  ASSERT_TRUE(c);
  Result<Job> blocked = Status(Error::kNotFound);
  std::thread t([&, client = c.get()] { blocked = client->Reserve(); });
  auto probe = Connect();
  ASSERT_TRUE(probe);
  for (int i = 0; i < 1000; ++i) {
    Result<ServerStats> s = probe->Stats();
    ASSERT_OK(s);
    if (s->current_waiting == 1) break;
    std::this_thread::sleep_for(5ms);
  }
  c.reset();  // returns once the blocked call has left the Client
  t.join();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error(), Error::kClosed) << blocked.status().ToString();
}

TEST(ClientStatus, NamesAndToString) {
  EXPECT_EQ(ErrorName(Error::kNotFound), "NOT_FOUND");
  EXPECT_EQ(ErrorName(Error::kJobTooBig), "JOB_TOO_BIG");
  EXPECT_EQ(ErrorName(Error::kCallTimeout), "CALL_TIMEOUT");
  EXPECT_EQ(ErrorName(Error::kClosed), "CLOSED");
  EXPECT_EQ(Status().ToString(), "OK");
  EXPECT_EQ(Status(Error::kBuried, "put", 7).ToString(), "BURIED (job 7): put");
  EXPECT_EQ(Status(Error::kNotFound).ToString(), "NOT_FOUND");
}

}  // namespace
}  // namespace stalk::test
