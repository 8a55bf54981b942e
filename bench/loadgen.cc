// stalk_loadgen: a load generator for servers that speak beanstalkd's protocol
// (stalkd, beanstalkd). It talks to the server over plain POSIX sockets and epoll
// and shares no code with stalkd, so both servers are measured by the same client.
//
// Design, so that the generator is not the bottleneck:
//   - every connection keeps a fixed window of --pipeline commands in flight and
//     refills it as replies arrive; all commands produced in one event-loop turn
//     leave in one write per connection;
//   - reads are large (64 KiB and up) and replies are parsed incrementally from
//     the read buffer, without copying;
//   - one epoll thread by default (--threads spreads connections over more).
//
// Every reply is checked (INSERTED <id> with ids increasing per connection,
// RESERVED <id> <bytes> with exactly --body-bytes of body and the CRLF after it,
// DELETED, USING <tube>, WATCHING <n>), and every body received is verified: a
// body is a 16-hex-digit tag followed by a slice of a fixed a..z pattern whose
// offset comes from the tag, so a consumer can check a job made by any producer.
// Any unexpected reply counts as an error and closes that connection.
//
// Output: ONE JSON line on stdout with throughput and per-operation latency
// percentiles (send of the command to arrival of its reply, in microseconds).
// Diagnostics go to stderr. Exit status: 0 if there were no errors, 1 if any
// reply or body failed verification, 2 on bad usage or when connecting failed.

#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Options

enum class Workload { kPut, kReserveDelete, kPutAndReserveDelete, kRoundtrip };

const char* WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPut:
      return "put";
    case Workload::kReserveDelete:
      return "reserve-delete";
    case Workload::kPutAndReserveDelete:
      return "put-and-reserve-delete";
    case Workload::kRoundtrip:
      return "roundtrip";
  }
  return "?";
}

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "11300";
  int connections = 16;
  int pipeline = 16;
  size_t body_bytes = 100;
  int tubes = 1;
  int watch = 0;  // 0: every tube.
  double duration_s = 5;
  uint64_t count = 0;  // > 0: run this many operations instead of --duration-s.
  Workload workload = Workload::kPut;
  uint64_t prefill = 0;
  int prefill_connections = 16;
  int prefill_pipeline = 64;
  int threads = 1;
  int server_pid = 0;
  uint32_t ttr_s = 600;
  std::string tube_prefix = "bench";
  double timeout_s = 600;  // Hard limit on any phase, against a hung server.
};

void Usage(FILE* out) {
  std::fprintf(
      out,
      "usage: stalk_loadgen [options]\n"
      "  --host H               server address (default 127.0.0.1)\n"
      "  --port P               server port (default 11300)\n"
      "  --workload W           put | reserve-delete | put-and-reserve-delete | roundtrip\n"
      "  --connections N        connections (default 16; roundtrip needs 1)\n"
      "  --pipeline N           commands in flight per connection (default 16)\n"
      "  --body-bytes N         job body size (default 100)\n"
      "  --tubes N              tubes bench-0..bench-N-1 (default 1)\n"
      "  --watch N              tubes each consumer watches (default 0 = all)\n"
      "  --duration-s S         measured phase length (default 5)\n"
      "  --count N              measured phase: N jobs (put, reserve-delete,\n"
      "                         put-and-reserve-delete: N puts) or N cycles (roundtrip)\n"
      "  --prefill N            put N jobs before the measured phase\n"
      "  --prefill-connections N, --prefill-pipeline N  (default 16, 64)\n"
      "  --threads N            event-loop threads (default 1)\n"
      "  --server-pid PID       report the server's CPU time during the measured phase\n"
      "  --ttr-s N              TTR of the jobs put (default 600)\n"
      "  --tube-prefix S        tube name prefix (default bench)\n"
      "  --timeout-s S          give up on a phase after S seconds (default 600)\n");
}

