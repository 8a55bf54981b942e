#include <charconv>
#include <cstdlib>
#include <map>
#include <mutex>

#include "client/backend.h"
#include "client/redis_backend.h"
#include "client/wire_backend.h"
#include "proto/command.h"
#include "stalk/stalk.h"

namespace stalk {
namespace detail {

// What a Conn and all its Tubes share: the backend and this Conn's compression
// counters. Thread-safe: the backend is, and mu_ guards the counters.
class FacadeCore {
 public:
  explicit FacadeCore(std::unique_ptr<Backend> backend) : backend_(std::move(backend)) {}

  Backend& backend() { return *backend_; }

  void Count(const std::string& tube, size_t original, size_t stored, bool compressed) {
    std::lock_guard lock(mu_);
    Counters& c = counters_[tube];
    if (compressed) {
      ++c.jobs_compressed;
      c.bytes_saved += original - stored;
    } else {
      ++c.jobs_skipped;
    }
  }

  void AddCounters(const std::string& tube, TubeInfo* info) {
    std::lock_guard lock(mu_);
    auto it = counters_.find(tube);
    if (it == counters_.end()) return;
    info->jobs_compressed = it->second.jobs_compressed;
    info->jobs_skipped = it->second.jobs_skipped;
    info->bytes_saved = it->second.bytes_saved;
  }

 private:
  struct Counters {
    uint64_t jobs_compressed = 0;
    uint64_t jobs_skipped = 0;
    uint64_t bytes_saved = 0;
  };

  std::unique_ptr<Backend> backend_;
  std::mutex mu_;
  std::map<std::string, Counters> counters_;
};

}  // namespace detail

// ---------------------------------------------------------------------------
// Tube

Result<JobId> Tube::Put(std::string_view body, Duration delay, Duration ttr, bool compress,
                        uint32_t pri) {
  PutOptions opts;
  opts.pri = pri;
  opts.delay = delay;
  opts.ttr = ttr;
  if (!compress) return core_->backend().Put(name_, body, opts);
  CompressedBody stored = CompressBody(body);
  Result<JobId> id = core_->backend().Put(name_, stored.body, opts);
  // Counted once the server has the job (or has it buried), not for failed puts.
  if (id.ok() || id.error() == Error::kBuried) {
    core_->Count(name_, body.size(), stored.body.size(), stored.compressed);
  }
  return id;
}

Result<Job> Tube::Reserve(std::optional<Duration> timeout) {
  return core_->backend().Reserve(name_, timeout);
}

Result<void> Tube::Touch(JobId id) { return core_->backend().Touch(id); }
Result<void> Tube::Delete(JobId id) { return core_->backend().Delete(id); }
Result<void> Tube::Release(JobId id, Duration delay, uint32_t pri) {
  return core_->backend().Release(id, pri, delay);
}
Result<void> Tube::Bury(JobId id, uint32_t pri) { return core_->backend().Bury(id, pri); }
Result<void> Tube::KickJob(JobId id) { return core_->backend().KickJob(id); }
Result<Job> Tube::PeekBuried() { return core_->backend().PeekBuried(name_); }

Result<TubeInfo> Tube::Stats() {
  TubeInfo info;
  Result<TubeStats> s = core_->backend().StatsTube(name_);
  if (s.ok()) {
    static_cast<TubeStats&>(info) = std::move(*s);
  } else if (s.error() == Error::kNotFound) {
    // The server forgets a tube with no jobs and no clients; this Conn's counters
    // may still have something to say.
    info.name = name_;
  } else {
    return s.status();
  }
  core_->AddCounters(name_, &info);
  return info;
}

// ---------------------------------------------------------------------------
// Conn

Conn::Conn(std::shared_ptr<detail::FacadeCore> core) : core_(std::move(core)) {}
Conn::Conn(Conn&&) noexcept = default;
Conn& Conn::operator=(Conn&&) noexcept = default;
Conn::~Conn() = default;

Result<Tube> Conn::Use(std::string_view tube) {
  if (!core_) return Status(Error::kClosed, "moved-from Conn");
  if (!proto::IsValidTubeName(tube)) {
    return Status(Error::kInvalidArgument,
                  "invalid tube name '" + std::string(tube.substr(0, 210)) + "'");
  }
  return Tube(core_, std::string(tube));
}

Result<uint64_t> Conn::Delete(std::string_view tube) {
  if (!core_) return Status(Error::kClosed, "moved-from Conn");
  if (!proto::IsValidTubeName(tube)) {
    return Status(Error::kInvalidArgument,
                  "invalid tube name '" + std::string(tube.substr(0, 210)) + "'");
  }
  return core_->backend().EmptyTube(tube);
}

Client* Conn::client() { return core_ ? core_->backend().client() : nullptr; }

std::string Conn::address() const { return core_ ? core_->backend().address() : std::string(); }

// ---------------------------------------------------------------------------
// Dial

namespace {

constexpr uint16_t kDefaultPort = 11300;

Result<uint16_t> ParsePort(std::string_view s, std::string_view context) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535) {
    return Status(Error::kInvalidArgument,
                  std::string(context) + ": '" + std::string(s) + "' is not a port (1-65535)");
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<Options> ParseAddress(std::string_view address, Options base) {
  const std::string context = "address '" + std::string(address) + "'";
  if (address.starts_with("unix:")) {
    std::string_view path = address.substr(5);
    if (path.starts_with("//")) path.remove_prefix(2);  // unix:///path
    if (path.empty()) return Status(Error::kInvalidArgument, context + ": no socket path");
    base.unix_path = std::string(path);
    return base;
  }
  if (address.starts_with("tcp://")) address.remove_prefix(6);
  if (address.find("://") != std::string_view::npos) {
    return Status(Error::kInvalidArgument, context + ": unsupported scheme");
  }
  std::string_view host = address;
  std::string_view port;
  if (address.starts_with("[")) {  // [v6]:port
    size_t close = address.find(']');
    if (close == std::string_view::npos) {
      return Status(Error::kInvalidArgument, context + ": missing ']'");
    }
    host = address.substr(1, close - 1);
    std::string_view rest = address.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":"))
        return Status(Error::kInvalidArgument, context + ": junk after ']'");
      port = rest.substr(1);
      if (port.empty()) return Status(Error::kInvalidArgument, context + ": empty port");
    }
  } else if (size_t colon = address.rfind(':'); colon != std::string_view::npos) {
    if (address.find(':') != colon) {
      return Status(Error::kInvalidArgument, context + ": write IPv6 addresses as [addr]:port");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (port.empty()) return Status(Error::kInvalidArgument, context + ": empty port");
  }
  if (host.empty()) return Status(Error::kInvalidArgument, context + ": no host");
  base.host = std::string(host);
  base.unix_path.clear();
  base.port = kDefaultPort;
  if (!port.empty()) {
    Result<uint16_t> p = ParsePort(port, context);
    if (!p.ok()) return p.status();
    base.port = *p;
  }
  return base;
}

