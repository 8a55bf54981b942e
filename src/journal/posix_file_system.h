#pragma once

#include "journal/file_system.h"

namespace stalk::journal {

// FileSystem on POSIX calls: pwrite/pread, mmap, fdatasync, fallocate, flock. Thread-safe
// (stateless). The lock is flock(LOCK_EX|LOCK_NB) on DIR/lock, which is per open file, so a
// second Journal in the same process is refused too; the holder's pid is written into the
// lock file so the refusal can name it.
class PosixFileSystem final : public FileSystem {
 public:
  Status CreateDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Result<std::unique_ptr<File>> OpenForRead(const std::string& path) override;
  // mmap (MAP_POPULATE, MADV_SEQUENTIAL): recovery reads segments without copying them.
  Result<std::unique_ptr<FileContents>> ReadWhole(const std::string& path) override;
  Result<std::unique_ptr<File>> CreateNew(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> Lock(const std::string& path) override;
};

}  // namespace stalk::journal
