// stats (server, --tube, --job) and tubes.

#include <cstdio>

#include "cli/commands.h"
#include "cli/session.h"
#include "cli/stats_view.h"

namespace stalk::cli {
namespace {

int PrintObject(const Invocation& inv, const Json& j) {
  const std::string text = inv.json ? DumpJson(j, 2) + "\n" : StatsTable(j);
  if (!WriteStdout(text)) return Report({ExitCode::kConnection, "cannot write to stdout"});
  return 0;
}

}  // namespace

int RunStats(const Invocation& inv) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  Client& c = **client;
  if (inv.stats_job) {
    auto s = c.StatsJob(*inv.stats_job);
    if (!s) return Report(FromStatus(s.status(), "stats-job " + std::to_string(*inv.stats_job)));
    return PrintObject(inv, JobStatsJson(*s));
  }
  if (inv.stats_tube) {
    auto s = c.StatsTube(*inv.stats_tube);
    if (!s) return Report(FromStatus(s.status(), "stats-tube " + *inv.stats_tube));
    return PrintObject(inv, TubeStatsJson(*s));
  }
  auto s = c.Stats();
  if (!s) return Report(FromStatus(s.status(), "stats"));
  return PrintObject(inv, ServerStatsJson(*s));
}

int RunTubes(const Invocation& inv) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  Client& c = **client;
  auto names = c.ListTubes();
  if (!names) return Report(FromStatus(names.status(), "list-tubes"));
  std::string text;
  if (!inv.with_stats) {
    if (inv.json) {
      text = DumpJson(Json(*names), 2) + "\n";
    } else {
      for (const std::string& name : *names) text += name + "\n";
    }
  } else {
    std::vector<TubeStats> tubes;
    for (const std::string& name : *names) {
      auto s = c.StatsTube(name);
      if (s) {
        tubes.push_back(*s);
      } else if (!s.status().is(Error::kNotFound)) {  // NOT_FOUND: the tube went away meanwhile
        return Report(FromStatus(s.status(), "stats-tube " + name));
      }
    }
    if (inv.json) {
      Json list = Json::array();
      for (const TubeStats& t : tubes) list.push_back(TubeStatsJson(t));
      text = DumpJson(list, 2) + "\n";
    } else {
      text = TubeCountsTable(tubes);
    }
  }
  if (!WriteStdout(text)) return Report({ExitCode::kConnection, "cannot write to stdout"});
  return 0;
}

}  // namespace stalk::cli
