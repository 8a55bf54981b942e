#include "proto/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fuzz/parser_harness.h"

namespace stalk::proto {
namespace {

using Event = Parser::Event;
using testing::Describe;
using testing::FeedAll;
using testing::FeedBytewise;
using testing::FeedResult;
using V = std::vector<std::string>;

// The events `input` produces. Every call also feeds the input one byte at a
// time and checks the harness invariants, so each test below also shows that
// byte-at-a-time feeding equals all-at-once feeding.
V Events(std::string_view input, uint64_t max_job_bytes = kDefaultMaxJobBytes) {
  const FeedResult whole = FeedAll(input, max_job_bytes);
  EXPECT_EQ(whole.violation, "");
  const FeedResult bytewise = FeedBytewise(input, max_job_bytes);
  EXPECT_EQ(bytewise.violation, "");
  EXPECT_EQ(bytewise.events, whole.events) << "byte-at-a-time differs for: " << input;
  EXPECT_EQ(bytewise.leftover, whole.leftover);
  return whole.events;
}

// The single event of one complete line (CRLF appended).
std::string One(std::string_view line, uint64_t max_job_bytes = kDefaultMaxJobBytes) {
  const V events = Events(std::string(line) + "\r\n", max_job_bytes);
  EXPECT_EQ(events.size(), 1u) << "for line: " << line;
  return events.empty() ? "<none>" : events.front();
}

// ---------------------------------------------------------------------------
// Every command's happy path.

TEST(Parser, ParsesEveryCommandWithItsArguments) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"put 1 2 3 5\r\nhello\r\n", "put pri=1 delay=2s ttr=3s body=hello"},
      {"peek 7\r\n", "peek id=7"},
      {"peek-ready\r\n", "peek-ready"},
      {"peek-delayed\r\n", "peek-delayed"},
      {"peek-buried\r\n", "peek-buried"},
      {"reserve\r\n", "reserve"},
      {"reserve-with-timeout 9\r\n", "reserve-with-timeout timeout=9s"},
      {"reserve-job 11\r\n", "reserve-job id=11"},
      {"delete 12\r\n", "delete id=12"},
      {"release 13 14 15\r\n", "release id=13 pri=14 delay=15s"},
      {"bury 16 17\r\n", "bury id=16 pri=17"},
      {"kick 18\r\n", "kick bound=18"},
      {"kick-job 19\r\n", "kick-job id=19"},
      {"touch 20\r\n", "touch id=20"},
      {"stats-job 21\r\n", "stats-job id=21"},
      {"stats-tube foo\r\n", "stats-tube tube=foo"},
      {"stats\r\n", "stats"},
      {"use foo\r\n", "use tube=foo"},
      {"watch bar\r\n", "watch tube=bar"},
      {"ignore baz\r\n", "ignore tube=baz"},
      {"list-tubes-watched\r\n", "list-tubes-watched"},
      {"list-tube-used\r\n", "list-tube-used"},
      {"list-tubes\r\n", "list-tubes"},
      {"quit\r\n", "quit"},
      {"pause-tube foo 22\r\n", "pause-tube tube=foo delay=22s"},
  };
  for (const auto& [input, want] : cases) {
    EXPECT_EQ(Events(input), V{want}) << input;
  }
}

TEST(Parser, VerbNameIsTheWireName) {
  EXPECT_EQ(VerbName(Verb::kPut), "put");
  EXPECT_EQ(VerbName(Verb::kReserveWithTimeout), "reserve-with-timeout");
  EXPECT_EQ(VerbName(Verb::kListTubesWatched), "list-tubes-watched");
  EXPECT_EQ(VerbName(Verb::kListTubeUsed), "list-tube-used");
  EXPECT_EQ(VerbName(Verb::kPauseTube), "pause-tube");
  // Every verb parses back to itself from its name (with an argument where one
  // is needed).
  for (int i = 0; i < kVerbCount; ++i) {
    const auto verb = static_cast<Verb>(i);
    Parser p;
    std::string line(VerbName(verb));
    switch (verb) {
      case Verb::kPut:
        line += " 0 0 0 0\r\n";
        break;
      case Verb::kUse:
      case Verb::kWatch:
      case Verb::kIgnore:
      case Verb::kStatsTube:
        line += " t";
        break;
      case Verb::kPauseTube:
        line += " t 1";
        break;
      case Verb::kRelease:
        line += " 1 1 1";
        break;
      case Verb::kBury:
        line += " 1 1";
        break;
      case Verb::kPeekReady:
      case Verb::kPeekDelayed:
      case Verb::kPeekBuried:
      case Verb::kReserve:
      case Verb::kStats:
      case Verb::kListTubes:
      case Verb::kListTubeUsed:
      case Verb::kListTubesWatched:
      case Verb::kQuit:
        break;
      default:
        line += " 1";
        break;
    }
    line += "\r\n";
    size_t used = 0;
    ASSERT_EQ(p.Next(line, &used), Event::kCommand) << line;
    EXPECT_EQ(p.command().verb, verb) << line;
    EXPECT_EQ(used, line.size());
  }
}

