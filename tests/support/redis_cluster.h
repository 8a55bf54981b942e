#pragma once

// RedisCluster: real redis-server processes for tests, started as children of the test
// (Debian's /usr/bin/redis-server, `--daemonize no`) on loopback. Three shapes:
//   - a Redis Cluster of N primaries with R replicas each (default 3 + 3),
//   - a one-primary cluster (1 + 0),
//   - one plain redis-server with cluster support disabled.
//
//   std::string error;
//   auto cluster = RedisCluster::Start(RedisCluster::Options{}, &error);
//   ASSERT_TRUE(cluster) << error;
//   client_options.seeds = *ParseRedisAddress(cluster->seeds());
//   ...
//   ASSERT_EQ(cluster->Failover(cluster->ReplicaOf(cluster->Primaries()[0])), "");
//
// Ports: each node gets a free loopback port p in 20000..22767 whose bus port p+10000 is also
// free (bus ports stay below the ephemeral range, see reference/distributed.md §2.4); a node
// that loses a port race is restarted on another one. Start() returns only when every node
// reports cluster_state:ok, all nodes agree on the slot map and every replica has
// master_link_status:up (bounded by Options::start_timeout).
//
// The cluster is built by hand (CLUSTER SET-CONFIG-EPOCH, ADDSLOTSRANGE, MEET, REPLICATE), as
// `redis-cli --cluster create` does, without its fixed sleeps. Talking to nodes uses hiredis'
// blocking API with a 2 s timeout: this is test code, blocking is fine here.
//
// Methods that can fail return a std::string: empty on success, otherwise what went wrong
// (with the tail of the node's log when it helps), so a test writes
// ASSERT_EQ(cluster->MoveSlot(s, port), "").
//
// The destructor SIGKILLs every process it started (by pid; SIGCONT first for paused ones),
// waits for each (no zombies) and removes the data directory. Children also get
// PR_SET_PDEATHSIG(SIGKILL) from SpawnChild, so a crashed test leaves no server behind.
//
// Not thread-safe: use from the thread that started it (the death signal is tied to it).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace stalk::test {

class RedisCluster {
 public:
  struct Options {
    int primaries = 3;
    int replicas_per_primary = 1;
    // false: one plain redis-server, no cluster support (REQUIRES primaries == 1 and
    // replicas_per_primary == 0).
    bool cluster_enabled = true;
    int node_timeout_ms = 2000;  // cluster-node-timeout: how soon a dead primary is failed over
    std::chrono::milliseconds start_timeout{30000};
    std::vector<std::string> extra_args;  // appended to every redis-server command line
    std::string redis_server = "/usr/bin/redis-server";
  };
  static Options ThreeByThree() { return Options{}; }
  static Options OnePrimary() {
    Options o;
    o.primaries = 1;
    o.replicas_per_primary = 0;
    return o;
  }
  static Options Standalone() {
    Options o = OnePrimary();
    o.cluster_enabled = false;
    return o;
  }

  // A reply read synchronously from one node.
  struct Reply {
    enum class Kind { kTransportError, kNil, kInteger, kString, kStatus, kError, kArray };
    Kind kind = Kind::kTransportError;
    long long integer = 0;
    std::string str;  // kString, kStatus, kError, and the reason for kTransportError
    std::vector<Reply> elements;
    bool ok() const { return kind != Kind::kTransportError && kind != Kind::kError; }
    std::string ToString() const;
  };

  // Starts the nodes and, for a cluster, joins them. On failure returns nullptr with a
  // readable reason in *error (every process already started is stopped).
  static std::unique_ptr<RedisCluster> Start(const Options& options, std::string* error);

  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  bool cluster_enabled() const { return options_.cluster_enabled; }
  // "redis://127.0.0.1:p1,127.0.0.1:p2,..." over every node started, in start order.
  std::string seeds() const;
  // Every node started, in start order (the first `primaries` started as primaries).
  std::vector<uint16_t> ports() const;

