// A busy tube's slot resharded under traffic (3 primaries + 3 replicas, two stalkd nodes):
// IMPORTING/MIGRATING, MIGRATE of the slot's keys in small batches while producers and
// workers run, then SETSLOT NODE. Nothing fails, so every job is done exactly once. This is
// what the scripts' declared KEYS and their TRYAGAIN for job hashes that moved are for
// (docs/redis_schema.md, "Slot migration"): a script that acted on a half-moved tube would
// recreate keys on the source (MIGRATE then fails with BUSYKEY) or lose or duplicate jobs.

#include "scale_out_util.h"

namespace stalk::test::scale_out {
namespace {

// Moves every key of `slot` from `from` to `to`, `batch` keys per MIGRATE, so the traffic
// runs between batches. Empty on success.
std::string MigrateInBatches(RedisCluster& cluster, uint16_t slot, uint16_t from, uint16_t to,
                             int batch, int* moved) {
  for (int round = 0; round < 100000; ++round) {
    RedisCluster::Reply keys = cluster.Call(
        from, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), std::to_string(batch)});
    if (keys.kind != RedisCluster::Reply::Kind::kArray) return "GETKEYSINSLOT: " + keys.ToString();
    if (keys.elements.empty()) return "";
    std::vector<std::string> args = {"MIGRATE", "127.0.0.1", std::to_string(to), "", "0",
                                     "5000", "KEYS"};
    for (const RedisCluster::Reply& k : keys.elements) args.push_back(k.str);
    RedisCluster::Reply r = cluster.Call(from, args);
    if (!r.ok()) return "MIGRATE: " + r.ToString();
    *moved += static_cast<int>(keys.elements.size());
  }
  return "the source kept producing keys";
}

TEST(ScaleOutReshard, ABusyTubesSlotMovesUnderTrafficEveryJobExactlyOnce) {
  if (!HaveStalkd()) GTEST_SKIP() << "no stalkd target in this build";
  std::string error;
  auto cluster = RedisCluster::Start(RedisCluster::ThreeByThree(), &error);
  ASSERT_TRUE(cluster) << error;
  auto a = StartStalkd(*cluster, {}, &error);
  ASSERT_TRUE(a) << error;
  auto b = StartStalkd(*cluster, {}, &error);
  ASSERT_TRUE(b) << error;
  // The busy tube gets most of the traffic (it is listed three times); one other tube on
  // each primary keeps the rest of the cluster busy too.
  std::vector<std::string> others = TubesOnEveryPrimary(*cluster, "rs", 1);
  ASSERT_EQ(others.size(), 3u);
  const std::string busy = "busy";
  const uint16_t slot = redis_queue::TubeSlot(busy);
  const uint16_t from = cluster->OwnerOfSlot(slot);
  uint16_t to = 0;
  for (uint16_t p : cluster->Primaries()) {
    if (p != from) to = p;
  }
  ASSERT_NE(from, 0);
  ASSERT_NE(to, 0);
  std::vector<std::string> tubes = {busy, busy, busy};
  tubes.insert(tubes.end(), others.begin(), others.end());
  std::vector<std::string> watched = others;
  watched.push_back(busy);

  constexpr int kProducers = 2, kJobsEach = 600, kWorkers = 3;
  Ledger ledger;
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers, producers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back(Work, WorkerSpec{w == 0 ? a->port() : b->port(), watched, false},
                         &ledger, &stop);
  }
  for (int p = 0; p < kProducers; ++p) {
    ProducerSpec spec{a->port(), "p" + std::to_string(p), tubes, kJobsEach};
    producers.emplace_back(Produce, spec, &ledger, &acked);
  }
  EXPECT_TRUE(WaitFor([&] { return acked.load() >= kProducers * kJobsEach / 4; },
                      std::chrono::seconds(60)));
  int moved = 0;
  ASSERT_EQ(cluster->BeginSlotMigration(slot, to), "");
  EXPECT_EQ(MigrateInBatches(*cluster, slot, from, to, 4, &moved), "");
  ASSERT_EQ(cluster->FinishSlotMigration(slot), "");
  EXPECT_EQ(cluster->OwnerOfSlot(slot), to);
  for (auto& t : producers) t.join();
  const size_t total = size_t{kProducers} * kJobsEach;
  EXPECT_TRUE(WaitFor([&] { return ledger.delivered_jobs() >= total; },
                      std::chrono::seconds(120)))
      << ledger.delivered_jobs() << " of " << total << " delivered";
  stop = true;
  for (auto& t : workers) t.join();
  std::printf("reshard: moved %d keys of slot %u from %u to %u; %zu jobs, %llu deliveries\n",
              moved, slot, from, to, total,
              static_cast<unsigned long long>(ledger.total_deliveries()));

  EXPECT_GT(moved, 0);
  EXPECT_EQ(ledger.odd_count(), 0u) << ledger.first_odd();
  EXPECT_EQ(ledger.acked(), total);
  EXPECT_EQ(ledger.Lost().size(), 0u) << "first lost: " << ledger.Lost().front();
  EXPECT_EQ(ledger.Duplicates(), 0u);
  EXPECT_EQ(ledger.total_deliveries(), total);
  ExpectTubesEmpty(a->port(), watched);
  ExpectTubesEmpty(b->port(), watched);
  // Nothing of the tube was left behind on the source.
  RedisCluster::Reply left =
      cluster->Call(from, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)});
  EXPECT_EQ(left.integer, 0) << left.ToString();
}

}  // namespace
}  // namespace stalk::test::scale_out
