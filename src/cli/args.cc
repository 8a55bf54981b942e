#include "cli/args.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <limits>
#include <sstream>

namespace stalk::cli {
namespace {

constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  the server answered an error (NOT_FOUND, ...); its word is on stderr\n"
    "  2  usage error\n"
    "  3  connection failure (or stdout closed)\n"
    "  4  timed out (reserve --timeout found no job)\n"
    "  5  bad input: a corrupt or unreadable import file, an unreadable --file,\n"
    "     an export file that cannot be written\n";

constexpr const char* kAddressHelp =
    "Server: --addr host:port | tcp://host:port | unix:/path, or --host/--port;\n"
    "default from STALKD_HOST / STALKD_PORT (which may be tcp://host:port), else\n"
    "localhost:11300.\n";

constexpr const char* kDurationHelp =
    "Durations: 30 (seconds), 30s, 250ms, 1m30s, 2h. The protocol counts whole\n"
    "seconds: other values are rounded up, with a note on stderr.\n";

// Raw option text, converted after CLI11 has matched the flags, so that every
// conversion error has one wording and exit code.
struct RawArgs {
  std::string addr, host, port, connect_timeout = "5s";
  std::string body, file, tube = "default", pri = "1024", delay = "0", ttr = "60s";
  std::vector<std::string> watch;
  std::string timeout;
  bool after_delete = false, after_bury = false, after_release = false;
  std::vector<std::string> ids;
  bool peek_ready = false, peek_delayed = false, peek_buried = false;
  std::string bound;
  std::string pause_tube, pause_for;
  std::string stats_job;
  std::string interval = "1s", iterations;
  bool once = false;
  std::string import_tube;
};

struct Flags {
  CLI::Option* addr = nullptr;
  CLI::Option* host = nullptr;
  CLI::Option* port = nullptr;
  CLI::Option* body = nullptr;
  CLI::Option* file = nullptr;
  CLI::Option* timeout = nullptr;
  CLI::Option* stats_tube = nullptr;
  CLI::Option* stats_job = nullptr;
  CLI::Option* iterations = nullptr;
  CLI::Option* import_tube = nullptr;
};

CLI::App* AddCommand(CLI::App& app, const std::string& name, const std::string& description,
                     const std::string& examples) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->fallthrough();  // global flags (--addr...) may come after the subcommand too
  sub->footer("Examples:\n" + examples);
  return sub;
}

void AddJsonFlag(CLI::App* sub, Invocation* inv) {
  sub->add_flag("--json", inv->json, "Machine-readable JSON on stdout");
}

void DefineCommands(CLI::App& app, Invocation* inv, RawArgs* raw, Flags* flags,
                    std::map<CLI::App*, Command>* commands) {
  auto add = [&](const std::string& name, Command c, const std::string& description,
                 const std::string& examples) {
    CLI::App* sub = AddCommand(app, name, description, examples);
    (*commands)[sub] = c;
    return sub;
  };

  CLI::App* put = add("put", Command::kPut,
                      "Put a job; prints its id. The body is BODY, or --file, or stdin.",
                      "  stalk put 'hello'\n"
                      "  stalk put --tube emails --pri 10 --delay 30s --ttr 2m 'hello'\n"
                      "  stalk put --file report.bin\n"
                      "  gzip -c data | stalk put --tube blobs\n"
                      "  stalk put -- '-starts-with-a-dash'\n");
  flags->body = put->add_option("BODY", raw->body, "The job body (else --file, else stdin)");
  flags->file = put->add_option("--file,-f", raw->file, "Read the body from a file (- is stdin)");
  flags->file->excludes(flags->body);
  put->add_option("--tube,-t", raw->tube, "Tube to put into")->capture_default_str();
  put->add_option("--pri", raw->pri, "Priority, 0 (most urgent) .. 4294967295")->capture_default_str();
  put->add_option("--delay", raw->delay, "Delay before the job is ready")->capture_default_str();
  put->add_option("--ttr", raw->ttr, "Time to run once reserved (at least 1s)")->capture_default_str();

  CLI::App* reserve = add(
      "reserve", Command::kReserve,
      "Reserve a job and print it: the raw body on stdout, its id on stderr (or --json).\n"
      "Without --delete/--bury/--release the job is released when stalk exits.",
      "  stalk reserve --tube emails --timeout 5s --delete > body.bin\n"
      "  stalk reserve --tube a --tube b --json\n"
      "  stalk reserve --timeout 0 || echo \"nothing ready (exit 4)\"\n");
  reserve->add_option("--tube,-t", raw->watch, "Tube to watch (repeatable); default: default");
  flags->timeout = reserve->add_option("--timeout", raw->timeout,
                                       "Give up after this long (exit 4); default: wait for ever");
  auto* del = reserve->add_flag("--delete", raw->after_delete, "Delete the job after printing it");
  auto* bury = reserve->add_flag("--bury", raw->after_bury, "Bury the job after printing it");
  auto* rel = reserve->add_flag("--release", raw->after_release, "Release it back at once");
  del->excludes(bury)->excludes(rel);
  bury->excludes(rel);
  AddJsonFlag(reserve, inv);

  CLI::App* peek = add("peek", Command::kPeek,
                       "Show a job without reserving it: by id, or the next ready, delayed or "
                       "buried job of a tube.",
                       "  stalk peek 42\n"
                       "  stalk peek --ready --tube emails\n"
                       "  stalk peek --buried --tube emails --json\n");
  peek->add_option("ID", raw->ids, "Job id")->expected(0, 1);
  auto* pr = peek->add_flag("--ready", raw->peek_ready, "The next ready job of --tube");
  auto* pd = peek->add_flag("--delayed", raw->peek_delayed, "The next delayed job of --tube");
  auto* pb = peek->add_flag("--buried", raw->peek_buried, "The oldest buried job of --tube");
  pr->excludes(pd)->excludes(pb);
  pd->excludes(pb);
  peek->add_option("--tube,-t", raw->tube, "Tube for --ready/--delayed/--buried")->capture_default_str();
  AddJsonFlag(peek, inv);

  CLI::App* del_cmd = add("delete", Command::kDelete, "Delete jobs by id.",
                          "  stalk delete 42\n  stalk delete 1 2 3\n");
  del_cmd->add_option("ID", raw->ids, "Job ids")->required();

  CLI::App* kick = add("kick", Command::kKick,
                       "Kick up to N buried jobs of a tube back to ready (delayed ones when none "
                       "are buried); prints how many.",
                       "  stalk kick 100 --tube emails\n");
  kick->add_option("N", raw->bound, "Most jobs to kick")->required();
  kick->add_option("--tube,-t", raw->tube, "Tube")->capture_default_str();

  CLI::App* kick_job = add("kick-job", Command::kKickJob, "Kick buried or delayed jobs by id.",
                           "  stalk kick-job 42\n  stalk kick-job 7 8 9\n");
  kick_job->add_option("ID", raw->ids, "Job ids")->required();

  CLI::App* pause = add("pause", Command::kPause,
                        "Pause a tube: no job of it is reserved for DURATION.",
                        "  stalk pause emails 10m\n  stalk pause emails 0   # unpause\n");
  pause->add_option("TUBE", raw->pause_tube, "Tube")->required();
  pause->add_option("DURATION", raw->pause_for, "How long")->required();

  CLI::App* stats = add("stats", Command::kStats,
                        "Server statistics, or a tube's (--tube), or a job's (--job).",
                        "  stalk stats\n  stalk stats --tube emails\n  stalk stats --job 42 --json\n"
                        "  stalk stats --json | jq '.\"current-jobs-ready\"'\n");
  flags->stats_tube = stats->add_option("--tube,-t", raw->tube, "Statistics of this tube");
  flags->stats_job = stats->add_option("--job,-j", raw->stats_job, "Statistics of this job");
  flags->stats_tube->excludes(flags->stats_job);
  AddJsonFlag(stats, inv);

  CLI::App* tubes = add("tubes", Command::kTubes, "List the tubes.",
                        "  stalk tubes\n  stalk tubes --stats\n  stalk tubes --json --stats\n");
  tubes->add_flag("--stats,-s", inv->with_stats, "Show each tube's job counts");
  AddJsonFlag(tubes, inv);

  CLI::App* top = add("top", Command::kTop,
                      "A live view of the tubes: job counts, puts/s and deletes/s. Redraws in\n"
                      "place on a terminal; plain blocks without escape codes otherwise.\n"
                      "The first screen has no rates yet (shown as -).",
                      "  stalk top\n  stalk top --interval 5s\n"
                      "  stalk top --once             # one screen, for scripts\n"
                      "  stalk top --iterations 3 --interval 2s > log.txt\n");
  top->add_option("--interval,-i", raw->interval, "Refresh interval")->capture_default_str();
  flags->iterations = top->add_option("--iterations,-n", raw->iterations, "Stop after N screens");
  top->add_flag("--once", raw->once, "One screen, then exit (same as --iterations 1)");

  CLI::App* exp = add(
      "export", Command::kExport,
      "Export a tube's ready, delayed and buried jobs to a file (docs/cli.md has the\n"
      "format). Without --keep the jobs are MOVED: deleted once the file is on disk.\n"
      "With --keep they stay, as they were. Jobs reserved by others are not exported\n"
      "(counted and reported).",
      "  stalk export --tube emails --out emails.jsonl --keep\n"
      "  stalk --addr old:11300 export --tube emails --out e.jsonl &&\n"
      "    stalk --addr new:11300 import --file e.jsonl\n");
  exp->add_option("--tube,-t", raw->tube, "Tube to export")->required();
  exp->add_option("--out,-o", inv->path, "File to write")->required();
  exp->add_flag("--keep", inv->keep, "Copy: leave every job on the server");
  exp->add_flag("--quiet,-q", inv->quiet, "No progress output");

  CLI::App* imp = add("import", Command::kImport,
                      "Import jobs from an export file into the tube they came from, or --tube.\n"
                      "The whole file is checked before the first job is put.",
                      "  stalk import --file emails.jsonl\n"
                      "  stalk import --file emails.jsonl --tube emails-copy\n");
  imp->add_option("--file,-f", inv->path, "Export file to read")->required();
  flags->import_tube = imp->add_option("--tube,-t", raw->import_tube, "Put the jobs into this tube");
  imp->add_flag("--quiet,-q", inv->quiet, "No progress output");
}

// Converts RawArgs into `inv` for the chosen command.
Outcome<bool> Convert(const RawArgs& raw, const Flags& flags, Invocation* inv) {
  inv->tube = raw.tube;
  auto ids = [&]() -> Outcome<bool> {
    for (const std::string& text : raw.ids) {
      auto id = ParseUnsigned(text, std::numeric_limits<uint64_t>::max(), "job id");
      if (!id) return id.failure();
      inv->ids.push_back(*id);
    }
    return true;
  };
  switch (inv->command) {
    case Command::kPut: {
      if (flags.body->count() > 0) inv->body = raw.body;
      if (flags.file->count() > 0) inv->file = raw.file;
      auto pri = ParseUnsigned(raw.pri, std::numeric_limits<uint32_t>::max(), "--pri");
      if (!pri) return pri.failure();
      inv->pri = static_cast<uint32_t>(*pri);
      auto delay = ParseDuration(raw.delay, "--delay");
      if (!delay) return delay.failure();
      inv->delay = *delay;
      auto ttr = ParseDuration(raw.ttr, "--ttr");
      if (!ttr) return ttr.failure();
      inv->ttr = *ttr;
      return true;
    }
    case Command::kReserve: {
      inv->watch = raw.watch;
      if (flags.timeout->count() > 0) {
        auto t = ParseDuration(raw.timeout, "--timeout");
        if (!t) return t.failure();
        inv->timeout = *t;
      }
      if (raw.after_delete) inv->after = AfterReserve::kDelete;
      if (raw.after_bury) inv->after = AfterReserve::kBury;
      if (raw.after_release) inv->after = AfterReserve::kRelease;
      return true;
    }
    case Command::kPeek: {
      const int which = raw.peek_ready + raw.peek_delayed + raw.peek_buried;
      if (which == 0 && raw.ids.empty()) return UsageError("peek: give an ID or one of --ready, --delayed, --buried");
      if (which > 0 && !raw.ids.empty()) return UsageError("peek: an ID cannot be combined with --ready/--delayed/--buried");
      if (raw.peek_ready) inv->peek = PeekWhat::kReady;
      if (raw.peek_delayed) inv->peek = PeekWhat::kDelayed;
      if (raw.peek_buried) inv->peek = PeekWhat::kBuried;
      return ids();
    }
    case Command::kDelete:
    case Command::kKickJob:
      return ids();
    case Command::kKick: {
      auto n = ParseUnsigned(raw.bound, std::numeric_limits<uint32_t>::max(), "N");
      if (!n) return n.failure();
      inv->bound = *n;
      return true;
    }
    case Command::kPause: {
      inv->tube = raw.pause_tube;
      auto d = ParseDuration(raw.pause_for, "DURATION");
      if (!d) return d.failure();
      inv->pause_for = *d;
      return true;
    }
    case Command::kStats: {
      if (flags.stats_tube->count() > 0) inv->stats_tube = raw.tube;
      if (flags.stats_job->count() > 0) {
        auto id = ParseUnsigned(raw.stats_job, std::numeric_limits<uint64_t>::max(), "--job");
        if (!id) return id.failure();
        inv->stats_job = *id;
      }
      return true;
    }
    case Command::kTubes:
      return true;
    case Command::kTop: {
      auto interval = ParseDuration(raw.interval, "--interval");
      if (!interval) return interval.failure();
      if (interval->count() <= 0) return UsageError("--interval must be more than 0");
      inv->interval = *interval;
      if (flags.iterations->count() > 0) {
        auto n = ParseUnsigned(raw.iterations, std::numeric_limits<uint32_t>::max(), "--iterations");
        if (!n) return n.failure();
        if (*n == 0) return UsageError("--iterations must be at least 1");
        inv->iterations = *n;
      }
      if (raw.once) {
        if (inv->iterations > 1) return UsageError("--once cannot be combined with --iterations");
        inv->iterations = 1;
      }
      return true;
    }
    case Command::kExport:
      if (inv->path.empty()) return UsageError("--out: empty path");
      return true;
    case Command::kImport:
      if (inv->path.empty()) return UsageError("--file: empty path");
      if (flags.import_tube->count() > 0) inv->import_tube = raw.import_tube;
      return true;
  }
  return true;
}

}  // namespace

