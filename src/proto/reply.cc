#include "proto/reply.h"

#include <array>
#include <charconv>

namespace stalk::proto {
namespace {

constexpr std::string_view kCrlf = "\r\n";

void AppendNumber(std::string* out, uint64_t n) {
  char buf[20];
  const auto res = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, static_cast<size_t>(res.ptr - buf));
}

// "<word> <n>\r\n"
void AppendWordNumber(std::string* out, std::string_view word, uint64_t n) {
  out->append(word);
  out->push_back(' ');
  AppendNumber(out, n);
  out->append(kCrlf);
}

// "<word> <id> <bytes>\r\n<body>\r\n"
void AppendJob(std::string* out, std::string_view word, uint64_t id, std::string_view body) {
  out->reserve(out->size() + word.size() + 44 + body.size() + 2);
  out->append(word);
  out->push_back(' ');
  AppendNumber(out, id);
  out->push_back(' ');
  AppendNumber(out, body.size());
  out->append(kCrlf);
  out->append(body);
  out->append(kCrlf);
}

}  // namespace

std::string_view ReplyWord(Reply r) {
  // Indexed by Reply; keep in the enum's order.
  static constexpr std::array<std::string_view, 17> kWords = {
      "OUT_OF_MEMORY", "INTERNAL_ERROR", "BAD_FORMAT",    "UNKNOWN_COMMAND", "EXPECTED_CRLF",
      "JOB_TOO_BIG",   "DRAINING",       "DEADLINE_SOON", "TIMED_OUT",       "NOT_FOUND",
      "NOT_IGNORED",   "DELETED",        "RELEASED",      "BURIED",          "TOUCHED",
      "KICKED",        "PAUSED",
  };
  static_assert(static_cast<size_t>(Reply::kPaused) + 1 == kWords.size());
  const auto i = static_cast<size_t>(r);
  return i < kWords.size() ? kWords[i] : std::string_view("INTERNAL_ERROR");
}

void AppendReply(std::string* out, Reply r) {
  out->append(ReplyWord(r));
  out->append(kCrlf);
}

void AppendInserted(std::string* out, uint64_t id) { AppendWordNumber(out, "INSERTED", id); }

void AppendBuriedId(std::string* out, uint64_t id) {
  AppendWordNumber(out, ReplyWord(Reply::kBuried), id);
}

void AppendKicked(std::string* out, uint64_t count) {
  AppendWordNumber(out, ReplyWord(Reply::kKickedOne), count);
}

void AppendWatching(std::string* out, uint64_t count) { AppendWordNumber(out, "WATCHING", count); }

void AppendUsing(std::string* out, std::string_view tube) {
  out->append("USING ");
  out->append(tube);
  out->append(kCrlf);
}

void AppendReserved(std::string* out, uint64_t id, std::string_view body) {
  AppendJob(out, "RESERVED", id, body);
}

void AppendFound(std::string* out, uint64_t id, std::string_view body) {
  AppendJob(out, "FOUND", id, body);
}

void AppendOk(std::string* out, std::string_view yaml) {
  out->reserve(out->size() + 24 + yaml.size() + 2);
  out->append("OK ");
  AppendNumber(out, yaml.size());
  out->append(kCrlf);
  out->append(yaml);
  out->append(kCrlf);
}

}  // namespace stalk::proto
