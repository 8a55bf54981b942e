#include "support/id_map.h"

#include <algorithm>
#include <array>
#include <utility>

namespace stalk::test {
namespace {

// Verbs whose first argument is a job id, with the space that ends the verb.
constexpr std::array<std::string_view, 8> kIdVerbs = {
    "peek ", "reserve-job ", "delete ", "release ", "bury ", "kick-job ", "touch ", "stats-job "};

// The longest command line the server accepts, "\r\n" included (beanstalkd's
// LINE_BUF_SIZE); a longer put line is BAD_FORMAT and has no body.
constexpr size_t kMaxCommandLine = 224;
// A line held back for rewriting longer than this is passed on untranslated:
// the server rejects it anyway, and holding it longer would only delay bytes.
constexpr size_t kMaxHeldLine = 4096;
// A reply announcing more data than this is taken as garbage (no data follows),
// so a broken length cannot make the client wait for bytes that never come.
constexpr uint64_t kMaxReplyData = uint64_t{1} << 31;

// All digits, at least one, and no overflow.
std::optional<uint64_t> ParseU64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// True while `line` (the start of a command line) may still be, or already is,
// a command that takes a job id.
bool MayTakeId(std::string_view line) {
  for (std::string_view verb : kIdVerbs) {
    if (line.size() <= verb.size() ? verb.starts_with(line) : line.starts_with(verb)) return true;
  }
  return false;
}

// The body length announced by a put line (without its "\r\n"), read as the
// server reads it: "put" then four unsigned 32-bit numbers, each after one or
// more spaces, nothing after the last. nullopt when the server would answer
// BAD_FORMAT (and so read no body).
std::optional<uint64_t> PutBodyBytes(std::string_view line) {
  if (!line.starts_with("put ")) return std::nullopt;
  std::string_view rest = line.substr(3);
  uint64_t value = 0;
  for (int i = 0; i < 4; ++i) {
    if (rest.empty() || rest.front() != ' ') return std::nullopt;
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    auto n = ParseU64(rest.substr(0, digits));
    if (!n || *n > UINT32_MAX) return std::nullopt;
    value = *n;
    rest.remove_prefix(digits);
  }
  if (!rest.empty()) return std::nullopt;
  return value;
}

// Where the job id argument of a command line ("\r\n" included) is, and the
// ordinal it names; nullopt for lines without one (or with a malformed one,
// which the server answers BAD_FORMAT whatever we send).
struct IdArgument {
  size_t start = 0;
  size_t end = 0;
  uint64_t ordinal = 0;
};

std::optional<IdArgument> FindIdArgument(std::string_view line) {
  for (std::string_view verb : kIdVerbs) {
    if (!line.starts_with(verb)) continue;
    const std::string_view body = line.substr(0, line.size() - 2);  // without "\r\n"
    size_t start = verb.size();
    while (start < body.size() && body[start] == ' ') ++start;
    size_t end = start;
    while (end < body.size() && body[end] >= '0' && body[end] <= '9') ++end;
    if (end < body.size() && body[end] != ' ') return std::nullopt;  // "111foo"
    auto ordinal = ParseU64(body.substr(start, end - start));
    if (!ordinal) return std::nullopt;
    return IdArgument{start, end, *ordinal};
  }
  return std::nullopt;
}

// `line` with the id at `arg` replaced by `server_id`, zero-padded to the
// ordinal's width (so "peek 0000001" stays 12 bytes when it can).
std::string ReplaceId(std::string_view line, const IdArgument& arg, uint64_t server_id) {
  std::string id = std::to_string(server_id);
  const size_t width = arg.end - arg.start;
  if (id.size() < width) id.insert(0, width - id.size(), '0');
  std::string out(line.substr(0, arg.start));
  out += id;
  out += line.substr(arg.end);
  return out;
}

}  // namespace

uint64_t IdMap::OrdinalOf(uint64_t server_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = ordinal_of_.try_emplace(server_id, server_id_of_.size() + 1);
  if (inserted) server_id_of_.push_back(server_id);
  return it->second;
}

std::optional<uint64_t> IdMap::ServerIdOf(uint64_t ordinal) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (ordinal == 0 || ordinal > server_id_of_.size()) return std::nullopt;
  return server_id_of_[ordinal - 1];
}

size_t IdMap::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_id_of_.size();
}

std::string CommandTranslator::Feed(std::string_view bytes) {
  std::string out;
  while (!bytes.empty()) {
    if (blocked_) {
      queued_.append(bytes);  // translated once the blocked line goes out
      break;
    }
    if (body_left_ > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(body_left_, bytes.size()));
      out.append(bytes.substr(0, n));
      body_left_ -= n;
      bytes.remove_prefix(n);
      continue;
    }
    // The next piece of the command line: up to and including a '\n'.
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl == std::string_view::npos ? bytes.size() : nl + 1);
    bytes.remove_prefix(piece.size());
    const bool ends_line = piece.back() == '\n' &&
                           (piece.size() >= 2 ? piece[piece.size() - 2] == '\r' : last_was_cr_);
    last_was_cr_ = piece.back() == '\r';
    if (line_bytes_ == 0) holding_ = true;  // an empty line may still become "peek 1"
    line_bytes_ += piece.size();
    if (holding_) {
      // line_ is whole while held (held lines never pass the cap).
      const bool fits = line_.size() + piece.size() <= kMaxHeldLine;
      if (!fits || !MayTakeId(line_ + std::string(piece))) {
        out += line_;  // the line cannot take an id (or is too long): nothing to rewrite
        out += piece;
        holding_ = false;
      }
    } else {
      out += piece;
    }
    line_.append(piece.substr(0, std::min(piece.size(), kMaxHeldLine - line_.size())));
    if (ends_line) EndOfLine(&out, /*give_up=*/false);
  }
  return out;
}

