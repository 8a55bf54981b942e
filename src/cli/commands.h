#pragma once

// The subcommands of `stalk`. Each runs one Invocation against the server it
// names and returns the process exit code (docs/cli.md "Exit codes"), having
// printed its output on stdout and any failure on stderr. Main thread only.

#include "cli/args.h"

namespace stalk::cli {

int RunPut(const Invocation& inv);      // cmd_jobs.cc
int RunReserve(const Invocation& inv);  // cmd_jobs.cc
int RunPeek(const Invocation& inv);     // cmd_jobs.cc
int RunDelete(const Invocation& inv);   // cmd_jobs.cc
int RunKick(const Invocation& inv);     // cmd_jobs.cc
int RunKickJob(const Invocation& inv);  // cmd_jobs.cc
int RunPause(const Invocation& inv);    // cmd_jobs.cc
int RunStats(const Invocation& inv);    // cmd_stats.cc
int RunTubes(const Invocation& inv);    // cmd_stats.cc
int RunTop(const Invocation& inv);      // cmd_top.cc
int RunExport(const Invocation& inv);   // cmd_export.cc
int RunImport(const Invocation& inv);   // cmd_import.cc

}  // namespace stalk::cli
