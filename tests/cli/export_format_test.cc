#include "cli/export_format.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/base64.h"

namespace stalk::cli {
namespace {

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s + "\r\n";
}

std::string SampleFile(uint64_t* jobs = nullptr) {
  ExportHeader h;
  h.tube = "emails";
  h.source = "127.0.0.1:11300";
  h.created = "2024-05-01T12:00:00Z";
  std::string file = EncodeHeader(h);
  ExportJob a;
  a.id = 7;
  a.state = JobState::kReady;
  a.pri = 4294967295u;
  a.ttr_s = 60;
  a.body = AllBytes();
  ExportJob b;
  b.id = 8;
  b.state = JobState::kDelayed;
  b.pri = 0;
  b.ttr_s = 1;
  b.delay_s = 30;
  b.body = "";
  ExportJob c;
  c.id = 9;
  c.state = JobState::kBuried;
  c.body = "buried";
  file += EncodeJob(a) + EncodeJob(b) + EncodeJob(c) + EncodeTrailer(3);
  if (jobs) *jobs = 3;
  return file;
}

Outcome<uint64_t> Read(const std::string& file, std::vector<ExportJob>* jobs = nullptr,
                       ExportHeader* header = nullptr) {
  std::istringstream in(file);
  return ReadExport(in, header, [&](const ExportJob& j) -> Outcome<bool> {
    if (jobs) jobs->push_back(j);
    return true;
  });
}

std::string ErrorOf(const std::string& file) {
  auto r = Read(file);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.failure().code, ExitCode::kBadInput);
  return r.failure().message;
}

TEST(Base64, RoundTripsEveryByte) {
  const std::string bytes = AllBytes();
  for (size_t n = 0; n <= bytes.size(); ++n) {
    auto back = Base64Decode(Base64Encode(bytes.substr(0, n)));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, bytes.substr(0, n));
  }
  EXPECT_EQ(Base64Encode("hi"), "aGk=");
}

TEST(Base64, RejectsNonCanonicalInput) {
  for (std::string_view bad : {"a", "aGk", "aG=k", "aGk==", "a===", "aGl=", "aGk=aGk=", "a\nGk", "!!!!"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

TEST(ExportFormat, RoundTripsJobsWithBinaryBodies) {
  uint64_t expected = 0;
  const std::string file = SampleFile(&expected);
  std::vector<ExportJob> jobs;
  ExportHeader header;
  auto n = Read(file, &jobs, &header);
  ASSERT_TRUE(n.ok()) << n.failure().message;
  EXPECT_EQ(*n, expected);
  EXPECT_EQ(header.tube, "emails");
  EXPECT_EQ(header.version, 1);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].body, AllBytes());
  EXPECT_EQ(jobs[0].pri, 4294967295u);
  EXPECT_EQ(jobs[0].id, 7u);
  EXPECT_EQ(jobs[1].state, JobState::kDelayed);
  EXPECT_EQ(jobs[1].delay_s, 30u);
  EXPECT_EQ(jobs[1].ttr_s, 1u);
  EXPECT_EQ(jobs[1].body, "");
  EXPECT_EQ(jobs[2].state, JobState::kBuried);
}

TEST(ExportFormat, EveryLineIsOneJsonObject) {
  const std::string file = SampleFile();
  size_t lines = 0;
  for (char c : file) lines += c == '\n';
  EXPECT_EQ(lines, 5u);
  EXPECT_TRUE(file.starts_with("{\"type\":\"header\",\"format\":\"stalk-export\",\"version\":1,"));
  EXPECT_TRUE(file.ends_with("{\"type\":\"end\",\"count\":3}\n"));
}

TEST(ExportFormat, EveryTruncationIsAnError) {
  // Cutting the file anywhere short of its end must never read as a good file.
  const std::string file = SampleFile();
  for (size_t cut = 0; cut < file.size(); ++cut) {
    auto r = Read(file.substr(0, cut));
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
    if (!r.ok()) {
      EXPECT_EQ(r.failure().code, ExitCode::kBadInput);
    }
  }
}

TEST(ExportFormat, MissingTrailerSaysTruncated) {
  const std::string file = SampleFile();
  const std::string no_end = file.substr(0, file.rfind("{\"type\":\"end\""));
  const std::string msg = ErrorOf(no_end);
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("line 4"), std::string::npos) << msg;
}

TEST(ExportFormat, TornLastLineNamesItsLine) {
  const std::string file = SampleFile();
  const std::string msg = ErrorOf(file.substr(0, file.size() - 1));  // no final '\n'
  EXPECT_NE(msg.find("line 5"), std::string::npos) << msg;
}

