#include "journal/record_codec.h"

#include <bit>
#include <cstring>

#include "base/crc32c.h"

namespace stalk::journal {
namespace {

using format::kRecordHeaderBytes;
using format::RecordType;

// Little-endian field writers/readers, independent of the host's byte order.
inline void PutU8(char*& p, uint8_t v) { *p++ = static_cast<char>(v); }
inline void PutU16(char*& p, uint16_t v) {
  for (int i = 0; i < 2; ++i) *p++ = static_cast<char>(v >> (8 * i));
}
inline void PutU32(char*& p, uint32_t v) {
  for (int i = 0; i < 4; ++i) *p++ = static_cast<char>(v >> (8 * i));
}
inline void PutU64(char*& p, uint64_t v) {
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(v >> (8 * i));
}
inline void PutI64(char*& p, int64_t v) { PutU64(p, static_cast<uint64_t>(v)); }
inline void PutBytes(char*& p, std::string_view s) {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p += s.size();
}

// Loads through memcpy: one instruction on little-endian hosts, byte-swapped elsewhere.
template <typename T>
inline T LoadLE(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  if constexpr (std::endian::native == std::endian::big && sizeof(T) > 1) {
    if constexpr (sizeof(T) == 2) v = static_cast<T>(__builtin_bswap16(v));
    if constexpr (sizeof(T) == 4) v = static_cast<T>(__builtin_bswap32(v));
    if constexpr (sizeof(T) == 8) v = static_cast<T>(__builtin_bswap64(v));
  }
  return v;
}
inline uint8_t GetU8(const char*& p) { return LoadLE<uint8_t>(p); }
inline uint16_t GetU16(const char*& p) { return LoadLE<uint16_t>(p); }
inline uint32_t GetU32(const char*& p) { return LoadLE<uint32_t>(p); }
inline uint64_t GetU64(const char*& p) { return LoadLE<uint64_t>(p); }
inline int64_t GetI64(const char*& p) { return static_cast<int64_t>(GetU64(p)); }

inline uint8_t StateByte(RecState s) {
  switch (s) {
    case RecState::kReady:
      return format::kStateReady;
    case RecState::kDelayed:
      return format::kStateDelayed;
    case RecState::kBuried:
      return format::kStateBuried;
  }
  return format::kStateReady;
}

inline bool StateFromByte(uint8_t b, RecState* s) {
  switch (b) {
    case format::kStateReady:
      *s = RecState::kReady;
      return true;
    case format::kStateDelayed:
      *s = RecState::kDelayed;
      return true;
    case format::kStateBuried:
      *s = RecState::kBuried;
      return true;
    default:
      return false;
  }
}

// The 24-bit check of the length and type bytes (header bytes 4..8).
inline uint32_t HeaderCheck(const char* length_and_type) {
  return crc32c::Value(length_and_type, 5) & 0xFFFFFFu;
}

// Grows *out by a record of `payload_bytes` and returns where the payload goes; Seal()
// writes the header once the payload is in place.
char* BeginRecord(std::string* out, size_t payload_bytes, size_t* start) {
  *start = out->size();
  out->resize(*start + kRecordHeaderBytes + payload_bytes);
  return out->data() + *start + kRecordHeaderBytes;
}

void Seal(std::string* out, size_t start, RecordType type) {
  char* rec = out->data() + start;
  const size_t payload_bytes = out->size() - start - kRecordHeaderBytes;
  char* p = rec + 4;
  PutU32(p, static_cast<uint32_t>(payload_bytes));
  PutU8(p, static_cast<uint8_t>(type));
  uint32_t check = HeaderCheck(rec + 4);
  for (int i = 0; i < 3; ++i) PutU8(p, static_cast<uint8_t>(check >> (8 * i)));
  uint32_t crc = crc32c::Mask(crc32c::Value(rec + 4, 8 + payload_bytes));
  p = rec;
  PutU32(p, crc);
}

}  // namespace

void AppendJobRecord(const JobRecord& r, std::string* out) {
  size_t start;
  char* p = BeginRecord(out, format::kJobFixedPayloadBytes + r.tube.size() + r.body.size(), &start);
  PutU64(p, r.id);
  PutU32(p, r.pri);
  PutU8(p, StateByte(r.state));
  PutU16(p, static_cast<uint16_t>(r.tube.size()));
  PutI64(p, r.delay_ns);
  PutI64(p, r.ttr_ns);
  PutI64(p, r.created_unix_ns);
  PutI64(p, r.ready_at_unix_ns);
  PutU32(p, r.reserves);
  PutU32(p, r.timeouts);
  PutU32(p, r.releases);
  PutU32(p, r.buries);
  PutU32(p, r.kicks);
  PutU32(p, static_cast<uint32_t>(r.body.size()));
  PutBytes(p, r.tube);
  PutBytes(p, r.body);
  Seal(out, start, RecordType::kJob);
}

void AppendUpdateRecord(const JobUpdate& u, std::string* out) {
  size_t start;
  char* p = BeginRecord(out, format::kUpdatePayloadBytes, &start);
  PutU64(p, u.id);
  PutU32(p, u.pri);
  PutU8(p, StateByte(u.state));
  PutI64(p, u.delay_ns);
  PutI64(p, u.ready_at_unix_ns);
  PutU32(p, u.reserves);
  PutU32(p, u.timeouts);
  PutU32(p, u.releases);
  PutU32(p, u.buries);
  PutU32(p, u.kicks);
  Seal(out, start, RecordType::kUpdate);
}

void AppendDeleteRecord(uint64_t id, std::string* out) {
  size_t start;
  char* p = BeginRecord(out, format::kDeletePayloadBytes, &start);
  PutU64(p, id);
  Seal(out, start, RecordType::kDelete);
}

void AppendSegmentStartRecord(uint64_t next_job_id, std::string* out) {
  size_t start;
  char* p = BeginRecord(out, format::kSegmentStartPayloadBytes, &start);
  PutU64(p, next_job_id);
  Seal(out, start, RecordType::kSegmentStart);
}

void AppendFileHeader(uint32_t segment, std::string* out) {
  size_t start = out->size();
  out->resize(start + format::kFileHeaderBytes);
  char* h = out->data() + start;
  char* p = h;
  PutBytes(p, std::string_view(format::kMagic, sizeof format::kMagic));
  PutU32(p, format::kFormatVersion);
  PutU32(p, segment);
  PutU32(p, crc32c::Mask(crc32c::Value(h, 16)));
}

std::optional<FileHeader> ParseFileHeader(std::string_view bytes) {
  if (bytes.size() < format::kFileHeaderBytes) return std::nullopt;
  if (std::memcmp(bytes.data(), format::kMagic, sizeof format::kMagic) != 0) return std::nullopt;
  const char* p = bytes.data() + 8;
  FileHeader h;
  h.version = GetU32(p);
  h.segment = GetU32(p);
  uint32_t crc = GetU32(p);
  if (crc32c::Unmask(crc) != crc32c::Value(bytes.data(), 16)) return std::nullopt;
  return h;
}

RecordHeader ParseRecordHeader(const char* rec) {
  RecordHeader h;
  const char* p = rec;
  h.masked_crc = GetU32(p);
  h.length = GetU32(p);
  h.type = GetU8(p);
  uint32_t check = 0;
  for (int i = 0; i < 3; ++i) check |= static_cast<uint32_t>(GetU8(p)) << (8 * i);
  h.header_check_ok = check == HeaderCheck(rec + 4);
  return h;
}

bool RecordChecksumOk(const char* record, uint32_t length, uint32_t masked_crc) {
  return crc32c::Unmask(masked_crc) == crc32c::Value(record + 4, 8 + static_cast<size_t>(length));
}

bool DecodeJob(std::string_view payload, JobRecord* r) {
  if (payload.size() < format::kJobFixedPayloadBytes) return false;
  const char* p = payload.data();
  r->id = GetU64(p);
  r->pri = GetU32(p);
  if (!StateFromByte(GetU8(p), &r->state)) return false;
  uint16_t tube_len = GetU16(p);
  r->delay_ns = GetI64(p);
  r->ttr_ns = GetI64(p);
  r->created_unix_ns = GetI64(p);
  r->ready_at_unix_ns = GetI64(p);
  r->reserves = GetU32(p);
  r->timeouts = GetU32(p);
  r->releases = GetU32(p);
  r->buries = GetU32(p);
  r->kicks = GetU32(p);
  uint32_t body_len = GetU32(p);
  if (r->id == 0 || tube_len == 0) return false;
  if (payload.size() != format::kJobFixedPayloadBytes + size_t{tube_len} + body_len) return false;
  r->tube = std::string_view(p, tube_len);
  r->body = std::string_view(p + tube_len, body_len);
  return true;
}

bool DecodeUpdate(std::string_view payload, JobUpdate* u) {
  if (payload.size() != format::kUpdatePayloadBytes) return false;
  const char* p = payload.data();
  u->id = GetU64(p);
  u->pri = GetU32(p);
  if (!StateFromByte(GetU8(p), &u->state)) return false;
  u->delay_ns = GetI64(p);
  u->ready_at_unix_ns = GetI64(p);
  u->reserves = GetU32(p);
  u->timeouts = GetU32(p);
  u->releases = GetU32(p);
  u->buries = GetU32(p);
  u->kicks = GetU32(p);
  return u->id != 0;
}

bool DecodeDelete(std::string_view payload, uint64_t* id) {
  if (payload.size() != format::kDeletePayloadBytes) return false;
  const char* p = payload.data();
  *id = GetU64(p);
  return *id != 0;
}

bool DecodeSegmentStart(std::string_view payload, uint64_t* next_job_id) {
  if (payload.size() != format::kSegmentStartPayloadBytes) return false;
  const char* p = payload.data();
  *next_job_id = GetU64(p);
  return true;
}

}  // namespace stalk::journal
