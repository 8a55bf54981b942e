#pragma once

// Aligned plain-text tables for people: `stats`, `tubes --stats`, `top`. Pure;
// thread-safe.

#include <string>
#include <vector>

namespace stalk::cli {

enum class Align { kLeft, kRight };

struct Table {
  std::vector<std::string> header;  // may be empty: no header line
  std::vector<Align> align;         // per column; missing entries are kLeft
  std::vector<std::vector<std::string>> rows;
};

// Columns padded to their widest cell and separated by two spaces; no trailing
// spaces; one '\n' per line. Rows shorter than the header are padded with "".
// Widths count UTF-8 code points, so a non-ASCII value does not skew a column.
std::string FormatTable(const Table& table);

// A two-column key/value table with the values left-aligned: the `stats` view.
std::string FormatKeyValues(const std::vector<std::pair<std::string, std::string>>& rows);

}  // namespace stalk::cli
