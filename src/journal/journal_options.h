#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace stalk::journal {

class FileSystem;

// When a record counts as stored (docs/wal_format.md "Sync policies").
enum class SyncPolicy {
  // -f0. A completion fires only once fdatasync has returned for its record: it survives an
  // OS crash or power loss. Records of all callers are written together and made durable by
  // one fdatasync for everything written meanwhile (group commit).
  kEveryWrite,
  // -f MS. A completion fires once its record has been written to the file (it survives
  // kill -9); fdatasync runs at most every `sync_interval`, and a timer syncs the last writes
  // before a quiet moment within `sync_interval` too, so an OS crash loses at most about
  // that much acknowledged work.
  kInterval,
  // -F. Like kInterval without the periodic fdatasync: the OS writes back when it likes.
  kNever,
};

struct Options {
  // The journal directory (created if missing, one level). Required.
  std::string dir;
  // Size of each segment file (-s). Raised if too small to hold one job of max_job_bytes.
  uint64_t segment_bytes = 10485760;
  SyncPolicy sync = SyncPolicy::kInterval;
  std::chrono::milliseconds sync_interval{50};
  // Largest body a put may carry (-z). Only limits appends; recovery reads any size.
  uint64_t max_job_bytes = 65535;
  // Write zeros over each new segment when creating it (as beanstalkd does). On ext4 this
  // makes each later fdatasync ~10x cheaper (no unwritten-extent conversion to commit), at
  // the price of writing each segment twice; the disk thread fills 1 MiB at a time between
  // batches so it never delays a commit by more than that.
  bool zero_fill_segments = true;
  // The disk seam; nullptr means FileSystem::Default() (POSIX). Must outlive the Journal.
  FileSystem* fs = nullptr;
  // Runs a function on the owner's thread (the event loop), later, never inline: the
  // server passes asio::post onto its io_context. Called from the journal's disk thread;
  // must be thread-safe. Required.
  std::function<void(std::function<void()>)> post;
};

}  // namespace stalk::journal
