#pragma once

// The libstalk facade, in the shape of Beanspike's Go API (seeds.md §1):
//
//   stalk::Result<stalk::Conn> conn = stalk::DialDefault();     // or Dial("host", 11300)
//   stalk::Result<stalk::Tube> tube = conn->Use("emails");
//   stalk::Result<stalk::JobId> id = tube->Put(body, /*delay=*/{}, /*ttr=*/60s,
//                                              /*compress=*/true);
//   stalk::Result<stalk::Job> job = tube->Reserve();          // body already decompressed
//   tube->Delete(job->id);
//
// Threading. A Conn and its Tubes may be shared by any number of threads, and a
// thread blocked in Reserve never holds up another thread's Put. Behind a Conn:
//  - one shared control connection carries Put, PeekBuried, Stats, KickJob and job
//    commands on jobs this Conn did not reserve; calls on it are pipelined;
//  - every Reserve runs on a "lane", a connection of its own that watches only the
//    tube and holds no other reservation. Lanes are made on demand and pooled; a
//    lane that reserved a job stays with it until Delete, Release or Bury, and
//    Touch, Delete, Release and Bury of that job go to it (the server accepts them
//    only on the connection that holds the reservation).
// So N threads blocked in Reserve use N connections.
//
// Connections reconnect as stalk::Client does (stalk/client.h). A job reserved
// before its lane reconnected is released by the server; later calls on it answer
// kNotFound.
//
// Straight on Redis: Dial("redis://h:p[,h:p...]") needs no stalkd. The Conn runs the
// same Redis queue as stalkd --redis inside this process (one background thread per
// Conn), on a Redis Cluster or one plain Redis, and sees the same tubes and jobs as
// every stalkd serving that Redis. The API and its errors are the same; the control
// connection and the lanes become queue sessions of that thread, and a job a Conn
// reserved goes back to ready when its last handle (Conn or Tube) is destroyed.
// See docs/client.md, "Straight on Redis".
//
// Compression: Put(..., compress = true) stores the body as LZ4 (stalk/compression.h)
// when that pays; every libstalk reader (this facade and stalk::Client, unless
// Options::decompress is off) returns the original body.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "stalk/client.h"
#include "stalk/compression.h"
#include "stalk/stats.h"

namespace stalk {

namespace detail {
class FacadeCore;
}

// What stats-tube reports, plus this Conn's own compression counters for the tube
// (since the Conn was dialled; the server knows nothing of compression).
struct TubeInfo : TubeStats {
  uint64_t jobs_compressed = 0;  // puts stored compressed
  uint64_t jobs_skipped = 0;     // puts that asked for compression but were stored as
                                 // they are (under 2 KiB, or did not shrink)
  uint64_t bytes_saved = 0;      // original bytes minus stored bytes, over jobs_compressed
};

// One tube of a Conn. A cheap handle: copy it freely; it keeps its Conn's
// connections alive. Thread-safe.
class Tube {
 public:
  const std::string& name() const { return name_; }

  // Puts a job into this tube. `compress`: LZ4 when the body is at least 2 KiB and
  // shrinks; otherwise stored as is (counted in jobs_skipped).
  // Errors: kBuried (server out of memory for the heap; Status::id() is the job),
  // kJobTooBig, kDraining, kInvalidArgument, and the connection errors.
  Result<JobId> Put(std::string_view body, Duration delay = {},
                    Duration ttr = std::chrono::seconds(60), bool compress = false,
                    uint32_t pri = 1024);

  // Reserves a job of this tube, waiting up to `timeout` (empty: without bound).
  // The body is decompressed. Errors: kTimedOut, kDeadlineSoon, connection errors.
  Result<Job> Reserve(std::optional<Duration> timeout = std::nullopt);

