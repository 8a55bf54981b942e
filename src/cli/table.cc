#include "cli/table.h"

#include <algorithm>

namespace stalk::cli {
namespace {

size_t DisplayWidth(const std::string& s) {
  // Count bytes that are not UTF-8 continuation bytes (10xxxxxx).
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void AppendRow(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
               const std::vector<Align>& align, std::string* out) {
  std::string line;
  for (size_t col = 0; col < widths.size(); ++col) {
    const std::string empty;
    const std::string& cell = col < cells.size() ? cells[col] : empty;
    const size_t pad = widths[col] - DisplayWidth(cell);
    const bool right = col < align.size() && align[col] == Align::kRight;
    if (col > 0) line.append("  ");
    if (right) line.append(pad, ' ');
    line.append(cell);
    if (!right) line.append(pad, ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out->append(line);
  out->push_back('\n');
}

}  // namespace

std::string FormatTable(const Table& table) {
  size_t columns = table.header.size();
  for (const auto& row : table.rows) columns = std::max(columns, row.size());
  std::vector<size_t> widths(columns, 0);
  auto widen = [&](const std::vector<std::string>& cells) {
    for (size_t col = 0; col < cells.size(); ++col) {
      widths[col] = std::max(widths[col], DisplayWidth(cells[col]));
    }
  };
  widen(table.header);
  for (const auto& row : table.rows) widen(row);
  std::string out;
  if (!table.header.empty()) AppendRow(table.header, widths, table.align, &out);
  for (const auto& row : table.rows) AppendRow(row, widths, table.align, &out);
  return out;
}

std::string FormatKeyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  Table t;
  for (const auto& [key, value] : rows) t.rows.push_back({key, value});
  return FormatTable(t);
}

}  // namespace stalk::cli