bool ParseOptions(int argc, char** argv, Options* o) {
  enum {
    kHost = 1000,
    kPort,
    kWorkload,
    kConnections,
    kPipeline,
    kBodyBytes,
    kTubes,
    kWatch,
    kDuration,
    kCount,
    kPrefill,
    kPrefillConnections,
    kPrefillPipeline,
    kThreads,
    kServerPid,
    kTtr,
    kTubePrefix,
    kTimeout,
    kHelp
  };
  static const option kLong[] = {
      {"host", required_argument, nullptr, kHost},
      {"port", required_argument, nullptr, kPort},
      {"workload", required_argument, nullptr, kWorkload},
      {"connections", required_argument, nullptr, kConnections},
      {"pipeline", required_argument, nullptr, kPipeline},
      {"body-bytes", required_argument, nullptr, kBodyBytes},
      {"tubes", required_argument, nullptr, kTubes},
      {"watch", required_argument, nullptr, kWatch},
      {"duration-s", required_argument, nullptr, kDuration},
      {"count", required_argument, nullptr, kCount},
      {"prefill", required_argument, nullptr, kPrefill},
      {"prefill-connections", required_argument, nullptr, kPrefillConnections},
      {"prefill-pipeline", required_argument, nullptr, kPrefillPipeline},
      {"threads", required_argument, nullptr, kThreads},
      {"server-pid", required_argument, nullptr, kServerPid},
      {"ttr-s", required_argument, nullptr, kTtr},
      {"tube-prefix", required_argument, nullptr, kTubePrefix},
      {"timeout-s", required_argument, nullptr, kTimeout},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0}};
  auto to_int = [](const char* s, long long min, long long max, long long* out) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return false;
    *out = v;
    return true;
  };
  int c;
  while ((c = getopt_long(argc, argv, "", kLong, nullptr)) != -1) {
    long long v = 0;
    bool ok = true;
    switch (c) {
      case kHost:
        o->host = optarg;
        break;
      case kPort:
        o->port = optarg;
        break;
      case kWorkload: {
        std::string_view w = optarg;
        if (w == "put")
          o->workload = Workload::kPut;
        else if (w == "reserve-delete")
          o->workload = Workload::kReserveDelete;
        else if (w == "put-and-reserve-delete")
          o->workload = Workload::kPutAndReserveDelete;
        else if (w == "roundtrip")
          o->workload = Workload::kRoundtrip;
        else
          ok = false;
        break;
      }
      case kConnections:
        ok = to_int(optarg, 1, 60000, &v);
        o->connections = int(v);
        break;
      case kPipeline:
        ok = to_int(optarg, 1, 1 << 20, &v);
        o->pipeline = int(v);
        break;
      case kBodyBytes:
        ok = to_int(optarg, 0, 1 << 30, &v);
        o->body_bytes = size_t(v);
        break;
      case kTubes:
        ok = to_int(optarg, 1, 10000000, &v);
        o->tubes = int(v);
        break;
      case kWatch:
        ok = to_int(optarg, 0, 10000000, &v);
        o->watch = int(v);
        break;
      case kDuration: {
        char* end = nullptr;
        o->duration_s = std::strtod(optarg, &end);
        ok = end != optarg && *end == '\0' && o->duration_s > 0;
        break;
      }
      case kCount:
        ok = to_int(optarg, 1, INT64_MAX, &v);
        o->count = uint64_t(v);
        break;
      case kPrefill:
        ok = to_int(optarg, 0, INT64_MAX, &v);
        o->prefill = uint64_t(v);
        break;
      case kPrefillConnections:
        ok = to_int(optarg, 1, 60000, &v);
        o->prefill_connections = int(v);
        break;
      case kPrefillPipeline:
        ok = to_int(optarg, 1, 1 << 20, &v);
        o->prefill_pipeline = int(v);
        break;
      case kThreads:
        ok = to_int(optarg, 1, 1024, &v);
        o->threads = int(v);
        break;
      case kServerPid:
        ok = to_int(optarg, 1, INT32_MAX, &v);
        o->server_pid = int(v);
        break;
      case kTtr:
        ok = to_int(optarg, 0, UINT32_MAX, &v);
        o->ttr_s = uint32_t(v);
        break;
      case kTubePrefix:
        o->tube_prefix = optarg;
        break;
      case kTimeout: {
        char* end = nullptr;
        o->timeout_s = std::strtod(optarg, &end);
        ok = end != optarg && *end == '\0' && o->timeout_s > 0;
        break;
      }
      case kHelp:
        Usage(stdout);
        std::exit(0);
      default:
        return false;
    }
    if (!ok) {
      std::fprintf(stderr, "stalk_loadgen: bad value '%s' for an option\n", optarg);
      return false;
    }
  }
  if (optind != argc) return false;
  if (o->workload == Workload::kRoundtrip && o->connections != 1) {
    std::fprintf(stderr,
                 "stalk_loadgen: roundtrip uses exactly one connection (--connections 1)\n");
    return false;
  }
  if (o->workload == Workload::kPutAndReserveDelete && o->connections < 2) {
    std::fprintf(stderr, "stalk_loadgen: put-and-reserve-delete needs at least 2 connections\n");
    return false;
  }
  if (o->watch > o->tubes) o->watch = o->tubes;
  return true;
}

// ---------------------------------------------------------------------------
// Time, CPU

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// utime + stime of a process from /proc/<pid>/stat, in seconds; < 0 if unreadable.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(paren + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  // After "(comm) " the fields start at field 3 (state); utime is 14, stime 15.
  for (int field = 3; field <= 15 && (fields >> f); ++field) {
    if (field == 14) utime = std::strtoull(f.c_str(), nullptr, 10);
    if (field == 15) stime = std::strtoull(f.c_str(), nullptr, 10);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// ---------------------------------------------------------------------------
// Latency histogram: log-linear buckets over nanoseconds, exact below 1024 ns and
// within 1/512 (0.2%) above; fixed size, so recording is an increment.

class Histogram {
 public:
  Histogram() : buckets_(kExact + 54 * kSub, 0) {}

  void Record(uint64_t ns) {
    ++buckets_[Index(ns)];
    ++count_;
    sum_ns_ += ns;
    max_ns_ = std::max(max_ns_, ns);
  }

  void Merge(const Histogram& other) {
    for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ns_ += other.sum_ns_;
    max_ns_ = std::max(max_ns_, other.max_ns_);
  }

  // The value at quantile q (0 < q <= 1), in nanoseconds; 0 when empty.
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(count_))));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= rank) return std::min(Value(i), max_ns_);
    }
    return max_ns_;
  }

  uint64_t count() const { return count_; }
  uint64_t max_ns() const { return max_ns_; }
  double mean_ns() const { return count_ ? double(sum_ns_) / double(count_) : 0; }

 private:
  static constexpr int kSubBits = 9;
  static constexpr size_t kSub = size_t(1) << kSubBits;
  static constexpr size_t kExact = kSub * 2;

  static size_t Index(uint64_t v) {
    if (v < kExact) return size_t(v);
    const int msb = 63 - __builtin_clzll(v);  // >= kSubBits + 1
    const uint64_t sub = (v >> (msb - kSubBits)) & (kSub - 1);
    return kExact + size_t(msb - kSubBits - 1) * kSub + size_t(sub);
  }
  // Midpoint of bucket i.
  static uint64_t Value(size_t i) {
    if (i < kExact) return i;
    const size_t k = (i - kExact) / kSub;
    const uint64_t sub = (i - kExact) % kSub;
    const int shift = int(k) + 1;
    const uint64_t lower = (kSub + sub) << shift;
    return lower + ((uint64_t(1) << shift) >> 1);
  }

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t max_ns_ = 0;
};

