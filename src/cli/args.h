#pragma once

// The command line of `stalk`: every subcommand, its flags and its --help text, parsed
// into one Invocation (a plain value) that the commands run from. Parsing does no
// I/O except printing help or a usage error to the streams it is given, so it can
// be unit-tested. Thread-safe (no shared state).

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/address.h"
#include "cli/duration.h"
#include "cli/exit_code.h"

namespace stalk::cli {

enum class Command {
  kPut,
  kReserve,
  kPeek,
  kDelete,
  kKick,
  kKickJob,
  kPause,
  kStats,
  kTubes,
  kTop,
  kExport,
  kImport,
};

enum class AfterReserve { kNothing, kDelete, kBury, kRelease };
enum class PeekWhat { kId, kReady, kDelayed, kBuried };

struct Invocation {
  Command command = Command::kStats;
  Endpoint endpoint;
  Nanos connect_timeout = std::chrono::seconds(5);
  bool json = false;   // --json where a command has it
  bool quiet = false;  // export/import: no progress

  // put
  std::optional<std::string> body;  // BODY argument
  std::optional<std::string> file;  // --file ("-" is stdin)
  std::string tube = "default";     // put, peek, kick, export
  uint32_t pri = 1024;
  Nanos delay{};
  Nanos ttr = std::chrono::seconds(60);

  // reserve
  std::vector<std::string> watch;  // --tube, repeatable
  std::optional<Nanos> timeout;    // --timeout; none = wait for ever
  AfterReserve after = AfterReserve::kNothing;

  // peek, delete, kick-job, stats --job
  PeekWhat peek = PeekWhat::kId;
  std::vector<uint64_t> ids;

  // kick
  uint64_t bound = 0;

  // pause
  Nanos pause_for{};

  // stats
  std::optional<std::string> stats_tube;
  std::optional<uint64_t> stats_job;

  // tubes
  bool with_stats = false;

  // top
  Nanos interval = std::chrono::seconds(1);
  uint64_t iterations = 0;  // 0 = until interrupted

  // export / import
  std::string path;  // export --out, import --file
  bool keep = false;
  std::optional<std::string> import_tube;
};

// Parses argv. On success returns the Invocation. Otherwise the Failure says how
// to exit: kOk after --help (printed to `out`), kUsage after a usage error
// (printed to `err`, with a hint to run --help). The server's address defaults
// to STALKD_HOST / STALKD_PORT of the environment (cli/address.h).
Outcome<Invocation> ParseArgs(int argc, const char* const* argv, std::ostream& out,
                              std::ostream& err);

// A decimal unsigned integer no larger than `max`; usage error naming `what`.
Outcome<uint64_t> ParseUnsigned(std::string_view text, uint64_t max, std::string_view what);

}  // namespace stalk::cli
