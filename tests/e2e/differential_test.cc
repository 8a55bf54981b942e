// Differential test: the same command scripts against Debian's beanstalkd 1.12
// (the baseline) and the server under test (the candidate), each started fresh
// on its own loopback port; every pair of replies must be equal after
// normalising only the differences listed in kAllowedDifferences below (copied
// to docs/compatibility.md).
//
//   baseline:  $STALK_DIFF_BASELINE, default /usr/bin/beanstalkd
//   candidate: $STALK_TEST_SERVER, default the stalkd built in this tree
//
// With STALK_TEST_SERVER=/usr/bin/beanstalkd the harness runs beanstalkd against
// itself, which checks the harness (every allowance then normalises nothing).
//
// Two kinds of sessions:
//   - scripted sessions covering every command, error replies and several
//     connections interleaved deterministically;
//   - random sessions from fixed seeds: commands drawn from the whole grammar
//     (valid and invalid) over three connections, a small tube set and a small id
//     range so ids hit. They avoid timing races (no delay or TTR expires during
//     a run; reserves never block) and malformed puts that burn ids.
//
// Steps run one at a time: a command goes to the same connection of both
// servers and both replies are read before the next step, so the interleaving
// is the same on both sides. A difference reports the seed (or script), the
// step, the command and both replies.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "support/server_process.h"
#include "support/server_under_test.h"
#include "support/wire_client.h"
#include "support/yaml_doc.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// THE table of allowed differences (keep docs/compatibility.md in step).
// ---------------------------------------------------------------------------

enum class Allowance {
  kQuoting,         // string value quoted as its server's flavour quotes it
  kAnyValue,        // value may differ entirely (it describes the process)
  kVersion,         // each side matches its own version format
  kOneSecond,       // integer seconds; may differ by at most 1
  kReserveTimeout,  // reserve-with-timeout argument parsing (1.13 rules)
  kLongLineBug,     // beanstalkd's 224-byte block bug on over-long lines
  kBurntIds,        // failed puts consume a job id in beanstalkd only
  kLoneCr,          // a '\r' not followed by '\n' inside a command line
};

struct AllowedDifference {
  std::string_view subject;  // a YAML key, or what the protocol rule applies to
  Allowance allowance;
  std::string_view rule;
};

constexpr AllowedDifference kAllowedDifferences[] = {
    {"tube", Allowance::kQuoting,
     "string values: stalkd quotes only where a YAML reader would not read the bare text back "
     "as the same string (1.13-style); 1.12 never quotes. Compared unquoted."},
    {"name", Allowance::kQuoting, "as tube"},
    {"- <tube> (list-tubes, list-tubes-watched)", Allowance::kQuoting, "as tube"},
    {"hostname", Allowance::kQuoting, "as tube"},
    {"os", Allowance::kQuoting, "as tube"},
    {"platform", Allowance::kQuoting, "as tube"},
    {"id", Allowance::kQuoting, "as tube (the instance id of stats)"},
    {"version", Allowance::kVersion,
     "\"1.12\" (quoted) for beanstalkd 1.12, 1.13.0+stalkd.<x> (bare: it reads back as the same string) for stalkd"},
    {"pid", Allowance::kAnyValue, "different processes"},
    {"id", Allowance::kAnyValue, "stats: random per process start"},
    {"hostname", Allowance::kAnyValue, "host description"},
    {"os", Allowance::kAnyValue, "host description"},
    {"platform", Allowance::kAnyValue, "host description"},
    {"rusage-utime", Allowance::kAnyValue, "CPU time of the process"},
    {"rusage-stime", Allowance::kAnyValue, "CPU time of the process"},
    {"uptime", Allowance::kAnyValue, "servers started at different moments"},
    {"age", Allowance::kOneSecond, "whole seconds, truncated at slightly different moments"},
    {"time-left", Allowance::kOneSecond, "as age"},
    {"pause-time-left", Allowance::kOneSecond, "as age"},
    {"reserve-with-timeout <seconds>", Allowance::kReserveTimeout,
     "1.13 reads a u32 <= INT_MAX with nothing after it and answers BAD_FORMAT otherwise; 1.12 "
     "uses strtol (\"abc\" is 0, -1 waits forever). Such commands go only to a 1.13-style "
     "candidate, which must answer BAD_FORMAT."},
    {"command line longer than 224 bytes with length % 224 == 1", Allowance::kLongLineBug,
     "beanstalkd misses the \"\\r\\n\" split across its 224-byte blocks and swallows the next "
     "line too; stalkd answers BAD_FORMAT and goes on. The harness sends beanstalkd an extra "
     "\"\\r\\n\" to end the swallowed line."},
    {"job ids after a put answered EXPECTED_CRLF or DRAINING", Allowance::kBurntIds,
     "beanstalkd allocates the job before reading the body and burns its id; stalkd does not. "
     "Ids in commands and replies are mapped to burn-free numbering. (beanstalkd also burns "
     "one when a client disconnects in the middle of a body; the harness never does.)"},
    {"command line containing a lone \\r", Allowance::kLoneCr,
     "beanstalkd only looks at the first \\r of its buffer, so the line never ends and the "
     "connection stalls until 224 bytes arrive; stalkd ends the line at its first \\r\\n. Such "
     "lines are not sent to a 1.12 server (the conformance suite covers them)."},
};

bool Allows(std::string_view key, Allowance allowance) {
  for (const auto& a : kAllowedDifferences) {
    if (a.subject == key && a.allowance == allowance) return true;
  }
  return false;
}

// 1.13 (prot.c read_u32 with no end pointer, then <= INT_MAX): optional
// leading spaces, then only digits.
bool ReserveTimeoutAccepted113(std::string_view arg) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.empty() || arg.size() > 10) return false;
  uint64_t v = 0;
  for (char c : arg) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v <= INT_MAX;
}

