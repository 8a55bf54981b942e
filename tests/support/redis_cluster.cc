#include "support/redis_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/server_process.h"

extern char** environ;

namespace stalk::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kSlots = 16384;
constexpr uint16_t kLowestPort = 20000;
constexpr uint16_t kHighestPort = 22767;  // bus port (+10000) stays below 32768

bool CanBind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A port p such that p and p + 10000 are free now and not handed out earlier by this
// process. Another process may still take it before redis-server binds it; the caller
// retries on another port when the node exits.
uint16_t PickNodePort() {
  static std::set<uint16_t> handed_out;
  static std::mt19937 rng(static_cast<unsigned>(::getpid()) ^
                          static_cast<unsigned>(SteadyClock::now().time_since_epoch().count()));
  std::uniform_int_distribution<int> dist(kLowestPort, kHighestPort);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<uint16_t>(dist(rng));
    if (handed_out.count(port)) continue;
    if (!CanBind(port) || !CanBind(static_cast<uint16_t>(port + 10000))) continue;
    handed_out.insert(port);
    return port;
  }
  return 0;
}

RedisCluster::Reply FromHiredis(const redisReply* r) {
  RedisCluster::Reply out;
  using Kind = RedisCluster::Reply::Kind;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.kind = Kind::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = Kind::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = Kind::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_NIL:
      out.kind = Kind::kNil;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Kind::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(FromHiredis(r->element[i]));
      break;
    default:
      out.kind = Kind::kTransportError;
      out.str = "unknown reply type " + std::to_string(r->type);
  }
  return out;
}

// "key:value" lines of INFO / CLUSTER INFO.
std::string InfoField(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.compare(0, key.size() + 1, key + ":") == 0) return line.substr(key.size() + 1);
  }
  return "";
}

// One line of CLUSTER NODES.
struct NodeLine {
  std::string id;
  uint16_t port = 0;
  std::string flags;
  std::string master_id;
  std::vector<std::pair<int, int>> slots;  // ranges; "[...]" migration markers skipped
  bool has(const std::string& flag) const {
    std::string padded = "," + flags + ",";
    return padded.find("," + flag + ",") != std::string::npos;
  }
};

std::vector<NodeLine> ParseClusterNodes(const std::string& text) {
  std::vector<NodeLine> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    NodeLine n;
    std::string addr, ping, pong, epoch, link, slot;
    if (!(fields >> n.id >> addr >> n.flags >> n.master_id >> ping >> pong >> epoch >> link)) {
      continue;
    }
    const size_t colon = addr.rfind(':');
    if (colon != std::string::npos) n.port = static_cast<uint16_t>(std::atoi(addr.c_str() + colon + 1));
    while (fields >> slot) {
      if (slot.empty() || slot[0] == '[') continue;
      const size_t dash = slot.find('-');
      const int lo = std::atoi(slot.c_str());
      const int hi = dash == std::string::npos ? lo : std::atoi(slot.c_str() + dash + 1);
      n.slots.emplace_back(lo, hi);
    }
    out.push_back(std::move(n));
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string RedisCluster::Reply::ToString() const {
  switch (kind) {
    case Kind::kTransportError:
      return "(transport error: " + str + ")";
    case Kind::kNil:
      return "(nil)";
    case Kind::kInteger:
      return std::to_string(integer);
    case Kind::kString:
    case Kind::kStatus:
      return str;
    case Kind::kError:
      return "(error) " + str;
    case Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        out += (i ? ", " : "") + elements[i].ToString();
      }
      return out + "]";
    }
  }
  return "?";
}