  // Roles as the cluster sees them now (CLUSTER NODES of a running, unpaused node).
  // Primaries: nodes flagged master, not failed, owning at least one slot, ordered by their
  // lowest slot. For a plain redis-server: that node.
  std::vector<uint16_t> Primaries();
  std::vector<uint16_t> Replicas();              // flagged slave, not failed
  uint16_t ReplicaOf(uint16_t primary_port);     // 0 if it has none
  uint16_t OwnerOfSlot(uint16_t slot);           // 0 if unknown
  std::string NodeId(uint16_t port);             // CLUSTER MYID (empty on error)

  // One command on one node (2 s timeout; kTransportError if the node does not answer).
  Reply Call(uint16_t port, const std::vector<std::string>& args);

  // Process control, by port. Kill = SIGKILL and reap. Pause = SIGSTOP, Resume = SIGCONT.
  // Restart starts a stopped (killed) node again on the same port with the same data
  // directory and nodes.conf, and waits until it answers PING; it rejoins the cluster (as a
  // replica, if it was failed over meanwhile).
  bool IsRunning(uint16_t port);
  void Kill(uint16_t port);
  void Pause(uint16_t port);
  void Resume(uint16_t port);
  std::string Restart(uint16_t port);
  pid_t pid(uint16_t port) const;

  // CLUSTER FAILOVER [FORCE|TAKEOVER] on `replica_port`, then waits until it is a primary and
  // the running nodes agree on the map again (WaitForStableMap).
  enum class FailoverMode { kDefault, kForce, kTakeover };
  std::string Failover(uint16_t replica_port, FailoverMode mode = FailoverMode::kDefault);
  // Waits until `replica_port` reports role master (e.g. after Kill of its primary).
  std::string WaitForPromotion(uint16_t replica_port,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits until every running, unpaused node says cluster_state:ok, all of them report the
  // same slot owners in CLUSTER SLOTS, and every replica's link to its primary is up.
  std::string WaitForStableMap(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Slot migration, step by step, so a test can run traffic in between:
  //   BeginSlotMigration: SETSLOT IMPORTING on `to_port`, MIGRATING on the current owner
  //                       (from here on the owner answers ASK for keys it no longer has);
  //   MigrateSlotKeys:    MIGRATE every key of the slot to the target (returns the count
  //                       through *moved when given);
  //   FinishSlotMigration: SETSLOT NODE on the target, the source and every other primary
  //                       (from here on the old owner answers MOVED).
  // MoveSlot does all three.
  std::string BeginSlotMigration(uint16_t slot, uint16_t to_port);
  std::string MigrateSlotKeys(uint16_t slot, int* moved = nullptr);
  std::string FinishSlotMigration(uint16_t slot);
  std::string MoveSlot(uint16_t slot, uint16_t to_port);

  // The last lines of a node's log (stdout/stderr of redis-server), for failure messages.
  std::string LogTail(uint16_t port, size_t max_bytes = 4000) const;

 private:
  struct Node {
    uint16_t port = 0;
    std::string dir;
    pid_t pid = -1;
    bool paused = false;
  };
  struct Migration {
    uint16_t from = 0;
    uint16_t to = 0;
  };

  explicit RedisCluster(Options options) : options_(std::move(options)) {}
  std::string StartNode(Node& node);                     // spawn + wait for PING
  std::string SpawnNode(Node& node);                     // spawn only
  std::string WaitForPing(Node& node, std::chrono::steady_clock::time_point deadline);
  std::string JoinCluster(std::chrono::steady_clock::time_point deadline);
  // all_replicas: also wait until every node lists replicas_per_primary replicas per range.
  std::string WaitForStableMap(std::chrono::milliseconds timeout, bool all_replicas);
  Node* FindNode(uint16_t port);
  const Node* FindNode(uint16_t port) const;
  bool Reap(Node& node, bool block);  // true once the process has exited
  uint16_t AnyLiveNode();
  std::string ClusterNodes();

  Options options_;
  std::string root_dir_;
  std::vector<Node> nodes_;
  std::map<uint16_t, Migration> migrations_;  // by slot
};

}  // namespace stalk::test
