#pragma once

// What every command of the `stalk` executable shares: connecting to the server
// the Invocation names, turning a libstalk Status into the CLI's Failure (and so
// its exit code), printing a failure, and writing a job for people or for --json.
// Single-threaded: the CLI runs one command on the main thread.

#include <memory>
#include <string>
#include <string_view>

#include <stalk/client.h>

#include "cli/args.h"
#include "cli/exit_code.h"

namespace stalk::cli {

// One connection, with no reconnect (a CLI must not repeat a put behind the user's
// back) and one connect attempt. `blocking` lifts the per-call timeout, for a
// reserve that waits for ever.
Outcome<std::unique_ptr<Client>> ConnectTo(const Invocation& inv, bool blocking = false);

// NOT_FOUND and the other answers of the server -> kServerError; TIMED_OUT ->
// kTimedOut; a request refused before sending (bad tube name) -> kUsage; anything
// about the connection -> kConnection. The message is "<context>: <NAME>[: detail]".
Failure FromStatus(const Status& status, std::string_view context);

// Prints "stalk: <message>" on stderr (unless the message is empty) and returns the
// exit code.
int Report(const Failure& failure);

// Prints a note on stderr ("stalk: " prefixed).
void Note(std::string_view text);

// Writes bytes to stdout, all of them; false when stdout is closed or broken.
bool WriteStdout(std::string_view bytes);

// The job as reserve and peek show it. Plain: the raw body on stdout and
// "<verb> job <id> (<n> bytes)" on stderr. --json: one object on stdout with id,
// bytes, body_base64, body (when the body is valid UTF-8) and, when `stats` is
// given, tube, state, pri, ttr.
int PrintJob(const Invocation& inv, std::string_view verb, const Job& job, const JobStats* stats);

}  // namespace stalk::cli
