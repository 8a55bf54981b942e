#pragma once

// Reads the records of one segment file held in memory, checking the framing of each
// (docs/wal_format.md "Reading"). It does not decode payloads and does not log: it reports
// records and damage, and the caller (Recovery) decides what they mean. Not thread-safe; the
// views it returns point into the buffer it was given.

#include <cstdint>
#include <string_view>

#include "journal/record_codec.h"
#include "journal/wal_format.h"

namespace stalk::journal {

class SegmentReader {
 public:
  enum class HeaderState {
    kOk,
    kEmpty,         // no header: the file is empty or all zeros (allocated, never written)
    kBad,           // wrong magic or checksum: not a segment, or its first bytes are damaged
    kNewerVersion,  // written by a newer format version: must not be read
  };

  struct Record {
    format::RecordType type;
    std::string_view payload;
    uint64_t offset;  // of the record header in the file
  };

  struct Damage {
    enum class Kind {
      kBadChecksum,        // framing intact, contents damaged: skipped, reading goes on
      kUnknownType,        // checksum fine but a type this version does not know: skipped
      kBadHeader,          // the length/type check failed: the rest of the segment is unreadable
      kImplausibleLength,  // the length runs past the end of the file: rest unreadable
      kPartialHeader,      // fewer than 12 bytes left, not all zero: rest unreadable
      kDataAfterEnd,       // the log ends (zero header) but nonzero bytes follow: unreadable
    };
    Kind kind;
    uint64_t offset = 0;      // where the damage starts
    uint64_t bytes = 0;       // bytes lost (for skipped records: the whole record)
    uint8_t type = 0;         // the record type the header claims (skipped records)
    uint64_t claimed_id = 0;  // the first 8 payload bytes of a skipped record (may be garbage)
  };

  enum class Step { kRecord, kDamage, kEnd };

  // `file` is the whole file content.
  explicit SegmentReader(std::string_view file);

  HeaderState header_state() const { return header_state_; }
  const FileHeader& header() const { return header_; }

  // The next record or piece of damage, or kEnd. After a kDamage whose kind stops reading
  // (kBadHeader, kImplausibleLength, kPartialHeader, kDataAfterEnd) the next call gives
  // kEnd. REQUIRES: header_state() == kOk.
  Step Next(Record* record, Damage* damage);

  // The offset just past the last good record (where the readable log ends so far).
  uint64_t good_end() const { return good_end_; }

  static const char* KindName(Damage::Kind kind);

 private:
  // Offset just past the last nonzero byte at or after `from`, or `from` if all zero.
  uint64_t EndOfNonZero(uint64_t from) const;

  std::string_view file_;
  HeaderState header_state_ = HeaderState::kEmpty;
  FileHeader header_;
  uint64_t pos_ = 0;
  uint64_t good_end_ = 0;
  bool done_ = false;
};

}  // namespace stalk::journal
