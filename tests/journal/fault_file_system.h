#pragma once

// An in-memory FileSystem for journal tests that can fail and crash on command:
// ENOSPC on Allocate, a write cut short part way, failed fdatasyncs, writes or syncs held
// until released (to make group commit deterministic), and crashes that keep either what
// was written (a process crash: the page cache survives) or only what was synced and
// whose directory entry was synced (an OS crash). Thread-safe (one mutex).

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "journal/file_system.h"

namespace stalk::journal::testing {

class FaultFileSystem final : public FileSystem {
 public:
  enum class Crash { kProcess, kOs };

  FaultFileSystem() = default;

  // FileSystem.
  Status CreateDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Result<std::unique_ptr<File>> OpenForRead(const std::string& path) override;
  Result<std::unique_ptr<File>> CreateNew(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override;

  // Faults.
  void set_fail_allocate(bool fail);
  // The next writes succeed for `bytes` more bytes in total; the write that would go past
  // that writes up to it and fails with `err` (one shot).
  void FailWritesAfter(uint64_t bytes, int err);
  void FailNextSyncs(int n);
  // Holds every Sync (or Write) until released; WaitBlocked returns once one is held.
  void BlockSyncs(bool block);
  void BlockWrites(bool block);
  void WaitSyncBlocked();
  void WaitWriteBlocked();

  // Crash: from now until Restart() every call fails (EIO) and changes nothing; the state
  // left is what survives the crash.
  void SimulateCrash(Crash kind);
  void Restart();

  // Inspection and tampering.
  uint64_t syncs() const;  // successful file Syncs
  uint64_t dir_syncs() const;
  std::vector<std::string> Names(const std::string& dir) const;  // sorted
  bool Exists(const std::string& path) const;
  std::string Contents(const std::string& path) const;
  // Replaces a file's contents, as written and as synced.
  void SetContents(const std::string& path, const std::string& data);
  uint64_t TotalBytes(const std::string& dir) const;
  // Every file of `dir` is synced and its entry too: an OS crash now would lose nothing.
  bool AllSynced(const std::string& dir) const;

 private:
  struct Node {
    std::string data;           // as the page cache has it
    std::string synced;         // as the disk has it
    bool durable_link = false;  // the directory entry has been synced
  };
  class FaultFile;
  class FaultLock;
  friend class FaultFile;
  friend class FaultLock;

  static std::string DirOf(const std::string& path);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> dirs_;
  std::map<std::string, std::shared_ptr<Node>> files_;
  std::map<std::string, std::shared_ptr<Node>> unlinked_durable_;  // removed, removal not synced
  std::set<std::string> locks_;
  bool frozen_ = false;
  bool fail_allocate_ = false;
  bool write_budget_armed_ = false;
  uint64_t write_budget_ = 0;
  int write_err_ = 0;
  int fail_syncs_ = 0;
  bool block_syncs_ = false, block_writes_ = false;
  int syncs_blocked_ = 0, writes_blocked_ = 0;
  uint64_t syncs_ = 0, dir_syncs_ = 0;
};

}  // namespace stalk::journal::testing