std::string CommandTranslator::Resume(bool give_up) {
  if (!blocked_) return "";
  std::string out;
  EndOfLine(&out, give_up);
  if (blocked_) return out;
  out += Feed(std::exchange(queued_, std::string()));
  return out;
}

void CommandTranslator::EndOfLine(std::string* out, bool give_up) {
  blocked_ = false;
  if (holding_) {
    const auto arg = FindIdArgument(line_);
    const auto server_id = arg ? map_->ServerIdOf(arg->ordinal) : std::nullopt;
    if (server_id) {
      *out += ReplaceId(line_, *arg, *server_id);
    } else if (arg && !give_up && arg->ordinal > 0 && arg->ordinal <= map_->size() + unanswered()) {
      // A reply still to come may give this ordinal its id (a pipelined
      // "put...peek 1"): keep the line until it does.
      blocked_ = true;
      return;
    } else {
      *out += line_;
    }
  }
  if (line_bytes_ <= kMaxCommandLine) {
    auto body = PutBodyBytes(std::string_view(line_).substr(0, line_.size() - 2));
    // The server reads (and, if too big, discards) the body and its "\r\n".
    if (body) body_left_ = *body + 2;
  }
  ++lines_sent_;
  line_.clear();
  line_bytes_ = 0;
  last_was_cr_ = false;
  holding_ = false;
}

std::string CommandTranslator::Flush() {
  std::string out = holding_ ? line_ : std::string();
  out += std::exchange(queued_, std::string());
  holding_ = false;
  blocked_ = false;
  return out;
}

std::string ReplyTranslator::Feed(std::string_view bytes) {
  raw_.append(bytes);
  std::string out;
  while (TakeOneReply(&out)) ++replies_;
  return out;
}

std::string ReplyTranslator::TakePending() { return std::exchange(raw_, std::string()); }

bool ReplyTranslator::TakeOneReply(std::string* out) {
  const size_t eol = raw_.find("\r\n");
  if (eol == std::string::npos) return false;
  const std::string_view line(raw_.data(), eol);
  const size_t line_bytes = eol + 2;
  const size_t space1 = line.find(' ');
  const std::string_view verb = line.substr(0, space1);
  const std::string_view args =
      space1 == std::string_view::npos ? std::string_view() : line.substr(space1 + 1);
  const size_t space2 = args.find(' ');
  const std::string_view arg1 = args.substr(0, space2);
  const std::string_view arg2 =
      space2 == std::string_view::npos ? std::string_view() : args.substr(space2 + 1);

  auto pass_line = [&] {
    out->append(raw_, 0, line_bytes);
    raw_.erase(0, line_bytes);
    return true;
  };
  auto ordinal_text = [&](uint64_t server_id) {
    return std::to_string(map_->OrdinalOf(server_id));
  };

  if ((verb == "INSERTED" || verb == "BURIED") && space2 == std::string_view::npos) {
    auto id = ParseU64(arg1);
    if (!id) return pass_line();
    *out += std::string(verb) + " " + ordinal_text(*id) + "\r\n";
    raw_.erase(0, line_bytes);
    return true;
  }
  if (verb == "RESERVED" || verb == "FOUND") {
    auto id = ParseU64(arg1);
    auto len = ParseU64(arg2);
    if (!id || !len || *len > kMaxReplyData) return pass_line();
    const size_t total = line_bytes + static_cast<size_t>(*len) + 2;
    if (raw_.size() < total) return false;
    *out += std::string(verb) + " " + ordinal_text(*id) + " " + std::string(arg2) + "\r\n";
    out->append(raw_, line_bytes, total - line_bytes);
    raw_.erase(0, total);
    return true;
  }
  if (verb == "OK" && space2 == std::string_view::npos) {
    auto len = ParseU64(arg1);
    if (!len || *len > kMaxReplyData) return pass_line();
    const size_t total = line_bytes + static_cast<size_t>(*len) + 2;
    if (raw_.size() < total) return false;
    std::string doc = raw_.substr(line_bytes, static_cast<size_t>(*len));
    // Only a stats-job document starts with its id; `stats` has a hex "id" later.
    constexpr std::string_view kIdKey = "---\nid: ";
    if (doc.starts_with(kIdKey)) {
      const size_t nl = doc.find('\n', kIdKey.size());
      auto id = nl == std::string::npos
                    ? std::nullopt
                    : ParseU64(std::string_view(doc).substr(kIdKey.size(), nl - kIdKey.size()));
      if (id) doc.replace(kIdKey.size(), nl - kIdKey.size(), ordinal_text(*id));
    }
    *out += "OK " + std::to_string(doc.size()) + "\r\n" + doc;
    out->append(raw_, total - 2, 2);
    raw_.erase(0, total);
    return true;
  }
  return pass_line();
}

}  // namespace stalk::test
