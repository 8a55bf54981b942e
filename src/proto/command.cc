#include "proto/command.h"

#include <array>

namespace stalk::proto {

std::string_view VerbName(Verb verb) {
  static constexpr std::array<std::string_view, kVerbCount> kNames = {
      "put",
      "peek",
      "peek-ready",
      "peek-delayed",
      "peek-buried",
      "reserve",
      "reserve-with-timeout",
      "reserve-job",
      "delete",
      "release",
      "bury",
      "kick",
      "kick-job",
      "touch",
      "stats-job",
      "stats-tube",
      "stats",
      "use",
      "watch",
      "ignore",
      "list-tubes-watched",
      "list-tube-used",
      "list-tubes",
      "quit",
      "pause-tube",
  };
  const auto i = static_cast<size_t>(verb);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

bool IsTubeNameChar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '+':
    case '/':
    case ';':
    case '.':
    case '$':
    case '_':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

bool IsValidTubeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTubeNameBytes || name.front() == '-') return false;
  for (char c : name) {
    if (!IsTubeNameChar(c)) return false;
  }
  return true;
}

}  // namespace stalk::proto
