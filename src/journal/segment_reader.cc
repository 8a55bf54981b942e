#include "journal/segment_reader.h"

#include <cstring>

namespace stalk::journal {
namespace {

using format::kFileHeaderBytes;
using format::kRecordHeaderBytes;

bool AllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

bool KnownType(uint8_t t) {
  return t >= static_cast<uint8_t>(format::RecordType::kJob) &&
         t <= static_cast<uint8_t>(format::RecordType::kSegmentStart);
}

}  // namespace

SegmentReader::SegmentReader(std::string_view file) : file_(file) {
  if (file_.size() < kFileHeaderBytes) {
    header_state_ = AllZero(file_.data(), file_.size()) ? HeaderState::kEmpty : HeaderState::kBad;
    done_ = true;
    return;
  }
  auto h = ParseFileHeader(file_);
  if (!h) {
    header_state_ = EndOfNonZero(0) == 0 ? HeaderState::kEmpty : HeaderState::kBad;
    done_ = true;
    return;
  }
  header_ = *h;
  if (header_.version > format::kFormatVersion || header_.version == 0) {
    header_state_ = HeaderState::kNewerVersion;
    done_ = true;
    return;
  }
  header_state_ = HeaderState::kOk;
  pos_ = good_end_ = kFileHeaderBytes;
}

uint64_t SegmentReader::EndOfNonZero(uint64_t from) const {
  uint64_t end = file_.size();
  const char* d = file_.data();
  // Word at a time from the back: the zero tail of a preallocated segment is most of it.
  while (end >= from + 8) {
    uint64_t w;
    std::memcpy(&w, d + end - 8, 8);
    if (w != 0) break;
    end -= 8;
  }
  while (end > from && d[end - 1] == 0) --end;
  return end;
}

SegmentReader::Step SegmentReader::Next(Record* record, Damage* damage) {
  if (done_) return Step::kEnd;
  const uint64_t left = file_.size() - pos_;
  const char* p = file_.data() + pos_;
  if (left < kRecordHeaderBytes) {
    done_ = true;
    if (AllZero(p, left)) return Step::kEnd;
    *damage = Damage{Damage::Kind::kPartialHeader, pos_, left, 0, 0};
    return Step::kDamage;
  }
  if (AllZero(p, kRecordHeaderBytes)) {
    // The end of what was written (a preallocated segment is zeros after its records).
    done_ = true;
    uint64_t end = EndOfNonZero(pos_);
    if (end == pos_) return Step::kEnd;
    *damage = Damage{Damage::Kind::kDataAfterEnd, pos_, end - pos_, 0, 0};
    return Step::kDamage;
  }
  RecordHeader h = ParseRecordHeader(p);
  if (!h.header_check_ok) {
    done_ = true;
    *damage = Damage{Damage::Kind::kBadHeader, pos_, EndOfNonZero(pos_) - pos_, h.type, 0};
    return Step::kDamage;
  }
  if (h.length > left - kRecordHeaderBytes) {
    done_ = true;
    *damage = Damage{Damage::Kind::kImplausibleLength, pos_, EndOfNonZero(pos_) - pos_, h.type, 0};
    return Step::kDamage;
  }
  const uint64_t total = kRecordHeaderBytes + uint64_t{h.length};
  const uint64_t at = pos_;
  pos_ += total;
  if (!RecordChecksumOk(p, h.length, h.masked_crc)) {
    uint64_t claimed = 0;
    if (h.length >= 8) {
      for (int i = 0; i < 8; ++i) {
        claimed |= uint64_t{static_cast<uint8_t>(p[kRecordHeaderBytes + i])} << (8 * i);
      }
    }
    *damage = Damage{Damage::Kind::kBadChecksum, at, total, h.type, claimed};
    return Step::kDamage;
  }
  if (!KnownType(h.type)) {
    *damage = Damage{Damage::Kind::kUnknownType, at, total, h.type, 0};
    return Step::kDamage;
  }
  good_end_ = pos_;
  record->type = static_cast<format::RecordType>(h.type);
  record->payload = std::string_view(p + kRecordHeaderBytes, h.length);
  record->offset = at;
  return Step::kRecord;
}

const char* SegmentReader::KindName(Damage::Kind kind) {
  switch (kind) {
    case Damage::Kind::kBadChecksum:
      return "checksum mismatch";
    case Damage::Kind::kUnknownType:
      return "unknown record type";
    case Damage::Kind::kBadHeader:
      return "damaged record header";
    case Damage::Kind::kImplausibleLength:
      return "record length past the end of the file";
    case Damage::Kind::kPartialHeader:
      return "partial record header at the end of the file";
    case Damage::Kind::kDataAfterEnd:
      return "data after the end of the log";
  }
  return "?";
}

}  // namespace stalk::journal