TEST(Parser, ParsesAnyNumberOfCommandsFromOneInput) {
  EXPECT_EQ(Events("use a\r\nuse b\r\n"), (V{"use tube=a", "use tube=b"}));  // 2cmdpacket
  EXPECT_EQ(
      Events("put 0 0 1 1\r\nx\r\nreserve\r\ndelete 1\r\nbogus\r\nquit\r\n"),
      (V{"put pri=0 delay=0s ttr=1s body=x", "reserve", "delete id=1", "UNKNOWN_COMMAND", "quit"}));
}

TEST(Parser, ResetsCommandFieldsBetweenCommands) {
  Parser p;
  size_t used = 0;
  ASSERT_EQ(p.Next("release 1 2 3\r\n", &used), Event::kCommand);
  ASSERT_EQ(p.Next("reserve\r\n", &used), Event::kCommand);
  EXPECT_EQ(p.command().id, 0u);
  EXPECT_EQ(p.command().pri, 0u);
  EXPECT_EQ(p.command().delay, Duration::zero());
}

// ---------------------------------------------------------------------------
// Framing.

TEST(Parser, EmptyLineIsUnknownCommand) { EXPECT_EQ(One(""), "UNKNOWN_COMMAND"); }

TEST(Parser, UnknownWordIsUnknownCommand) {
  EXPECT_EQ(One("nont10knowncommand"), "UNKNOWN_COMMAND");  // unknown_command
}

TEST(Parser, CommandWordsAreCaseSensitive) {
  EXPECT_EQ(One("PUT 0 0 0 0"), "UNKNOWN_COMMAND");
  EXPECT_EQ(One("Reserve"), "UNKNOWN_COMMAND");
  EXPECT_EQ(One("QUIT"), "UNKNOWN_COMMAND");
}

TEST(Parser, NulByteInsideLineIsBadFormat) {
  EXPECT_EQ(One(std::string("quit\0", 5)), "BAD_FORMAT");
  EXPECT_EQ(One(std::string("use a\0b", 7)), "BAD_FORMAT");
  EXPECT_EQ(One(std::string("\0", 1)), "BAD_FORMAT");
  // Not UNKNOWN_COMMAND either: the NUL check comes first.
  EXPECT_EQ(One(std::string("xyz\0", 4)), "BAD_FORMAT");
}

TEST(Parser, IncompleteLineNeedsMoreAndConsumesNothing) {
  Parser p;
  size_t used = 99;
  EXPECT_EQ(p.Next("reserve", &used), Event::kNeedMore);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(p.bytes_wanted(), 0u);
  EXPECT_EQ(p.Next("", &used), Event::kNeedMore);
  EXPECT_EQ(used, 0u);
}

// Regression test named after dragonfly's: the CRLF of a command line split
// across two reads.
TEST(Parser, SplitCRLFInCommandLine) {
  Parser p;
  size_t used = 99;
  EXPECT_EQ(p.Next("reserve\r", &used), Event::kNeedMore);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(p.Next("reserve\r\n", &used), Event::kCommand);
  EXPECT_EQ(used, 9u);
  EXPECT_EQ(p.command().verb, Verb::kReserve);

  EXPECT_EQ(Events("use a\r"), V{});
  EXPECT_EQ(Events("use a\r\nuse b\r\n"), (V{"use tube=a", "use tube=b"}));
}

TEST(Parser, SplitCRLFAfterPutBody) {
  Parser p;
  size_t used = 99;
  EXPECT_EQ(p.Next("put 0 0 1 1\r\nx\r", &used), Event::kNeedMore);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(p.bytes_wanted(), 16u);
  EXPECT_EQ(p.Next("put 0 0 1 1\r\nx\r\n", &used), Event::kCommand);
  EXPECT_EQ(used, 16u);
  EXPECT_EQ(p.command().body, "x");
}

TEST(Parser, LoneCrOrLfIsAnOrdinaryByteOfTheLine) {
  EXPECT_EQ(One("reserve\n"), "BAD_FORMAT");   // trailing byte after reserve
  EXPECT_EQ(One("reserve\r"), "BAD_FORMAT");   // "reserve\r\r\n"
  EXPECT_EQ(One("use a\rb"), "BAD_FORMAT");    // '\r' is not a name character
  EXPECT_EQ(One("kick \r5"), "kick bound=5");  // strtoul skips white space
  EXPECT_EQ(One("kick \n5"), "kick bound=5");
  EXPECT_EQ(One("\n"), "UNKNOWN_COMMAND");
}

// ---------------------------------------------------------------------------
// The 224-byte line limit.

