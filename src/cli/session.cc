#include "cli/session.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "cli/base64.h"
#include "cli/stats_view.h"

namespace stalk::cli {

Outcome<std::unique_ptr<Client>> ConnectTo(const Invocation& inv, bool blocking) {
  Options options;
  if (inv.endpoint.is_unix()) {
    options.unix_path = inv.endpoint.unix_path;
  } else {
    options.host = inv.endpoint.host;
    options.port = inv.endpoint.port;
  }
  options.connect_timeout = inv.connect_timeout;
  options.reconnect = false;
  options.max_connect_attempts = 1;
  if (blocking) options.call_timeout = Duration::zero();
  auto client = Client::Connect(options);
  if (!client) {
    return Failure{ExitCode::kConnection, "cannot connect to " + inv.endpoint.ToString() + ": " +
                                              client.status().ToString()};
  }
  return std::move(*client);
}

Failure FromStatus(const Status& status, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += ErrorName(status.error());
  // The server's own answer is its word alone; the client's errors carry detail.
  const std::string detail = status.message().empty() ? "" : ": " + status.message();
  switch (status.error()) {
    case Error::kTimedOut:
      return {ExitCode::kTimedOut, message};
    case Error::kInvalidArgument:
      return {ExitCode::kUsage, message + detail};
    case Error::kCallTimeout:
    case Error::kConnectFailed:
    case Error::kDisconnected:
    case Error::kProtocol:
    case Error::kClosed:
      return {ExitCode::kConnection, message + detail};
    default:
      return {ExitCode::kServerError, message};
  }
}

int Report(const Failure& failure) {
  if (!failure.message.empty()) std::fprintf(stderr, "stalk: %s\n", failure.message.c_str());
  return ToInt(failure.code);
}

void Note(std::string_view text) {
  std::fprintf(stderr, "stalk: %.*s\n", static_cast<int>(text.size()), text.data());
}

bool WriteStdout(std::string_view bytes) {
  std::fflush(stdout);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

int PrintJob(const Invocation& inv, std::string_view verb, const Job& job, const JobStats* stats) {
  if (inv.json) {
    Json j;
    j["id"] = job.id;
    if (stats != nullptr) {
      j["tube"] = stats->tube;
      j["state"] = stats->state;
      j["pri"] = stats->pri;
      j["ttr"] = stats->ttr_s;
    }
    j["bytes"] = job.body.size();
    if (IsValidUtf8(job.body)) j["body"] = job.body;
    j["body_base64"] = Base64Encode(job.body);
    if (!WriteStdout(DumpJson(j) + "\n")) return Report({ExitCode::kConnection, "cannot write to stdout"});
    return 0;
  }
  std::fprintf(stderr, "%.*s job %llu (%zu bytes)\n", static_cast<int>(verb.size()), verb.data(),
               static_cast<unsigned long long>(job.id), job.body.size());
  if (!WriteStdout(job.body)) return Report({ExitCode::kConnection, "cannot write to stdout"});
  return 0;
}

}  // namespace stalk::cli
