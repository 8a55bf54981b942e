#include "cli/rates.h"

namespace stalk::cli {

double CounterRate(uint64_t then, uint64_t now, double seconds) {
  if (seconds <= 0 || now < then) return 0;
  return static_cast<double>(now - then) / seconds;
}

std::vector<TubeRow> ComputeRows(const std::optional<TubeSample>& before, const TubeSample& now) {
  std::vector<TubeRow> rows;
  double seconds = 0;
  if (before) seconds = std::chrono::duration<double>(now.at - before->at).count();
  for (const auto& [name, stats] : now.tubes) {
    TubeRow row;
    row.stats = stats;
    if (before && seconds > 0) {
      auto it = before->tubes.find(name);
      if (it != before->tubes.end()) {
        row.puts_per_s = CounterRate(it->second.total_jobs, stats.total_jobs, seconds);
        row.deletes_per_s = CounterRate(it->second.cmd_delete, stats.cmd_delete, seconds);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace stalk::cli