// ---------------------------------------------------------------------------
// Job bodies: "<16 hex digits of tag><pattern slice starting at tag % 26>". Bodies
// shorter than the tag are a plain pattern prefix (then there is nothing to tag).

constexpr size_t kTagBytes = 16;
std::string g_pattern;  // 'a'..'z' repeated, long enough for any body.

void InitPattern(size_t body_bytes) {
  g_pattern.resize(body_bytes + 26);
  for (size_t i = 0; i < g_pattern.size(); ++i) g_pattern[i] = char('a' + i % 26);
}

void AppendBody(std::string* out, uint64_t tag, size_t n) {
  if (n < kTagBytes) {
    out->append(g_pattern.data(), n);
    return;
  }
  static const char kHex[] = "0123456789abcdef";
  char hex[kTagBytes];
  for (size_t i = 0; i < kTagBytes; ++i) hex[kTagBytes - 1 - i] = kHex[(tag >> (4 * i)) & 15];
  out->append(hex, kTagBytes);
  out->append(g_pattern.data() + tag % 26, n - kTagBytes);
}

bool VerifyBody(const char* p, size_t n, uint64_t* tag) {
  *tag = 0;
  if (n < kTagBytes) return std::memcmp(p, g_pattern.data(), n) == 0;
  uint64_t t = 0;
  for (size_t i = 0; i < kTagBytes; ++i) {
    const char ch = p[i];
    int d;
    if (ch >= '0' && ch <= '9')
      d = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
      d = ch - 'a' + 10;
    else
      return false;
    t = (t << 4) | uint64_t(d);
  }
  *tag = t;
  return std::memcmp(p + kTagBytes, g_pattern.data() + t % 26, n - kTagBytes) == 0;
}

// Tag = source (connection number, prefill connections offset by 32768) << 40 | seq.
uint64_t MakeTag(uint64_t source, uint64_t seq) {
  return (source << 40) | (seq & ((uint64_t(1) << 40) - 1));
}

