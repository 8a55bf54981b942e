#include "cli/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace stalk::cli {
namespace {

double Rate(uint64_t done, double elapsed_s) {
  return elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
}

std::string Eta(uint64_t done, uint64_t total, double elapsed_s) {
  const double rate = Rate(done, elapsed_s);
  if (total == 0 || done >= total || rate <= 0) return "";
  return FormatEta(static_cast<double>(total - done) / rate);
}

}  // namespace

std::string FormatEta(double seconds) {
  const auto s = static_cast<long long>(std::ceil(std::max(0.0, seconds)));
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  }
  return buf;
}

std::string RenderProgressBar(std::string_view verb, uint64_t done, uint64_t total,
                              double elapsed_s, int width) {
  char buf[160];
  std::string out(verb);
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int filled = static_cast<int>(frac * width);
    out += " [" + std::string(filled, '#') + std::string(width - filled, ' ') + "]";
    std::snprintf(buf, sizeof buf, "  %llu/%llu  %3d%%", static_cast<unsigned long long>(done),
                  static_cast<unsigned long long>(total), static_cast<int>(frac * 100));
  } else {
    std::snprintf(buf, sizeof buf, "  %llu", static_cast<unsigned long long>(done));
  }
  out += buf;
  std::snprintf(buf, sizeof buf, "  %.1f jobs/s", Rate(done, elapsed_s));
  out += buf;
  const std::string eta = Eta(done, total, elapsed_s);
  if (!eta.empty()) out += "  ETA " + eta;
  return out;
}

std::string RenderProgressLine(std::string_view verb, uint64_t done, uint64_t total,
                               double elapsed_s) {
  char buf[160];
  std::string out(verb);
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    std::snprintf(buf, sizeof buf, ": %llu/%llu jobs (%d%%)", static_cast<unsigned long long>(done),
                  static_cast<unsigned long long>(total), static_cast<int>(frac * 100));
  } else {
    std::snprintf(buf, sizeof buf, ": %llu jobs", static_cast<unsigned long long>(done));
  }
  out += buf;
  std::snprintf(buf, sizeof buf, ", %.1f jobs/s", Rate(done, elapsed_s));
  out += buf;
  const std::string eta = Eta(done, total, elapsed_s);
  if (!eta.empty()) out += ", ETA " + eta;
  return out;
}

Progress::Progress(std::ostream& out, Mode mode, std::string verb, uint64_t total)
    : out_(out), mode_(mode), verb_(std::move(verb)), total_(total),
      start_(std::chrono::steady_clock::now()) {}

double Progress::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Update(uint64_t done) {
  if (mode_ == Mode::kQuiet) return;
  const auto now = std::chrono::steady_clock::now();
  // A bar redraws often enough to look alive; lines in a log should be sparse.
  const auto every = mode_ == Mode::kBar ? std::chrono::milliseconds(100) : std::chrono::seconds(2);
  if (last_draw_ && now - *last_draw_ < every) return;
  if (!last_draw_ && mode_ == Mode::kLines) {
    last_draw_ = now;  // no line for the first instant; short transfers print only the last
    return;
  }
  last_draw_ = now;
  Draw(done);
}

void Progress::Draw(uint64_t done) {
  if (mode_ == Mode::kBar) {
    out_ << "\r\x1b[K" << RenderProgressBar(verb_, done, total_, Elapsed()) << std::flush;
  } else {
    out_ << RenderProgressLine(verb_, done, total_, Elapsed()) << '\n' << std::flush;
  }
}

void Progress::Finish(uint64_t done) {
  if (mode_ == Mode::kQuiet) return;
  Draw(done);
  if (mode_ == Mode::kBar) out_ << '\n' << std::flush;
}

}  // namespace stalk::cli
