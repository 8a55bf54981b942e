// Replays the fuzz target's invariants deterministically so they run in every
// build, with or without clang: generated sessions (valid, malformed and
// hostile commands), random bytes, and the seed corpus, each fed all at once,
// byte by byte and in random chunks with fixed seeds.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/parser_harness.h"

namespace stalk::proto {
namespace {

using testing::CheckSplitInvariance;
using testing::FeedAll;
using testing::FeedBytewise;
using namespace std::string_literals;

class SessionGenerator {
 public:
  explicit SessionGenerator(uint32_t seed) : rng_(seed) {}

  std::string Session() {
    std::string s;
    const int n = 1 + Pick(12);
    for (int i = 0; i < n; ++i) s += Piece();
    return s;
  }

  std::string RandomBytes() {
    static const std::string kAlphabet = "\r\n\r\n \0 0123456789put reserve-delay-x\t"s;
    std::string s;
    const int n = Pick(600);
    for (int i = 0; i < n; ++i) s.push_back(kAlphabet[Pick(static_cast<int>(kAlphabet.size()))]);
    return s;
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }

  std::string Number() {
    static const char* const kNumbers[] = {"0",
                                           "1",
                                           "7",
                                           "1024",
                                           "2147483647",
                                           "2147483648",
                                           "4294967295",
                                           "4294967296",
                                           "18446744073709551615",
                                           "18446744073709551616",
                                           "-1",
                                           "+1",
                                           "1x",
                                           "",
                                           " 5",
                                           "007"};
    if (Pick(3) == 0) return std::to_string(rng_());
    return kNumbers[Pick(static_cast<int>(std::size(kNumbers)))];
  }

  std::string Name() {
    static const char* const kNames[] = {"default", "a",    "x_y", "-bad",
                                         "a*b",     " foo", "123", "a+b/c;d.e$f_g(h)-i"};
    if (Pick(8) == 0) return std::string(static_cast<size_t>(195 + Pick(10)), 'n');
    return kNames[Pick(static_cast<int>(std::size(kNames)))];
  }

  std::string Body(size_t n) {
    static const std::string kBodyBytes = "ab\r\n\0xyz"s;
    std::string b;
    for (size_t i = 0; i < n; ++i)
      b.push_back(kBodyBytes[Pick(static_cast<int>(kBodyBytes.size()))]);
    return b;
  }

  std::string Put() {
    const size_t n = static_cast<size_t>(Pick(4) == 0 ? Pick(2000) : Pick(20));
    std::string size = std::to_string(n);
    if (Pick(10) == 0) size += "x";
    std::string trailer = "\r\n";
    if (Pick(8) == 0) trailer = Pick(2) == 0 ? "XY" : "\r";
    return "put " + Number() + " " + Number() + " " + Number() + " " + size + "\r\n" + Body(n) +
           trailer;
  }

  std::string Line() {
    static const char* const kVerbs[] = {"peek ",
                                         "peek-ready",
                                         "peek-delayed",
                                         "peek-buried",
                                         "reserve",
                                         "reserve-job ",
                                         "reserve-with-timeout ",
                                         "delete ",
                                         "release ",
                                         "bury ",
                                         "kick ",
                                         "kick-job ",
                                         "touch ",
                                         "stats-job ",
                                         "stats-tube ",
                                         "stats",
                                         "use ",
                                         "watch ",
                                         "ignore ",
                                         "list-tubes-watched",
                                         "list-tube-used",
                                         "list-tubes",
                                         "quit",
                                         "pause-tube ",
                                         "PUT ",
                                         "",
                                         "bogus"};
    std::string line = kVerbs[Pick(static_cast<int>(std::size(kVerbs)))];
    const int args = Pick(4);
    for (int i = 0; i < args; ++i) {
      if (i > 0) line += " ";
      line += Pick(3) == 0 ? Name() : Number();
    }
    return line + "\r\n";
  }

  std::string Piece() {
    switch (Pick(10)) {
      case 0:
      case 1:
        return Put();
      case 2:  // a line that is too long, or exactly at the limit
        return std::string(static_cast<size_t>(200 + Pick(400)), 'L') + (Pick(2) ? "\r\n" : "\r");
      case 3:
        return "\r\n";
      case 4: {  // a line with a NUL or a lone CR/LF in it
        std::string l = Line();
        l.insert(static_cast<size_t>(Pick(static_cast<int>(l.size()))), 1, "\0\r\n"[Pick(3)]);
        return l;
      }
      default:
        return Line();
    }
  }

  std::mt19937 rng_;
};

uint64_t PickLimit(uint32_t i) {
  static constexpr uint64_t kLimits[] = {kDefaultMaxJobBytes, 10, 0, 1000, 1};
  return kLimits[i % std::size(kLimits)];
}

TEST(ParserRandomSplit, RandomChunkingNeverChangesTheEvents) {
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    SessionGenerator gen(seed);
    const std::string input = gen.Session();
    const std::string error = CheckSplitInvariance(input, seed * 7919u, PickLimit(seed));
    ASSERT_EQ(error, "") << "seed " << seed;
  }
}

TEST(ParserRandomSplit, ByteAtATimeEqualsAllAtOnce) {
  for (uint32_t seed = 1; seed <= 500; ++seed) {
    SessionGenerator gen(seed + 100000);
    const std::string input = gen.Session();
    const auto whole = FeedAll(input, PickLimit(seed));
    const auto bytewise = FeedBytewise(input, PickLimit(seed));
    ASSERT_EQ(whole.violation, "") << "seed " << seed;
    ASSERT_EQ(bytewise.violation, "") << "seed " << seed;
    ASSERT_EQ(bytewise.events, whole.events) << "seed " << seed;
    ASSERT_EQ(bytewise.leftover, whole.leftover) << "seed " << seed;
  }
}

TEST(ParserRandomSplit, RandomBytesKeepTheParserContract) {
  for (uint32_t seed = 1; seed <= 2000; ++seed) {
    SessionGenerator gen(seed + 200000);
    const std::string input = gen.RandomBytes();
    ASSERT_EQ(CheckSplitInvariance(input, seed, PickLimit(seed)), "") << "seed " << seed;
  }
}

TEST(ParserRandomSplit, SeedCorpusKeepsTheParserContract) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(STALK_FUZZ_CORPUS_DIR)) {
    std::ifstream f(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string input = ss.str();
    for (uint32_t seed = 1; seed <= 50; ++seed) {
      ASSERT_EQ(CheckSplitInvariance(input, seed, PickLimit(seed)), "")
          << entry.path() << " seed " << seed;
    }
    // Every seed is a well-formed session: no protocol error in it, except
    // in the seeds that are about errors.
    const std::string name = entry.path().filename().string();
    if (name.rfind("put-", 0) != 0 && name != "long-line") {
      const auto r = FeedAll(input);
      ASSERT_FALSE(r.events.empty()) << name;
      for (const std::string& ev : r.events) {
        EXPECT_NE(ev.find_first_of("abcdefghijklmnopqrstuvwxyz"), std::string::npos)
            << name << ": " << ev;
      }
    }
    ++files;
  }
  EXPECT_GE(files, kVerbCount);  // at least one seed per command
}

}  // namespace
}  // namespace stalk::proto