std::string Repeat(char c, size_t n) { return std::string(n, c); }

TEST(Parser, LongestCommandOf224BytesIsAccepted) {  // longest_command
  const std::string name = Repeat('a', 200);
  const std::string line = "pause-tube " + name + " 4294967295\r\n";
  ASSERT_EQ(line.size(), kMaxLineBytes);
  EXPECT_EQ(Events(line), V{"pause-tube tube=" + name + " delay=4294967295s"});
}

TEST(Parser, LineOf225BytesIsBadFormatAndTheNextLineIsParsed) {
  const std::string line = Repeat('x', 223) + "\r\n";
  ASSERT_EQ(line.size(), kMaxLineBytes + 1);
  // The line's '\r' is its 224th byte: beanstalkd misses that terminator and
  // swallows the next line too; we don't.
  EXPECT_EQ(Events(line + "reserve\r\n"), (V{"BAD_FORMAT", "reserve"}));
}

TEST(Parser, TooLongCommandLineIsBadFormatThenPutWorks) {  // too_long_commandline
  EXPECT_EQ(Events(Repeat('a', 500) + "\r\nput 0 0 0 1\r\nx\r\n"),
            (V{"BAD_FORMAT", "put pri=0 delay=0s ttr=0s body=x"}));
}

TEST(Parser, TooLongLineIsDiscardedAsItArrivesInBoundedMemory) {
  Parser p;
  size_t used = 0;
  const std::string chunk = Repeat('x', 100);
  EXPECT_EQ(p.Next(chunk, &used), Event::kNeedMore);
  EXPECT_EQ(used, 0u);  // might still be a line
  const std::string first = Repeat('x', kMaxLineBytes);
  EXPECT_EQ(p.Next(first, &used), Event::kNeedMore);
  EXPECT_EQ(used, kMaxLineBytes);  // too long: thrown away
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(p.Next(chunk, &used), Event::kNeedMore);
    ASSERT_EQ(used, chunk.size());
    EXPECT_EQ(p.bytes_wanted(), 0u);
  }
  // The terminator's '\r' at the end of one read, its '\n' at the start of
  // the next.
  EXPECT_EQ(p.Next("xx\r", &used), Event::kNeedMore);
  EXPECT_EQ(used, 3u);
  EXPECT_EQ(p.Next("\nreserve\r\n", &used), Event::kBadFormat);
  EXPECT_EQ(used, 1u);
  EXPECT_EQ(p.Next("reserve\r\n", &used), Event::kCommand);
}

TEST(Parser, DiscardedLineEndsOnlyAtCrlf) {
  // A '\r' at the end of one read followed by something other than '\n' does
  // not end the line.
  Parser p;
  size_t used = 0;
  EXPECT_EQ(p.Next(Repeat('x', 300), &used), Event::kNeedMore);
  EXPECT_EQ(used, 300u);
  EXPECT_EQ(p.Next("\r", &used), Event::kNeedMore);
  EXPECT_EQ(p.Next("x\n\r", &used), Event::kNeedMore);
  EXPECT_EQ(used, 3u);
  // The carried '\r' is followed by '\r', not '\n'; the CRLF after it ends the line.
  EXPECT_EQ(p.Next("\r\nquit\r\n", &used), Event::kBadFormat);
  EXPECT_EQ(used, 2u);
}

TEST(Parser, DiscardedLineEndsAtCrlfAfterACarriedCr) {
  EXPECT_EQ(Events(Repeat('x', 300) + "\r\r\nquit\r\n"), (V{"BAD_FORMAT", "quit"}));
  EXPECT_EQ(Events(Repeat('x', 300) + "\rx\n\r\nquit\r\n"), (V{"BAD_FORMAT", "quit"}));
}

// ---------------------------------------------------------------------------
// beanstalkd's prefix matching and its consequences (reference §1.1).

TEST(Parser, CommandsNeedingAnArgumentWithoutOneAreUnknown) {
  for (const char* line : {"put", "peek", "delete", "release", "bury", "kick", "kick-job", "touch",
                           "use", "watch", "ignore"}) {
    EXPECT_EQ(One(line), "UNKNOWN_COMMAND") << line;
  }
}

TEST(Parser, ReserveAndStatsVariantsWithoutArgumentFallThroughToBadFormat) {
  // "reserve-with-timeout" and "reserve-job" start with "reserve", and
  // "stats-job"/"stats-tube" with "stats", which then refuse trailing bytes.
  for (const char* line : {"reserve-with-timeout", "reserve-job", "stats-job", "stats-tube",
                           "reserve-jobX", "reserve-with-timeoutX", "stats-jobs"}) {
    EXPECT_EQ(One(line), "BAD_FORMAT") << line;
  }
}

