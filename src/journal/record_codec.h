#pragma once

// Encoding and decoding of the journal's bytes, field by field, little-endian, exactly as
// docs/wal_format.md specifies (never raw structs). Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "journal/job_record.h"
#include "journal/wal_format.h"

namespace stalk::journal {

// Appends one framed record (12-byte header + payload) to *out.
// REQUIRES: record.tube.size() <= 65535 and the payload fits in a u32 (the Journal checks
// the tighter limits before encoding).
void AppendJobRecord(const JobRecord& record, std::string* out);
void AppendUpdateRecord(const JobUpdate& update, std::string* out);
void AppendDeleteRecord(uint64_t id, std::string* out);
void AppendSegmentStartRecord(uint64_t next_job_id, std::string* out);

// Appends the 20-byte segment file header.
void AppendFileHeader(uint32_t segment, std::string* out);

struct FileHeader {
  uint32_t version = 0;
  uint32_t segment = 0;
};
// Parses a file header. nullopt if the magic or the checksum is wrong (the version is
// returned as found: the caller decides what it can read).
// REQUIRES: bytes.size() >= format::kFileHeaderBytes.
std::optional<FileHeader> ParseFileHeader(std::string_view bytes);

struct RecordHeader {
  uint32_t masked_crc = 0;
  uint32_t length = 0;  // payload bytes
  uint8_t type = 0;
  bool header_check_ok = false;  // the length and type bytes are as written
};
// Parses the 12 bytes at `p`.
RecordHeader ParseRecordHeader(const char* p);
// True if the record starting at `record` (header then `length` payload bytes) has the
// checksum its header claims.
bool RecordChecksumOk(const char* record, uint32_t length, uint32_t masked_crc);

// Payload decoders: false if the payload is not a well-formed payload of that type. The
// views in *out point into `payload`.
bool DecodeJob(std::string_view payload, JobRecord* out);
bool DecodeUpdate(std::string_view payload, JobUpdate* out);
bool DecodeDelete(std::string_view payload, uint64_t* id);
bool DecodeSegmentStart(std::string_view payload, uint64_t* next_job_id);

}  // namespace stalk::journal
