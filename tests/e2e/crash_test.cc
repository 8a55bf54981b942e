// kill -9 in the middle of heavy writing loses nothing that was acknowledged.
//
// Eight connections pipeline puts (and half of them deletes of recovered jobs and
// of their own earlier ones) against `stalkd -b DIR`; the server is killed with
// SIGKILL at a seeded random moment and started again on the same directory. Then
// every job id below the next one handed out is peeked, and:
//   * every job whose INSERTED was received is there, with its body intact;
//   * no job whose DELETED was received came back;
//   * every other job found is one whose put was in flight at the kill (sent, reply
//     not received: it may or may not have made it), with the body that was sent;
//   * no body is damaged (each carries its writer, its sequence number and a
//     checksum), and no job appears twice;
//   * ids are not reused: the next id is above every id ever acknowledged;
//   * what one check found is what the next one finds, less what was deleted since
//     (three cycles of write, kill, restart, check on the same directory).
// Under -f0 a reply waits for fdatasync (group commit); under -f MS and -F it
// follows write(). A SIGKILL of the server (not of the machine) must lose nothing
// acknowledged under any of them (docs/wal_format.md §5).
//
// No timing thresholds: the kill comes once every writer has had a reply, plus a
// seeded 50-400 ms, and the checks hold whenever it lands.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/journal_fixture.h"
#include "support/wire_client.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kWriters = 8;
constexpr int kBatch = 8;  // commands per pipelined write

uint32_t Fnv1a(std::string_view bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : bytes) {
    h ^= ch;
    h *= 16777619u;
  }
  return h;
}

// "w<writer>.s<seq>.<padding>.c<fnv1a of what comes before, 8 hex digits>". The
// padding (0-300 bytes) includes "\r\n" now and then.
std::string MakeBody(int writer, uint64_t seq, std::mt19937_64& rng) {
  std::string body = "w" + std::to_string(writer) + ".s" + std::to_string(seq) + ".";
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n";
  const size_t pad = rng() % 301;
  for (size_t i = 0; i < pad; ++i) body.push_back(kAlphabet[rng() % (sizeof kAlphabet - 1)]);
  char sum[16];
  std::snprintf(sum, sizeof sum, ".c%08x", Fnv1a(body));
  return body + sum;
}

// The (writer, seq) a body claims, if its checksum holds.
std::optional<std::pair<int, uint64_t>> DecodeBody(std::string_view body) {
  constexpr size_t kSumBytes = 10;  // ".c" and 8 hex digits
  if (body.size() < kSumBytes + 1 || body[0] != 'w') return std::nullopt;
  const std::string_view head = body.substr(0, body.size() - kSumBytes);
  const std::string_view tail = body.substr(body.size() - kSumBytes);
  char sum[16];
  std::snprintf(sum, sizeof sum, ".c%08x", Fnv1a(head));
  if (tail != sum) return std::nullopt;
  int writer = -1;
  unsigned long long seq = 0;
  if (std::sscanf(std::string(head).c_str(), "w%d.s%llu.", &writer, &seq) != 2) return std::nullopt;
  return std::make_pair(writer, static_cast<uint64_t>(seq));
}

// The id of "INSERTED <id>\r\n", or nullopt for any other line.
std::optional<uint64_t> InsertedId(std::string_view line) {
  constexpr std::string_view kPrefix = "INSERTED ";
  if (!line.starts_with(kPrefix) || !line.ends_with("\r\n")) return std::nullopt;
  const std::string_view digits = line.substr(kPrefix.size(), line.size() - kPrefix.size() - 2);
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  uint64_t id = 0;
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return std::nullopt;
    id = id * 10 + static_cast<uint64_t>(ch - '0');
  }
  return id;
}

// What one writer knows when the server dies.
struct WriterLog {
  std::map<uint64_t, std::string> acked;          // id -> body: INSERTED received
  std::set<uint64_t> deleted;                     // DELETED received
  std::set<uint64_t> delete_in_flight;            // delete sent, no reply
  std::map<uint64_t, std::string> put_in_flight;  // seq -> body: put sent, no reply
  std::vector<std::string> errors;                // replies that make no sense
};