TEST(Parser, ArgumentlessCommandsRefuseAnyTrailingByte) {
  for (const char* verb : {"reserve", "peek-ready", "peek-delayed", "peek-buried", "stats",
                           "list-tubes", "list-tube-used", "list-tubes-watched"}) {
    EXPECT_EQ(One(verb), verb);
    EXPECT_EQ(One(std::string(verb) + " "), "BAD_FORMAT") << verb;
    EXPECT_EQ(One(std::string(verb) + "x"), "BAD_FORMAT") << verb;
    EXPECT_EQ(One(std::string(verb) + " 1"), "BAD_FORMAT") << verb;
  }
  EXPECT_EQ(One("peek-readyx"), "BAD_FORMAT");
  EXPECT_EQ(One("list-tubes-watche"), "BAD_FORMAT");  // matches "list-tubes"
}

TEST(Parser, PartialCommandWordsAreUnknown) {
  for (const char* line : {"peek-", "peek-read", "reserv", "stat", "list-tube", "list", "pause-tub",
                           "qui", "kick-", "delete1"}) {
    EXPECT_EQ(One(line), "UNKNOWN_COMMAND") << line;
  }
}

TEST(Parser, QuitIsPrefixMatchedSoAnyTrailingBytesStillQuit) {
  EXPECT_EQ(One("quitx"), "quit");
  EXPECT_EQ(One("quit now"), "quit");
  EXPECT_EQ(One("quit"), "quit");
}

TEST(Parser, PauseTubeAcceptsANameRightAfterTheVerb) {
  EXPECT_EQ(One("pause-tubedefault 1"), "pause-tube tube=default delay=1s");
  EXPECT_EQ(One("pause-tube  default  1"), "pause-tube tube=default delay=1s");
  EXPECT_EQ(One("pause-tube default 0"), "pause-tube tube=default delay=0s");
}

TEST(Parser, PauseTubeBadFormats) {
  for (const char* line :
       {"pause-tube", "pause-tube ", "pause-tube default", "pause-tube default ",
        "pause-tube default 1x", "pause-tube default 1 ", "pause-tube default -1",
        "pause-tube default +1", "pause-tube default 4294967296", "pause-tube a*b 1",
        "pause-tube default1", "pause-tube *"}) {
    EXPECT_EQ(One(line), "BAD_FORMAT") << line;
  }
}

TEST(Parser, PauseTubeWithInvalidNameIsBadFormatButCountedLikeBeanstalkd) {
  Parser p;
  size_t used = 0;
  ASSERT_EQ(p.Next("pause-tube -abc 1\r\n", &used), Event::kBadFormat);
  ASSERT_TRUE(p.error_counted_verb().has_value());
  EXPECT_EQ(*p.error_counted_verb(), Verb::kPauseTube);
  EXPECT_NE(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));

  const std::string long_name = "pause-tube " + Repeat('a', 201) + " 1\r\n";
  ASSERT_EQ(p.Next(long_name, &used), Event::kBadFormat);
  EXPECT_EQ(p.error_counted_verb(), Verb::kPauseTube);

  // Malformed delay: refused before counting.
  ASSERT_EQ(p.Next("pause-tube abc x\r\n", &used), Event::kBadFormat);
  EXPECT_FALSE(p.error_counted_verb().has_value());
}

// ---------------------------------------------------------------------------
// Numbers: read_u32/read_u64 semantics.

TEST(Parser, PeekBadFormat) {                                 // peek_bad_format
  EXPECT_EQ(One("peek 18446744073709551616"), "BAD_FORMAT");  // UINT64_MAX + 1
  EXPECT_EQ(One("peek 184467440737095516160000000000000000000000000000"), "BAD_FORMAT");
  EXPECT_EQ(One("peek foo111"), "BAD_FORMAT");
  EXPECT_EQ(One("peek 111foo"), "BAD_FORMAT");
  EXPECT_EQ(One("peek -1"), "BAD_FORMAT");
  EXPECT_EQ(One("peek +1"), "BAD_FORMAT");
  EXPECT_EQ(One("peek 1 "), "BAD_FORMAT");
  EXPECT_EQ(One("peek 1 2"), "BAD_FORMAT");
  EXPECT_EQ(One("peek "), "BAD_FORMAT");
}

TEST(Parser, IdsAcceptTheFullU64RangeAndLeadingSpaces) {
  EXPECT_EQ(One("peek 18446744073709551615"), "peek id=18446744073709551615");  // peek_not_found
  EXPECT_EQ(One("peek 0"), "peek id=0");
  EXPECT_EQ(One("peek 007"), "peek id=7");
  EXPECT_EQ(One("peek   5"), "peek id=5");   // read_u64 skips spaces
  EXPECT_EQ(One("peek \t5"), "BAD_FORMAT");  // ...but only spaces
}

TEST(Parser, DeleteBadFormat) {  // delete_bad_format
  for (const char* arg : {"18446744073709551616",
                          "184467440737095516160000000000000000000000000000", "foo111", "111foo"}) {
    EXPECT_EQ(One(std::string("delete ") + arg), "BAD_FORMAT") << arg;
  }
}

