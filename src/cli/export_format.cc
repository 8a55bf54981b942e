#include "cli/export_format.h"

#include <nlohmann/json.hpp>

#include <limits>

#include "cli/base64.h"

namespace stalk::cli {
namespace {

using nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

std::string Line(const OrderedJson& j) {
  // Strings we write are tube names, addresses and base64: always valid UTF-8.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// Reads json[key] as an unsigned integer no larger than `max`.
bool GetUnsigned(const json& j, const char* key, uint64_t max, uint64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned()) {
    // A non-negative integer that nlohmann stored as signed is fine too.
    if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return false;
  }
  const uint64_t v = it->get<uint64_t>();
  if (v > max) return false;
  *out = v;
  return true;
}

bool GetString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

std::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kReady:
      return "ready";
    case JobState::kDelayed:
      return "delayed";
    case JobState::kBuried:
      return "buried";
  }
  return "?";
}

bool ParseJobState(std::string_view name, JobState* out) {
  for (JobState s : {JobState::kReady, JobState::kDelayed, JobState::kBuried}) {
    if (name == JobStateName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::string EncodeHeader(const ExportHeader& h) {
  OrderedJson j;
  j["type"] = "header";
  j["format"] = kExportFormatName;
  j["version"] = h.version;
  j["tube"] = h.tube;
  j["source"] = h.source;
  j["created"] = h.created;
  return Line(j);
}

std::string EncodeJob(const ExportJob& job) {
  OrderedJson j;
  j["type"] = "job";
  j["id"] = job.id;
  j["state"] = JobStateName(job.state);
  j["pri"] = job.pri;
  j["ttr"] = job.ttr_s;
  j["delay"] = job.delay_s;
  j["body"] = Base64Encode(job.body);
  return Line(j);
}

std::string EncodeTrailer(uint64_t count) {
  OrderedJson j;
  j["type"] = "end";
  j["count"] = count;
  return Line(j);
}

Failure ExportDecoder::Bad(std::string_view why) const {
  return BadInput("line " + std::to_string(line_) + ": " + std::string(why));
}

Outcome<ExportDecoder::Kind> ExportDecoder::Decode(std::string_view line) {
  ++line_;
  if (seen_end_) return Bad("data after the end record");
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("not valid JSON (corrupt or truncated line)");
  if (!j.is_object()) return Bad("not a JSON object");
  std::string type;
  if (!GetString(j, "type", &type)) return Bad("no \"type\"");
  if (!seen_header_) {
    if (type != "header") return Bad("expected the header record first (is this a stalk export file?)");
    return DecodeHeader(j);
  }
  if (type == "job") return DecodeJob(j);
  if (type == "end") return DecodeEnd(j);
  if (type == "header") return Bad("a second header");
  return Bad("unknown record type \"" + type + "\"");
}

Outcome<ExportDecoder::Kind> ExportDecoder::DecodeHeader(const json& j) {
  std::string format;
  if (!GetString(j, "format", &format) || format != kExportFormatName) {
    return Bad("not a stalk export file (format is not \"stalk-export\")");
  }
  uint64_t version = 0;
  if (!GetUnsigned(j, "version", std::numeric_limits<int>::max(), &version) || version == 0) {
    return Bad("bad \"version\"");
  }
  if (version > static_cast<uint64_t>(kExportVersion)) {
    return Bad("format version " + std::to_string(version) + " is newer than this stalk reads (" +
               std::to_string(kExportVersion) + "); upgrade stalk");
  }
  ExportHeader h;
  h.version = static_cast<int>(version);
  if (!GetString(j, "tube", &h.tube) || h.tube.empty()) return Bad("bad \"tube\"");
  // source and created are informational.
  (void)GetString(j, "source", &h.source);
  (void)GetString(j, "created", &h.created);
  header_ = std::move(h);
  seen_header_ = true;
  return Kind::kHeader;
}

Outcome<ExportDecoder::Kind> ExportDecoder::DecodeJob(const json& j) {
  ExportJob job;
  constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
  uint64_t v = 0;
  if (!GetUnsigned(j, "id", std::numeric_limits<uint64_t>::max(), &job.id)) return Bad("bad job \"id\"");
  std::string state;
  if (!GetString(j, "state", &state) || !ParseJobState(state, &job.state)) {
    return Bad("bad job \"state\" (expected ready, delayed or buried)");
  }
  if (!GetUnsigned(j, "pri", kU32, &v)) return Bad("bad job \"pri\" (expected 0..4294967295)");
  job.pri = static_cast<uint32_t>(v);
  if (!GetUnsigned(j, "ttr", kU32, &v)) return Bad("bad job \"ttr\"");
  job.ttr_s = static_cast<uint32_t>(v);
  if (!GetUnsigned(j, "delay", kU32, &v)) return Bad("bad job \"delay\"");
  job.delay_s = static_cast<uint32_t>(v);
  std::string b64;
  if (!GetString(j, "body", &b64)) return Bad("bad job \"body\"");
  auto body = Base64Decode(b64);
  if (!body) return Bad("job \"body\" is not valid base64");
  job.body = std::move(*body);
  job_ = std::move(job);
  ++jobs_;
  return Kind::kJob;
}

Outcome<ExportDecoder::Kind> ExportDecoder::DecodeEnd(const json& j) {
  uint64_t count = 0;
  if (!GetUnsigned(j, "count", std::numeric_limits<uint64_t>::max(), &count)) {
    return Bad("bad \"count\" in the end record");
  }
  if (count != jobs_) {
    return Bad("the end record counts " + std::to_string(count) + " jobs but the file has " +
               std::to_string(jobs_));
  }
  seen_end_ = true;
  return Kind::kEnd;
}

Outcome<uint64_t> ExportDecoder::Finish() const {
  if (!seen_header_) return BadInput("empty file (no header record)");
  if (!seen_end_) {
    return BadInput("truncated file: no end record after line " + std::to_string(line_) + " (" +
                    std::to_string(jobs_) + " complete jobs)");
  }
  return jobs_;
}

Outcome<uint64_t> ReadExport(std::istream& in, ExportHeader* header,
                             const std::function<Outcome<bool>(const ExportJob&)>& on_job) {
  ExportDecoder decoder;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) {
      // getline stopped at the end of the file, not at a '\n': a torn last line.
      return BadInput("line " + std::to_string(decoder.line_number() + 1) +
                      ": truncated (no newline at the end of the file)");
    }
    auto kind = decoder.Decode(line);
    if (!kind) return kind.failure();
    if (*kind == ExportDecoder::Kind::kHeader && header != nullptr) *header = decoder.header();
    if (*kind == ExportDecoder::Kind::kJob && on_job) {
      auto r = on_job(decoder.job());
      if (!r) return r.failure();
    }
  }
  if (in.bad()) return BadInput("read error");
  return decoder.Finish();
}

}  // namespace stalk::cli
