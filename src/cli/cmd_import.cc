// import: the jobs of an export file (cli/export_format.h) into a tube.
//
// The whole file is read and checked first, so a truncated or corrupt file puts
// nothing. Then jobs are put in order, runs of jobs with the same priority, delay
// and TTR as one pipelined PutMany. A buried job is put, then taken with
// reserve-job and buried (a worker watching the tube could take it in between;
// it is then reported as not buried).

#include <unistd.h>

#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/export_format.h"
#include "cli/progress.h"
#include "cli/session.h"

namespace stalk::cli {
namespace {

constexpr size_t kBatchJobs = 256;
constexpr size_t kBatchBytes = 4 << 20;

class Importer {
 public:
  Importer(Client& c, Progress& progress) : c_(c), progress_(progress) {}

  // Queues a job; puts the batch when it is full or the job's options differ.
  Outcome<bool> Add(const ExportJob& job) {
    if (!batch_.empty() && (!SameOptions(batch_.front(), job) || batch_.size() >= kBatchJobs ||
                            batch_bytes_ >= kBatchBytes)) {
      auto r = Flush();
      if (!r) return r;
    }
    batch_bytes_ += job.body.size();
    batch_.push_back(job);
    return true;
  }

  Outcome<bool> Flush() {
    if (batch_.empty()) return true;
    PutOptions opts;
    opts.pri = batch_.front().pri;
    opts.ttr = std::chrono::seconds(batch_.front().ttr_s);
    opts.delay = std::chrono::seconds(batch_.front().delay_s);
    std::vector<std::string_view> bodies;
    for (const ExportJob& j : batch_) bodies.push_back(j.body);
    std::vector<Result<JobId>> ids;
    if (bodies.size() == 1) {
      ids.push_back(c_.Put(bodies.front(), opts));
    } else {
      ids = c_.PutMany(bodies, opts);
    }
    for (size_t i = 0; i < batch_.size(); ++i) {
      if (i >= ids.size()) return Failure{ExitCode::kConnection, "put: fewer replies than jobs"};
      if (!ids[i]) return FromStatus(ids[i].status(), "put (job " + std::to_string(batch_[i].id) + " of the file)");
      ++imported_;
      if (batch_[i].state == JobState::kBuried) {
        auto r = Bury(*ids[i], batch_[i].pri);
        if (!r) return r;
      }
      ++by_state_[static_cast<int>(batch_[i].state)];
    }
    progress_.Update(imported_);
    batch_.clear();
    batch_bytes_ = 0;
    return true;
  }

  uint64_t imported() const { return imported_; }
  uint64_t count(JobState s) const { return by_state_[static_cast<int>(s)]; }
  uint64_t not_buried() const { return not_buried_; }

 private:
  static bool SameOptions(const ExportJob& a, const ExportJob& b) {
    return a.pri == b.pri && a.ttr_s == b.ttr_s && a.delay_s == b.delay_s;
  }

  Outcome<bool> Bury(JobId id, uint32_t pri) {
    auto job = c_.ReserveJob(id);
    if (!job) {
      if (job.status().is(Error::kNotFound)) {  // a worker reserved it first
        ++not_buried_;
        return true;
      }
      return FromStatus(job.status(), "reserve-job " + std::to_string(id));
    }
    if (auto r = c_.Bury(id, pri); !r) return FromStatus(r.status(), "bury " + std::to_string(id));
    return true;
  }

  Client& c_;
  Progress& progress_;
  std::vector<ExportJob> batch_;
  size_t batch_bytes_ = 0;
  uint64_t imported_ = 0;
  uint64_t by_state_[3] = {0, 0, 0};
  uint64_t not_buried_ = 0;
};

}  // namespace

int RunImport(const Invocation& inv) {
  std::ifstream in(inv.path, std::ios::binary);
  if (!in) return Report(BadInput("cannot open " + inv.path));
  // Pass 1: check the whole file, put nothing.
  ExportHeader header;
  auto total = ReadExport(in, &header, nullptr);
  if (!total) {
    return Report(BadInput(inv.path + ": " + total.failure().message + "; nothing imported"));
  }
  const std::string tube = inv.import_tube.value_or(header.tube);

  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  Client& c = **client;
  if (auto r = c.Use(tube); !r) return Report(FromStatus(r.status(), "use " + tube));

  // Pass 2: put.
  in.clear();
  in.seekg(0);
  Progress::Mode mode = Progress::Mode::kQuiet;
  if (!inv.quiet) mode = ::isatty(STDERR_FILENO) == 1 ? Progress::Mode::kBar : Progress::Mode::kLines;
  Progress progress(std::cerr, mode, "import", *total);
  Importer importer(c, progress);
  auto read = ReadExport(in, nullptr, [&](const ExportJob& job) { return importer.Add(job); });
  Outcome<bool> done = read ? importer.Flush() : Outcome<bool>(read.failure());
  progress.Finish(importer.imported());
  if (!done) {
    Report(done.failure());
    Note("import stopped after " + std::to_string(importer.imported()) + " of " +
         std::to_string(*total) + " jobs (those are in tube " + tube + ")");
    return ToInt(done.failure().code);
  }
  Note("imported " + std::to_string(importer.imported()) + " jobs (" +
       std::to_string(importer.count(JobState::kReady)) + " ready, " +
       std::to_string(importer.count(JobState::kDelayed)) + " delayed, " +
       std::to_string(importer.count(JobState::kBuried)) + " buried) into tube " + tube);
  if (importer.not_buried() > 0) {
    Note(std::to_string(importer.not_buried()) +
         " buried jobs were reserved by a worker before they could be buried again");
  }
  return 0;
}

}  // namespace stalk::cli
