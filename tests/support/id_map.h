#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stalk::test {

// Lets a suite written for beanstalkd's global sequential job ids ("INSERTED 1",
// "delete 2", "id: 3") run against a server whose ids are sparse, such as stalkd
// on Redis (id = slot * 2^39 + seq, docs/redis_schema.md).
//
// IdMap numbers the server's ids 1, 2, 3... in the order they first appear in a
// reply (an "ordinal"), and maps back. The two translators below rewrite a
// client's byte streams with it: commands going out get ordinal -> server id,
// replies coming in get server id -> ordinal. WireClient uses them when it is
// given an IdMap (WireClient::UseIdMap); one IdMap is shared by every client of a
// test, so an id seen on one connection translates on another.
//
// Thread-safe (one mutex): clients of one test may run on different threads.
class IdMap {
 public:
  // The ordinal of `server_id`, giving it the next free one if it is new.
  uint64_t OrdinalOf(uint64_t server_id);
  // The server id that `ordinal` stands for; nullopt if no reply has shown one
  // with that ordinal yet (the caller then sends the number unchanged).
  std::optional<uint64_t> ServerIdOf(uint64_t ordinal) const;
  // How many server ids have been seen.
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, uint64_t> ordinal_of_;  // server id -> ordinal
  std::vector<uint64_t> server_id_of_;                 // ordinal - 1 -> server id
};

// Rewrites a client's outgoing byte stream: the job id argument of peek,
// reserve-job, delete, release, bury, kick-job, touch and stats-job goes from
// ordinal to server id (zero-padded to the ordinal's width, so line lengths that
// a test pins down stay the same when they can). Unknown ordinals, malformed
// numbers and every other byte pass through unchanged. Job bodies are never
// touched: a put line's <bytes> is read the way the server reads it, and the
// next <bytes> + 2 bytes are passed on as they are.
//
// A command line that may still turn out to take an id is held back until its
// "\r\n" arrives (it cannot be rewritten before); any other byte is returned at
// once. A whole line whose ordinal is not known yet but may still be given by a
// reply to an earlier command of this connection (a pipelined "put ...\r\n...
// peek 1\r\n": ordinal <= ids known + commands unanswered) stays held, and so
// does everything after it: blocked() is true. The caller then reads replies,
// reports them (NoteReplies) and calls Resume() until it is not blocked, or
// gives up (the line then goes out unchanged). Not thread-safe (one per
// connection).
class CommandTranslator {
 public:
  explicit CommandTranslator(std::shared_ptr<IdMap> map) : map_(std::move(map)) {}

  // Consumes `bytes` (the next bytes of the stream) and returns what to send now.
  std::string Feed(std::string_view bytes);
  // True while a line waits for its ordinal (see the class comment).
  bool blocked() const { return blocked_; }
  // How many replies the connection has received so far (ReplyTranslator::replies()).
  void NoteReplies(uint64_t replies) { replies_seen_ = replies; }
  // Retries a blocked line; with `give_up` it goes out unchanged. Returns what
  // to send now (possibly nothing, if still blocked).
  std::string Resume(bool give_up);
  // Returns, untranslated, everything held back so far (e.g. before a half-close).
  std::string Flush();

 private:
  void EndOfLine(std::string* out, bool give_up);
  uint64_t unanswered() const { return lines_sent_ - std::min(lines_sent_, replies_seen_); }

  std::shared_ptr<IdMap> map_;
  uint64_t body_left_ = 0;  // bytes of a put body (plus its "\r\n") still to pass
  std::string line_;        // the current command line so far (capped)
  size_t line_bytes_ = 0;   // its real length, which can exceed line_'s cap
  bool last_was_cr_ = false;
  bool holding_ = false;       // line_ has not been sent yet
  bool blocked_ = false;       // line_ is whole and waits for its ordinal
  std::string queued_;         // bytes fed after a blocked line, untranslated
  uint64_t lines_sent_ = 0;    // command lines passed on (one reply each)
  uint64_t replies_seen_ = 0;  // see NoteReplies
};

// Reassembles the server's reply stream into whole replies and rewrites the ids
// in them from server id to ordinal: INSERTED <id>, BURIED <id>, RESERVED <id>
// <bytes>, FOUND <id> <bytes> and the "id: <n>" of a stats-job document (whose
// "OK <bytes>" is recomputed). Bodies and every other reply pass unchanged.
// Bytes of a reply that is not complete yet are held (pending()). Not
// thread-safe (one per connection).
class ReplyTranslator {
 public:
  explicit ReplyTranslator(std::shared_ptr<IdMap> map) : map_(std::move(map)) {}

  // Consumes `bytes` and returns the translation of every reply they complete.
  std::string Feed(std::string_view bytes);
  // Bytes of an incomplete reply, untranslated.
  const std::string& pending() const { return raw_; }
  // How many whole replies have been taken so far.
  uint64_t replies() const { return replies_; }
  // Returns and forgets pending(): at EOF no more replies can complete.
  std::string TakePending();

 private:
  // Translates the reply at the front of raw_ into *out if it is complete.
  bool TakeOneReply(std::string* out);

  std::shared_ptr<IdMap> map_;
  std::string raw_;
  uint64_t replies_ = 0;
};

}  // namespace stalk::test
