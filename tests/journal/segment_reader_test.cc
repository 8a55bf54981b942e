#include "journal/segment_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/crc32c.h"
#include "journal/record_codec.h"

namespace stalk::journal {
namespace {

using Kind = SegmentReader::Damage::Kind;

// A segment image: header, `n` delete records (ids 1..n), then `zeros` bytes of zeros.
std::string Segment(int n, size_t zeros = 100) {
  std::string s;
  AppendFileHeader(1, &s);
  for (int i = 1; i <= n; ++i) AppendDeleteRecord(static_cast<uint64_t>(i), &s);
  s.append(zeros, '\0');
  return s;
}

uint64_t RecordAt(int i) { return format::kFileHeaderBytes + (i - 1) * format::kDeleteRecordBytes; }

// Lost bytes are counted up to the last nonzero byte (a zero tail cannot be told from the
// preallocated end). A delete record of a small id ends with 7 zero bytes.
constexpr uint64_t kDeleteTrailingZeros = 7;

struct Read {
  std::vector<uint64_t> ids;
  std::vector<SegmentReader::Damage> damage;
};

Read ReadAll(const std::string& file) {
  Read out;
  SegmentReader r(file);
  EXPECT_EQ(r.header_state(), SegmentReader::HeaderState::kOk);
  SegmentReader::Record rec;
  SegmentReader::Damage d;
  for (;;) {
    auto step = r.Next(&rec, &d);
    if (step == SegmentReader::Step::kEnd) break;
    if (step == SegmentReader::Step::kDamage) {
      out.damage.push_back(d);
      continue;
    }
    uint64_t id;
    EXPECT_TRUE(DecodeDelete(rec.payload, &id));
    out.ids.push_back(id);
  }
  return out;
}

TEST(SegmentReader, ReadsRecordsUntilTheZeroTail) {
  Read r = ReadAll(Segment(5));
  EXPECT_EQ(r.ids, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(r.damage.empty());
}

TEST(SegmentReader, ExactlyFullSegmentEndsCleanly) {
  Read r = ReadAll(Segment(3, 0));
  EXPECT_EQ(r.ids.size(), 3u);
  EXPECT_TRUE(r.damage.empty());
}

TEST(SegmentReader, TruncatedTrailingRecordIsReportedAndNothingAfterIt) {
  std::string s = Segment(3, 0);
  s.resize(s.size() - 4);  // the file ends inside the last record
  Read r = ReadAll(s);
  EXPECT_EQ(r.ids, (std::vector<uint64_t>{1, 2}));
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, Kind::kImplausibleLength);
  EXPECT_EQ(r.damage[0].offset, RecordAt(3));
  EXPECT_EQ(r.damage[0].bytes, format::kDeleteRecordBytes - 4 - (kDeleteTrailingZeros - 4));
}

TEST(SegmentReader, PartialHeaderAtTheEndOfTheFileIsReported) {
  std::string s = Segment(2, 0);
  s.append("\x01\x02\x03", 3);
  Read r = ReadAll(s);
  EXPECT_EQ(r.ids.size(), 2u);
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, Kind::kPartialHeader);
}

TEST(SegmentReader, ChecksumFailureSkipsJustThatRecord) {
  std::string s = Segment(5);
  s[RecordAt(3) + 14] ^= 0x40;  // payload byte of record 3
  Read r = ReadAll(s);
  EXPECT_EQ(r.ids, (std::vector<uint64_t>{1, 2, 4, 5}));
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, Kind::kBadChecksum);
  EXPECT_EQ(r.damage[0].bytes, format::kDeleteRecordBytes);
}

TEST(SegmentReader, DamagedLengthStopsTheSegment) {
  std::string s = Segment(5, 0);
  s[RecordAt(2) + 4] ^= 0x02;
  Read r = ReadAll(s);
  EXPECT_EQ(r.ids, (std::vector<uint64_t>{1}));
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, Kind::kBadHeader);
  EXPECT_EQ(r.damage[0].bytes, 4 * format::kDeleteRecordBytes - kDeleteTrailingZeros);
}

TEST(SegmentReader, DataAfterAZeroGapIsReported) {
  std::string s = Segment(4, 0);
  std::fill(s.begin() + static_cast<long>(RecordAt(2)), s.begin() + static_cast<long>(RecordAt(3)),
            '\0');
  Read r = ReadAll(s);
  EXPECT_EQ(r.ids, (std::vector<uint64_t>{1}));
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, Kind::kDataAfterEnd);
  EXPECT_EQ(r.damage[0].bytes, 3 * format::kDeleteRecordBytes - kDeleteTrailingZeros);
}

TEST(SegmentReader, UnknownTypeWithAGoodChecksumIsSkipped) {
  std::string s = Segment(3);
  // Rewrite record 2 as type 99 with correct header check and checksum.
  std::string rec;
  AppendDeleteRecord(2, &rec);
  rec[8] = 99;
  uint32_t check = crc32c::Value(rec.data() + 4, 5) & 0xFFFFFF;
  for (int i = 0; i < 3; ++i) rec[9 + i] = static_cast<char>(check >> (8 * i));
  uint32_t crc = crc32c::Mask(crc32c::Value(rec.data() + 4, rec.size() - 4));
  for (int i = 0; i < 4; ++i) rec[i] = static_cast<char>(crc >> (8 * i));
  s.replace(RecordAt(2), rec.size(), rec);
  Read r = ReadAll(s);
  EXPECT_EQ(r.ids, (std::vector<uint64_t>{1, 3}));
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, Kind::kUnknownType);
}

TEST(SegmentReader, HeaderStates) {
  EXPECT_EQ(SegmentReader("").header_state(), SegmentReader::HeaderState::kEmpty);
  EXPECT_EQ(SegmentReader(std::string(4096, '\0')).header_state(),
            SegmentReader::HeaderState::kEmpty);
  EXPECT_EQ(SegmentReader(std::string(4096, 'x')).header_state(), SegmentReader::HeaderState::kBad);
  EXPECT_EQ(SegmentReader("stalk").header_state(), SegmentReader::HeaderState::kBad);
  std::string s = Segment(1);
  s[0] = 'S';
  EXPECT_EQ(SegmentReader(s).header_state(), SegmentReader::HeaderState::kBad);
}

}  // namespace
}  // namespace stalk::journal