  Result<void> Touch(JobId id);
  Result<void> Delete(JobId id);
  Result<void> Release(JobId id, Duration delay = {}, uint32_t pri = 1024);
  Result<void> Bury(JobId id, uint32_t pri = 1024);
  Result<void> KickJob(JobId id);
  // The next buried job of this tube (kNotFound when none), body decompressed.
  Result<Job> PeekBuried();
  Result<TubeInfo> Stats();

 private:
  friend class Conn;
  Tube(std::shared_ptr<detail::FacadeCore> core, std::string name)
      : core_(std::move(core)), name_(std::move(name)) {}

  std::shared_ptr<detail::FacadeCore> core_;
  std::string name_;
};

// A connection to a queue, as a set of tubes. Movable, not copyable; Tubes taken
// from it stay valid after it is moved or destroyed. Thread-safe.
class Conn {
 public:
  Conn(Conn&&) noexcept;
  Conn& operator=(Conn&&) noexcept;
  ~Conn();

  // A handle on `tube`. Errors: kInvalidArgument for a name the protocol refuses.
  Result<Tube> Use(std::string_view tube);

  // Empties `tube`: deletes its ready, delayed and buried jobs. Jobs reserved by
  // anyone (this Conn included) stay. Returns how many jobs it deleted. Jobs put
  // while it runs may or may not be deleted.
  Result<uint64_t> Delete(std::string_view tube);

  // The control connection, for every other command (kick, pause-tube, stats...);
  // nullptr for a backend that is not a beanstalkd-protocol server (a Conn dialled to
  // redis://). The facade
  // sends `use` together with each command that needs it, so changing this
  // Client's `use` or `watch` does not disturb the facade.
  Client* client();
  // "host:port", "unix:path", or the redis:// address as dialled.
  std::string address() const;

 private:
  friend Result<Conn> Dial(const Options& options);
  explicit Conn(std::shared_ptr<detail::FacadeCore> core);

  std::shared_ptr<detail::FacadeCore> core_;
};

// Connects to host:port (the control connection is made now; lanes on demand).
// `options` gives the timeouts and reconnect policy; its host/port are replaced.
Result<Conn> Dial(std::string_view host, uint16_t port, Options options = {});
// Connects to "host:port", "tcp://host:port", "[v6addr]:port" or "unix:/path". A
// missing port is 11300. Errors: kInvalidArgument for an address it cannot read.
//
// Or, with no server in between, to Redis: "redis://host:port[,host:port...]" names
// the seed nodes of a Redis Cluster, or one plain Redis (a missing port is 6379; IPv6
// as [addr]:port). The queue is started now: each seed is tried once within
// `options.connect_timeout`. From `options` only connect_timeout, call_timeout (each
// call's wait for its answer, on top of a Reserve's own timeout; then kCallTimeout,
// and the call may still take effect) and decompress apply. Errors: kInvalidArgument
// for an address it cannot read (credentials, a database number and other schemes are
// refused), kConnectFailed when no seed answers.
Result<Conn> Dial(std::string_view address, Options options = {});
// Connects with ready-made options. An `options.host` holding a "redis://..." address
// (and no unix_path) dials Redis, as above.
Result<Conn> Dial(const Options& options);
// Connects to the address in the environment (DefaultAddress), or to Redis when
// STALKD_HOST holds a whole "redis://..." address (STALKD_PORT is then ignored).
Result<Conn> DialDefault(Options options = {});

// Reads an address as Dial does into `base`'s host/port/unix_path. A redis:// address
// is not one of these (kInvalidArgument): only Dial and DialDefault take it.
Result<Options> ParseAddress(std::string_view address, Options base = {});
// The address from the environment: STALKD_HOST (default "localhost") and
// STALKD_PORT (default 11300), where STALKD_PORT is a port number or a container
// link value "tcp://172.17.0.5:11300" (whose host then wins over STALKD_HOST).
// Errors: kInvalidArgument naming the variable and its value.
Result<Options> DefaultAddress(Options base = {});

}  // namespace stalk
