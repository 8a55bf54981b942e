// stalk: the command-line tool of stalkd. Parses the command line (cli/args.h) and
// runs the chosen subcommand (cli/commands.h); the exit code is the command's.

#include <signal.h>

#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"

namespace {

int Run(const stalk::cli::Invocation& inv) {
  using stalk::cli::Command;
  switch (inv.command) {
    case Command::kPut: return stalk::cli::RunPut(inv);
    case Command::kReserve: return stalk::cli::RunReserve(inv);
    case Command::kPeek: return stalk::cli::RunPeek(inv);
    case Command::kDelete: return stalk::cli::RunDelete(inv);
    case Command::kKick: return stalk::cli::RunKick(inv);
    case Command::kKickJob: return stalk::cli::RunKickJob(inv);
    case Command::kPause: return stalk::cli::RunPause(inv);
    case Command::kStats: return stalk::cli::RunStats(inv);
    case Command::kTubes: return stalk::cli::RunTubes(inv);
    case Command::kTop: return stalk::cli::RunTop(inv);
    case Command::kExport: return stalk::cli::RunExport(inv);
    case Command::kImport: return stalk::cli::RunImport(inv);
  }
  return stalk::cli::ToInt(stalk::cli::ExitCode::kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout (stalk ... | head) is an error value from write(), not a signal.
  ::signal(SIGPIPE, SIG_IGN);
  auto inv = stalk::cli::ParseArgs(argc, argv, std::cout, std::cerr);
  if (!inv) return stalk::cli::ToInt(inv.failure().code);
  return Run(*inv);
}
