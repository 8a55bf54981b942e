#include "journal/recovery.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "journal/id_map.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "journal/wal_format.h"

namespace stalk::journal {
namespace {

using Damage = SegmentReader::Damage;

bool StopsReading(Damage::Kind k) {
  return k != Damage::Kind::kBadChecksum && k != Damage::Kind::kUnknownType;
}

}  // namespace

Recovery::Recovery(FileSystem* fs, std::string dir, uint64_t max_record_bytes)
    : fs_(fs), dir_(std::move(dir)), max_record_bytes_(max_record_bytes) {}

Result<RecoveryResult> Recovery::Run(RecoveryVisitor& visitor) {
  const auto start = std::chrono::steady_clock::now();
  RecoveryResult result;
  RecoveryReport& report = result.report;

  auto names = fs_->ListDir(dir_);
  if (!names) return names.status();
  std::vector<uint32_t> indexes;
  bool beanstalkd_files = false;
  for (const std::string& name : *names) {
    if (auto idx = format::ParseSegmentFileName(name)) indexes.push_back(*idx);
    if (name.rfind("binlog.", 0) == 0) beanstalkd_files = true;
  }
  if (beanstalkd_files) {
    spdlog::warn("journal {}: beanstalkd binlog.* files found; stalkd does not read them", dir_);
  }
  std::sort(indexes.begin(), indexes.end());

  detail::IdMap live;
  {
    // Room for as many jobs as the files could hold at ~128 bytes a record (the table
    // grows if they hold more), so a big replay does not rehash over and over.
    uint64_t total = 0;
    for (uint32_t index : indexes) {
      if (auto f = fs_->OpenForRead(dir_ + "/" + format::SegmentFileName(index))) {
        if (auto size = (*f)->Size()) total += *size;
      }
    }
    live.Reserve(static_cast<size_t>(std::min<uint64_t>(total / 128, uint64_t{1} << 26)));
  }
  uint64_t max_id = 0;
  uint64_t floor_id = 1;

  for (size_t n = 0; n < indexes.size(); ++n) {
    const uint32_t index = indexes[n];
    if (n > 0 && index != indexes[n - 1] + 1) {
      report.missing_segments += index - indexes[n - 1] - 1;
      spdlog::error("journal {}: segments {}..{} are missing; the jobs they held are lost", dir_,
                    indexes[n - 1] + 1, index - 1);
    }
    const std::string name = format::SegmentFileName(index);
    auto contents = fs_->ReadWhole(dir_ + "/" + name);
    if (!contents) return contents.status();
    const std::string_view data = (*contents)->data();
    ++report.segments;

    RecoveredSegment seg;
    seg.index = index;
    seg.file_bytes = data.size();
    SegmentReader reader(data);
    switch (reader.header_state()) {
      case SegmentReader::HeaderState::kOk:
        break;
      case SegmentReader::HeaderState::kEmpty:
        seg.unused = true;
        result.segments.push_back(std::move(seg));
        continue;
      case SegmentReader::HeaderState::kBad:
        ++report.damaged_segments;
        report.lost_bytes += data.size();
        spdlog::error("journal {}: {} has no valid segment header; its {} bytes are skipped", dir_,
                      name, data.size());
        result.segments.push_back(std::move(seg));
        continue;
      case SegmentReader::HeaderState::kNewerVersion:
        return Status(StatusCode::kUnsupported,
                      "journal " + dir_ + ": " + name + " was written by format version " +
                          std::to_string(reader.header().version) +
                          " but this stalkd reads up to " + std::to_string(format::kFormatVersion) +
                          "; refusing to start rather than lose its jobs");
    }
    if (reader.header().segment != index) {
      spdlog::warn("journal {}: {} says it is segment {}; reading it as segment {}", dir_, name,
                   reader.header().segment, index);
    }

    // Damage is reported once the segment is read: whether it is a torn tail depends on
    // whether any good record follows it.
    struct Seen {
      Damage damage;
      uint64_t records_before;
    };
    std::vector<Seen> damages;
    bool segment_damaged = false;

    SegmentReader::Record rec;
    Damage dmg;
    for (;;) {
      SegmentReader::Step step = reader.Next(&rec, &dmg);
      if (step == SegmentReader::Step::kEnd) break;
      if (step == SegmentReader::Step::kDamage) {
        damages.push_back({dmg, seg.records});
        continue;
      }
      bool ok = true;
      switch (rec.type) {
        case format::RecordType::kJob: {
          JobRecord job;
          ok = DecodeJob(rec.payload, &job);
          if (!ok) break;
          Placement where{index,
                          static_cast<uint32_t>(format::kRecordHeaderBytes + rec.payload.size())};
          live.Put(job.id, where);
          max_id = std::max(max_id, job.id);
          visitor.OnJob(job, where);
          break;
        }
        case format::RecordType::kUpdate: {
          JobUpdate u;
          ok = DecodeUpdate(rec.payload, &u);
          if (!ok) break;
          max_id = std::max(max_id, u.id);
          if (live.Contains(u.id)) visitor.OnUpdate(u);
          break;
        }
        case format::RecordType::kDelete: {
          uint64_t id;
          ok = DecodeDelete(rec.payload, &id);
          if (!ok) break;
          max_id = std::max(max_id, id);
          if (live.Erase(id)) visitor.OnDelete(id);
          break;
        }
        case format::RecordType::kSegmentStart: {
          uint64_t next;
          ok = DecodeSegmentStart(rec.payload, &next);
          if (ok) floor_id = std::max(floor_id, next);
          break;
        }
      }
      if (ok) {
        ++seg.records;
      } else {
        // Checksum fine, contents not: written wrong, not damaged on disk. Skip it.
        ++report.skipped_records;
        report.lost_bytes += format::kRecordHeaderBytes + rec.payload.size();
        segment_damaged = true;
        spdlog::error("journal {}: {} offset {}: malformed record of type {} ({} bytes) skipped",
                      dir_, name, rec.offset, static_cast<int>(rec.type),
                      format::kRecordHeaderBytes + rec.payload.size());
      }
    }
    report.records += seg.records;

    size_t logged = 0;
    for (const Seen& s : damages) {
      const Damage& d = s.damage;
      const bool nothing_after = s.records_before == seg.records;
      const bool tail = nothing_after && d.kind != Damage::Kind::kDataAfterEnd &&
                        d.bytes <= max_record_bytes_ + format::kRecordHeaderBytes;
      report.lost_bytes += d.bytes;
      if (!StopsReading(d.kind)) ++report.skipped_records;
      if (tail) {
        ++report.torn_tails;
        spdlog::warn(
            "journal {}: {} ends with a torn record at offset {} ({}, {} bytes): cut "
            "there (a crash during a write; that record was never acknowledged as "
            "durable under the every-write policy)",
            dir_, name, d.offset, SegmentReader::KindName(d.kind), d.bytes);
        continue;
      }
      segment_damaged = true;
      if (++logged > 20) continue;
      if (StopsReading(d.kind)) {
        spdlog::error(
            "journal {}: {} offset {}: {}; the remaining {} bytes of the segment "
            "cannot be read and the records in them are lost; going on with the next "
            "segment",
            dir_, name, d.offset, SegmentReader::KindName(d.kind), d.bytes);
      } else {
        spdlog::error(
            "journal {}: {} offset {}: {}; record skipped ({} bytes, type {}, claims "
            "job id {}), reading goes on",
            dir_, name, d.offset, SegmentReader::KindName(d.kind), d.bytes,
            static_cast<int>(d.type), d.claimed_id);
      }
    }
    if (logged > 20) {
      spdlog::error("journal {}: {}: {} more damaged places not listed", dir_, name, logged - 20);
    }
    if (segment_damaged) ++report.damaged_segments;
    seg.unused = seg.records == 0 && damages.empty() && !segment_damaged;
    result.segments.push_back(std::move(seg));
  }

  // Which jobs survived, and where their full records are: the journal's own bookkeeping
  // for garbage collection and compaction.
  if (!result.segments.empty()) {
    const uint32_t first = result.segments.front().index;
    std::vector<int64_t> slot(result.segments.back().index - first + 1, -1);
    for (size_t i = 0; i < result.segments.size(); ++i)
      slot[result.segments[i].index - first] = static_cast<int64_t>(i);
    live.ForEach([&](uint64_t id, Placement where) {
      RecoveredSegment& s = result.segments[static_cast<size_t>(slot[where.segment - first])];
      ++s.live_jobs;
      s.live_bytes += where.record_bytes;
      result.max_live_record_bytes =
          std::max<uint64_t>(result.max_live_record_bytes, where.record_bytes);
      s.live_ids.push_back(id);
    });
    for (RecoveredSegment& s : result.segments) {
      if (!std::is_sorted(s.live_ids.begin(), s.live_ids.end())) {
        std::sort(s.live_ids.begin(), s.live_ids.end());
      }
    }
  }
  report.live_jobs = live.size();
  result.next_job_id = std::max(floor_id, max_id + 1);
  report.elapsed_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

}  // namespace stalk::journal