// 1.12: strtol; only an out-of-range number is refused.
bool ReserveTimeoutAccepted112(std::string_view arg) {
  std::string s(arg);
  errno = 0;
  std::strtol(s.c_str(), nullptr, 10);
  return errno == 0;
}

// True when the first line of `cmd` has a '\r' before its "\r\n".
bool HasLoneCr(std::string_view cmd) {
  size_t eol = cmd.find("\r\n");
  return cmd.substr(0, eol).find('\r') != std::string_view::npos;
}

// ---------------------------------------------------------------------------
// Job id bookkeeping per server (Allowance::kBurntIds).
// ---------------------------------------------------------------------------

class IdMap {
 public:
  explicit IdMap(bool burns) : burns_(burns) {}
  void Inserted(uint64_t id) { next_ = std::max(next_, id + 1); }
  void FailedPut() {
    if (burns_) burnt_.insert(next_++);
  }
  uint64_t ToCanonical(uint64_t id) const {
    uint64_t below = 0;
    for (uint64_t b : burnt_) below += b < id;
    return id - below;
  }
  uint64_t ToServer(uint64_t canonical) const {
    uint64_t id = canonical;
    for (uint64_t b : burnt_) id += b <= id;
    return id;
  }

 private:
  bool burns_;
  uint64_t next_ = 1;
  std::set<uint64_t> burnt_;
};