TEST(ExportFormat, CorruptLinesNameTheirLineNumber) {
  std::string file = SampleFile();
  // Line 3 (the second job) gets a bad character in its base64 body.
  const size_t line3 = file.find('\n', file.find('\n') + 1) + 1;
  std::string corrupt = file;
  corrupt.replace(line3, 1, "X");  // breaks the JSON
  std::string msg = ErrorOf(corrupt);
  EXPECT_TRUE(msg.starts_with("line 3: ")) << msg;

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"type\":\"job\",\"id\":1,\"state\":\"ready\",\"pri\":1,\"ttr\":1,\"delay\":0,\"body\":\"@@@@\"}", "base64"},
      {"{\"type\":\"job\",\"id\":1,\"state\":\"reserved\",\"pri\":1,\"ttr\":1,\"delay\":0,\"body\":\"\"}", "state"},
      {"{\"type\":\"job\",\"id\":1,\"state\":\"ready\",\"pri\":4294967296,\"ttr\":1,\"delay\":0,\"body\":\"\"}", "pri"},
      {"{\"type\":\"job\",\"id\":1,\"state\":\"ready\",\"pri\":-1,\"ttr\":1,\"delay\":0,\"body\":\"\"}", "pri"},
      {"{\"type\":\"job\",\"id\":1,\"state\":\"ready\",\"pri\":1.5,\"ttr\":1,\"delay\":0,\"body\":\"\"}", "pri"},
      {"{\"type\":\"job\",\"id\":1,\"state\":\"ready\",\"pri\":1,\"delay\":0,\"body\":\"\"}", "ttr"},
      {"{\"type\":\"job\",\"id\":\"1\",\"state\":\"ready\",\"pri\":1,\"ttr\":1,\"delay\":0,\"body\":\"\"}", "id"},
      {"{\"type\":\"other\"}", "unknown record type"},
      {"[1,2]", "not a JSON object"},
      {"{\"type\":\"header\",\"format\":\"stalk-export\",\"version\":1,\"tube\":\"t\"}", "second header"},
      {"{\"type\":\"end\",\"count\":5}", "counts 5 jobs"},
      {"\xff\xfe", "not valid JSON"},
  };
  ExportHeader h;
  h.tube = "t";
  for (const auto& [line, expect] : cases) {
    msg = ErrorOf(EncodeHeader(h) + line + "\n" + EncodeTrailer(1));
    EXPECT_TRUE(msg.starts_with("line 2: ")) << line << " -> " << msg;
    EXPECT_NE(msg.find(expect), std::string::npos) << line << " -> " << msg;
  }
}

TEST(ExportFormat, HeaderChecks) {
  EXPECT_NE(ErrorOf("").find("empty file"), std::string::npos);
  EXPECT_NE(ErrorOf("hello\n").find("line 1"), std::string::npos);
  EXPECT_NE(ErrorOf("{\"type\":\"job\"}\n").find("header record first"), std::string::npos);
  EXPECT_NE(ErrorOf("{\"type\":\"header\",\"format\":\"other\",\"version\":1,\"tube\":\"t\"}\n").find("not a stalk export"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{\"type\":\"header\",\"format\":\"stalk-export\",\"version\":2,\"tube\":\"t\"}\n").find("newer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{\"type\":\"header\",\"format\":\"stalk-export\",\"version\":1}\n").find("tube"),
            std::string::npos);
}

TEST(ExportFormat, DataAfterTheTrailerIsAnError) {
  const std::string msg = ErrorOf(SampleFile() + EncodeTrailer(3));
  EXPECT_NE(msg.find("line 6: data after the end record"), std::string::npos) << msg;
}

TEST(ExportFormat, UnknownKeysAreIgnored) {
  ExportHeader h;
  h.tube = "t";
  const std::string file = EncodeHeader(h) +
                           "{\"type\":\"job\",\"id\":1,\"state\":\"ready\",\"pri\":1,\"ttr\":1,"
                           "\"delay\":0,\"body\":\"aGk=\",\"future\":[1]}\n" +
                           EncodeTrailer(1);
  std::vector<ExportJob> jobs;
  auto n = Read(file, &jobs);
  ASSERT_TRUE(n.ok()) << n.failure().message;
  EXPECT_EQ(jobs.at(0).body, "hi");
}

TEST(ExportFormat, CallbackFailureStopsTheRead) {
  std::istringstream in(SampleFile());
  int calls = 0;
  auto r = ReadExport(in, nullptr, [&](const ExportJob&) -> Outcome<bool> {
    if (++calls == 2) return Failure{ExitCode::kServerError, "server said no"};
    return true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code, ExitCode::kServerError);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace stalk::cli
