#pragma once

// The file `stalk export` writes and `stalk import` reads (docs/cli.md "Export
// file format"): line-oriented, one JSON object per line, '\n' after every line.
//
//   {"type":"header","format":"stalk-export","version":1,"tube":"emails",
//    "source":"127.0.0.1:11300","created":"2024-05-01T12:00:00Z"}
//   {"type":"job","id":17,"state":"ready","pri":1024,"ttr":60,"delay":0,"body":"aGk="}
//   ...
//   {"type":"end","count":1}
//
// Versioning: a reader accepts every version up to kExportVersion and ignores keys
// it does not know; a change that an older reader would misread bumps the version.
//
// Pure; ExportDecoder is a plain value (one per file, one thread at a time).

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "cli/exit_code.h"

namespace stalk::cli {

inline constexpr std::string_view kExportFormatName = "stalk-export";
inline constexpr int kExportVersion = 1;

struct ExportHeader {
  int version = kExportVersion;
  std::string tube;     // the tube the jobs came from
  std::string source;   // the server's address, for people
  std::string created;  // UTC, ISO 8601, for people
};

enum class JobState { kReady, kDelayed, kBuried };
std::string_view JobStateName(JobState s);  // "ready", "delayed", "buried"
bool ParseJobState(std::string_view name, JobState* out);

struct ExportJob {
  uint64_t id = 0;  // the id on the source server (import assigns new ids)
  JobState state = JobState::kReady;
  uint32_t pri = 0;
  uint32_t ttr_s = 0;
  uint32_t delay_s = 0;  // remaining delay when exported; 0 unless delayed
  std::string body;      // raw bytes (base64 in the file)
};

// Each returns one complete line, '\n' included.
std::string EncodeHeader(const ExportHeader& h);
std::string EncodeJob(const ExportJob& job);
std::string EncodeTrailer(uint64_t count);

// Checks lines in order: a header first, then jobs, then exactly one trailer whose
// count matches, then nothing. Every failure is a kBadInput Failure whose message
// starts with "line <n>: ".
class ExportDecoder {
 public:
  enum class Kind { kHeader, kJob, kEnd };

  // `line` without its '\n'.
  Outcome<Kind> Decode(std::string_view line);
  // After the last line: fails when the file ended before its trailer.
  Outcome<uint64_t> Finish() const;

  const ExportHeader& header() const { return header_; }
  const ExportJob& job() const { return job_; }  // the last job decoded
  uint64_t line_number() const { return line_; }
  uint64_t jobs() const { return jobs_; }

 private:
  Failure Bad(std::string_view why) const;
  Outcome<Kind> DecodeHeader(const nlohmann::json& json);
  Outcome<Kind> DecodeJob(const nlohmann::json& json);
  Outcome<Kind> DecodeEnd(const nlohmann::json& json);

  ExportHeader header_;
  ExportJob job_;
  uint64_t line_ = 0;
  uint64_t jobs_ = 0;
  bool seen_header_ = false;
  bool seen_end_ = false;
};

// Reads a whole file from `in` through an ExportDecoder and calls `on_job` for each
// job (if set). A last line without its '\n' is a truncated file. Returns the job
// count, or the first failure (including one `on_job` returns).
Outcome<uint64_t> ReadExport(std::istream& in, ExportHeader* header,
                             const std::function<Outcome<bool>(const ExportJob&)>& on_job);

}  // namespace stalk::cli
