#pragma once

// Progress of `export` and `import` on stderr: a redrawn bar on a terminal, a plain
// line every few seconds otherwise, or nothing (--quiet). Not thread-safe: one
// Progress per transfer, used from the thread that runs it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace stalk::cli {

// "export [##########          ]  50/100  50%  25.0 jobs/s  ETA 2s"; `total` 0 means
// unknown (no bar, no ETA). `width` is the bar's inner width.
std::string RenderProgressBar(std::string_view verb, uint64_t done, uint64_t total,
                              double elapsed_s, int width = 30);
// "export: 50/100 jobs (50%), 25.0 jobs/s, ETA 2s"
std::string RenderProgressLine(std::string_view verb, uint64_t done, uint64_t total,
                               double elapsed_s);
// "2s", "1m05s", "1h02m"
std::string FormatEta(double seconds);

class Progress {
 public:
  enum class Mode { kBar, kLines, kQuiet };
  // `out` must outlive this Progress.
  Progress(std::ostream& out, Mode mode, std::string verb, uint64_t total);

  void set_total(uint64_t total) { total_ = total; }
  // Records `done` and redraws if enough time has passed since the last draw.
  void Update(uint64_t done);
  // Draws the final state and ends the bar's line.
  void Finish(uint64_t done);

 private:
  void Draw(uint64_t done);
  double Elapsed() const;

  std::ostream& out_;
  Mode mode_;
  std::string verb_;
  uint64_t total_;
  std::chrono::steady_clock::time_point start_;
  std::optional<std::chrono::steady_clock::time_point> last_draw_;
};

}  // namespace stalk::cli
