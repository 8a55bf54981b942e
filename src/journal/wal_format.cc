#include "journal/wal_format.h"

#include <cstdio>

namespace stalk::journal::format {

std::string SegmentFileName(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*s%0*u", static_cast<int>(kSegmentPrefix.size()),
                kSegmentPrefix.data(), kSegmentDigits, index);
  return buf;
}

std::optional<uint32_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != kSegmentPrefix.size() + kSegmentDigits) return std::nullopt;
  if (name.substr(0, kSegmentPrefix.size()) != kSegmentPrefix) return std::nullopt;
  uint64_t v = 0;
  for (char c : name.substr(kSegmentPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v == 0 || v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

}  // namespace stalk::journal::format
