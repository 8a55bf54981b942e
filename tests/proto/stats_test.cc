#include "proto/stats.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/reply.h"

namespace stalk::proto {
namespace {

// ---------------------------------------------------------------------------
// The quoting rule, both ways.

// Read back as the same string by YAML 1.1 (PyYAML, Psych) and 1.2 readers.
const char* const kBare[] = {
    "foo",
    "default",
    "x86_64",
    "my-tube",
    "a+b/c;d.e$f_g(h)-i",
    "x_y",
    "vm",
    "tubea",
    "a1",
    "1a",
    "v1.2.3",
    "6.1.0-18-amd64",
    "1.2.3",
    ".",
    "..",
    "...",
    "+",
    "_",
    "$",
    "(x)",
    "a;b",
    "/",
    "a-",
    "a:b",
    "a#b",
    "a b",
    "yesno",
    "nulls",
    "o",
    "ON-call",
    "0xZZ",
    "0b102",
    "1e",
    "1_a",
    "2024-01",
    "2024-1-1x",
    ".foo",
    "+x",
    "f00",
    "Yes!",
    "TRUEish",
    "37308163f17af3fa",
};

// Would be read as something else (a number, bool, null, date, comment, ...).
const char* const kQuoted[] = {
    // numbers
    "123",
    "0",
    "-1",
    "+1",
    "007",
    "09",
    "1_000",
    "1,000",
    "0x1F",
    "0b101",
    "0o17",
    "1.5",
    "1.",
    ".5",
    "+.5",
    "-1.5e3",
    "1e3",
    "1E+3",
    "1_0.5",
    "1:30",
    "-1:30:00",
    "190:20:30.15",
    ".inf",
    "-.inf",
    "+.INF",
    ".Inf",
    ".iNf",
    ".nan",
    ".NaN",
    ".NAN",
    ".e+5",
    // timestamps
    "2024-01-01",
    "2002-12-14",
    "2024-1-1",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-15T02:59:43.1Z",
    // null and bool
    "",
    "~",
    "null",
    "Null",
    "NULL",
    "nUlL",
    "y",
    "Y",
    "n",
    "N",
    "yes",
    "Yes",
    "YES",
    "yEs",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "oN",
    "off",
    "Off",
    "OFF",
    // special keys
    "=",
    "<<",
    // indicators and spaces
    "#1 SMP PREEMPT_DYNAMIC @0",
    "-abc",
    "-",
    "?x",
    ":sym",
    ",",
    "[a]",
    "]",
    "{a}",
    "}",
    "&anchor",
    "*alias",
    "!tag",
    "|",
    ">",
    "'q'",
    "\"q\"",
    "%x",
    "@x",
    "`x`",
    " lead",
    "trail ",
    "a: b",
    "a #b",
    "key:",
    // control and non-ASCII bytes
    "a\tb",
    "a\nb",
    "a\rb",
    "\x01",
    "a\x7f",
    "caf\xc3\xa9",
};

TEST(YamlScalar, LeavesPlainStringsBare) {
  for (const char* v : kBare) {
    EXPECT_FALSE(YamlNeedsQuotes(v)) << v;
    EXPECT_EQ(YamlScalar(v), v);
  }
}

TEST(YamlScalar, QuotesStringsAReaderWouldReadAsSomethingElse) {
  for (const char* v : kQuoted) {
    EXPECT_TRUE(YamlNeedsQuotes(v)) << v;
    const std::string s = YamlScalar(v);
    ASSERT_GE(s.size(), 2u);
    EXPECT_EQ(s.front(), '"') << v;
    EXPECT_EQ(s.back(), '"') << v;
  }
}

TEST(YamlScalar, EscapesQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(YamlScalar("\"q\""), "\"\\\"q\\\"\"");
  EXPECT_EQ(YamlScalar("a: \\"), "\"a: \\\\\"");
  EXPECT_EQ(YamlScalar("a\tb\nc\rd"), "\"a\\tb\\nc\\rd\"");
  EXPECT_EQ(YamlScalar(std::string("a\0b", 3)), "\"a\\0b\"");
  EXPECT_EQ(YamlScalar("\x01\x1f\x7f"), "\"\\x01\\x1f\\x7f\"");
  EXPECT_EQ(YamlScalar("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 left as is
}

TEST(YamlScalar, EveryValueReadsBackAsItself) {
  // Through the tube-list decoder: the value written in a list item and read
  // back is the original string, quoted or not.
  std::vector<std::string> all;
  for (const char* v : kBare) all.emplace_back(v);
  for (const char* v : kQuoted) all.emplace_back(v);
  all.emplace_back(std::string("a\0b", 3));
  std::vector<std::string> back;
  ASSERT_TRUE(DecodeTubeList(EncodeTubeList(all), &back));
  EXPECT_EQ(back, all);
}

TEST(YamlScalar, DecoderUnderstandsYamlEscapes) {
  std::vector<std::string> names;
  ASSERT_TRUE(DecodeTubeList(
      "---\n- \"a\\x41\\u00e9\\/\\\\\\\"\\t\"\n- \"\\U0001F600\"\n- 'a''b'\n", &names));
  EXPECT_EQ(names, (std::vector<std::string>{"aA\xc3\xa9/\\\"\t", "\xf0\x9f\x98\x80", "a'b"}));
  EXPECT_FALSE(DecodeTubeList("---\n- \"\\q\"\n", &names));     // unknown escape
  EXPECT_FALSE(DecodeTubeList("---\n- \"\\x4\"\n", &names));    // short hex
  EXPECT_FALSE(DecodeTubeList("---\n- \"a\" junk\n", &names));  // text after the quote
}

// ---------------------------------------------------------------------------
// stats-job

TEST(JobStats, MatchesBeanstalkdByteForByte) {
  JobStats s;
  s.id = 1;
  s.tube = "default";
  s.state = "ready";
  s.ttr_s = 10;
  s.file = 1;
  std::string out;
  AppendOk(&out, EncodeJobStats(s));
  // Captured from beanstalkd 1.12 (reference §1.6); 1.13 differs only in
  // quoting the tube, which our rule leaves bare for "default".
  EXPECT_EQ(out,
            "OK 144\r\n---\nid: 1\ntube: default\nstate: ready\npri: 0\nage: 0\ndelay: 0\n"
            "ttr: 10\ntime-left: 0\nfile: 1\nreserves: 0\ntimeouts: 0\nreleases: 0\n"
            "buries: 0\nkicks: 0\n\r\n");
}

TEST(JobStats, WritesEveryFieldInOrder) {
  JobStats s{18446744073709551615ULL,
             "123",
             "reserved",
             4294967295U,
             5,
             4294967295LL,
             21600,
             -1,
             7,
             8,
             9,
             10,
             11,
             12};
  EXPECT_EQ(EncodeJobStats(s),
            "---\nid: 18446744073709551615\ntube: \"123\"\nstate: reserved\npri: 4294967295\n"
            "age: 5\ndelay: 4294967295\nttr: 21600\ntime-left: -1\nfile: 7\nreserves: 8\n"
            "timeouts: 9\nreleases: 10\nburies: 11\nkicks: 12\n");
}

TEST(JobStats, DecodesBeanstalkd112And113Forms) {
  const std::string v112 =
      "---\nid: 1\ntube: default\nstate: ready\npri: 0\nage: 0\ndelay: 0\nttr: 10\n"
      "time-left: 0\nfile: 1\nreserves: 0\ntimeouts: 0\nreleases: 0\nburies: 0\nkicks: 0\n";
  std::string v113 = v112;
  v113.replace(v113.find("default"), 7, "\"default\"");
  for (const std::string& doc : {v112, v113, v113 + "\r\n"}) {
    JobStats s;
    ASSERT_TRUE(DecodeJobStats(doc, &s)) << doc;
    EXPECT_EQ(s.id, 1u);
    EXPECT_EQ(s.tube, "default");
    EXPECT_EQ(s.state, "ready");
    EXPECT_EQ(s.ttr_s, 10);
    EXPECT_EQ(s.file, 1u);
  }
}

TEST(JobStats, RoundTrips) {
  JobStats s{42, "a: b", "delayed", 1024, 1, 2, 3, -4, 5, 6, 7, 8, 9, 10};
  JobStats back;
  ASSERT_TRUE(DecodeJobStats(EncodeJobStats(s), &back));
  EXPECT_EQ(EncodeJobStats(back), EncodeJobStats(s));
  EXPECT_EQ(back.tube, "a: b");
  EXPECT_EQ(back.time_left_s, -4);
}

TEST(JobStats, RefusesDocumentsOfAnotherShape) {
  JobStats s;
  EXPECT_FALSE(DecodeJobStats("", &s));
  EXPECT_FALSE(DecodeJobStats("id: 1\n", &s));               // no "---"
  EXPECT_FALSE(DecodeJobStats("---\ntube: default\n", &s));  // no id
  EXPECT_FALSE(DecodeJobStats("---\nid: x\n", &s));          // not a number
  EXPECT_FALSE(DecodeJobStats("---\nid: -1\n", &s));
  EXPECT_FALSE(DecodeJobStats("---\nid: 1\npri: 4294967296\n", &s));  // pri is u32
  EXPECT_FALSE(DecodeJobStats("---\nid: 1\ntube: \"unterminated\n", &s));
  EXPECT_FALSE(DecodeJobStats("---\nid 1\n", &s));
  EXPECT_FALSE(DecodeJobStats("---\n- a\n", &s));
  EXPECT_TRUE(DecodeJobStats("---\nid: 1\nfuture-field: whatever\n", &s));  // unknown: ignored
}

// ---------------------------------------------------------------------------
// stats-tube

TEST(TubeStats, WritesBeanstalkd113FieldOrderWithWatchingBeforeWaiting) {
  TubeStats s{"tubea", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  EXPECT_EQ(EncodeTubeStats(s),
            "---\nname: tubea\ncurrent-jobs-urgent: 1\ncurrent-jobs-ready: 2\n"
            "current-jobs-reserved: 3\ncurrent-jobs-delayed: 4\ncurrent-jobs-buried: 5\n"
            "total-jobs: 6\ncurrent-using: 7\ncurrent-watching: 8\ncurrent-waiting: 9\n"
            "cmd-delete: 10\ncmd-pause-tube: 11\npause: 12\npause-time-left: 13\n");
}

TEST(TubeStats, QuotesOnlyNamesThatNeedIt) {
  TubeStats s;
  s.name = "2024-01-01";
  EXPECT_EQ(EncodeTubeStats(s).substr(0, 22), "---\nname: \"2024-01-01\"");
  s.name = "default";
  EXPECT_EQ(EncodeTubeStats(s).substr(0, 18), "---\nname: default\n");
}

TEST(TubeStats, RoundTripsAndDecodesQuotedNames) {
  TubeStats s{"1.5", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 86400, -2};
  TubeStats back;
  ASSERT_TRUE(DecodeTubeStats(EncodeTubeStats(s), &back));
  EXPECT_EQ(EncodeTubeStats(back), EncodeTubeStats(s));
  EXPECT_EQ(back.name, "1.5");
  EXPECT_EQ(back.pause_time_left_s, -2);

  ASSERT_TRUE(DecodeTubeStats("---\nname: 'it''s'\ncurrent-jobs-ready: 3\n", &back));
  EXPECT_EQ(back.name, "it's");
  EXPECT_EQ(back.current_jobs_ready, 3u);
  EXPECT_FALSE(DecodeTubeStats("---\ncurrent-jobs-ready: 3\n", &back));  // no name
}

// ---------------------------------------------------------------------------
// stats

ServerStats SampleServerStats() {
  ServerStats s;
  s.current_jobs_urgent = 1;
  s.current_jobs_ready = 2;
  s.current_jobs_reserved = 3;
  s.current_jobs_delayed = 4;
  s.current_jobs_buried = 5;
  for (int i = 0; i < kVerbCount; ++i) s.cmd[i] = 100 + i;
  s.job_timeouts = 6;
  s.total_jobs = 7;
  s.max_job_size = 65535;
  s.current_tubes = 8;
  s.current_connections = 9;
  s.current_producers = 10;
  s.current_workers = 11;
  s.current_waiting = 12;
  s.total_connections = 13;
  s.pid = 4242;
  s.version = "1.13.0+stalkd.0.1.0";
  s.rusage_utime_us = 1500;
  s.rusage_stime_us = 12345678;
  s.uptime_s = 14;
  s.binlog_oldest_index = 15;
  s.binlog_current_index = 16;
  s.binlog_records_migrated = 17;
  s.binlog_records_written = 18;
  s.binlog_max_size = 10485760;
  s.draining = true;
  s.id = "37308163f17af3fb";
  s.hostname = "vm";
  s.os = "#1 SMP PREEMPT_DYNAMIC @0";
  s.platform = "x86_64";
  return s;
}

// prot.c STATS_FMT order: the cmd-* counters are not in Verb order, and
// reserve-job (107), kick-job (112) and quit (123) are not shown.
const char kSampleServerYaml[] =
    "---\n"
    "current-jobs-urgent: 1\ncurrent-jobs-ready: 2\ncurrent-jobs-reserved: 3\n"
    "current-jobs-delayed: 4\ncurrent-jobs-buried: 5\n"
    "cmd-put: 100\ncmd-peek: 101\ncmd-peek-ready: 102\ncmd-peek-delayed: 103\n"
    "cmd-peek-buried: 104\ncmd-reserve: 105\ncmd-reserve-with-timeout: 106\n"
    "cmd-delete: 108\ncmd-release: 109\ncmd-use: 117\ncmd-watch: 118\ncmd-ignore: 119\n"
    "cmd-bury: 110\ncmd-kick: 111\ncmd-touch: 113\ncmd-stats: 116\ncmd-stats-job: 114\n"
    "cmd-stats-tube: 115\ncmd-list-tubes: 122\ncmd-list-tube-used: 121\n"
    "cmd-list-tubes-watched: 120\ncmd-pause-tube: 124\n"
    "job-timeouts: 6\ntotal-jobs: 7\nmax-job-size: 65535\ncurrent-tubes: 8\n"
    "current-connections: 9\ncurrent-producers: 10\ncurrent-workers: 11\n"
    "current-waiting: 12\ntotal-connections: 13\n"
    "pid: 4242\nversion: 1.13.0+stalkd.0.1.0\nrusage-utime: 0.001500\n"
    "rusage-stime: 12.345678\nuptime: 14\n"
    "binlog-oldest-index: 15\nbinlog-current-index: 16\nbinlog-records-migrated: 17\n"
    "binlog-records-written: 18\nbinlog-max-size: 10485760\n"
    "draining: true\nid: 37308163f17af3fb\nhostname: vm\n"
    "os: \"#1 SMP PREEMPT_DYNAMIC @0\"\nplatform: x86_64\n";

TEST(ServerStats, WritesBeanstalkd113StatsFmtOrder) {
  EXPECT_EQ(EncodeServerStats(SampleServerStats()), kSampleServerYaml);
}

TEST(ServerStats, VersionFollowsTheQuotingRuleAndDrainingIsABool) {
  ServerStats s;
  s.version = "1.13";  // would read back as a float: quoted, as beanstalkd does
  std::string y = EncodeServerStats(s);
  EXPECT_NE(y.find("\nversion: \"1.13\"\n"), std::string::npos);
  s.version = "1.13.0+stalkd.0.1.0";  // reads back as the same string: bare
  y = EncodeServerStats(s);
  EXPECT_NE(y.find("\nversion: 1.13.0+stalkd.0.1.0\n"), std::string::npos);
  EXPECT_NE(y.find("\ndraining: false\n"), std::string::npos);
  EXPECT_NE(y.find("\nrusage-utime: 0.000000\n"), std::string::npos);
  EXPECT_NE(y.find("\nhostname: \"\"\n"), std::string::npos);  // empty must be quoted
}

TEST(ServerStats, RusageIsSecondsWithSixDigits) {
  ServerStats s;
  s.rusage_utime_us = 3000001;
  s.rusage_stime_us = 999999;
  const std::string y = EncodeServerStats(s);
  EXPECT_NE(y.find("\nrusage-utime: 3.000001\n"), std::string::npos);
  EXPECT_NE(y.find("\nrusage-stime: 0.999999\n"), std::string::npos);
}

TEST(ServerStats, IdIsQuotedOnlyWhenItWouldReadAsANumber) {
  ServerStats s;
  s.id = "1234567812345678";
  EXPECT_NE(EncodeServerStats(s).find("\nid: \"1234567812345678\"\n"), std::string::npos);
}

TEST(ServerStats, RoundTrips) {
  ServerStats back;
  ASSERT_TRUE(DecodeServerStats(kSampleServerYaml, &back));
  EXPECT_EQ(EncodeServerStats(back), kSampleServerYaml);
  EXPECT_EQ(back.os, "#1 SMP PREEMPT_DYNAMIC @0");
  EXPECT_EQ(back.rusage_stime_us, 12345678);
  EXPECT_EQ(back.cmd[static_cast<int>(Verb::kListTubes)], 122u);
  EXPECT_EQ(back.cmd[static_cast<int>(Verb::kReserveJob)], 0u);  // not on the wire
  EXPECT_TRUE(back.draining);
}

TEST(ServerStats, DecodesBeanstalkd112UnquotedStrings) {
  // 1.12 writes every string bare, including an os that a YAML reader would
  // take for a comment; we read the text it meant.
  std::string v112 = kSampleServerYaml;
  v112.replace(v112.find("\"#1 SMP PREEMPT_DYNAMIC @0\""), 27, "#1 SMP PREEMPT_DYNAMIC @0");
  v112.replace(v112.find("1.13.0+stalkd.0.1.0"), 19, "\"1.12\"");
  ServerStats s;
  ASSERT_TRUE(DecodeServerStats(v112, &s));
  EXPECT_EQ(s.os, "#1 SMP PREEMPT_DYNAMIC @0");
  EXPECT_EQ(s.version, "1.12");
  EXPECT_EQ(s.hostname, "vm");
}

TEST(ServerStats, RefusesMalformedValues) {
  ServerStats s;
  EXPECT_FALSE(DecodeServerStats("---\npid: 1\ndraining: maybe\n", &s));
  EXPECT_FALSE(DecodeServerStats("---\npid: 1\nrusage-utime: 1.x\n", &s));
  EXPECT_FALSE(DecodeServerStats("---\npid: 1\ncmd-put: -1\n", &s));
  EXPECT_FALSE(DecodeServerStats("---\nversion: \"1.13\"\n", &s));  // no pid
  ASSERT_TRUE(DecodeServerStats("---\npid: 1\nrusage-utime: 2.5\n", &s));
  EXPECT_EQ(s.rusage_utime_us, 2500000);
}

// ---------------------------------------------------------------------------
// list-tubes, list-tubes-watched

TEST(TubeList, MatchesBeanstalkdListTubeTest) {  // testserv list_tube
  std::string out;
  AppendOk(&out, EncodeTubeList({"default", "w", "u"}));
  EXPECT_EQ(out, "OK 22\r\n---\n- default\n- w\n- u\n\r\n");
}

TEST(TubeList, EmptyListIsJustTheHeader) {
  EXPECT_EQ(EncodeTubeList({}), "---\n");
  std::vector<std::string> names = {"x"};
  ASSERT_TRUE(DecodeTubeList("---\n", &names));
  EXPECT_TRUE(names.empty());
}

TEST(TubeList, QuotesNamesThatWouldReadAsNumbers) {
  EXPECT_EQ(EncodeTubeList({"123", "a+b", "1.5", "yes"}),
            "---\n- \"123\"\n- a+b\n- \"1.5\"\n- \"yes\"\n");
}

TEST(TubeList, DecodesQuotedAndBareItems) {
  std::vector<std::string> names;
  ASSERT_TRUE(DecodeTubeList("---\n- default\n- \"123\"\n- '1.5'\n\r\n", &names));
  EXPECT_EQ(names, (std::vector<std::string>{"default", "123", "1.5"}));
  EXPECT_FALSE(DecodeTubeList("---\ndefault\n", &names));
  EXPECT_FALSE(DecodeTubeList("- default\n", &names));
  EXPECT_FALSE(DecodeTubeList("---\n- \"open\n", &names));
}

}  // namespace
}  // namespace stalk::proto