std::optional<uint64_t> ParseId(std::string_view s) {
  if (s.empty() || s.size() > 19 || s[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// Verbs whose first argument is a job id.
constexpr std::string_view kIdVerbs[] = {"peek ", "reserve-job ", "delete ", "release ",
                                         "bury ", "kick-job ",    "touch ",  "stats-job "};

// Rewrites the id argument of `command` (a canonical id) to `ids`' numbering.
std::string TranslateCommand(const std::string& command, const IdMap& ids) {
  for (std::string_view verb : kIdVerbs) {
    if (!std::string_view(command).starts_with(verb)) continue;
    size_t start = verb.size();
    size_t end = command.find_first_of(" \r", start);
    if (end == std::string::npos) return command;
    auto id = ParseId(std::string_view(command).substr(start, end - start));
    if (!id) return command;
    return command.substr(0, start) + std::to_string(ids.ToServer(*id)) + command.substr(end);
  }
  return command;
}

// ---------------------------------------------------------------------------
// Reply comparison.
// ---------------------------------------------------------------------------

struct Flavour {
  bool beanstalkd;  // 1.12 rules
};

// A reply with the job id of its first line mapped to canonical numbering.
std::string CanonicalReply(std::string_view reply, const IdMap& ids) {
  size_t eol = reply.find("\r\n");
  if (eol == std::string_view::npos) eol = reply.size();
  std::string line(reply.substr(0, eol));
  const std::string rest(reply.substr(eol));
  for (std::string_view word : {"INSERTED ", "BURIED ", "RESERVED ", "FOUND "}) {
    if (!std::string_view(line).starts_with(word)) continue;
    size_t end = line.find(' ', word.size());
    if (end == std::string::npos) end = line.size();
    if (auto id = ParseId(std::string_view(line).substr(word.size(), end - word.size()))) {
      line = line.substr(0, word.size()) + std::to_string(ids.ToCanonical(*id)) + line.substr(end);
    }
    break;
  }
  return line + rest;
}

// Checks one side's quoting of a string value; returns a problem or "".
std::string QuotingProblem(std::string_view side, Flavour f, std::string_view key,
                           std::string_view raw) {
  std::string want = YamlStringScalar(f.beanstalkd, YamlUnquote(raw));
  if (raw == want) return "";
  return std::string(side) + " writes " + std::string(key) + " as " + std::string(raw) +
         "; its flavour writes " + want;
}

// "" when the two replies are equivalent under kAllowedDifferences, else why not.
std::string Difference(const std::optional<std::string>& b, const IdMap& b_ids, Flavour bf,
                       const std::optional<std::string>& c, const IdMap& c_ids, Flavour cf) {
  if (!b && !c) return "";
  if (!b || !c) return !b ? "baseline gave no reply" : "candidate gave no reply";
  auto b_body = OkReplyBody(*b);
  auto c_body = OkReplyBody(*c);
  if (!b_body || !c_body) {
    return CanonicalReply(*b, b_ids) == CanonicalReply(*c, c_ids) ? "" : "replies differ";
  }
  auto bd = ParseYamlDoc(*b_body);
  auto cd = ParseYamlDoc(*c_body);
  if (!bd || !cd) return *b_body == *c_body ? "" : "unparsable YAML differs";
  if (bd->is_list != cd->is_list) return "one reply is a list, the other a mapping";
  if (bd->is_list) {
    if (bd->items.size() != cd->items.size()) return "lists differ in length";
    for (size_t i = 0; i < bd->items.size(); ++i) {
      for (auto [side, f, raw] :
           {std::tuple{"baseline", bf, bd->items[i]}, std::tuple{"candidate", cf, cd->items[i]}}) {
        if (auto p = QuotingProblem(side, f, "- <tube> (list-tubes, list-tubes-watched)", raw);
            !p.empty()) {
          return p;
        }
      }
      if (YamlUnquote(bd->items[i]) != YamlUnquote(cd->items[i])) {
        return "list item " + std::to_string(i) + " differs";
      }
    }
    return "";
  }
  if (bd->fields.size() != cd->fields.size()) return "documents have different numbers of fields";
  const bool is_stats = bd->Get("pid").has_value();
  const bool is_job = bd->Get("tube").has_value();
  for (size_t i = 0; i < bd->fields.size(); ++i) {
    const auto& [key, braw] = bd->fields[i];
    const auto& [ckey, craw] = cd->fields[i];
    if (key != ckey) return "field " + std::to_string(i) + " is " + key + " vs " + ckey;
    // Job id of stats-job: canonical numbering.
    if (key == "id" && is_job) {
      auto bi = ParseId(braw), ci = ParseId(craw);
      if (!bi || !ci || b_ids.ToCanonical(*bi) != c_ids.ToCanonical(*ci)) return "job id differs";
      continue;
    }
    const bool string_field =
        (key == "id" && is_stats) || (key != "id" && Allows(key, Allowance::kQuoting));
    if (string_field) {
      if (auto p = QuotingProblem("baseline", bf, key, braw); !p.empty()) return p;
      if (auto p = QuotingProblem("candidate", cf, key, craw); !p.empty()) return p;
    }
    if (Allows(key, Allowance::kVersion)) {
      bool bq = false, cq = false;
      std::string bv = YamlUnquote(braw, &bq), cv = YamlUnquote(craw, &cq);
      if (bq != VersionIsQuoted(bf.beanstalkd) || !VersionMatches(bf.beanstalkd, bv)) {
        return "baseline version " + braw;
      }
      if (cq != VersionIsQuoted(cf.beanstalkd) || !VersionMatches(cf.beanstalkd, cv)) {
        return "candidate version " + craw + " (expected " +
               (VersionIsQuoted(cf.beanstalkd) ? "quoted" : "bare") + ")";
      }
      continue;
    }
    if (Allows(key, Allowance::kAnyValue) && (key != "id" || is_stats)) continue;
    if (Allows(key, Allowance::kOneSecond)) {
      char* be = nullptr;
      char* ce = nullptr;
      long long bn = std::strtoll(braw.c_str(), &be, 10), cn = std::strtoll(craw.c_str(), &ce, 10);
      if (*be != '\0' || *ce != '\0' || braw.empty() || craw.empty() || std::llabs(bn - cn) > 1) {
        return key + " differs by more than 1 s";
      }
      continue;
    }
    if (string_field ? YamlUnquote(braw) != YamlUnquote(craw) : braw != craw) {
      return key + " differs";
    }
  }
  return "";
}

// ---------------------------------------------------------------------------
// Steps and the runner.
// ---------------------------------------------------------------------------

struct Step {
  enum class Kind { kCommand, kDeferred, kCollect, kDrain };
  Kind kind = Kind::kCommand;
  int conn = 0;
  std::string bytes;  // the command, body included
};

Step Cmd(int conn, std::string bytes) { return {Step::Kind::kCommand, conn, std::move(bytes)}; }
// Sends a command that blocks (a reserve waiting for a job); its reply is read
// by a later Collect step.
Step Deferred(int conn, std::string bytes) {
  return {Step::Kind::kDeferred, conn, std::move(bytes)};
}
Step Collect(int conn) { return {Step::Kind::kCollect, conn, ""}; }
// SIGUSR1 to both servers, then wait until both report draining. The probe
// connection this needs changes total-connections and cmd-stats by different
// amounts on each side, so scripts send no stats after a Drain step.
Step Drain() { return {Step::Kind::kDrain, 0, ""}; }

struct Side {
  std::string label;
  std::string binary;
  Flavour flavour;
  std::unique_ptr<ServerProcess> process;
  std::vector<std::unique_ptr<WireClient>> conns;
  IdMap ids{true};
};

class Runner {
 public:
  Runner(std::string session, int connections)
      : session_(std::move(session)), connections_(connections) {}

  // Starts both servers and opens the connections. Reports failures itself.
  bool Start(const std::string& baseline, const std::string& candidate) {
    for (auto [side, label, path] :
         {std::tuple{&base_, "baseline", baseline}, std::tuple{&cand_, "candidate", candidate}}) {
      side->label = label;
      side->binary = path;
      side->flavour = {IsBeanstalkdBinary(path)};
      side->ids = IdMap(side->flavour.beanstalkd);
      ServerProcess::Options options;
      options.binary = path;
      std::string error;
      side->process = ServerProcess::Start(options, &error);
      if (!side->process) {
        ADD_FAILURE() << session_ << ": cannot start the " << label << ": " << error;
        return false;
      }
    }
    for (int i = 0; i < connections_; ++i) {
      if (!Reconnect(i)) return false;
    }
    return true;
  }

  // Highest canonical job id either side has inserted (for the generator).
  uint64_t max_id() const { return max_id_; }

  // Runs one step on both servers and compares. False (after reporting the
  // difference) when they disagree; the session should stop then.
  bool Run(const Step& step) {
    ++index_;
    std::string shown = step.kind == Step::Kind::kDrain     ? "<SIGUSR1>"
                        : step.kind == Step::Kind::kCollect ? "<collect reply>"
                                                            : EscapeBytes(step.bytes, 200);
    history_.push_back("#" + std::to_string(index_) + " conn " + std::to_string(step.conn) + ": " +
                       shown);
    if (history_.size() > 12) history_.erase(history_.begin());

    switch (step.kind) {
      case Step::Kind::kDrain:
        return DrainBoth();
      case Step::Kind::kDeferred:
        SendBoth(step.conn, step.bytes);
        // Let both servers see the command before the next step.
        std::this_thread::sleep_for(50ms);
        return true;
      case Step::Kind::kCollect:
        return CompareReplies(step.conn, "");
      case Step::Kind::kCommand:
        break;
    }
    const std::string& cmd = step.bytes;
    if (cmd.starts_with("reserve-with-timeout ")) {
      std::string arg = cmd.substr(21, cmd.find("\r\n") - 21);
      if (!ReserveTimeoutAccepted113(arg) && ReserveTimeoutAccepted112(arg)) {
        // kReserveTimeout: 1.12 would take it (perhaps waiting forever), 1.13 refuses.
        if (!cand_.flavour.beanstalkd) return ReserveTimeoutCandidateOnly(step.conn, cmd);
        if (base_.flavour.beanstalkd) return true;  // both 1.12: skipped, it may block
      }
    }
    if (HasLoneCr(cmd) && (base_.flavour.beanstalkd || cand_.flavour.beanstalkd)) {
      return true;  // kLoneCr: it would stall beanstalkd's connection
    }
    if (cmd.starts_with("quit")) return QuitBoth(step.conn, cmd);
    SendBoth(step.conn, cmd);
    return CompareReplies(step.conn, cmd);
  }

 private:
  bool Reconnect(int conn) {
    for (Side* side : {&base_, &cand_}) {
      if (side->conns.size() <= static_cast<size_t>(conn)) side->conns.resize(conn + 1);
      side->conns[conn] = std::make_unique<WireClient>(side->process->port());
      if (!side->conns[conn]->ok()) return false;
    }
    // One round trip so both servers have accepted the connection before any
    // later command reports connection counts.
    SendBoth(conn, "list-tube-used\r\n");
    return CompareReplies(conn, "list-tube-used\r\n");
  }

  void SendBoth(int conn, const std::string& cmd) {
    for (Side* side : {&base_, &cand_}) {
      side->conns[conn]->TrySend(TranslateCommand(cmd, side->ids));
      // kLongLineBug: end the line beanstalkd swallows.
      size_t eol = cmd.find("\r\n");
      size_t line_len = eol == std::string::npos ? cmd.size() : eol + 2;
      if (side->flavour.beanstalkd && line_len > 224 && line_len % 224 == 1) {
        side->conns[conn]->TrySend("\r\n");
      }
    }
  }

  std::optional<std::string> Read(Side& side, int conn) { return side.conns[conn]->ReadReply(5s); }

  void Track(Side& side, const std::string& cmd, const std::optional<std::string>& reply) {
    if (!reply) return;
    if (reply->starts_with("INSERTED ") ||
        (cmd.starts_with("put ") && reply->starts_with("BURIED "))) {
      size_t sp = reply->find(' ');
      if (auto id = ParseId(reply->substr(sp + 1, reply->size() - sp - 3))) {
        side.ids.Inserted(*id);
        if (&side == &base_) max_id_ = std::max(max_id_, side.ids.ToCanonical(*id));
      }
    } else if (cmd.starts_with("put ") &&
               (*reply == "EXPECTED_CRLF\r\n" || *reply == "DRAINING\r\n")) {
      side.ids.FailedPut();
    }
  }

  bool CompareReplies(int conn, const std::string& cmd) {
    auto b = Read(base_, conn);
    auto c = Read(cand_, conn);
    // Judge with the id maps as they were before this reply, then track it.
    std::string why = Difference(b, base_.ids, base_.flavour, c, cand_.ids, cand_.flavour);
    Track(base_, cmd, b);
    Track(cand_, cmd, c);
    if (why.empty()) return true;
    Report(why, b, c);
    return false;
  }

  bool ReserveTimeoutCandidateOnly(int conn, const std::string& cmd) {
    cand_.conns[conn]->TrySend(cmd);
    auto c = Read(cand_, conn);
    if (c && *c == "BAD_FORMAT\r\n") return true;
    Report(
        "1.13 parsing of reserve-with-timeout expects BAD_FORMAT (command not sent to the "
        "1.12 baseline)",
        std::string("BAD_FORMAT\r\n"), c);
    return false;
  }

  bool QuitBoth(int conn, const std::string& cmd) {
    SendBoth(conn, cmd);
    bool b = base_.conns[conn]->WaitForClose(5s);
    bool c = cand_.conns[conn]->WaitForClose(5s);
    if (b != c) {
      Report(b ? "candidate did not close the connection" : "baseline did not close the connection",
             std::nullopt, std::nullopt);
      return false;
    }
    if (!b) {  // neither closed: compare what they said instead
      return CompareReplies(conn, cmd);
    }
    return Reconnect(conn);
  }

  bool DrainBoth() {
    for (Side* side : {&base_, &cand_}) {
      side->process->Signal(SIGUSR1);
      WireClient probe(side->process->port());
      bool draining = false;
      for (int i = 0; i < 500 && !draining && probe.ok(); ++i) {
        probe.TrySend("stats\r\n");
        auto reply = probe.ReadReply(5s);
        if (!reply) break;
        draining = reply->find("\ndraining: true\n") != std::string::npos;
        if (!draining) std::this_thread::sleep_for(10ms);
      }
      if (!draining) {
        Report(side->label + " never reported draining: true after SIGUSR1", std::nullopt,
               std::nullopt);
        return false;
      }
    }
    return true;
  }

  void Report(const std::string& why, const std::optional<std::string>& b,
              const std::optional<std::string>& c) {
    std::string recent;
    for (const auto& h : history_) recent += "    " + h + "\n";
    auto show = [](const std::optional<std::string>& r) {
      return r ? EscapeBytes(*r, 300) : std::string("<no reply>");
    };
    std::string detail;
    if (b && c && b->starts_with("OK ") && c->starts_with("OK ")) {
      detail = "  differing lines (- baseline, + candidate; some differences are allowed):\n" +
               DescribeLineDiff(*b, *c, /*only_differences=*/true);
    }
    ADD_FAILURE() << "difference in " << session_ << " at step " << index_ << ": " << why << "\n"
                  << "  baseline  (" << base_.binary << "): " << show(b) << "\n"
                  << "  candidate (" << cand_.binary << "): " << show(c) << "\n"
                  << detail << "  last steps (the failing one last):\n"
                  << recent;
  }

  std::string session_;
  int connections_;
  Side base_;
  Side cand_;
  int index_ = 0;
  uint64_t max_id_ = 0;
  std::vector<std::string> history_;
};

// ---------------------------------------------------------------------------
// Fixture.
// ---------------------------------------------------------------------------

class Differential : public ::testing::Test {
 protected:
  void SetUp() override {
    baseline_ = BaselineServerPath();
    candidate_ = ServerUnderTestPath();
    if (::access(baseline_.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "baseline server " << baseline_
                   << " is missing (apt-get install beanstalkd, or set STALK_DIFF_BASELINE)";
    }
    if (candidate_.empty()) {
      GTEST_SKIP() << "no server under test: set STALK_TEST_SERVER or build the stalkd target";
    }
    if (::access(candidate_.c_str(), X_OK) != 0) {
      FAIL() << "server under test " << candidate_ << " is missing or not executable";
    }
  }

  void RunScript(const std::string& name, int connections, const std::vector<Step>& steps) {
    Runner runner("script '" + name + "'", connections);
    ASSERT_TRUE(runner.Start(baseline_, candidate_));
    for (const Step& step : steps) {
      if (!runner.Run(step)) return;
    }
  }

  std::string baseline_;
  std::string candidate_;
};

std::string Put(std::string_view body, uint32_t pri = 0, uint32_t delay = 0, uint32_t ttr = 100) {
  return PutCommand(body, pri, delay, ttr);
}

// ---------------------------------------------------------------------------
// Scripted sessions.
// ---------------------------------------------------------------------------

TEST_F(Differential, ScriptPutPeekDelete) {
  RunScript("put-peek-delete", 1,
            {Cmd(0, Put("hello")),
             Cmd(0, Put("with\r\ncrlf\r\n", 5)),
             Cmd(0, Put("", 1024)),
             Cmd(0, Put(std::string(65535, 'm'), 4294967295u)),
             Cmd(0, "peek 1\r\n"),
             Cmd(0, "peek 2\r\n"),
             Cmd(0, "peek 3\r\n"),
             Cmd(0, "peek 4\r\n"),
             Cmd(0, "peek 5\r\n"),
             Cmd(0, "peek-ready\r\n"),
             Cmd(0, "peek-delayed\r\n"),
             Cmd(0, "peek-buried\r\n"),
             Cmd(0, "stats-job 1\r\n"),
             Cmd(0, "stats-job 4\r\n"),
             Cmd(0, "stats-tube default\r\n"),
             Cmd(0, "delete 2\r\n"),
             Cmd(0, "delete 2\r\n"),
             Cmd(0, "peek 2\r\n"),
             Cmd(0, "stats-job 2\r\n"),
             Cmd(0, "delete 18446744073709551615\r\n"),
             Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptReserveReleaseBuryKickTouch) {
  RunScript("reserve-release-bury-kick-touch", 1,
            {Cmd(0, Put("a", 10)), Cmd(0, Put("b", 5)), Cmd(0, Put("c", 5)), Cmd(0, "reserve\r\n"),
             Cmd(0, "stats-job 2\r\n"), Cmd(0, "touch 2\r\n"), Cmd(0, "touch 1\r\n"),
             Cmd(0, "release 2 7 0\r\n"), Cmd(0, "release 2 7 0\r\n"), Cmd(0, "reserve\r\n"),
             Cmd(0, "bury 3 20\r\n"), Cmd(0, "bury 3 20\r\n"), Cmd(0, "reserve\r\n"),
             Cmd(0, "release 2 8 600\r\n"), Cmd(0, "peek-delayed\r\n"), Cmd(0, "peek-buried\r\n"),
             Cmd(0, "stats-job 2\r\n"), Cmd(0, "stats-job 3\r\n"), Cmd(0, "kick 1\r\n"),
             Cmd(0, "kick 5\r\n"), Cmd(0, "kick 5\r\n"), Cmd(0, "stats-job 2\r\n"),
             Cmd(0, "reserve-with-timeout 0\r\n"), Cmd(0, "reserve-with-timeout 0\r\n"),
             Cmd(0, "reserve-with-timeout 0\r\n"), Cmd(0, "reserve-with-timeout 0\r\n"),
             Cmd(0, "bury 1 0\r\n"), Cmd(0, "kick-job 1\r\n"), Cmd(0, "kick-job 1\r\n"),
             Cmd(0, "kick-job 99\r\n"), Cmd(0, "stats-tube default\r\n"), Cmd(0, "stats\r\n"),
             // DEADLINE_SOON: a TTR-1 reservation is inside its safety margin at once.
             Cmd(0, Put("d", 0, 0, 1)), Cmd(0, "reserve-job 4\r\n"),
             Cmd(0, "reserve-with-timeout 0\r\n"), Cmd(0, "delete 4\r\n")});
}

TEST_F(Differential, ScriptTubes) {
  RunScript("tubes", 2,
            {Cmd(0, "list-tubes\r\n"),
             Cmd(0, "list-tube-used\r\n"),
             Cmd(0, "list-tubes-watched\r\n"),
             Cmd(0, "use t1\r\n"),
             Cmd(0, "watch t2\r\n"),
             Cmd(0, "watch t2\r\n"),
             Cmd(0, "watch 123\r\n"),
             Cmd(0, "watch true\r\n"),
             Cmd(1, "use a+b/c;d.e$f_g(h)-i\r\n"),
             Cmd(0, "list-tubes\r\n"),
             Cmd(0, "list-tubes-watched\r\n"),
             Cmd(0, "ignore default\r\n"),
             Cmd(0, "list-tubes-watched\r\n"),
             Cmd(0, "ignore nosuch\r\n"),
             Cmd(0, "stats-tube t1\r\n"),
             Cmd(0, "stats-tube 123\r\n"),
             Cmd(0, "stats-tube true\r\n"),
             Cmd(1, "stats-tube a+b/c;d.e$f_g(h)-i\r\n"),
             Cmd(0, Put("x")),
             Cmd(0, "use default\r\n"),
             Cmd(0, "stats-tube t1\r\n"),
             Cmd(0, "list-tubes\r\n"),
             Cmd(0, "delete 1\r\n"),
             Cmd(0, "stats-tube t1\r\n"),
             Cmd(0, "list-tubes\r\n"),
             Cmd(0, "ignore t2\r\n"),
             Cmd(0, "ignore 123\r\n"),
             Cmd(0, "ignore true\r\n"),
             Cmd(0, "list-tubes-watched\r\n"),
             Cmd(1, "use default\r\n"),
             Cmd(1, "list-tubes\r\n"),
             Cmd(0, "stats\r\n"),
             Cmd(1, "use " + std::string(200, 'z') + "\r\n"),
             Cmd(1, "pause-tube " + std::string(200, 'z') + " 4294967295\r\n"),
             Cmd(1, "stats-tube " + std::string(200, 'z') + "\r\n"),
             Cmd(1, "use " + std::string(201, 'z') + "\r\n"),
             Cmd(1, "list-tube-used\r\n")});
}

TEST_F(Differential, ScriptOwnershipAcrossConnections) {
  RunScript("ownership", 3, {Cmd(0, Put("job1")),         Cmd(0, Put("job2")),
                             Cmd(1, "reserve\r\n"),       Cmd(2, "delete 1\r\n"),
                             Cmd(2, "release 1 0 0\r\n"), Cmd(2, "bury 1 0\r\n"),
                             Cmd(2, "touch 1\r\n"),       Cmd(2, "reserve-job 1\r\n"),
                             Cmd(2, "peek 1\r\n"),        Cmd(2, "stats-job 1\r\n"),
                             Cmd(2, "reserve-job 2\r\n"), Cmd(1, "delete 2\r\n"),
                             Cmd(0, "stats\r\n"),         Cmd(1, "quit\r\n"),
                             Cmd(0, "stats-job 1\r\n"),   Cmd(0, "reserve-job 1\r\n"),
                             Cmd(2, "release 2 3 0\r\n"), Cmd(0, "stats\r\n"),
                             Cmd(1, "reserve\r\n"),       Cmd(1, "stats-tube default\r\n"),
                             Cmd(0, "quitxyz\r\n"),       Cmd(1, "stats\r\n")});
}

TEST_F(Differential, ScriptBlockingReserveIsWokenByPut) {
  RunScript("blocking-reserve", 3,
            {Deferred(1, "reserve\r\n"),
             Cmd(0, "stats\r\n"),
             Cmd(0, "stats-tube default\r\n"),
             Cmd(0, Put("wake")),
             Collect(1),
             Cmd(2, "watch other\r\n"),
             Cmd(2, "ignore default\r\n"),
             Deferred(2, "reserve-with-timeout 100\r\n"),
             Cmd(0, "use other\r\n"),
             Cmd(0, "stats-tube other\r\n"),
             Cmd(0, Put("other", 3)),
             Collect(2),
             Cmd(1, "delete 1\r\n"),
             Deferred(1, "reserve\r\n"),
             Cmd(2, "release 2 0 0\r\n"),
             Cmd(0, "pause-tube default 600\r\n"),
             Cmd(0, "use default\r\n"),
             Cmd(0, Put("paused")),
             Cmd(0, "stats-tube default\r\n"),
             Cmd(0, "pause-tube default 0\r\n"),
             Collect(1),
             Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptDelayedAndPaused) {
  RunScript("delayed-paused", 2,
            {Cmd(0, Put("later", 0, 600)),
             Cmd(0, Put("sooner", 0, 300)),
             Cmd(0, Put("now")),
             Cmd(0, "peek-delayed\r\n"),
             Cmd(0, "stats-job 1\r\n"),
             Cmd(0, "stats-job 2\r\n"),
             Cmd(0, "stats-tube default\r\n"),
             Cmd(0, "pause-tube default 600\r\n"),
             Cmd(0, "stats-tube default\r\n"),
             Cmd(1, "reserve-with-timeout 0\r\n"),
             Cmd(1, "reserve-job 3\r\n"),
             Cmd(1, "release 3 0 500\r\n"),
             Cmd(0, "peek-delayed\r\n"),
             Cmd(0, "kick 2\r\n"),
             Cmd(0, "peek-delayed\r\n"),
             Cmd(0, "peek-ready\r\n"),
             Cmd(0, "kick-job 1\r\n"),
             Cmd(0, "pause-tube default 0\r\n"),
             Cmd(0, "stats-tube default\r\n"),
             Cmd(1, "reserve-with-timeout 0\r\n"),
             Cmd(1, "reserve-with-timeout 0\r\n"),
             Cmd(0, "pause-tube nosuch 5\r\n"),
             Cmd(0, "pause-tube default\r\n"),
             Cmd(0, "pause-tube default -1\r\n"),
             Cmd(0, "pause-tubedefault 0\r\n"),
             Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptErrorsAndParsingQuirks) {
  RunScript("errors-and-quirks", 1,
            {Cmd(0, "nont10knowncommand\r\n"),
             Cmd(0, "\r\n"),
             Cmd(0, "PUT 0 0 1 1\r\n"),
             Cmd(0, "put\r\n"),
             Cmd(0, "delete\r\n"),
             Cmd(0, "kick\r\n"),
             Cmd(0, "touch\r\n"),
             Cmd(0, "stats-job\r\n"),
             Cmd(0, "stats-tube\r\n"),
             Cmd(0, "reserve-with-timeout\r\n"),
             Cmd(0, "reserve-job\r\n"),
             Cmd(0, "reserve \r\n"),
             Cmd(0, "stats \r\n"),
             Cmd(0, "peek-ready \r\n"),
             Cmd(0, "list-tubes \r\n"),
             Cmd(0, std::string("use a\0b\r\n", 9)),
             Cmd(0, std::string(298, 'x') + "\r\n"),
             Cmd(0, std::string(223, 'y') + "\r\n"),
             Cmd(0, std::string(447, 'y') + "\r\n"),
             Cmd(0, "peek abc\r\n"),
             Cmd(0, "peek 1 \r\n"),
             Cmd(0, "peek +1\r\n"),
             Cmd(0, "peek 18446744073709551616\r\n"),
             Cmd(0, "peek  1\r\n"),
             Cmd(0, "delete -1\r\n"),
             Cmd(0, "release 1 x 0\r\n"),
             Cmd(0, "bury 1\r\n"),
             Cmd(0, "kick abc\r\n"),
             Cmd(0, "kick 3abc\r\n"),
             Cmd(0, "kick -1\r\n"),
             Cmd(0, "kick-job x\r\n"),
             Cmd(0, "touch 1x\r\n"),
             Cmd(0, "use -abc\r\n"),
             Cmd(0, "use a*b\r\n"),
             Cmd(0, "use  two\r\n"),
             Cmd(0, "watch a b\r\n"),
             Cmd(0, "ignore \r\n"),
             Cmd(0, "put -1 0 100 1\r\n"),
             Cmd(0, "put 0 -1 100 1\r\n"),
             Cmd(0, "put 4294967296 0 100 1\r\n"),
             Cmd(0, "put 0 0 100 1 x\r\n"),
             Cmd(0, "put 0 0 100 4294967296\r\n"),
             Cmd(0, "put 0 0 100 abc\r\n"),
             Cmd(0, "put 00 0 0100 01\r\nz\r\n"),
             Cmd(0, "stats-job 1\r\n"),
             Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptJobSizes) {
  RunScript("job-sizes", 1,
            {Cmd(0, Put(std::string(65535, 'a'))), Cmd(0, Put(std::string(65536, 'b'))),
             Cmd(0, Put(std::string(200000, 'c'))), Cmd(0, Put("x", 0, 0, 0)),
             Cmd(0, "stats-job 2\r\n"), Cmd(0, Put("y", 0, 0, 4294967295u)),
             Cmd(0, "stats-job 3\r\n"), Cmd(0, "reserve\r\n"), Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptExpectedCrlfBurnsIdsOnlyInBeanstalkd) {
  RunScript("expected-crlf", 2,
            {Cmd(0, Put("one")), Cmd(0, "put 0 0 100 1\r\nxYZ"), Cmd(0, "\r\n"), Cmd(0, Put("two")),
             Cmd(0, "put 0 0 100 3\r\nabcde"), Cmd(0, "\r\n"), Cmd(1, Put("three")),
             Cmd(0, "peek 1\r\n"), Cmd(0, "peek 2\r\n"), Cmd(0, "peek 3\r\n"), Cmd(0, "peek 4\r\n"),
             Cmd(1, "reserve-job 2\r\n"), Cmd(1, "stats-job 2\r\n"), Cmd(1, "release 2 0 0\r\n"),
             Cmd(1, "delete 3\r\n"), Cmd(0, "reserve\r\n"), Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptDrainMode) {
  RunScript("drain", 2,
            {Cmd(0, Put("before")), Cmd(1, "reserve\r\n"), Drain(), Cmd(0, Put("refused")),
             Cmd(0, "put 0 0 100 5\r\nstats\r\n"), Cmd(0, "peek 1\r\n"), Cmd(0, "peek 2\r\n"),
             Cmd(1, "release 1 0 0\r\n"), Cmd(1, "reserve\r\n"), Cmd(1, "delete 1\r\n"),
             Cmd(0, "list-tubes\r\n"), Cmd(0, "peek-ready\r\n")});
}

TEST_F(Differential, ScriptReserveWithTimeoutArguments) {
  RunScript("reserve-with-timeout", 1,
            {Cmd(0, "reserve-with-timeout 0\r\n"), Cmd(0, "reserve-with-timeout  0\r\n"),
             Cmd(0, "reserve-with-timeout 00\r\n"), Cmd(0, "reserve-with-timeout abc\r\n"),
             Cmd(0, "reserve-with-timeout \r\n"), Cmd(0, "reserve-with-timeout +0\r\n"),
             Cmd(0, "reserve-with-timeout 0abc\r\n"), Cmd(0, "reserve-with-timeout -1\r\n"),
             Cmd(0, "reserve-with-timeout 2147483648\r\n"),
             Cmd(0, "reserve-with-timeout 99999999999999999999\r\n"), Cmd(0, Put("j")),
             Cmd(0, "reserve-with-timeout 0\r\n"), Cmd(0, "stats\r\n")});
}

TEST_F(Differential, ScriptCountersAfterReconnects) {
  RunScript("counters", 3,
            {Cmd(0, Put("p")), Cmd(1, "reserve-with-timeout 0\r\n"), Cmd(2, "peek 1\r\n"),
             Cmd(2, "quit\r\n"), Cmd(2, "stats\r\n"), Cmd(1, "quit\r\n"), Cmd(0, "stats\r\n"),
             Cmd(1, "watch w\r\n"), Cmd(2, "use w\r\n"), Cmd(0, "stats\r\n"),
             Cmd(0, "stats-tube w\r\n"), Cmd(0, "stats-tube default\r\n")});
}

// ---------------------------------------------------------------------------
// Random sessions.
// ---------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Step Next(uint64_t max_id, int connections) {
    int conn = Pick(connections);
    return Cmd(conn, Command(max_id));
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Pick(100) < percent; }
  template <typename T>
  const T& OneOf(const std::vector<T>& v) {
    return v[static_cast<size_t>(Pick(static_cast<int>(v.size())))];
  }

  std::string Tube() { return OneOf<std::string>({"default", "t1", "t2", "123"}); }
  std::string BadTube() {
    return OneOf<std::string>({"-x", "a*b", "", " t1", "t1 ", std::string(201, 't'), "a:b"});
  }
  std::string Id(uint64_t max_id) {
    if (Chance(5)) return OneOf<std::string>({"0", "abc", "1x", "-1", "18446744073709551616"});
    return std::to_string(1 + Pick(static_cast<int>(max_id) + 2));
  }
  std::string Pri() {
    return OneOf<std::string>({"0", "1", "512", "1023", "1024", "2000", "4294967295"});
  }
  std::string Body() {
    static const std::string kChars = "abcxyz \r\n\t0123456789";
    int len = Chance(5) ? 1000 + Pick(3000) : Pick(20);
    std::string b;
    for (int i = 0; i < len; ++i)
      b += kChars[static_cast<size_t>(Pick(static_cast<int>(kChars.size())))];
    if (Chance(3)) b += std::string("\0", 1);
    return b;
  }

  std::string Command(uint64_t max_id) {
    const std::string id = Id(max_id);
    switch (Pick(31)) {
      case 0:
      case 1:
      case 2:
      case 3:  // valid put
        return "put " + Pri() + " " + (Chance(20) ? "600" : "0") + " " +
               OneOf<std::string>({"100", "300", "3600"}) + " " + [&] {
                 std::string b = Body();
                 return std::to_string(b.size()) + "\r\n" + b + "\r\n";
               }();
      case 4:  // malformed put line (no body read) or too big (body discarded)
        if (Chance(20)) return "put 0 0 100 70000\r\n" + std::string(70000, 'B') + "\r\n";
        return OneOf<std::string>({"put -1 0 100 1\r\n", "put 0 0 100\r\n", "put 0 0 100 1 x\r\n",
                                   "put 0 0 100 abc\r\n", "put 4294967296 0 100 1\r\n",
                                   "put 0 0 4294967296 1\r\n"});
      case 5:
      case 6:
      case 7:
        return OneOf<std::string>({"reserve-with-timeout 0\r\n", "reserve-with-timeout 0\r\n",
                                   "reserve-with-timeout  0\r\n", "reserve-with-timeout 00\r\n",
                                   "reserve-with-timeout abc\r\n", "reserve-with-timeout -1\r\n",
                                   "reserve-with-timeout 0abc\r\n", "reserve-with-timeout +0\r\n",
                                   "reserve-with-timeout \r\n"});
      case 8:
      case 9:
        return "reserve-job " + id + "\r\n";
      case 10:
      case 11:
        return "delete " + id + "\r\n";
      case 12:
      case 13:
        return "release " + id + " " + Pri() + " " + (Chance(20) ? "500" : "0") + "\r\n";
      case 14:
        return "bury " + id + " " + Pri() + "\r\n";
      case 15:
        return "touch " + id + "\r\n";
      case 16:
        return "kick " + OneOf<std::string>({"0", "1", "2", "100", "3abc", "x"}) + "\r\n";
      case 17:
        return "kick-job " + id + "\r\n";
      case 18:
        return "peek " + id + "\r\n";
      case 19:
        return OneOf<std::string>({"peek-ready\r\n", "peek-delayed\r\n", "peek-buried\r\n"});
      case 20:
        return "stats-job " + id + "\r\n";
      case 21:
        return "stats-tube " + (Chance(10) ? BadTube() : Tube()) + "\r\n";
      case 22:
        return "stats\r\n";
      case 23:
      case 24:
        return "use " + (Chance(10) ? BadTube() : Tube()) + "\r\n";
      case 25:
        return "watch " + (Chance(10) ? BadTube() : Tube()) + "\r\n";
      case 26:
        return "ignore " + (Chance(10) ? BadTube() : Tube()) + "\r\n";
      case 27:
        return OneOf<std::string>(
            {"list-tubes\r\n", "list-tube-used\r\n", "list-tubes-watched\r\n"});
      case 28:
        return "pause-tube " + Tube() + " " + OneOf<std::string>({"0", "600", "3600"}) + "\r\n";
      case 29:
        return Chance(80) ? "quit\r\n" : "quitnow\r\n";
      default:  // junk
        return OneOf<std::string>({"\r\n", "bogus\r\n", "PEEK 1\r\n", "reserve \r\n", "stats x\r\n",
                                   std::string("use a\0b\r\n", 9), std::string(223, 'L') + "\r\n",
                                   std::string(298, 'L') + "\r\n", std::string(447, 'L') + "\r\n",
                                   "kick\r\n", "pause-tube default x\r\n",
                                   "list-tubes-watchedx\r\n"});
    }
  }

  std::mt19937_64 rng_;
};

constexpr int kSeeds = 20;
constexpr int kStepsPerSeed = 300;
constexpr int kConnections = 3;

class DifferentialRandom : public Differential, public ::testing::WithParamInterface<int> {};

TEST_P(DifferentialRandom, SameRepliesAsBaseline) {
  const uint64_t seed = 0x5eed0000u + static_cast<uint64_t>(GetParam());
  Runner runner("random session seed " + std::to_string(seed), kConnections);
  ASSERT_TRUE(runner.Start(baseline_, candidate_));
  Generator gen(seed);
  for (int i = 0; i < kStepsPerSeed; ++i) {
    if (!runner.Run(gen.Next(runner.max_id(), kConnections))) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialRandom, ::testing::Range(0, kSeeds));

}  // namespace
}  // namespace stalk::test