TEST(Parser, TouchBadFormat) {  // touch_bad_format
  EXPECT_EQ(One("touch a111"), "BAD_FORMAT");
  EXPECT_EQ(One("touch 111a"), "BAD_FORMAT");
  EXPECT_EQ(One("touch !@#!@#"), "BAD_FORMAT");
}

TEST(Parser, KickJobBadFormat) {  // kickjob_bad_format
  EXPECT_EQ(One("kick-job a111"), "BAD_FORMAT");
  EXPECT_EQ(One("kick-job 111a"), "BAD_FORMAT");
  EXPECT_EQ(One("kick-job !@#!@#"), "BAD_FORMAT");
}

TEST(Parser, ReserveJobBadFormat) {
  EXPECT_EQ(One("reserve-job 1x"), "BAD_FORMAT");
  EXPECT_EQ(One("reserve-job -1"), "BAD_FORMAT");
  EXPECT_EQ(One("reserve-job 18446744073709551615"), "reserve-job id=18446744073709551615");
}

TEST(Parser, StatsJobCheckFormat) {  // statsjob_ck_format
  EXPECT_EQ(One("stats-job 111ABC"), "BAD_FORMAT");
  EXPECT_EQ(One("stats-job 111 222"), "BAD_FORMAT");
  EXPECT_EQ(One("stats-job 111"), "stats-job id=111");
}

TEST(Parser, BuryBadFormat) {  // bury_bad_format
  EXPECT_EQ(One("bury 111abc 2"), "BAD_FORMAT");
  EXPECT_EQ(One("bury 111"), "BAD_FORMAT");
  EXPECT_EQ(One("bury 111 222abc"), "BAD_FORMAT");
  EXPECT_EQ(One("bury 1 4294967296"), "BAD_FORMAT");
  EXPECT_EQ(One("bury 1 -1"), "BAD_FORMAT");
  EXPECT_EQ(One("bury 1 4294967295"), "bury id=1 pri=4294967295");
}

TEST(Parser, ReleaseBadFormat) {  // release_bad_format
  for (const char* line :
       {"release 1 2", "release a 1 1", "release 1 a 1", "release 1 1 a", "release 1 1 1 1",
        "release 18446744073709551616 1 1", "release 1 4294967296 1", "release 1 1 4294967296",
        "release 1 1 -1", "release -1 1 1", "release 1 1 1x"}) {
    EXPECT_EQ(One(line), "BAD_FORMAT") << line;
  }
  EXPECT_EQ(One("release 1  2  3"), "release id=1 pri=2 delay=3s");
}

TEST(Parser, KickBoundFollowsStrtoul) {
  EXPECT_EQ(One("kick 5"), "kick bound=5");
  EXPECT_EQ(One("kick 5abc"), "kick bound=5");  // trailing garbage accepted
  EXPECT_EQ(One("kick 0"), "kick bound=0");
  EXPECT_EQ(One("kick abc"), "BAD_FORMAT");
  EXPECT_EQ(One("kick "), "BAD_FORMAT");
  EXPECT_EQ(One("kick -"), "BAD_FORMAT");
  EXPECT_EQ(One("kick - 1"), "BAD_FORMAT");
  EXPECT_EQ(One("kick +3"), "kick bound=3");
  EXPECT_EQ(One("kick \t 7"), "kick bound=7");         // any C white space
  EXPECT_EQ(One("kick -1"), "kick bound=4294967295");  // negative wraps to 32 bits
  EXPECT_EQ(One("kick -2"), "kick bound=4294967294");
  EXPECT_EQ(One("kick 4294967296"), "kick bound=0");  // low 32 bits of unsigned long
  EXPECT_EQ(One("kick 4294967297"), "kick bound=1");
  EXPECT_EQ(One("kick 18446744073709551615"), "kick bound=4294967295");
  EXPECT_EQ(One("kick -18446744073709551615"), "kick bound=1");
  EXPECT_EQ(One("kick 18446744073709551616"), "BAD_FORMAT");  // ERANGE
  EXPECT_EQ(One("kick -18446744073709551616"), "BAD_FORMAT");
}

TEST(Parser, KickAcceptsTrailingGarbageLikeStrtoul) {
  EXPECT_EQ(One("kick 10 20"), "kick bound=10");
}

