// Tables, the stats views built on them, top's screen and the progress lines.

#include "cli/table.h"

#include <gtest/gtest.h>

#include "cli/progress.h"
#include "cli/stats_view.h"
#include "cli/top_view.h"

namespace stalk::cli {
namespace {

TEST(FormatTable, AlignsColumnsWithoutTrailingSpaces) {
  Table t;
  t.header = {"TUBE", "READY"};
  t.align = {Align::kLeft, Align::kRight};
  t.rows = {{"default", "3"}, {"e", "1234"}};
  EXPECT_EQ(FormatTable(t),
            "TUBE     READY\n"
            "default      3\n"
            "e         1234\n");
}

TEST(FormatTable, ShortRowsAndNonAsciiCells) {
  Table t;
  t.rows = {{"é", "x"}, {"ab"}};
  EXPECT_EQ(FormatTable(t), "é   x\nab\n");
}

TEST(StatsView, NumbersStayNumbersInJson) {
  TubeStats s;
  s.name = "emails";
  s.current_jobs_ready = 3;
  s.pause_s = 10;
  Json j = TubeStatsJson(s);
  EXPECT_TRUE(j["current-jobs-ready"].is_number_unsigned());
  EXPECT_EQ(j["current-jobs-ready"].get<uint64_t>(), 3u);
  EXPECT_EQ(j["name"], "emails");
  EXPECT_EQ(j.begin().key(), "name");  // the wire's order
  const std::string table = StatsTable(j);
  EXPECT_NE(table.find("name                   emails\n"), std::string::npos) << table;
  EXPECT_NE(table.find("current-jobs-ready     3\n"), std::string::npos) << table;
}

TEST(StatsView, ServerCountersInWireOrderThenOthers) {
  ServerStats s;
  s.cmd = {{"put", 5}, {"delete", 1}, {"zz-new", 2}};
  s.draining = true;
  s.rusage_utime = 0.5;
  Json j = ServerStatsJson(s);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  auto pos = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) - keys.begin(); };
  EXPECT_LT(pos("cmd-put"), pos("cmd-delete"));
  EXPECT_LT(pos("cmd-delete"), pos("cmd-zz-new"));
  EXPECT_LT(pos("cmd-zz-new"), pos("job-timeouts"));
  EXPECT_TRUE(j["draining"].is_boolean());
  EXPECT_DOUBLE_EQ(j["rusage-utime"].get<double>(), 0.5);
}

TEST(StatsView, InvalidUtf8NeverThrows) {
  ServerStats s;
  s.hostname = std::string("bad\xff", 4);
  const std::string text = DumpJson(ServerStatsJson(s));
  EXPECT_NE(text.find("hostname"), std::string::npos);
}

TEST(TopView, PlainOutputHasNoEscapeCodes) {
  TopScreen screen;
  screen.address = "127.0.0.1:1";
  screen.timestamp = "2024-01-01 00:00:00";
  screen.interval_s = 1;
  TubeRow row;
  row.stats.name = "default";
  row.stats.current_jobs_ready = 7;
  row.puts_per_s = 12.25;
  screen.rows.push_back(row);
  const std::string plain = RenderTop(screen, /*ansi=*/false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos) << plain;
  EXPECT_NE(plain.find("default"), std::string::npos);
  EXPECT_NE(plain.find("12.2"), std::string::npos) << plain;  // %.1f of 12.25
  EXPECT_NE(plain.find(" -\n"), std::string::npos) << plain;  // no deletes/s yet
  EXPECT_TRUE(plain.ends_with("\n\n"));
  const std::string ansi = RenderTop(screen, /*ansi=*/true);
  EXPECT_TRUE(ansi.starts_with("\x1b[H\x1b[2J"));
}

TEST(Progress, BarAndLine) {
  EXPECT_EQ(RenderProgressBar("export", 50, 100, 2.0, 10),
            "export [#####     ]  50/100   50%  25.0 jobs/s  ETA 2s");
  EXPECT_EQ(RenderProgressLine("import", 50, 100, 2.0), "import: 50/100 jobs (50%), 25.0 jobs/s, ETA 2s");
  EXPECT_EQ(RenderProgressLine("import", 5, 0, 0.0), "import: 5 jobs, 0.0 jobs/s");
  // More done than the total announced (jobs put meanwhile): no overflow, 100%.
  EXPECT_EQ(RenderProgressBar("export", 120, 100, 1.0, 4), "export [####]  120/100  100%  120.0 jobs/s");
  EXPECT_EQ(FormatEta(65), "1m05s");
  EXPECT_EQ(FormatEta(3725), "1h02m");
}

TEST(Progress, QuietWritesNothing) {
  std::ostringstream out;
  Progress p(out, Progress::Mode::kQuiet, "export", 10);
  p.Update(5);
  p.Finish(10);
  EXPECT_EQ(out.str(), "");
}

TEST(Progress, LinesModeEndsWithTheFinalCount) {
  std::ostringstream out;
  Progress p(out, Progress::Mode::kLines, "import", 3);
  p.Update(1);
  p.Finish(3);
  EXPECT_EQ(out.str().find('\x1b'), std::string::npos);
  EXPECT_NE(out.str().find("import: 3/3 jobs (100%)"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace stalk::cli
