#include "proto/reply_reader.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace stalk::proto {
namespace {

// Strict decimal: digits only, no sign, no leading '+', fits in 64 bits.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string_view RawReply::word() const {
  std::string_view l = line;
  return l.substr(0, l.find(' '));
}

std::string_view RawReply::args() const {
  std::string_view l = line;
  size_t space = l.find(' ');
  return space == std::string_view::npos ? std::string_view() : l.substr(space + 1);
}

ReplyReader::ReplyReader(uint64_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

ReplyReader::Event ReplyReader::Bad(std::string why) {
  state_ = State::kBad;
  error_ = std::move(why);
  return Event::kBadReply;
}

ReplyReader::Event ReplyReader::Next(std::string_view in, size_t* consumed) {
  *consumed = 0;
  while (true) {
    std::string_view rest = in.substr(*consumed);
    switch (state_) {
      case State::kBad:
        return Event::kBadReply;
      case State::kDone:
        return Event::kReply;
      case State::kLine: {
        size_t used = 0;
        Event ev = ReadLine(rest, &used);
        *consumed += used;
        if (ev != Event::kNeedMore || state_ == State::kLine) return ev;
        break;  // the line announced a body: go on reading it
      }
      case State::kBody: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, rest.size()));
        reply_.body.append(rest.data(), take);
        *consumed += take;
        body_left_ -= take;
        if (body_left_ > 0) return Event::kNeedMore;
        state_ = State::kBodyCrlf;
        break;
      }
      case State::kBodyCrlf: {
        static constexpr std::string_view kCrlf = "\r\n";
        while (crlf_seen_ < 2 && *consumed < in.size()) {
          if (in[*consumed] != kCrlf[crlf_seen_]) {
            return Bad("the data of '" + reply_.line + "' is not followed by CRLF");
          }
          ++crlf_seen_;
          ++*consumed;
        }
        if (crlf_seen_ < 2) return Event::kNeedMore;
        state_ = State::kDone;
        return Event::kReply;
      }
    }
  }
}

ReplyReader::Event ReplyReader::ReadLine(std::string_view in, size_t* consumed) {
  size_t nl = in.find('\n');
  size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
  if (reply_.line.size() + take > kMaxReplyLineBytes) {
    return Bad("reply line longer than " + std::to_string(kMaxReplyLineBytes) + " bytes");
  }
  reply_.line.append(in.data(), take);
  *consumed = take;
  if (nl == std::string_view::npos) return Event::kNeedMore;
  // The '\r' may have arrived in an earlier call; it is in the line buffer either way.
  if (reply_.line.size() < 2 || reply_.line[reply_.line.size() - 2] != '\r') {
    return Bad("reply line not ended by CRLF");
  }
  reply_.line.resize(reply_.line.size() - 2);
  return FinishLine();
}

ReplyReader::Event ReplyReader::FinishLine() {
  std::string_view word = reply_.word();
  std::string_view args = reply_.args();
  uint64_t bytes = 0;
  if (word == "RESERVED" || word == "FOUND") {
    size_t space = args.find(' ');
    if (space == std::string_view::npos || !ParseDecimal(args.substr(0, space), &reply_.id) ||
        !ParseDecimal(args.substr(space + 1), &bytes)) {
      return Bad("malformed reply line '" + reply_.line + "'");
    }
  } else if (word == "OK") {
    if (!ParseDecimal(args, &bytes)) return Bad("malformed reply line '" + reply_.line + "'");
  } else {
    state_ = State::kDone;
    return Event::kReply;
  }
  if (bytes > max_body_bytes_) {
    return Bad("reply announces " + std::to_string(bytes) + " bytes, over the limit of " +
               std::to_string(max_body_bytes_));
  }
  reply_.has_body = true;
  // Reserve at most 1 MiB up front: a lying header must not cost a huge allocation.
  reply_.body.reserve(static_cast<size_t>(std::min<uint64_t>(bytes, 1 << 20)));
  body_left_ = bytes;
  crlf_seen_ = 0;
  state_ = State::kBody;
  return Event::kNeedMore;
}

RawReply ReplyReader::TakeReply() {
  RawReply out = std::move(reply_);
  reply_ = RawReply();
  state_ = State::kLine;
  body_left_ = 0;
  crlf_seen_ = 0;
  return out;
}

}  // namespace stalk::proto