TEST(Parser, ReserveWithTimeoutReadsU32UpToIntMax) {
  EXPECT_EQ(One("reserve-with-timeout 0"), "reserve-with-timeout timeout=0s");
  EXPECT_EQ(One("reserve-with-timeout  5"), "reserve-with-timeout timeout=5s");
  EXPECT_EQ(One("reserve-with-timeout 2147483647"), "reserve-with-timeout timeout=2147483647s");
  EXPECT_EQ(One("reserve-with-timeout 2147483648"), "BAD_FORMAT");
  EXPECT_EQ(One("reserve-with-timeout 4294967296"), "BAD_FORMAT");
  EXPECT_EQ(One("reserve-with-timeout -1"), "BAD_FORMAT");  // 1.12 waited forever
  EXPECT_EQ(One("reserve-with-timeout abc"), "BAD_FORMAT");
  EXPECT_EQ(One("reserve-with-timeout "), "BAD_FORMAT");
}

TEST(Parser, ReserveWithTimeoutRefusesTrailingBytesAsIn113) {
  // 1.13 reads the timeout with read_u32(..., NULL): nothing may follow it.
  // (1.12 used strtol and accepted "0abc".)
  EXPECT_EQ(One("reserve-with-timeout 0abc"), "BAD_FORMAT");
  EXPECT_EQ(One("reserve-with-timeout 5 "), "BAD_FORMAT");
}

TEST(Parser, ConvertsSecondsToNanosecondsExactly) {
  Parser p;
  size_t used = 0;
  ASSERT_EQ(p.Next("put 0 4294967295 4294967295 0\r\n\r\n", &used), Event::kCommand);
  EXPECT_EQ(p.command().delay, std::chrono::seconds(4294967295LL));
  EXPECT_EQ(p.command().ttr.count(), 4294967295LL * 1000000000LL);
  ASSERT_EQ(p.Next("reserve-with-timeout 2147483647\r\n", &used), Event::kCommand);
  EXPECT_EQ(p.command().timeout, std::chrono::seconds(2147483647LL));
  ASSERT_EQ(p.Next("release 1 2 4297\r\n", &used), Event::kCommand);  // ttrlarge values
  EXPECT_EQ(p.command().delay.count(), 4297LL * 1000000000LL);
}

// ---------------------------------------------------------------------------
// put.

TEST(Parser, PutBodyMayContainCrlf) {
  EXPECT_EQ(Events("put 0 0 1 4\r\n\r\n\r\n\r\n"), V{"put pri=0 delay=0s ttr=1s body=\r\n\r\n"});
}

TEST(Parser, PutAcceptsZeroLengthBody) {  // zero_delay, small_delay
  EXPECT_EQ(Events("put 0 0 1 0\r\n\r\n"), V{"put pri=0 delay=0s ttr=1s body="});
  EXPECT_EQ(Events("put 0 1 1 0\r\n\r\n"), V{"put pri=0 delay=1s ttr=1s body="});
}

TEST(Parser, PutKeepsTtrZeroForTheQueueToRaise) {  // ttr_small is the queue's job
  EXPECT_EQ(Events("put 0 0 0 1\r\na\r\n"), V{"put pri=0 delay=0s ttr=0s body=a"});
}

TEST(Parser, PutNumbersMayBeSeparatedByManySpaces) {
  EXPECT_EQ(Events("put  1  2  3  1\r\nx\r\n"), V{"put pri=1 delay=2s ttr=3s body=x"});
}

TEST(Parser, PutPriorityLimits) {
  // max_priority, too_big_priority, negative_priority, garbage_priority
  EXPECT_EQ(Events("put 4294967295 0 0 1\r\nx\r\n"),
            V{"put pri=4294967295 delay=0s ttr=0s body=x"});
  EXPECT_EQ(One("put 4294967296 0 0 1"), "BAD_FORMAT");
  EXPECT_EQ(One("put -1 0 0 1"), "BAD_FORMAT");
  EXPECT_EQ(One("put -1kkdj9djjkd9 0 0 1"), "BAD_FORMAT");
}

TEST(Parser, PutNegativeDelayIsBadFormat) {  // negative_delay
  EXPECT_EQ(One("put 512 -1 100 0"), "BAD_FORMAT");
}

TEST(Parser, PutJobSizeInvalid) {  // job_size_invalid
  EXPECT_EQ(Events("put 0 0 0 4294967296\r\n"
                   "put 0 0 0 10b\r\n"
                   "put 0 0 0 --!@#$%^&&**()0b\r\n"
                   "put 0 0 0 1\r\nx\r\n"),
            (V{"BAD_FORMAT", "BAD_FORMAT", "BAD_FORMAT", "put pri=0 delay=0s ttr=0s body=x"}));
}

TEST(Parser, PutMissingNumbersIsBadFormat) {
  for (const char* line : {"put ", "put 0", "put 0 0", "put 0 0 0", "put 0 0 0 ", "put a 0 0 0"}) {
    EXPECT_EQ(One(line), "BAD_FORMAT") << line;
  }
}