// One connection's work: batches of puts and, if `deletable` is not empty, deletes
// (one command in four) of the jobs in it and of its own acknowledged puts, until
// the connection dies.
void RunWriter(int writer, bool deletes, std::deque<uint64_t> deletable, uint64_t seed,
               WireClient* c, WriterLog* log, std::atomic<int>* writers_with_a_reply) {
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(writer));
  uint64_t next_seq = 1;
  bool counted = false;
  struct Sent {
    bool is_put;
    uint64_t seq_or_id;
  };
  for (;;) {
    std::string batch;
    std::vector<Sent> sent;
    for (int i = 0; i < kBatch; ++i) {
      if (deletes && i % 4 == 3 && !deletable.empty()) {
        const uint64_t id = deletable.front();
        deletable.pop_front();
        batch += "delete " + std::to_string(id) + "\r\n";
        log->delete_in_flight.insert(id);
        sent.push_back({false, id});
      } else {
        const uint64_t seq = next_seq++;
        std::string body = MakeBody(writer, seq, rng);
        batch += PutCommand(body, static_cast<uint32_t>(rng() % 1000), 0, 120);
        log->put_in_flight.emplace(seq, std::move(body));
        sent.push_back({true, seq});
      }
    }
    if (!c->TrySend(batch)) return;  // everything in `sent` stays in flight
    for (const Sent& s : sent) {
      auto line = c->ReadLine(10s);
      if (!line) return;  // the server is gone; this one and the rest stay in flight
      if (s.is_put) {
        auto id = InsertedId(*line);
        if (!id) {
          log->errors.push_back("put of w" + std::to_string(writer) + ".s" +
                                std::to_string(s.seq_or_id) + " got " + EscapeBytes(*line));
          return;
        }
        log->acked.emplace(*id, std::move(log->put_in_flight[s.seq_or_id]));
        log->put_in_flight.erase(s.seq_or_id);
        deletable.push_back(*id);
      } else {
        log->delete_in_flight.erase(s.seq_or_id);
        if (*line != "DELETED\r\n") {
          log->errors.push_back("delete " + std::to_string(s.seq_or_id) + " got " +
                                EscapeBytes(*line));
          return;
        }
        log->deleted.insert(s.seq_or_id);
      }
      if (!counted) {
        counted = true;
        writers_with_a_reply->fetch_add(1);
      }
    }
  }
}

struct CrashCase {
  const char* name;
  std::vector<std::string> args;
  uint64_t seed;
};

void PrintTo(const CrashCase& c, std::ostream* os) { *os << c.name; }

constexpr int kCycles = 3;  // write, kill, restart, check; on the same directory

class Crash : public JournalFixture, public ::testing::WithParamInterface<CrashCase> {};