std::unique_ptr<RedisCluster> RedisCluster::Start(const Options& options, std::string* error) {
  if (!options.cluster_enabled && (options.primaries != 1 || options.replicas_per_primary != 0)) {
    *error = "a plain (non-cluster) redis-server is one node: primaries=1, replicas=0";
    return nullptr;
  }
  if (options.primaries < 1 || options.replicas_per_primary < 0) {
    *error = "need at least one primary";
    return nullptr;
  }
  if (::access(options.redis_server.c_str(), X_OK) != 0) {
    *error = "redis-server '" + options.redis_server + "' is not executable";
    return nullptr;
  }
  std::unique_ptr<RedisCluster> cluster(new RedisCluster(options));
  const char* tmp = std::getenv("TMPDIR");
  std::string root = std::string(tmp && *tmp ? tmp : "/tmp") + "/stalk-redis-XXXXXX";
  if (::mkdtemp(root.data()) == nullptr) {
    *error = std::string("mkdtemp: ") + std::strerror(errno);
    return nullptr;
  }
  cluster->root_dir_ = root;
  const auto deadline = SteadyClock::now() + options.start_timeout;
  const int total = options.primaries * (1 + options.replicas_per_primary);
  cluster->nodes_.resize(total);
  // Spawn all first, then wait for all: the nodes start in parallel.
  for (Node& node : cluster->nodes_) {
    if (std::string e = cluster->SpawnNode(node); !e.empty()) {
      *error = e;
      return nullptr;
    }
  }
  for (Node& node : cluster->nodes_) {
    std::string e = cluster->WaitForPing(node, deadline);
    // A node that lost a port race exits at once: try other ports.
    for (int retry = 0; !e.empty() && !cluster->IsRunning(node.port) && retry < 5; ++retry) {
      e = cluster->StartNode(node);
    }
    if (!e.empty()) {
      *error = e;
      return nullptr;
    }
  }
  if (options.cluster_enabled) {
    if (std::string e = cluster->JoinCluster(deadline); !e.empty()) {
      *error = e;
      return nullptr;
    }
  }
  return cluster;
}

std::string RedisCluster::SpawnNode(Node& node) {
  if (node.port == 0) {
    node.port = PickNodePort();
    if (node.port == 0) return "no free port pair (p, p+10000) in 20000..22767";
    node.dir = root_dir_ + "/" + std::to_string(node.port);
    std::filesystem::create_directories(node.dir);
  }
  std::vector<std::string> args = {options_.redis_server,
                                   "--port", std::to_string(node.port),
                                   "--bind", "127.0.0.1",
                                   "--save", "",
                                   "--appendonly", "no",
                                   "--dir", node.dir,
                                   "--daemonize", "no",
                                   "--logfile", "",
                                   "--repl-diskless-sync-delay", "0"};
  if (options_.cluster_enabled) {
    for (const char* a : {"--cluster-enabled", "yes", "--cluster-config-file"}) args.push_back(a);
    args.push_back(node.dir + "/nodes.conf");
    args.push_back("--cluster-node-timeout");
    args.push_back(std::to_string(options_.node_timeout_ms));
    // A replica whose primary died long ago (a paused test, a slow machine) may still be
    // promoted, and replicas never wander to other primaries on their own.
    for (const char* a : {"--cluster-replica-validity-factor", "0",
                          "--cluster-allow-replica-migration", "no"}) {
      args.push_back(a);
    }
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string log_path = node.dir + "/redis.log";
  int out_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) return "open " + log_path + ": " + std::strerror(errno);
  node.pid = SpawnChild(argv.data(), environ, out_fd);
  const int saved = errno;
  ::close(out_fd);
  if (node.pid < 0) return std::string("fork: ") + std::strerror(saved);
  node.paused = false;
  return "";
}

std::string RedisCluster::StartNode(Node& node) {
  node.port = 0;  // a fresh port: the old one was lost to someone else
  if (std::string e = SpawnNode(node); !e.empty()) return e;
  return WaitForPing(node, SteadyClock::now() + options_.start_timeout);
}

