#pragma once

// An open file, the disk seam of the journal (STYLE.md convention 6): the journal reaches
// the disk only through File and FileSystem, so tests can substitute one that fails
// allocations, writes or syncs, or forgets what was not synced.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace stalk::journal {

// One open file. Not thread-safe: the journal uses each File from one thread at a time.
class File {
 public:
  virtual ~File() = default;

  // Writes all of `data` at `offset` (retrying partial writes). An error part way leaves an
  // unknown prefix written; the caller must not rely on any of it.
  virtual Status Write(uint64_t offset, std::string_view data) = 0;
  // Reads up to `n` bytes at `offset` into `dst`; returns the count, less than `n` only at
  // the end of the file.
  virtual Result<size_t> Read(uint64_t offset, size_t n, char* dst) = 0;
  // Makes everything written so far durable (fdatasync). After a failure nothing written
  // since the last successful Sync can be assumed durable, even if a later Sync succeeds.
  virtual Status Sync() = 0;
  // Reserves disk blocks for [0, bytes) so writes inside that range cannot fail for lack of
  // space (fallocate). kNoSpace when the disk is full. Where the filesystem cannot
  // preallocate it returns OK and does nothing (the journal's zero fill still finds a full
  // disk, as a failed write).
  virtual Status Allocate(uint64_t bytes) = 0;
  virtual Result<uint64_t> Size() = 0;
};

// The whole content of a file, read-only, for as long as the object lives (mmap'ed by the
// POSIX FileSystem, read into memory by default).
class FileContents {
 public:
  virtual ~FileContents() = default;
  virtual std::string_view data() const = 0;
};

// A held lock on a path; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

}  // namespace stalk::journal