TEST_P(Crash, KillDuringWritesLosesNothingAcknowledged) {
  const CrashCase& p = GetParam();
  ASSERT_TRUE(StartJournaled(p.args));
  std::mt19937_64 rng(p.seed);

  // What is known for certain about the jobs, carried from cycle to cycle: the
  // ids that exist (with their bodies) and the ids that do not.
  std::map<uint64_t, std::string> present;
  std::set<uint64_t> gone;
  std::vector<WriterLog> logs(kCycles * kWriters);  // writer w of cycle k: k * kWriters + w

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    std::vector<std::unique_ptr<WireClient>> clients;
    for (int i = 0; i < kWriters; ++i) clients.push_back(Connect());
    for (const auto& c : clients) ASSERT_TRUE(c->ok());
    // Half the writers delete: first the jobs of earlier cycles (recovered ones),
    // split among them by id, then their own.
    std::vector<std::deque<uint64_t>> older(kWriters);
    for (const auto& [id, body] : present) older[id % kWriters].push_back(id);
    std::atomic<int> writers_with_a_reply{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i) {
      const int writer = cycle * kWriters + i;
      const bool deletes = i % 2 == 0;
      threads.emplace_back(RunWriter, writer, deletes, deletes ? older[i] : std::deque<uint64_t>{},
                           p.seed, clients[i].get(), &logs[writer], &writers_with_a_reply);
    }

    // Kill once every writer has had a reply, plus a seeded 50-400 ms.
    const auto extra = std::chrono::milliseconds(50 + rng() % 351);
    const auto deadline = Clock::now() + 10s;
    while (writers_with_a_reply.load() < kWriters && Clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    const bool all_started = writers_with_a_reply.load() == kWriters;
    if (all_started) std::this_thread::sleep_for(extra);
    KillServer();
    for (std::thread& t : threads) t.join();
    clients.clear();

    // Merge what this cycle's writers learnt.
    std::set<uint64_t> delete_in_flight;
    size_t acked = 0, deleted = 0, puts_in_flight = 0;
    uint64_t max_acked = present.empty() ? 0 : present.rbegin()->first;
    for (int i = 0; i < kWriters; ++i) {
      const WriterLog& log = logs[cycle * kWriters + i];
      for (const std::string& e : log.errors) ADD_FAILURE() << "before the kill: " << e;
      for (const auto& [id, body] : log.acked) {
        EXPECT_FALSE(present.count(id) || gone.count(id)) << "id " << id << " handed out twice";
        present[id] = body;
        max_acked = std::max(max_acked, id);
      }
      acked += log.acked.size();
      puts_in_flight += log.put_in_flight.size();
      delete_in_flight.insert(log.delete_in_flight.begin(), log.delete_in_flight.end());
    }
    for (int i = 0; i < kWriters; ++i) {
      for (uint64_t id : logs[cycle * kWriters + i].deleted) {
        present.erase(id);
        gone.insert(id);
        ++deleted;
      }
    }
    ASSERT_TRUE(all_started) << "not every writer got a reply within 10 s";
    std::printf(
        "[ seed %llu cycle %d ] killed %lld ms after the first replies: %zu puts and %zu "
        "deletes acknowledged, %zu puts and %zu deletes in flight, largest id %llu\n",
        static_cast<unsigned long long>(p.seed), cycle, static_cast<long long>(extra.count()),
        acked, deleted, puts_in_flight, delete_in_flight.size(),
        static_cast<unsigned long long>(max_acked));

    ASSERT_TRUE(StartJournaled(p.args));
    auto c = Connect();
    c->Send(PutCommand("probe"));
    auto probe = c->ReadLine();
    ASSERT_TRUE(probe);
    ASSERT_TRUE(InsertedId(*probe)) << EscapeBytes(*probe);
    const uint64_t next_id = *InsertedId(*probe);
    EXPECT_GT(next_id, max_acked) << "an acknowledged id was handed out again";

    std::vector<std::string> problems;
    auto problem = [&](std::string text) {
      if (problems.size() < 20) problems.push_back(std::move(text));
    };
    std::set<std::pair<int, uint64_t>> seen;  // (writer, seq) of this cycle's jobs found
    for (uint64_t first = 1; first < next_id; first += 500) {
      const uint64_t last = std::min<uint64_t>(first + 499, next_id - 1);
      std::string peeks;
      for (uint64_t id = first; id <= last; ++id) peeks += "peek " + std::to_string(id) + "\r\n";
      ASSERT_TRUE(c->Send(peeks));
      for (uint64_t id = first; id <= last; ++id) {
        auto reply = c->ReadReply();
        ASSERT_TRUE(reply) << "no reply to peek " << id;
        const auto known = present.find(id);
        const std::string what = "job " + std::to_string(id);
        if (*reply == "NOT_FOUND\r\n") {
          if (known != present.end()) {
            if (!delete_in_flight.count(id)) {
              problem(what + " (" + EscapeBytes(known->second, 12) +
                      "...) was acknowledged and is gone");
            }
            present.erase(known);
          }
          gone.insert(id);
          continue;
        }
        const std::string head = "FOUND " + std::to_string(id) + " ";
        const size_t eol = reply->find("\r\n");
        if (!reply->starts_with(head) || eol == std::string::npos) {
          problem("peek " + std::to_string(id) + ": " + EscapeBytes(*reply, 200));
          continue;
        }
        const std::string body = reply->substr(eol + 2, reply->size() - eol - 4);
        if (known != present.end()) {
          if (body != known->second) {
            problem(what + " came back with another body: " + EscapeBytes(body, 120) +
                    " instead of " + EscapeBytes(known->second, 120));
          }
          continue;
        }
        if (gone.count(id)) {
          problem(what + " was deleted (DELETED received, or not found before) and came back");
          continue;
        }
        auto who = DecodeBody(body);
        if (!who || who->first / kWriters != cycle) {
          problem(what + " is unknown or damaged: " + EscapeBytes(body, 200));
          continue;
        }
        if (!seen.insert(*who).second) {
          problem("w" + std::to_string(who->first) + ".s" + std::to_string(who->second) +
                  " is there twice (again as " + what + ")");
        }
        const auto& in_flight = logs[who->first].put_in_flight;
        const auto it = in_flight.find(who->second);
        if (it == in_flight.end() || it->second != body) {
          problem(what + " (" + EscapeBytes(body, 40) +
                  "...) is neither acknowledged nor a put in flight at the kill");
        }
        present[id] = body;  // a put in flight that made it
      }
    }
    for (const std::string& text : problems) ADD_FAILURE() << text;
    ASSERT_TRUE(problems.empty());
    present[next_id] = "probe";

    // They are all ready: nothing was reserved, delayed or buried.
    auto stats = Stats(*c);
    ASSERT_TRUE(stats);
    EXPECT_EQ(NumField(*stats, "current-jobs-ready"), present.size());
    EXPECT_EQ(NumField(*stats, "current-jobs-reserved"), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Seeds, Crash,
    ::testing::Values(CrashCase{"F0Seed1", {"-f0"}, 1}, CrashCase{"F0Seed2", {"-f0"}, 2},
                      CrashCase{"F0Seed3", {"-f0"}, 3}, CrashCase{"F0Seed4", {"-f0"}, 4},
                      CrashCase{"F0Seed5", {"-f0"}, 5}, CrashCase{"DefaultF50Seed6", {}, 6},
                      CrashCase{"NeverSyncSeed7", {"-F"}, 7}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace stalk::test
