#pragma once

// The journal's on-disk format: constants and sizes. The format is specified in
// docs/wal_format.md (grammar, byte order, worked example, versioning rule); change the two
// together, and bump kFormatVersion for any change to what is written.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stalk::journal::format {

// Segment files are DIR/wal.<index, 10 decimal digits>, index 1, 2, 3, ...; DIR/lock is the
// directory lock.
inline constexpr std::string_view kSegmentPrefix = "wal.";
inline constexpr int kSegmentDigits = 10;
inline constexpr std::string_view kLockFileName = "lock";

// File header: magic[8] "stalkwal", version u32, segment index u32, masked crc32c of the
// 16 bytes before it (u32).
inline constexpr char kMagic[8] = {'s', 't', 'a', 'l', 'k', 'w', 'a', 'l'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kFileHeaderBytes = 20;

// Record header: crc u32 (masked crc32c of everything after it: length, type, header check,
// payload), length u32 (payload bytes), type u8, header check u8[3] (low 24 bits of the
// crc32c of the length and type bytes, so a damaged length is told from a damaged payload).
inline constexpr size_t kRecordHeaderBytes = 12;

enum class RecordType : uint8_t {
  kJob = 1,           // a full record: everything needed to rebuild one job
  kUpdate = 2,        // a state change of a job whose full record came earlier
  kDelete = 3,        // the job is gone
  kSegmentStart = 4,  // first record of every segment: the next unused job id
};

// On-disk job states (a reserved job is recorded as ready).
inline constexpr uint8_t kStateReady = 0;
inline constexpr uint8_t kStateDelayed = 1;
inline constexpr uint8_t kStateBuried = 2;

// Payload sizes.
inline constexpr size_t kJobFixedPayloadBytes = 71;  // everything but the tube and body bytes
inline constexpr size_t kUpdatePayloadBytes = 49;
inline constexpr size_t kDeletePayloadBytes = 8;
inline constexpr size_t kSegmentStartPayloadBytes = 8;

// Whole records, header included.
constexpr uint64_t JobRecordBytes(size_t tube_bytes, size_t body_bytes) {
  return kRecordHeaderBytes + kJobFixedPayloadBytes + tube_bytes + body_bytes;
}
inline constexpr uint64_t kUpdateRecordBytes = kRecordHeaderBytes + kUpdatePayloadBytes;
inline constexpr uint64_t kDeleteRecordBytes = kRecordHeaderBytes + kDeletePayloadBytes;
inline constexpr uint64_t kSegmentStartRecordBytes = kRecordHeaderBytes + kSegmentStartPayloadBytes;

// The journal accepts tube names up to the protocol's 200 bytes (the field is a u16).
inline constexpr size_t kMaxTubeBytes = 200;

// "wal.0000000042" for 42.
std::string SegmentFileName(uint32_t index);
// The index of a segment file name, or nullopt if `name` is not one.
std::optional<uint32_t> ParseSegmentFileName(std::string_view name);

}  // namespace stalk::journal::format
