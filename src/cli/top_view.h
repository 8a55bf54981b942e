#pragma once

// The screen of `stalk top`. Pure; thread-safe.

#include <string>
#include <vector>

#include "cli/rates.h"

namespace stalk::cli {

struct TopScreen {
  std::string address;    // the server, for the title line
  std::string timestamp;  // local time, for the title line
  double interval_s = 0;  // the refresh interval, for the title line
  std::vector<TubeRow> rows;
};

// ansi = true (a terminal): the screen is cleared and redrawn in place. ansi =
// false (a pipe or file): no escape codes at all; each refresh is a block that
// ends with a blank line, so successive blocks can be told apart.
std::string RenderTop(const TopScreen& screen, bool ansi);

// "12.5", "0.0", or "-" when unknown.
std::string FormatRate(const std::optional<double>& rate);

}  // namespace stalk::cli