// ---------------------------------------------------------------------------
// Small parsing helpers

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    const uint64_t d = uint64_t(ch - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

void AppendU64(std::string* out, uint64_t v) {
  char buf[24];
  char* e = buf + sizeof buf;
  char* p = e;
  do {
    *--p = char('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out->append(p, size_t(e - p));
}

// ---------------------------------------------------------------------------
// Connections

enum class Op : uint8_t { kPut, kReserve, kDelete, kUse, kNum };
const char* const kOpName[] = {"put", "reserve", "delete", "use"};

enum class Role { kProducer, kConsumer, kRoundtrip };

struct Pending {
  Op op;
  uint64_t sent_ns;
  uint64_t arg;  // kUse: tube number; kReserve in a round trip: the id expected.
};

struct Conn {
  int fd = -1;
  int number = 0;  // Global connection number; the tag source.
  Role role = Role::kProducer;
  bool dead = false;
  bool finished = false;

  std::vector<char> rbuf;
  size_t rpos = 0;
  size_t rend = 0;
  std::string wbuf;
  size_t woff = 0;
  bool want_write = false;
  std::deque<Pending> pending;

  // Producer: the tube of put number k is tubes[(offset + k * stride) % size].
  std::shared_ptr<const std::vector<int>> put_tubes;
  uint64_t tube_offset = 0;
  uint64_t tube_stride = 1;
  int current_tube = -1;  // The tube `use`d last on this connection.
  uint32_t pri = 0;
  uint64_t seq = 0;
  uint64_t last_id = 0;

  // Consumer: got TIMED_OUT from reserve-with-timeout 0, i.e. the tubes are empty.
  bool drained = false;

  // Round trip in progress.
  uint64_t cycle_start_ns = 0;
  uint64_t rt_tag = 0;
};

std::string TubeName(const Options& o, int tube) {
  return o.tube_prefix + "-" + std::to_string(tube);
}

// Blocking connect with TCP_NODELAY. Returns the fd or -1 (and prints why).
int Connect(const Options& o) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(o.host.c_str(), o.port.c_str(), &hints, &res);
  if (rc != 0) {
    std::fprintf(stderr, "stalk_loadgen: %s:%s: %s\n", o.host.c_str(), o.port.c_str(),
                 gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    std::fprintf(stderr, "stalk_loadgen: connect %s:%s: %s\n", o.host.c_str(), o.port.c_str(),
                 std::strerror(err));
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

// Sends `commands` (each a full line without CRLF) and checks that the replies are
// exactly `expected`, in batches so neither side's socket buffer fills up.
bool RunSetup(Conn& c, const std::vector<std::string>& commands,
              const std::vector<std::string>& expected, std::string* error) {
  constexpr size_t kBatch = 256;
  std::string in;
  for (size_t start = 0; start < commands.size(); start += kBatch) {
    const size_t end = std::min(commands.size(), start + kBatch);
    std::string out;
    for (size_t i = start; i < end; ++i) out += commands[i] + "\r\n";
    if (!WriteAll(c.fd, out)) {
      *error = std::string("setup: send: ") + std::strerror(errno);
      return false;
    }
    for (size_t i = start; i < end; ++i) {
      size_t nl;
      while ((nl = in.find("\r\n")) == std::string::npos) {
        char buf[65536];
        const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          *error = "setup: connection closed while waiting for a reply to '" + commands[i] + "'";
          return false;
        }
        in.append(buf, size_t(n));
      }
      const std::string line = in.substr(0, nl);
      in.erase(0, nl + 2);
      if (line != expected[i]) {
        *error = "setup: '" + commands[i] + "' got '" + line + "', expected '" + expected[i] + "'";
        return false;
      }
    }
  }
  if (!in.empty()) {
    *error = "setup: unexpected bytes after the setup replies";
    return false;
  }
  return true;
}

// The tubes watched by consumer number `i` (round trips: i = 0).
std::vector<int> WatchedTubes(const Options& o, int i) {
  const int w = o.watch == 0 ? o.tubes : o.watch;
  std::vector<int> t;
  for (int k = 0; k < w; ++k) t.push_back((i + k) % o.tubes);
  return t;
}

// Builds and runs the setup commands for a connection's role.
bool SetupConn(const Options& o, Conn& c, int consumer_index, std::string* error) {
  std::vector<std::string> cmds, want;
  if (c.role == Role::kConsumer || c.role == Role::kRoundtrip) {
    const std::vector<int> watched = WatchedTubes(o, consumer_index);
    size_t n = 1;  // "default"
    for (int t : watched) {
      cmds.push_back("watch " + TubeName(o, t));
      want.push_back("WATCHING " + std::to_string(++n));
    }
    cmds.push_back("ignore default");
    want.push_back("WATCHING " + std::to_string(--n));
  }
  if (c.put_tubes && c.put_tubes->size() == 1) {
    c.current_tube = (*c.put_tubes)[0];
    cmds.push_back("use " + TubeName(o, c.current_tube));
    want.push_back("USING " + TubeName(o, c.current_tube));
  }
  if (!RunSetup(c, cmds, want, error)) return false;
  const int flags = fcntl(c.fd, F_GETFL);
  fcntl(c.fd, F_SETFL, flags | O_NONBLOCK);
  c.rbuf.resize(std::max<size_t>(64 * 1024, 2 * (o.body_bytes + 64)));
  return true;
}

// ---------------------------------------------------------------------------
// Shared run state and results

struct Results {
  Histogram hist[size_t(Op::kNum)];
  Histogram cycle;  // Round trips: put + reserve + delete.
  uint64_t done[size_t(Op::kNum)] = {};
  uint64_t cycles = 0;
  uint64_t errors = 0;
  uint64_t timed_out = 0;
  uint64_t bodies_verified = 0;
  uint64_t last_ns = 0;
  std::string first_error;

  void Merge(const Results& r) {
    for (size_t i = 0; i < size_t(Op::kNum); ++i) {
      hist[i].Merge(r.hist[i]);
      done[i] += r.done[i];
    }
    cycle.Merge(r.cycle);
    cycles += r.cycles;
    errors += r.errors;
    timed_out += r.timed_out;
    bodies_verified += r.bodies_verified;
    last_ns = std::max(last_ns, r.last_ns);
    if (first_error.empty()) first_error = r.first_error;
  }
};

// One phase (prefill or measured) of a run, shared by its worker threads.
struct Phase {
  bool count_mode = false;
  uint64_t deadline_ns = 0;           // Duration mode.
  uint64_t hard_deadline_ns = 0;      // Give up here whatever the mode.
  std::atomic<int64_t> budget{0};     // Count mode: primary operations left to issue.
  std::atomic<bool> stop{false};      // Set when the phase is over for everyone.
  std::atomic<int64_t> puts_left{0};  // put-and-reserve-delete with --count: puts to await.
  bool record = true;                 // Record latencies (false in the prefill).
  bool mixed = false;  // put-and-reserve-delete: consumers never finish by themselves.
};

// ---------------------------------------------------------------------------
// Worker: one epoll loop over a set of connections.

class Worker {
 public:
  Worker(const Options& o, Phase& phase, std::vector<Conn*> conns)
      : o_(o), phase_(phase), conns_(std::move(conns)) {
    // "put <pri>" + " 0 <ttr> <bytes>\r\n": only the priority varies per connection.
    put_suffix_ = " 0 " + std::to_string(o.ttr_s) + " " + std::to_string(o.body_bytes) + "\r\n";
  }

  const Results& results() const { return r_; }

  void Run() {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    for (Conn* c : conns_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = c;
      epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd, &ev);
    }
    uint64_t now = NowNs();
    for (Conn* c : conns_) {
      Refill(*c, now);
      Flush(*c);
    }
    std::vector<epoll_event> events(std::max<size_t>(64, conns_.size()));
    std::vector<Conn*> touched;
    while (!phase_.stop.load(std::memory_order_relaxed)) {
      int timeout_ms = 100;
      if (!phase_.count_mode) {
        const int64_t left = int64_t(phase_.deadline_ns) - int64_t(now);
        timeout_ms = int(std::clamp<int64_t>(left / 1000000 + 1, 0, 100));
      }
      const int n = epoll_wait(ep_, events.data(), int(events.size()), timeout_ms);
      now = NowNs();
      if (n < 0 && errno != EINTR) {
        Error(nullptr, std::string("epoll_wait: ") + std::strerror(errno));
        break;
      }
      touched.clear();
      for (int i = 0; i < n; ++i) {
        Conn* c = static_cast<Conn*>(events[i].data.ptr);
        if (c->dead) continue;
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Read(*c, now);
        if (!c->dead && (events[i].events & EPOLLOUT)) Flush(*c);
        touched.push_back(c);
      }
      for (Conn* c : touched) {
        if (c->dead) continue;
        Refill(*c, now);
        Flush(*c);
      }
      if (n > 0) r_.last_ns = now;
      if (!phase_.count_mode && now >= phase_.deadline_ns) break;
      if (now >= phase_.hard_deadline_ns) {
        Error(nullptr, "phase timed out waiting for replies (--timeout-s)");
        phase_.stop = true;
        break;
      }
      if (AllFinished()) break;
    }
    if (r_.last_ns == 0) r_.last_ns = now;
    close(ep_);
  }

 private:
  // True when none of this worker's connections has anything left to do: dead,
  // or idle with its tubes drained (consumers) or the count-mode budget spent.
  // put-and-reserve-delete with --count ends for everyone once the puts are in.
  bool AllFinished() {
    if (phase_.mixed && phase_.count_mode &&
        phase_.puts_left.load(std::memory_order_relaxed) <= 0) {
      phase_.stop = true;
      return true;
    }
    for (Conn* c : conns_) {
      if (c->dead || c->finished) continue;
      if (!c->pending.empty()) return false;
      if (c->role == Role::kConsumer && phase_.mixed) return false;
      if (c->role == Role::kConsumer && c->drained) {
        c->finished = true;
        continue;
      }
      if (!phase_.count_mode || phase_.budget.load(std::memory_order_relaxed) > 0) return false;
      c->finished = true;
    }
    return true;
  }

  // Takes one unit of the count-mode budget; always true in duration mode.
  bool TakeBudget() {
    if (!phase_.count_mode) return true;
    if (phase_.budget.load(std::memory_order_relaxed) <= 0) return false;
    if (phase_.budget.fetch_sub(1, std::memory_order_relaxed) > 0) return true;
    phase_.budget.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  void Error(Conn* c, const std::string& what) {
    ++r_.errors;
    if (r_.first_error.empty()) {
      r_.first_error = c ? "connection " + std::to_string(c->number) + ": " + what : what;
      std::fprintf(stderr, "stalk_loadgen: %s\n", r_.first_error.c_str());
    }
    if (c && !c->dead) {
      c->dead = true;
      epoll_ctl(ep_, EPOLL_CTL_DEL, c->fd, nullptr);
    }
  }

  void IssuePut(Conn& c, uint64_t now) {
    const std::vector<int>& tubes = *c.put_tubes;
    const int tube = tubes[(c.tube_offset + c.seq * c.tube_stride) % tubes.size()];
    if (tube != c.current_tube) {
      c.wbuf += "use ";
      c.wbuf += TubeName(o_, tube);
      c.wbuf += "\r\n";
      c.pending.push_back({Op::kUse, now, uint64_t(tube)});
      c.current_tube = tube;
    }
    const uint64_t tag = MakeTag(uint64_t(c.number), c.seq++);
    c.wbuf += "put ";
    AppendU64(&c.wbuf, c.pri);
    c.wbuf += put_suffix_;
    AppendBody(&c.wbuf, tag, o_.body_bytes);
    c.wbuf += "\r\n";
    c.pending.push_back({Op::kPut, now, tag});
  }

  void IssueReserve(Conn& c, uint64_t now, uint64_t expect_id) {
    // Draining a prefilled tube: a zero timeout tells when it is empty. Otherwise
    // a plain reserve, which waits for a job (beanstalkd's usual worker loop).
    if (o_.workload == Workload::kReserveDelete)
      c.wbuf += "reserve-with-timeout 0\r\n";
    else
      c.wbuf += "reserve\r\n";
    c.pending.push_back({Op::kReserve, now, expect_id});
  }

  void IssueDelete(Conn& c, uint64_t now, uint64_t id) {
    c.wbuf += "delete ";
    AppendU64(&c.wbuf, id);
    c.wbuf += "\r\n";
    c.pending.push_back({Op::kDelete, now, id});
  }

  void Refill(Conn& c, uint64_t now) {
    if (c.dead || phase_.stop.load(std::memory_order_relaxed)) return;
    if (!phase_.count_mode && now >= phase_.deadline_ns) return;
    const size_t window = size_t(o_.pipeline);
    switch (c.role) {
      case Role::kProducer:
        while (c.pending.size() < window && TakeBudget()) IssuePut(c, now);
        break;
      case Role::kConsumer:
        if (phase_.mixed) {
          while (!c.drained && c.pending.size() < window) IssueReserve(c, now, 0);
        } else {
          while (!c.drained && c.pending.size() < window && TakeBudget()) IssueReserve(c, now, 0);
        }
        break;
      case Role::kRoundtrip:
        if (c.pending.empty() && TakeBudget()) {
          c.cycle_start_ns = now;
          IssuePut(c, now);
        }
        break;
    }
  }

  void Flush(Conn& c) {
    while (c.woff < c.wbuf.size()) {
      const ssize_t n = send(c.fd, c.wbuf.data() + c.woff, c.wbuf.size() - c.woff, MSG_NOSIGNAL);
      if (n > 0) {
        c.woff += size_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!c.want_write) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLOUT;
          ev.data.ptr = &c;
          epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
          c.want_write = true;
        }
        return;
      }
      Error(&c, std::string("send: ") + std::strerror(errno));
      return;
    }
    c.wbuf.clear();
    c.woff = 0;
    if (c.want_write) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = &c;
      epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
      c.want_write = false;
    }
  }

  void Read(Conn& c, uint64_t now) {
    for (;;) {
      if (c.rend == c.rbuf.size()) {
        if (c.rpos > 0) {
          std::memmove(c.rbuf.data(), c.rbuf.data() + c.rpos, c.rend - c.rpos);
          c.rend -= c.rpos;
          c.rpos = 0;
        } else {
          c.rbuf.resize(c.rbuf.size() * 2);
        }
      }
      const size_t space = c.rbuf.size() - c.rend;
      const ssize_t n = recv(c.fd, c.rbuf.data() + c.rend, space, 0);
      if (n > 0) {
        c.rend += size_t(n);
        Parse(c, now);
        if (c.dead || size_t(n) < space) return;
        continue;
      }
      if (n == 0) {
        Error(&c, "server closed the connection");
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Error(&c, std::string("recv: ") + std::strerror(errno));
      return;
    }
  }

  void Complete(const Pending& p, uint64_t now) {
    const size_t i = size_t(p.op);
    ++r_.done[i];
    if (phase_.record) r_.hist[i].Record(now - p.sent_ns);
  }

  // Consumes every complete reply in c.rbuf.
  void Parse(Conn& c, uint64_t now) {
    while (c.rpos < c.rend) {
      if (c.pending.empty()) {
        Error(&c, "reply with no command outstanding: '" +
                      Printable(c.rbuf.data() + c.rpos, c.rend - c.rpos) + "'");
        return;
      }
      const char* line = c.rbuf.data() + c.rpos;
      const size_t avail = c.rend - c.rpos;
      const char* nl = static_cast<const char*>(std::memchr(line, '\n', avail));
      if (nl == nullptr) {
        if (avail > 512) Error(&c, "reply line longer than 512 bytes");
        break;
      }
      const size_t line_len = size_t(nl - line) + 1;
      if (line_len < 2 || nl[-1] != '\r') {
        Error(&c, "reply line not terminated by CRLF");
        return;
      }
      const std::string_view text(line, line_len - 2);
      const Pending p = c.pending.front();
      size_t consumed = line_len;
      switch (p.op) {
        case Op::kPut: {
          uint64_t id = 0;
          if (!StartsWith(text, "INSERTED ") || !ParseU64(text.substr(9), &id)) {
            Error(&c, "put: got '" + std::string(text) + "'");
            return;
          }
          if (id <= c.last_id) {
            Error(&c, "put: ids not increasing on one connection (" + std::to_string(id) +
                          " after " + std::to_string(c.last_id) + ")");
            return;
          }
          c.last_id = id;
          Complete(p, now);
          if (phase_.mixed && phase_.count_mode)
            phase_.puts_left.fetch_sub(1, std::memory_order_relaxed);
          if (c.role == Role::kRoundtrip) {
            c.rt_tag = p.arg;
            IssueReserve(c, now, id);
          }
          break;
        }
        case Op::kReserve: {
          if (text == "TIMED_OUT") {
            ++r_.timed_out;
            if (c.role == Role::kRoundtrip) {
              Error(&c, "reserve: TIMED_OUT in a round trip");
              return;
            }
            c.drained = true;
            break;
          }
          uint64_t id = 0, bytes = 0;
          const size_t sp = text.find(' ', 9);
          if (!StartsWith(text, "RESERVED ") || sp == std::string_view::npos ||
              !ParseU64(text.substr(9, sp - 9), &id) || !ParseU64(text.substr(sp + 1), &bytes)) {
            Error(&c, "reserve: got '" + std::string(text) + "'");
            return;
          }
          if (bytes != o_.body_bytes) {
            Error(&c, "reserve: body of " + std::to_string(bytes) + " bytes, expected " +
                          std::to_string(o_.body_bytes));
            return;
          }
          const size_t need = line_len + bytes + 2;
          if (avail < need) {
            if (c.rpos + need > c.rbuf.size()) {
              std::memmove(c.rbuf.data(), c.rbuf.data() + c.rpos, avail);
              c.rend = avail;
              c.rpos = 0;
              if (need > c.rbuf.size()) c.rbuf.resize(need);
            }
            return;  // Wait for the rest of the body.
          }
          const char* body = line + line_len;
          if (body[bytes] != '\r' || body[bytes + 1] != '\n') {
            Error(&c, "reserve: body not followed by CRLF");
            return;
          }
          uint64_t tag = 0;
          if (!VerifyBody(body, bytes, &tag)) {
            Error(&c, "reserve: body of job " + std::to_string(id) + " failed verification");
            return;
          }
          if (c.role == Role::kRoundtrip &&
              (id != p.arg || (bytes >= kTagBytes && tag != c.rt_tag))) {
            Error(&c, "reserve: got job " + std::to_string(id) + ", expected the one just put (" +
                          std::to_string(p.arg) + ")");
            return;
          }
          ++r_.bodies_verified;
          consumed = need;
          Complete(p, now);
          IssueDelete(c, now, id);
          break;
        }
        case Op::kDelete:
          if (text != "DELETED") {
            Error(&c, "delete " + std::to_string(p.arg) + ": got '" + std::string(text) + "'");
            return;
          }
          Complete(p, now);
          if (c.role == Role::kRoundtrip) {
            ++r_.cycles;
            if (phase_.record) r_.cycle.Record(now - c.cycle_start_ns);
          }
          break;
        case Op::kUse: {
          const std::string want = "USING " + TubeName(o_, int(p.arg));
          if (text != want) {
            Error(&c, "use: got '" + std::string(text) + "', expected '" + want + "'");
            return;
          }
          ++r_.done[size_t(Op::kUse)];
          break;
        }
        case Op::kNum:
          break;
      }
      c.pending.pop_front();
      c.rpos += consumed;
    }
    if (c.rpos == c.rend) c.rpos = c.rend = 0;
  }

  static std::string Printable(const char* p, size_t n) {
    std::string s;
    for (size_t i = 0; i < std::min<size_t>(n, 80); ++i) {
      const unsigned char ch = static_cast<unsigned char>(p[i]);
      if (ch == '\r')
        s += "\\r";
      else if (ch == '\n')
        s += "\\n";
      else if (ch < 32 || ch > 126)
        s += '?';
      else
        s += char(ch);
    }
    return s;
  }

  const Options& o_;
  Phase& phase_;
  std::vector<Conn*> conns_;
  std::string put_suffix_;
  int ep_ = -1;
  Results r_;
};

// Runs one phase over `conns` with o.threads workers; returns the merged results.
Results RunPhase(const Options& o, Phase& phase, std::vector<std::unique_ptr<Conn>>& conns) {
  const int threads = std::max(1, std::min<int>(o.threads, int(conns.size())));
  std::vector<std::vector<Conn*>> split(static_cast<size_t>(threads));
  for (size_t i = 0; i < conns.size(); ++i) split[i % size_t(threads)].push_back(conns[i].get());
  std::vector<std::unique_ptr<Worker>> workers;
  for (auto& s : split) workers.push_back(std::make_unique<Worker>(o, phase, s));
  if (threads == 1) {
    workers[0]->Run();
  } else {
    std::vector<std::thread> ts;
    for (auto& w : workers) ts.emplace_back([&w] { w->Run(); });
    for (auto& t : ts) t.join();
  }
  Results all;
  for (auto& w : workers) all.Merge(w->results());
  return all;
}

void CloseAll(std::vector<std::unique_ptr<Conn>>& conns) {
  for (auto& c : conns) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
  }
  conns.clear();
}

// ---------------------------------------------------------------------------
// JSON output

std::string Us(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", double(ns) / 1000.0);
  return buf;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 32) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string LatencyJson(const Histogram& h, double elapsed_s) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"count\":%" PRIu64
                ",\"per_s\":%.1f,\"mean_us\":%.1f,\"p50_us\":%s,\"p99_us\":%s,"
                "\"p999_us\":%s,\"max_us\":%s}",
                h.count(), elapsed_s > 0 ? double(h.count()) / elapsed_s : 0.0,
                h.mean_ns() / 1000.0, Us(h.Quantile(0.50)).c_str(), Us(h.Quantile(0.99)).c_str(),
                Us(h.Quantile(0.999)).c_str(), Us(h.max_ns()).c_str());
  return buf;
}