TEST(Parser, PutCountsInCmdPutOnlyOnceItsFourNumbersParse) {
  Parser p;
  size_t used = 0;
  ASSERT_EQ(p.Next("put 0 0 0 foo\r\n", &used), Event::kBadFormat);
  EXPECT_NE(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
  ASSERT_EQ(p.Next("put 0 0 0 10b\r\n", &used), Event::kBadFormat);  // trailing garbage
  EXPECT_EQ(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
  ASSERT_EQ(p.Next("put 0 0 0 1 \r\n", &used), Event::kBadFormat);
  EXPECT_EQ(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
  ASSERT_EQ(p.Next("put 0 0 1 1\r\nxYZ\r\n", &used), Event::kExpectedCrlf);
  EXPECT_EQ(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
  ASSERT_EQ(p.Next("use foo\r\n", &used), Event::kCommand);
  EXPECT_NE(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
  EXPECT_FALSE(p.error_counted_verb().has_value());
  ASSERT_EQ(p.Next("bogus\r\n", &used), Event::kUnknownCommand);
  EXPECT_NE(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
}

TEST(Parser, PutBadFormatConsumesOnlyTheLineSoTheBodyIsParsedAsCommands) {
  EXPECT_EQ(Events("put 0 0 0 1x\r\nquit\r\n"), (V{"BAD_FORMAT", "quit"}));
  EXPECT_EQ(Events("put 0 0 0 -1\r\nreserve\r\n"), (V{"BAD_FORMAT", "reserve"}));
}

TEST(Parser, PutWithoutCrlfAfterBodyIsExpectedCrlf) {
  // Live on beanstalkd: EXPECTED_CRLF, then the leftover "\r\n" is an empty
  // line: UNKNOWN_COMMAND.
  EXPECT_EQ(Events("put 0 0 1 1\r\nxYZ\r\n"), (V{"EXPECTED_CRLF", "UNKNOWN_COMMAND"}));
  EXPECT_EQ(Events("put 0 0 1 1\r\nx\n\rreserve\r\n"), (V{"EXPECTED_CRLF", "reserve"}));
}

TEST(Parser, PutWaitsForItsBodyWithoutConsumingAndSaysHowMuchItNeeds) {
  Parser p;
  size_t used = 99;
  const std::string put = "put 0 0 1 5\r\nhello\r\n";
  for (size_t n = 0; n < put.size(); ++n) {
    ASSERT_EQ(p.Next(std::string_view(put).substr(0, n), &used), Event::kNeedMore) << n;
    ASSERT_EQ(used, 0u);
    if (n >= 13) {  // once the line is there
      EXPECT_EQ(p.bytes_wanted(), put.size()) << n;
    }
  }
  ASSERT_EQ(p.Next(put, &used), Event::kCommand);
  EXPECT_EQ(used, put.size());
  EXPECT_EQ(p.command().body, "hello");
}

TEST(Parser, JobTooBigDiscardsTheBodyThenReportsIt) {  // too_big
  const std::string script =
      "put 0 0 0 11\r\n"
      "delete 9999\r\n"  // 11 bytes + CRLF: the body being discarded
      "put 0 0 0 1\r\nx\r\n";
  EXPECT_EQ(Events(script, 10), (V{"JOB_TOO_BIG", "put pri=0 delay=0s ttr=0s body=x"}));
}

TEST(Parser, JobTooBigWinsOverTrailingGarbage) {
  // beanstalkd checks the size before the trailing bytes.
  EXPECT_EQ(Events("put 0 0 0 11x\r\n0123456789a\r\nquit\r\n", 10), (V{"JOB_TOO_BIG", "quit"}));
}

TEST(Parser, MaxJobBytesIsInclusive) {
  EXPECT_EQ(Events("put 0 0 0 10\r\n0123456789\r\n", 10),
            V{"put pri=0 delay=0s ttr=0s body=0123456789"});
  const std::string ok = "put 0 0 0 65535\r\n" + Repeat('a', 65535) + "\r\n";
  EXPECT_EQ(FeedAll(ok).events.size(), 1u);
  EXPECT_EQ(FeedAll(ok).events[0].substr(0, 29), "put pri=0 delay=0s ttr=0s bod");
  const std::string too_big = "put 0 0 0 65536\r\n" + Repeat('a', 65536) + "\r\n";
  EXPECT_EQ(FeedAll(too_big).events, V{"JOB_TOO_BIG"});
}

TEST(Parser, JobTooBigDiscardsTheBodyAsItArrives) {
  Parser p(10);
  size_t used = 0;
  ASSERT_EQ(p.Next("put 0 0 0 1000\r\n", &used), Event::kNeedMore);
  EXPECT_EQ(used, 16u);             // the line is consumed; the body will be thrown away
  EXPECT_EQ(p.bytes_wanted(), 0u);  // nothing needs to be buffered
  const std::string half = Repeat('z', 500);
  ASSERT_EQ(p.Next(half, &used), Event::kNeedMore);
  EXPECT_EQ(used, 500u);
  EXPECT_NE(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));  // not an error event yet
  ASSERT_EQ(p.Next(half + "\r\nreserve\r\n", &used), Event::kJobTooBig);
  EXPECT_EQ(used, 502u);
  EXPECT_EQ(p.error_counted_verb(), std::optional<Verb>(Verb::kPut));
  ASSERT_EQ(p.Next("reserve\r\n", &used), Event::kCommand);
}

TEST(Parser, JobSizeMaxPlusOneIsDiscardedWithoutBuffering) {  // job_size_max_plus_1
  Parser p(kMaxMaxJobBytes);
  size_t used = 0;
  ASSERT_EQ(p.Next("put 0 0 0 1073741825\r\n", &used), Event::kNeedMore);
  const std::string mib = Repeat('a', 1 << 20);
  uint64_t left = 1073741825ULL + 2;
  while (left > mib.size()) {
    ASSERT_EQ(p.Next(mib, &used), Event::kNeedMore);
    ASSERT_EQ(used, mib.size());
    left -= mib.size();
  }
  ASSERT_EQ(p.Next(std::string_view(mib).substr(0, left), &used), Event::kJobTooBig);
  EXPECT_EQ(used, left);
}

TEST(Parser, PutSizeFieldIsU32) {
  EXPECT_EQ(One("put 0 0 0 4294967296", kMaxMaxJobBytes), "BAD_FORMAT");
}

// ---------------------------------------------------------------------------
// Tube names.

TEST(Parser, UseTubeLong) {  // use_tube_long
  EXPECT_EQ(One("use " + Repeat('a', 200)), "use tube=" + Repeat('a', 200));
  EXPECT_EQ(One("use " + Repeat('a', 201)), "BAD_FORMAT");
}

TEST(Parser, TubeNameRules) {
  EXPECT_EQ(One("use x_y"), "use tube=x_y");  // underscore
  EXPECT_EQ(One("use a+b/c;d.e$f_g(h)-i"), "use tube=a+b/c;d.e$f_g(h)-i");
  for (const char* line :
       {"use -abc", "use a*b", "use  foo", "use foo ", "use a:b", "use ", "use é", "watch -x",
        "ignore a b", "stats-tube a#b", "stats-tube  default"}) {
    EXPECT_EQ(One(line), "BAD_FORMAT") << line;
  }
  EXPECT_EQ(One("watch " + Repeat('w', 200)), "watch tube=" + Repeat('w', 200));
  EXPECT_EQ(One("ignore " + Repeat('i', 201)), "BAD_FORMAT");
  EXPECT_EQ(One("stats-tube " + Repeat('s', 201)), "BAD_FORMAT");
}

TEST(IsValidTubeName, FollowsBeanstalkdNameChars) {
  EXPECT_TRUE(IsValidTubeName("default"));
  EXPECT_TRUE(IsValidTubeName("a"));
  EXPECT_TRUE(IsValidTubeName("0123456789"));
  EXPECT_TRUE(IsValidTubeName("ABCxyz-+/;.$_()"));
  EXPECT_TRUE(IsValidTubeName("a-"));
  EXPECT_TRUE(IsValidTubeName(std::string(200, 'z')));
  EXPECT_FALSE(IsValidTubeName(std::string(201, 'z')));
  EXPECT_FALSE(IsValidTubeName(""));
  EXPECT_FALSE(IsValidTubeName("-a"));
  EXPECT_FALSE(IsValidTubeName("a b"));
  for (char c : std::string("*:,#!?@&\"'\\ \t\r\n{}[]<>=%^|~`")) {
    EXPECT_FALSE(IsValidTubeName(std::string("a") + c)) << c;
  }
  EXPECT_FALSE(IsValidTubeName(std::string("a\0", 2)));
}

// ---------------------------------------------------------------------------
// Whole sessions: byte-at-a-time equals all-at-once (Events() checks it).

TEST(Parser, ByteAtATimeEqualsAllAtOnceForAMixedSession) {
  const std::string session =
      "use jobs\r\nput 1 0 60 12\r\nhello\r\nworld\r\nput 0 0 0 3\r\nabXYZ\r\n"
      "reserve-with-timeout 0\r\n" +
      Repeat('q', 400) +
      "\r\nkick 3x\r\n"
      "PUT 1\r\n\r\nstats-job 1 \r\npause-tubejobs 5\r\nquitx\r\n";
  EXPECT_EQ(Events(session),
            (V{"use tube=jobs", "put pri=1 delay=0s ttr=60s body=hello\r\nworld", "EXPECTED_CRLF",
               "UNKNOWN_COMMAND", "reserve-with-timeout timeout=0s", "BAD_FORMAT", "kick bound=3",
               "UNKNOWN_COMMAND", "UNKNOWN_COMMAND", "BAD_FORMAT", "pause-tube tube=jobs delay=5s",
               "quit"}));
}

}  // namespace
}  // namespace stalk::proto
