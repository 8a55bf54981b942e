#include "journal/record_codec.h"

#include <gtest/gtest.h>

#include <string>

#include "journal/wal_format.h"

namespace stalk::journal {
namespace {

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (!out.empty()) out += ' ';
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

// The worked example of docs/wal_format.md, byte for byte. If this test changes, the doc
// (and probably kFormatVersion) must change with it.
TEST(RecordCodec, WorkedExampleOfTheFormatDocIsWhatTheEncoderWrites) {
  std::string header;
  AppendFileHeader(1, &header);
  EXPECT_EQ(Hex(header), "73 74 61 6c 6b 77 61 6c 01 00 00 00 01 00 00 00 4f 4b da 2e");

  std::string start;
  AppendSegmentStartRecord(1, &start);
  EXPECT_EQ(Hex(start), "40 f2 54 ae 08 00 00 00 04 bb ea 8f 01 00 00 00 00 00 00 00");

  JobRecord r;
  r.id = 1;
  r.tube = "default";
  r.pri = 1024;
  r.state = RecState::kReady;
  r.ttr_ns = 60'000'000'000;
  r.created_unix_ns = 1'700'000'000'000'000'000;
  r.body = "hello";
  std::string job;
  AppendJobRecord(r, &job);
  EXPECT_EQ(Hex(job),
            "47 33 86 00 53 00 00 00 01 bf 4e 59 01 00 00 00 "
            "00 00 00 00 00 04 00 00 00 07 00 00 00 00 00 00 "
            "00 00 00 00 58 47 f8 0d 00 00 00 00 00 2a 36 fe "
            "9c 97 17 00 00 00 00 00 00 00 00 00 00 00 00 00 "
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 05 "
            "00 00 00 64 65 66 61 75 6c 74 68 65 6c 6c 6f");

  JobUpdate u;
  u.id = 1;
  u.pri = 1024;
  u.state = RecState::kBuried;
  u.reserves = 1;
  u.buries = 1;
  std::string update;
  AppendUpdateRecord(u, &update);
  EXPECT_EQ(Hex(update),
            "7a cc 5f e7 31 00 00 00 02 ea bd d2 01 00 00 00 "
            "00 00 00 00 00 04 00 00 02 00 00 00 00 00 00 00 "
            "00 00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 "
            "00 00 00 00 00 01 00 00 00 00 00 00 00");

  std::string del;
  AppendDeleteRecord(1, &del);
  EXPECT_EQ(Hex(del), "95 fc 4f 49 08 00 00 00 03 50 8e 45 01 00 00 00 00 00 00 00");
}

TEST(RecordCodec, SizesMatchTheFormatConstants) {
  JobRecord r;
  r.id = 9;
  r.tube = "t";
  const std::string body(300, 'x');
  r.body = body;
  std::string s;
  AppendJobRecord(r, &s);
  EXPECT_EQ(s.size(), format::JobRecordBytes(1, 300));
  s.clear();
  AppendUpdateRecord(JobUpdate{9}, &s);
  EXPECT_EQ(s.size(), format::kUpdateRecordBytes);
  s.clear();
  AppendDeleteRecord(9, &s);
  EXPECT_EQ(s.size(), format::kDeleteRecordBytes);
  s.clear();
  AppendSegmentStartRecord(9, &s);
  EXPECT_EQ(s.size(), format::kSegmentStartRecordBytes);
}

TEST(RecordCodec, JobRoundTripsEveryField) {
  JobRecord r;
  r.id = 0x0102030405060708ull;
  r.tube = "a-tube_name;with$chars()";
  r.pri = 0xFFFFFFFFu;
  r.state = RecState::kDelayed;
  r.delay_ns = -5;  // signed fields keep their sign
  r.ttr_ns = INT64_MAX;
  r.created_unix_ns = INT64_MIN;
  r.ready_at_unix_ns = 123456789;
  r.reserves = 1;
  r.timeouts = 2;
  r.releases = 3;
  r.buries = 4;
  r.kicks = 5;
  const std::string body("a\0b\r\nc", 6);
  r.body = body;
  std::string s;
  AppendJobRecord(r, &s);
  RecordHeader h = ParseRecordHeader(s.data());
  ASSERT_TRUE(h.header_check_ok);
  EXPECT_EQ(h.type, static_cast<uint8_t>(format::RecordType::kJob));
  ASSERT_EQ(h.length + format::kRecordHeaderBytes, s.size());
  EXPECT_TRUE(RecordChecksumOk(s.data(), h.length, h.masked_crc));
  JobRecord d;
  ASSERT_TRUE(DecodeJob(std::string_view(s).substr(format::kRecordHeaderBytes), &d));
  EXPECT_EQ(d.id, r.id);
  EXPECT_EQ(d.tube, r.tube);
  EXPECT_EQ(d.pri, r.pri);
  EXPECT_EQ(d.state, r.state);
  EXPECT_EQ(d.delay_ns, r.delay_ns);
  EXPECT_EQ(d.ttr_ns, r.ttr_ns);
  EXPECT_EQ(d.created_unix_ns, r.created_unix_ns);
  EXPECT_EQ(d.ready_at_unix_ns, r.ready_at_unix_ns);
  EXPECT_EQ(d.reserves, 1u);
  EXPECT_EQ(d.timeouts, 2u);
  EXPECT_EQ(d.releases, 3u);
  EXPECT_EQ(d.buries, 4u);
  EXPECT_EQ(d.kicks, 5u);
  EXPECT_EQ(d.body, r.body);
}

TEST(RecordCodec, UpdateDeleteAndStartRoundTrip) {
  JobUpdate u{77, 5, RecState::kBuried, 9, 10, 1, 2, 3, 4, 5};
  std::string s;
  AppendUpdateRecord(u, &s);
  JobUpdate d;
  ASSERT_TRUE(DecodeUpdate(std::string_view(s).substr(format::kRecordHeaderBytes), &d));
  EXPECT_EQ(d.id, 77u);
  EXPECT_EQ(d.pri, 5u);
  EXPECT_EQ(d.state, RecState::kBuried);
  EXPECT_EQ(d.delay_ns, 9);
  EXPECT_EQ(d.ready_at_unix_ns, 10);
  EXPECT_EQ(d.kicks, 5u);
  s.clear();
  AppendDeleteRecord(77, &s);
  uint64_t id = 0;
  ASSERT_TRUE(DecodeDelete(std::string_view(s).substr(format::kRecordHeaderBytes), &id));
  EXPECT_EQ(id, 77u);
  s.clear();
  AppendSegmentStartRecord(1234, &s);
  uint64_t next = 0;
  ASSERT_TRUE(DecodeSegmentStart(std::string_view(s).substr(format::kRecordHeaderBytes), &next));
  EXPECT_EQ(next, 1234u);
}

TEST(RecordCodec, HeaderCheckTellsADamagedLengthFromADamagedPayload) {
  std::string s;
  AppendDeleteRecord(5, &s);
  std::string payload_hit = s;
  payload_hit[14] ^= 1;
  RecordHeader h = ParseRecordHeader(payload_hit.data());
  EXPECT_TRUE(h.header_check_ok);  // the length can be trusted: skip the record
  EXPECT_FALSE(RecordChecksumOk(payload_hit.data(), h.length, h.masked_crc));
  for (int byte = 4; byte < 9; ++byte) {
    std::string length_hit = s;
    length_hit[byte] ^= 0x10;
    EXPECT_FALSE(ParseRecordHeader(length_hit.data()).header_check_ok) << byte;
  }
}

TEST(RecordCodec, MalformedPayloadsAreRejected) {
  JobRecord r;
  r.id = 1;
  r.tube = "t";
  r.body = "abc";
  std::string s;
  AppendJobRecord(r, &s);
  std::string_view p = std::string_view(s).substr(format::kRecordHeaderBytes);
  JobRecord d;
  EXPECT_FALSE(DecodeJob(p.substr(0, p.size() - 1), &d));  // body length disagrees
  std::string bad_state(p);
  bad_state[12] = 9;
  EXPECT_FALSE(DecodeJob(bad_state, &d));
  std::string zero_id(p);
  for (int i = 0; i < 8; ++i) zero_id[i] = 0;
  EXPECT_FALSE(DecodeJob(zero_id, &d));
  uint64_t id;
  EXPECT_FALSE(DecodeDelete("1234567", &id));
}

TEST(RecordCodec, FileHeaderRoundTripsAndRejectsDamage) {
  std::string h;
  AppendFileHeader(42, &h);
  auto parsed = ParseFileHeader(h);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->version, format::kFormatVersion);
  EXPECT_EQ(parsed->segment, 42u);
  h[13] ^= 1;
  EXPECT_FALSE(ParseFileHeader(h).has_value());
}

TEST(WalFormat, SegmentFileNamesRoundTrip) {
  EXPECT_EQ(format::SegmentFileName(42), "wal.0000000042");
  EXPECT_EQ(format::ParseSegmentFileName("wal.0000000042"), 42u);
  EXPECT_EQ(format::ParseSegmentFileName("wal.4294967295"), 4294967295u);
  EXPECT_FALSE(format::ParseSegmentFileName("wal.0000000000").has_value());
  EXPECT_FALSE(format::ParseSegmentFileName("wal.42").has_value());
  EXPECT_FALSE(format::ParseSegmentFileName("binlog.1").has_value());
  EXPECT_FALSE(format::ParseSegmentFileName("wal.00000000x2").has_value());
  EXPECT_FALSE(format::ParseSegmentFileName("wal.9999999999").has_value());
}

}  // namespace
}  // namespace stalk::journal