Outcome<uint64_t> ParseUnsigned(std::string_view text, uint64_t max, std::string_view what) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > max) {
    return UsageError(std::string(what) + ": \"" + std::string(text) +
                      "\" is not a whole number from 0 to " + std::to_string(max));
  }
  return value;
}

Outcome<Invocation> ParseArgs(int argc, const char* const* argv, std::ostream& out,
                              std::ostream& err) {
  Invocation inv;
  RawArgs raw;
  Flags flags;
  std::map<CLI::App*, Command> commands;

  CLI::App app{"stalk: the command-line tool of stalkd (and beanstalkd).", "stalk"};
  app.require_subcommand(1);
  app.footer(std::string("\n") + kAddressHelp + "\n" + kDurationHelp + "\n" + kExitCodesHelp +
             "\nRun 'stalk <command> --help' for a command's flags and examples.");
  flags.addr = app.add_option("--addr,-a", raw.addr, "Server: host:port, tcp://host:port or unix:/path");
  flags.host = app.add_option("--host,-H", raw.host, "Server host (default: $STALKD_HOST or localhost)");
  flags.port = app.add_option("--port,-p", raw.port, "Server port (default: $STALKD_PORT or 11300)");
  app.add_option("--connect-timeout", raw.connect_timeout, "Give up connecting after this long")
      ->capture_default_str();
  DefineCommands(app, &inv, &raw, &flags, &commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return Failure{code == 0 ? ExitCode::kOk : ExitCode::kUsage, ""};
  }
  for (const auto& [sub, command] : commands) {
    if (sub->parsed()) inv.command = command;
  }

  AddressFlags address;
  if (flags.addr->count() > 0) address.addr = raw.addr;
  if (flags.host->count() > 0) address.host = raw.host;
  if (flags.port->count() > 0) address.port = raw.port;
  auto fail = [&](const Failure& f) -> Failure {
    err << "stalk: " << f.message << "\nRun with --help for more information.\n";
    return Failure{ExitCode::kUsage, f.message};
  };
  auto endpoint = ResolveEndpoint(address);
  if (!endpoint) return fail(endpoint.failure());
  inv.endpoint = *endpoint;
  auto connect_timeout = ParseDuration(raw.connect_timeout, "--connect-timeout");
  if (!connect_timeout) return fail(connect_timeout.failure());
  inv.connect_timeout = *connect_timeout;
  auto converted = Convert(raw, flags, &inv);
  if (!converted) return fail(converted.failure());
  return inv;
}

}  // namespace stalk::cli