Result<Options> DefaultAddress(Options base) {
  const char* host_env = std::getenv("STALKD_HOST");
  const char* port_env = std::getenv("STALKD_PORT");
  base.unix_path.clear();
  base.host = host_env != nullptr && *host_env != '\0' ? host_env : "localhost";
  base.port = kDefaultPort;
  if (port_env == nullptr || *port_env == '\0') return base;
  std::string_view port = port_env;
  if (port.starts_with("tcp://")) {
    // A container link (STALKD_PORT=tcp://172.17.0.5:11300): host and port both.
    Result<Options> o = ParseAddress(port, base);
    if (!o.ok()) {
      return Status(Error::kInvalidArgument,
                    "STALKD_PORT=" + std::string(port) + ": " + o.status().message());
    }
    return o;
  }
  Result<uint16_t> p = ParsePort(port, "STALKD_PORT");
  if (!p.ok()) return p.status();
  base.port = *p;
  return base;
}

Result<Conn> Dial(const Options& options) {
  if (options.unix_path.empty() && detail::IsRedisAddress(options.host)) {
    // Straight on Redis: the queue runs in this process (client/redis_backend.h).
    Result<std::unique_ptr<detail::Backend>> backend =
        detail::ConnectRedisBackend(options.host, options);
    if (!backend.ok()) return backend.status();
    return Conn(std::make_shared<detail::FacadeCore>(std::move(*backend)));
  }
  Result<std::unique_ptr<detail::WireBackend>> backend = detail::WireBackend::Connect(options);
  if (!backend.ok()) return backend.status();
  return Conn(std::make_shared<detail::FacadeCore>(std::move(*backend)));
}

Result<Conn> Dial(std::string_view host, uint16_t port, Options options) {
  options.host = std::string(host);
  options.port = port;
  options.unix_path.clear();
  return Dial(options);
}

Result<Conn> Dial(std::string_view address, Options options) {
  if (detail::IsRedisAddress(address)) {
    options.host = std::string(address);  // Dial(const Options&) takes it from there
    options.unix_path.clear();
    return Dial(options);
  }
  Result<Options> o = ParseAddress(address, std::move(options));
  if (!o.ok()) return o.status();
  return Dial(*o);
}

Result<Conn> DialDefault(Options options) {
  // STALKD_HOST may name a Redis instead of a server: the whole "redis://..." address.
  if (const char* host = std::getenv("STALKD_HOST");
      host != nullptr && detail::IsRedisAddress(host)) {
    return Dial(std::string_view(host), std::move(options));
  }
  Result<Options> o = DefaultAddress(std::move(options));
  if (!o.ok()) return o.status();
  return Dial(*o);
}

}  // namespace stalk
