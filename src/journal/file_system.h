#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "journal/file.h"

namespace stalk::journal {

// Directory-level operations. Implementations must be thread-safe: the journal calls it
// from the opening thread and from its disk thread.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The process-wide POSIX implementation (never destroyed).
  static FileSystem* Default();

  // Creates directory `path` if it does not exist (one level).
  virtual Status CreateDir(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Opens an existing file for reading.
  virtual Result<std::unique_ptr<File>> OpenForRead(const std::string& path) = 0;
  // The whole content of an existing file. The default reads it with OpenForRead.
  virtual Result<std::unique_ptr<FileContents>> ReadWhole(const std::string& path);
  // Creates a new, empty file for reading and writing; fails if it exists.
  virtual Result<std::unique_ptr<File>> CreateNew(const std::string& path) = 0;
  // kNotFound if it does not exist.
  virtual Status Remove(const std::string& path) = 0;
  // Makes the creations and removals of entries of `dir` durable (fsync of the directory).
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock on `path` (created if missing), held until the returned object
  // is destroyed. A second Lock on the same path fails with kLocked while the first is held,
  // whether from another process or this one.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path) = 0;
};

}  // namespace stalk::journal