std::string RedisCluster::WaitForPing(Node& node, SteadyClock::time_point deadline) {
  while (SteadyClock::now() < deadline) {
    if (Reap(node, false)) {
      return "redis-server on port " + std::to_string(node.port) + " exited; its log:\n" +
             LogTail(node.port);
    }
    // Ask for the pid, not just PING: if another test's server won the port race, ours is
    // about to exit and must not be mistaken for the one answering.
    Reply r = Call(node.port, {"INFO", "server"});
    if (r.kind == Reply::Kind::kString) {
      if (InfoField(r.str, "process_id") == std::to_string(node.pid)) return "";
      ::kill(node.pid, SIGKILL);
      Reap(node, true);
      return "port " + std::to_string(node.port) + " is taken by another redis-server";
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return "redis-server on port " + std::to_string(node.port) + " did not answer PING in time; log:\n" +
         LogTail(node.port);
}

std::string RedisCluster::JoinCluster(SteadyClock::time_point deadline) {
  const int primaries = options_.primaries;
  const int total = static_cast<int>(nodes_.size());
  std::vector<std::string> ids(total);
  for (int i = 0; i < total; ++i) {
    ids[i] = NodeId(nodes_[i].port);
    if (ids[i].empty()) return "CLUSTER MYID failed on port " + std::to_string(nodes_[i].port);
    // Distinct epochs up front, as redis-cli --cluster create does, so no collision round.
    Reply r = Call(nodes_[i].port, {"CLUSTER", "SET-CONFIG-EPOCH", std::to_string(i + 1)});
    if (!r.ok()) return "SET-CONFIG-EPOCH: " + r.ToString();
  }
  for (int i = 0; i < primaries; ++i) {
    const int lo = kSlots * i / primaries;
    const int hi = kSlots * (i + 1) / primaries - 1;
    Reply r = Call(nodes_[i].port,
                   {"CLUSTER", "ADDSLOTSRANGE", std::to_string(lo), std::to_string(hi)});
    if (!r.ok()) return "ADDSLOTSRANGE: " + r.ToString();
  }
  for (int i = 1; i < total; ++i) {
    Reply r = Call(nodes_[i].port, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(nodes_[0].port)});
    if (!r.ok()) return "CLUSTER MEET: " + r.ToString();
  }
  // Every node must know every other before a replica can name its primary.
  for (int i = 0; i < total; ++i) {
    for (;;) {
      Reply r = Call(nodes_[i].port, {"CLUSTER", "NODES"});
      if (r.kind == Reply::Kind::kString) {
        auto lines = ParseClusterNodes(r.str);
        const bool all_known =
            static_cast<int>(lines.size()) == total &&
            std::none_of(lines.begin(), lines.end(), [](const NodeLine& n) {
              return n.has("handshake") || n.has("noaddr");
            });
        if (all_known) break;
      }
      if (SteadyClock::now() > deadline) {
        return "nodes did not all meet in time; port " + std::to_string(nodes_[i].port) +
               " sees: " + r.ToString();
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  for (int i = primaries; i < total; ++i) {
    const int primary = (i - primaries) % primaries;
    Reply r = Call(nodes_[i].port, {"CLUSTER", "REPLICATE", ids[primary]});
    if (!r.ok()) return "CLUSTER REPLICATE: " + r.ToString();
  }
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
  return WaitForStableMap(std::max(left, milliseconds(1)), /*all_replicas=*/true);
}

RedisCluster::~RedisCluster() {
  for (Node& node : nodes_) {
    if (node.pid <= 0) continue;
    if (node.paused) ::kill(node.pid, SIGCONT);
    ::kill(node.pid, SIGKILL);
    Reap(node, true);
  }
  if (!root_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(root_dir_, ec);
  }
}

bool RedisCluster::Reap(Node& node, bool block) {
  if (node.pid <= 0) return true;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(node.pid, &status, block ? 0 : WNOHANG);
    if (r == node.pid || (r < 0 && errno == ECHILD)) {
      node.pid = -1;
      node.paused = false;
      return true;
    }
    if (r < 0 && errno == EINTR) continue;
    return false;
  }
}

RedisCluster::Node* RedisCluster::FindNode(uint16_t port) {
  for (Node& n : nodes_) {
    if (n.port == port) return &n;
  }
  return nullptr;
}

const RedisCluster::Node* RedisCluster::FindNode(uint16_t port) const {
  for (const Node& n : nodes_) {
    if (n.port == port) return &n;
  }
  return nullptr;
}

std::string RedisCluster::seeds() const {
  std::string out = "redis://";
  for (size_t i = 0; i < nodes_.size(); ++i) {
    out += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(nodes_[i].port);
  }
  return out;
}

std::vector<uint16_t> RedisCluster::ports() const {
  std::vector<uint16_t> out;
  for (const Node& n : nodes_) out.push_back(n.port);
  return out;
}

pid_t RedisCluster::pid(uint16_t port) const {
  const Node* n = FindNode(port);
  return n ? n->pid : -1;
}

RedisCluster::Reply RedisCluster::Call(uint16_t port, const std::vector<std::string>& args) {
  Reply out;
  const timeval timeout{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (c == nullptr || c->err) {
    out.str = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return out;
  }
  redisSetTimeout(c, timeout);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    out.str = c->errstr;
  } else {
    out = FromHiredis(r);
    freeReplyObject(r);
  }
  redisFree(c);
  return out;
}

std::string RedisCluster::NodeId(uint16_t port) {
  Reply r = Call(port, {"CLUSTER", "MYID"});
  return r.kind == Reply::Kind::kString ? r.str : "";
}

uint16_t RedisCluster::AnyLiveNode() {
  for (Node& n : nodes_) {
    if (n.pid > 0 && !n.paused && !Reap(n, false)) return n.port;
  }
  return 0;
}

std::string RedisCluster::ClusterNodes() {
  const uint16_t port = AnyLiveNode();
  if (port == 0) return "";
  Reply r = Call(port, {"CLUSTER", "NODES"});
  return r.kind == Reply::Kind::kString ? r.str : "";
}

std::vector<uint16_t> RedisCluster::Primaries() {
  if (!options_.cluster_enabled) return {nodes_[0].port};
  auto lines = ParseClusterNodes(ClusterNodes());
  std::vector<std::pair<int, uint16_t>> by_slot;
  for (const NodeLine& n : lines) {
    if (!n.has("master") || n.has("fail") || n.slots.empty()) continue;
    int lowest = kSlots;
    for (auto [lo, hi] : n.slots) lowest = std::min(lowest, lo);
    by_slot.emplace_back(lowest, n.port);
  }
  std::sort(by_slot.begin(), by_slot.end());
  std::vector<uint16_t> out;
  for (auto [slot, port] : by_slot) out.push_back(port);
  return out;
}

std::vector<uint16_t> RedisCluster::Replicas() {
  if (!options_.cluster_enabled) return {};
  std::vector<uint16_t> out;
  for (const NodeLine& n : ParseClusterNodes(ClusterNodes())) {
    if (n.has("slave") && !n.has("fail")) out.push_back(n.port);
  }
  return out;
}

uint16_t RedisCluster::ReplicaOf(uint16_t primary_port) {
  if (!options_.cluster_enabled) return 0;
  auto lines = ParseClusterNodes(ClusterNodes());
  std::string primary_id;
  for (const NodeLine& n : lines) {
    if (n.port == primary_port) primary_id = n.id;
  }
  for (const NodeLine& n : lines) {
    if (n.has("slave") && !n.has("fail") && n.master_id == primary_id) return n.port;
  }
  return 0;
}

uint16_t RedisCluster::OwnerOfSlot(uint16_t slot) {
  if (!options_.cluster_enabled) return nodes_[0].port;
  for (const NodeLine& n : ParseClusterNodes(ClusterNodes())) {
    if (!n.has("master")) continue;
    for (auto [lo, hi] : n.slots) {
      if (slot >= lo && slot <= hi) return n.port;
    }
  }
  return 0;
}

bool RedisCluster::IsRunning(uint16_t port) {
  Node* n = FindNode(port);
  return n != nullptr && n->pid > 0 && !Reap(*n, false);
}

void RedisCluster::Kill(uint16_t port) {
  Node* n = FindNode(port);
  if (n == nullptr || n->pid <= 0) return;
  ::kill(n->pid, SIGKILL);
  Reap(*n, true);
}

void RedisCluster::Pause(uint16_t port) {
  Node* n = FindNode(port);
  if (n == nullptr || n->pid <= 0) return;
  ::kill(n->pid, SIGSTOP);
  n->paused = true;
}

void RedisCluster::Resume(uint16_t port) {
  Node* n = FindNode(port);
  if (n == nullptr || n->pid <= 0) return;
  ::kill(n->pid, SIGCONT);
  n->paused = false;
}

std::string RedisCluster::Restart(uint16_t port) {
  Node* n = FindNode(port);
  if (n == nullptr) return "no node on port " + std::to_string(port);
  if (n->pid > 0 && !Reap(*n, false)) return "node " + std::to_string(port) + " is still running";
  if (std::string e = SpawnNode(*n); !e.empty()) return e;
  return WaitForPing(*n, SteadyClock::now() + options_.start_timeout);
}

std::string RedisCluster::Failover(uint16_t replica_port, FailoverMode mode) {
  std::vector<std::string> args = {"CLUSTER", "FAILOVER"};
  if (mode == FailoverMode::kForce) args.push_back("FORCE");
  if (mode == FailoverMode::kTakeover) args.push_back("TAKEOVER");
  Reply r = Call(replica_port, args);
  if (!r.ok()) return "CLUSTER FAILOVER on " + std::to_string(replica_port) + ": " + r.ToString();
  if (std::string e = WaitForPromotion(replica_port); !e.empty()) return e;
  return WaitForStableMap();
}

std::string RedisCluster::WaitForPromotion(uint16_t replica_port, milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  Reply r;
  while (SteadyClock::now() < deadline) {
    r = Call(replica_port, {"ROLE"});
    if (r.kind == Reply::Kind::kArray && !r.elements.empty() && r.elements[0].str == "master") {
      return "";
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return "node " + std::to_string(replica_port) + " was not promoted in time; ROLE: " +
         r.ToString() + "\nlog:\n" + LogTail(replica_port);
}

std::string RedisCluster::WaitForStableMap(milliseconds timeout) {
  return WaitForStableMap(timeout, false);
}

std::string RedisCluster::WaitForStableMap(milliseconds timeout, bool all_replicas) {
  const auto deadline = SteadyClock::now() + timeout;
  std::string why;
  while (SteadyClock::now() < deadline) {
    why.clear();
    std::string first_map;
    for (Node& n : nodes_) {
      if (n.pid <= 0 || n.paused || Reap(n, false)) continue;
      const std::string where = "port " + std::to_string(n.port) + ": ";
      if (!options_.cluster_enabled) break;
      Reply info = Call(n.port, {"CLUSTER", "INFO"});
      if (InfoField(info.str, "cluster_state") != "ok") {
        why = where + "cluster_state is not ok";
        break;
      }
      // The owners as this node sees them, as one comparable string.
      Reply slots = Call(n.port, {"CLUSTER", "SLOTS"});
      std::vector<std::string> ranges;
      for (const Reply& range : slots.elements) {
        if (range.elements.size() < 3) continue;
        ranges.push_back(std::to_string(range.elements[0].integer) + "-" +
                         std::to_string(range.elements[1].integer) + "@" +
                         std::to_string(range.elements[2].elements.size() > 1
                                            ? range.elements[2].elements[1].integer
                                            : 0));
      }
      if (all_replicas) {
        // Right after REPLICATE, gossip may not have told every node who replicates whom
        // (ReplicaOf() and Replicas() read CLUSTER NODES).
        Reply nodes = Call(n.port, {"CLUSTER", "NODES"});
        int replicas = 0;
        for (const NodeLine& line : ParseClusterNodes(nodes.str)) replicas += line.has("slave");
        if (replicas != options_.primaries * options_.replicas_per_primary) {
          why = where + "does not know every replica yet";
          break;
        }
      }
      std::sort(ranges.begin(), ranges.end());
      std::string map;
      for (const std::string& s : ranges) map += s + " ";
      if (first_map.empty()) {
        first_map = map;
      } else if (map != first_map) {
        why = where + "slot map differs: " + map + "vs " + first_map;
        break;
      }
      Reply repl = Call(n.port, {"INFO", "replication"});
      if (InfoField(repl.str, "role") == "slave" &&
          InfoField(repl.str, "master_link_status") != "up") {
        why = where + "replica link is not up";
        break;
      }
    }
    if (why.empty()) return "";
    std::this_thread::sleep_for(milliseconds(20));
  }
  return "cluster did not settle in time: " + why;
}

std::string RedisCluster::BeginSlotMigration(uint16_t slot, uint16_t to_port) {
  const uint16_t from = OwnerOfSlot(slot);
  if (from == 0) return "slot " + std::to_string(slot) + " has no owner";
  if (from == to_port) return "slot " + std::to_string(slot) + " is already on " + std::to_string(to_port);
  const std::string from_id = NodeId(from);
  const std::string to_id = NodeId(to_port);
  const std::string s = std::to_string(slot);
  Reply r = Call(to_port, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id});
  if (!r.ok()) return "SETSLOT IMPORTING: " + r.ToString();
  r = Call(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id});
  if (!r.ok()) return "SETSLOT MIGRATING: " + r.ToString();
  migrations_[slot] = Migration{from, to_port};
  return "";
}

std::string RedisCluster::MigrateSlotKeys(uint16_t slot, int* moved) {
  auto it = migrations_.find(slot);
  if (it == migrations_.end()) return "no migration of slot " + std::to_string(slot) + " begun";
  const Migration m = it->second;
  int count = 0;
  for (;;) {
    Reply keys = Call(m.from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
    if (keys.kind != Reply::Kind::kArray) return "GETKEYSINSLOT: " + keys.ToString();
    if (keys.elements.empty()) break;
    std::vector<std::string> args = {"MIGRATE", "127.0.0.1", std::to_string(m.to), "", "0",
                                     "5000", "KEYS"};
    for (const Reply& k : keys.elements) args.push_back(k.str);
    Reply r = Call(m.from, args);
    if (!r.ok()) return "MIGRATE: " + r.ToString();
    count += static_cast<int>(keys.elements.size());
  }
  if (moved) *moved = count;
  return "";
}

std::string RedisCluster::FinishSlotMigration(uint16_t slot) {
  auto it = migrations_.find(slot);
  if (it == migrations_.end()) return "no migration of slot " + std::to_string(slot) + " begun";
  const Migration m = it->second;
  const std::string to_id = NodeId(m.to);
  const std::string s = std::to_string(slot);
  // Target first, then source, then everyone else (the order redis-cli uses).
  std::vector<uint16_t> order = {m.to, m.from};
  for (uint16_t p : Primaries()) {
    if (p != m.to && p != m.from) order.push_back(p);
  }
  for (uint16_t p : order) {
    Reply r = Call(p, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
    if (!r.ok()) return "SETSLOT NODE on " + std::to_string(p) + ": " + r.ToString();
  }
  migrations_.erase(it);
  return "";
}

std::string RedisCluster::MoveSlot(uint16_t slot, uint16_t to_port) {
  if (std::string e = BeginSlotMigration(slot, to_port); !e.empty()) return e;
  if (std::string e = MigrateSlotKeys(slot); !e.empty()) return e;
  return FinishSlotMigration(slot);
}

std::string RedisCluster::LogTail(uint16_t port, size_t max_bytes) const {
  const Node* n = FindNode(port);
  if (n == nullptr) return "";
  std::string log = ReadFile(n->dir + "/redis.log");
  if (log.size() > max_bytes) log = "..." + log.substr(log.size() - max_bytes);
  return log;
}

}  // namespace stalk::test
