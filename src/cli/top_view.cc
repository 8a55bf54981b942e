#include "cli/top_view.h"

#include <cstdio>

#include "cli/table.h"

namespace stalk::cli {

std::string FormatRate(const std::optional<double>& rate) {
  if (!rate) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *rate);
  return buf;
}

std::string RenderTop(const TopScreen& screen, bool ansi) {
  Table t;
  t.header = {"TUBE", "READY", "RESERVED", "DELAYED", "BURIED", "WAITING", "PUTS/S", "DELETES/S"};
  t.align.assign(t.header.size(), Align::kRight);
  t.align[0] = Align::kLeft;
  uint64_t ready = 0, reserved = 0, delayed = 0, buried = 0;
  for (const TubeRow& row : screen.rows) {
    const TubeStats& s = row.stats;
    std::string name = s.name;
    if (s.pause_time_left_s > 0) name += " (paused)";
    t.rows.push_back({name, std::to_string(s.current_jobs_ready),
                      std::to_string(s.current_jobs_reserved), std::to_string(s.current_jobs_delayed),
                      std::to_string(s.current_jobs_buried), std::to_string(s.current_waiting),
                      FormatRate(row.puts_per_s), FormatRate(row.deletes_per_s)});
    ready += s.current_jobs_ready;
    reserved += s.current_jobs_reserved;
    delayed += s.current_jobs_delayed;
    buried += s.current_jobs_buried;
  }
  char title[512];
  std::snprintf(title, sizeof title, "stalk top  %s  %s  every %.1fs  %zu tubes  ready %llu  reserved %llu  delayed %llu  buried %llu\n",
                screen.address.c_str(), screen.timestamp.c_str(), screen.interval_s, screen.rows.size(),
                static_cast<unsigned long long>(ready), static_cast<unsigned long long>(reserved),
                static_cast<unsigned long long>(delayed), static_cast<unsigned long long>(buried));
  std::string out;
  if (ansi) out.append("\x1b[H\x1b[2J");  // home, clear screen
  out.append(title);
  out.push_back('\n');
  if (ansi) out.append("\x1b[7m");  // reverse video for the header row
  std::string table = FormatTable(t);
  if (ansi) {
    const size_t eol = table.find('\n');
    table.insert(eol, "\x1b[0m");
  }
  out.append(table);
  if (!ansi) out.push_back('\n');
  return out;
}

}  // namespace stalk::cli