// Makes connections numbered first..first+n-1, with roles and tubes; runs setup.
// `configure(conn, i)` sets the role and tubes of connection i and returns its
// index among the consumers (for its watch list).
bool OpenConns(const Options& o, int n, int first_number, std::vector<std::unique_ptr<Conn>>* out,
               const std::function<int(Conn&, int)>& configure, std::string* error) {
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<Conn>();
    c->number = first_number + i;
    c->fd = Connect(o);
    if (c->fd < 0) {
      *error = "connect failed";
      return false;
    }
    const int consumer_index = configure(*c, i);
    if (!SetupConn(o, *c, consumer_index, error)) {
      close(c->fd);
      return false;
    }
    out->push_back(std::move(c));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    Usage(stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  InitPattern(o.body_bytes);
  std::string error;

  auto fail = [&](const std::string& why) {
    std::printf("{\"ok\":false,\"workload\":\"%s\",\"error\":%s}\n", WorkloadName(o.workload),
                JsonString(why).c_str());
    std::fflush(stdout);
    return 2;
  };

  // Prefill: tubes for the jobs. A round trip must reserve the job it just put,
  // so its prefill goes to the tubes it does not watch when there are some, and
  // otherwise at a less urgent priority than the round trip's puts.
  double prefill_s = 0;
  Results prefill_results;
  if (o.prefill > 0) {
    auto tubes = std::make_shared<std::vector<int>>();
    uint32_t pri = 0;
    const int watched = o.watch == 0 ? o.tubes : o.watch;
    if (o.workload == Workload::kRoundtrip) {
      for (int t = watched; t < o.tubes; ++t) tubes->push_back(t);
      if (tubes->empty()) pri = 1000;
    }
    if (tubes->empty())
      for (int t = 0; t < o.tubes; ++t) tubes->push_back(t);
    const int n = int(std::min<uint64_t>(uint64_t(o.prefill_connections), o.prefill));
    std::vector<std::unique_ptr<Conn>> conns;
    auto configure = [&](Conn& c, int i) {
      c.role = Role::kProducer;
      c.put_tubes = tubes;
      c.tube_offset = uint64_t(i);
      c.tube_stride = uint64_t(n);
      c.pri = pri;
      return 0;
    };
    if (!OpenConns(o, n, 32768, &conns, configure, &error)) return fail("prefill: " + error);
    Options po = o;
    po.pipeline = o.prefill_pipeline;
    po.workload = Workload::kPut;
    Phase phase;
    phase.count_mode = true;
    phase.budget = int64_t(o.prefill);
    phase.record = false;
    const uint64_t start = NowNs();
    phase.hard_deadline_ns = start + uint64_t(o.timeout_s * 1e9);
    prefill_results = RunPhase(po, phase, conns);
    prefill_s = double(prefill_results.last_ns - start) / 1e9;
    CloseAll(conns);
    if (prefill_results.errors > 0 || prefill_results.done[size_t(Op::kPut)] != o.prefill) {
      return fail("prefill: " + (prefill_results.first_error.empty()
                                     ? std::string("incomplete")
                                     : prefill_results.first_error));
    }
  }

  // Measured phase.
  std::vector<std::unique_ptr<Conn>> conns;
  const int producers = o.workload == Workload::kPut                   ? o.connections
                        : o.workload == Workload::kPutAndReserveDelete ? o.connections / 2
                                                                       : 0;
  auto configure = [&](Conn& c, int i) {
    if (o.workload == Workload::kRoundtrip) {
      c.role = Role::kRoundtrip;
      c.put_tubes = std::make_shared<std::vector<int>>(1, 0);
      return 0;
    }
    if (i < producers) {
      c.role = Role::kProducer;
      c.put_tubes = std::make_shared<std::vector<int>>(1, i % o.tubes);
      return 0;
    }
    c.role = Role::kConsumer;
    return i - producers;
  };
  if (!OpenConns(o, o.connections, 0, &conns, configure, &error)) return fail(error);

  Phase phase;
  phase.mixed = o.workload == Workload::kPutAndReserveDelete;
  if (o.count > 0) {
    phase.count_mode = true;
    phase.budget = int64_t(o.count);
    phase.puts_left = int64_t(o.count);  // put-and-reserve-delete: the budget limits puts only.
  }
  const double cpu0 = o.server_pid ? ProcessCpuSeconds(o.server_pid) : -1;
  const double self0 = SelfCpuSeconds();
  const uint64_t start = NowNs();
  phase.deadline_ns = start + uint64_t(o.duration_s * 1e9);
  phase.hard_deadline_ns =
      start + uint64_t((o.count > 0 ? o.timeout_s : o.duration_s + o.timeout_s) * 1e9);
  Results r = RunPhase(o, phase, conns);
  const uint64_t end = std::max(r.last_ns, start + 1);
  const double cpu1 = o.server_pid ? ProcessCpuSeconds(o.server_pid) : -1;
  const double self1 = SelfCpuSeconds();
  CloseAll(conns);

  const double elapsed_s = double(end - start) / 1e9;
  const uint64_t puts = r.done[size_t(Op::kPut)];
  const uint64_t reserves = r.done[size_t(Op::kReserve)];
  const uint64_t deletes = r.done[size_t(Op::kDelete)];
  const uint64_t ops = puts + reserves + deletes;
  uint64_t jobs = 0;
  switch (o.workload) {
    case Workload::kPut:
      jobs = puts;
      break;
    case Workload::kReserveDelete:
      jobs = deletes;
      break;
    case Workload::kPutAndReserveDelete:
      jobs = deletes;
      break;
    case Workload::kRoundtrip:
      jobs = r.cycles;
      break;
  }
  Histogram all;
  for (Op op : {Op::kPut, Op::kReserve, Op::kDelete}) all.Merge(r.hist[size_t(op)]);

  std::string json;
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "{\"ok\":%s,\"workload\":\"%s\",\"connections\":%d,\"pipeline\":%d,\"body_bytes\":%zu,"
      "\"tubes\":%d,\"watch\":%d,\"threads\":%d,\"elapsed_s\":%.3f,",
      r.errors == 0 ? "true" : "false", WorkloadName(o.workload), o.connections,
      o.workload == Workload::kRoundtrip ? 1 : o.pipeline, o.body_bytes, o.tubes,
      o.watch == 0 ? o.tubes : o.watch, o.threads, elapsed_s);
  json += buf;
  std::snprintf(buf, sizeof buf,
                "\"ops\":%" PRIu64 ",\"ops_per_s\":%.1f,\"jobs\":%" PRIu64
                ",\"jobs_per_s\":%.1f,"
                "\"errors\":%" PRIu64 ",\"timed_out\":%" PRIu64 ",\"bodies_verified\":%" PRIu64 ",",
                ops, double(ops) / elapsed_s, jobs, double(jobs) / elapsed_s, r.errors, r.timed_out,
                r.bodies_verified);
  json += buf;
  std::snprintf(buf, sizeof buf, "\"prefill\":%" PRIu64 ",\"prefill_s\":%.3f,", o.prefill,
                prefill_s);
  json += buf;
  if (o.server_pid) {
    const double cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    std::snprintf(buf, sizeof buf, "\"server_cpu_s\":%.3f,\"ops_per_server_cpu_s\":%.1f,", cpu,
                  cpu > 0 ? double(ops) / cpu : 0.0);
    json += buf;
  }
  std::snprintf(buf, sizeof buf, "\"loadgen_cpu_s\":%.3f,", self1 - self0);
  json += buf;
  json += "\"latency_us\":" + LatencyJson(all, elapsed_s) + ",\"by_op\":{";
  bool first = true;
  for (Op op : {Op::kPut, Op::kReserve, Op::kDelete}) {
    if (r.hist[size_t(op)].count() == 0) continue;
    if (!first) json += ",";
    first = false;
    json += std::string("\"") + kOpName[size_t(op)] +
            "\":" + LatencyJson(r.hist[size_t(op)], elapsed_s);
  }
  if (o.workload == Workload::kRoundtrip) {
    if (!first) json += ",";
    json += "\"cycle\":" + LatencyJson(r.cycle, elapsed_s);
  }
  json += "}";
  if (!r.first_error.empty()) json += ",\"first_error\":" + JsonString(r.first_error);
  json += "}";
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
  return r.errors == 0 ? 0 : 1;
}
