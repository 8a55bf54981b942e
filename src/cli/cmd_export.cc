// export: a tube's ready, delayed and buried jobs to a file (cli/export_format.h).
//
// The technique works on beanstalkd 1.12 and on stalkd alike: peek-ready /
// peek-delayed / peek-buried find a job, stats-job gives its priority, TTR,
// state and remaining delay, and reserve-job takes it so that the next peek finds
// the next job. Once every job is in the file and the file is on disk (fsync of
// the file, rename, fsync of the directory), the jobs are deleted (move) or put
// back as they were (--keep: release with their priority and remaining delay,
// or bury). On any failure before that point every job taken is put back.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "cli/export_format.h"
#include "cli/progress.h"
#include "cli/session.h"

namespace stalk::cli {
namespace {

// A job this connection holds (reserved through reserve-job), and how to put it back.
struct Taken {
  JobId id = 0;
  JobState state = JobState::kReady;
  uint32_t pri = 0;
  uint32_t delay_s = 0;
};

// An output file written to "<path>.partial" and renamed into place once durable.
class OutputFile {
 public:
  explicit OutputFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {}
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(partial_.c_str());
  }

  Outcome<bool> Open() {
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Errno("cannot create " + partial_);
    return true;
  }

  Outcome<bool> Write(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot write " + partial_);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // fsync, close, rename over `path`, fsync the directory: after this the file
  // survives a crash, so the jobs in it may be deleted from the server.
  Outcome<bool> Commit() {
    if (::fsync(fd_) != 0) return Errno("cannot fsync " + partial_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Errno("cannot close " + partial_);
    if (::rename(partial_.c_str(), path_.c_str()) != 0) return Errno("cannot rename to " + path_);
    committed_ = true;
    std::string dir = std::filesystem::path(path_).parent_path().string();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return Errno("cannot open directory " + dir);
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return Errno("cannot fsync directory " + dir);
    return true;
  }

 private:
  static Failure Errno(const std::string& what) {
    // A local file problem is not the server's: "bad input/output file", exit 5.
    return BadInput(what + ": " + std::strerror(errno));
  }

  std::string path_;
  std::string partial_;
  int fd_ = -1;
  bool committed_ = false;
};

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Progress::Mode ProgressMode(const Invocation& inv) {
  if (inv.quiet) return Progress::Mode::kQuiet;
  return ::isatty(STDERR_FILENO) == 1 ? Progress::Mode::kBar : Progress::Mode::kLines;
}

class Exporter {
 public:
  Exporter(Client& c, OutputFile& out, Progress& progress)
      : c_(c), out_(out), progress_(progress) {}

  // Takes every job it can find and writes it to the file.
  Outcome<bool> TakeAll() {
    // Delayed jobs may become ready while we work: go round until a whole round
    // finds nothing new.
    bool found = true;
    while (found) {
      found = false;
      for (JobState state : {JobState::kReady, JobState::kDelayed, JobState::kBuried}) {
        auto n = Drain(state);
        if (!n) return n.failure();
        if (*n > 0) found = true;
      }
    }
    return true;
  }

  // Deletes (move) or puts back (--keep, or after a failure) every job taken.
  // Returns the number that could not be handled; each is reported.
  uint64_t Finish(bool restore) {
    uint64_t failed = 0;
    for (const Taken& t : taken_) {
      Result<void> r = restore ? PutBack(t) : c_.Delete(t.id);
      if (r.ok()) continue;
      ++failed;
      Report(FromStatus(r.status(), std::string(restore ? "put back" : "delete") + " job " +
                                        std::to_string(t.id)));
    }
    return failed;
  }

  const std::vector<Taken>& taken() const { return taken_; }
  uint64_t lost_races() const { return lost_races_; }
  uint64_t count(JobState s) const {
    uint64_t n = 0;
    for (const Taken& t : taken_) n += t.state == s;
    return n;
  }

 private:
  Result<Job> PeekState(JobState state) {
    switch (state) {
      case JobState::kReady:
        return c_.PeekReady();
      case JobState::kDelayed:
        return c_.PeekDelayed();
      case JobState::kBuried:
        return c_.PeekBuried();
    }
    return Status(Error::kNotFound);
  }

  // Takes the jobs peek-<state> finds until there are none; returns how many new.
  Outcome<uint64_t> Drain(JobState peek_state) {
    uint64_t added = 0;
    while (true) {
      auto peeked = PeekState(peek_state);
      if (!peeked) {
        if (peeked.status().is(Error::kNotFound)) return added;
        return FromStatus(peeked.status(), "peek");
      }
      const JobId id = peeked->id;
      if (seen_.contains(id)) {
        // We held it and its TTR ran out, so the server made it ready again. It is
        // in the file already; take it back so it is not seen again.
        auto again = c_.ReserveJob(id);
        if (!again && !again.status().is(Error::kNotFound)) return FromStatus(again.status(), "reserve-job");
        continue;
      }
      auto stats = c_.StatsJob(id);
      if (!stats) {
        if (stats.status().is(Error::kNotFound)) continue;  // deleted meanwhile
        return FromStatus(stats.status(), "stats-job " + std::to_string(id));
      }
      auto job = c_.ReserveJob(id);
      if (!job) {
        if (job.status().is(Error::kNotFound)) {  // someone reserved or deleted it first
          ++lost_races_;
          continue;
        }
        return FromStatus(job.status(), "reserve-job " + std::to_string(id));
      }
      Taken t;
      t.id = id;
      t.pri = stats->pri;
      if (stats->state == "delayed") {
        t.state = JobState::kDelayed;
        // time-left counts whole seconds down; 0 means under a second is left. Keep
        // it delayed (at least 1 s) so its state survives the round trip.
        t.delay_s = static_cast<uint32_t>(std::max<int64_t>(1, stats->time_left_s));
      } else if (stats->state == "buried") {
        t.state = JobState::kBuried;
      }
      seen_.insert(id);
      taken_.push_back(t);  // before the write: a failed write still puts it back
      ExportJob record;
      record.id = id;
      record.state = t.state;
      record.pri = t.pri;
      record.ttr_s = static_cast<uint32_t>(std::max<int64_t>(0, stats->ttr_s));
      record.delay_s = t.delay_s;
      record.body = std::move(job->body);
      auto w = out_.Write(EncodeJob(record));
      if (!w) return w.failure();
      ++added;
      progress_.Update(taken_.size());
    }
  }

  Result<void> PutBack(const Taken& t) {
    Result<void> r = PutBackOnce(t);
    if (r.ok() || !r.status().is(Error::kNotFound)) return r;
    // NOT_FOUND: we no longer hold it (its TTR ran out). Take it again and retry.
    auto again = c_.ReserveJob(t.id);
    if (!again) return again.status();
    return PutBackOnce(t);
  }

  Result<void> PutBackOnce(const Taken& t) {
    if (t.state == JobState::kBuried) return c_.Bury(t.id, t.pri);
    return c_.Release(t.id, t.pri, std::chrono::seconds(t.delay_s));
  }

  Client& c_;
  OutputFile& out_;
  Progress& progress_;
  std::vector<Taken> taken_;
  std::set<JobId> seen_;
  uint64_t lost_races_ = 0;
};

}  // namespace

int RunExport(const Invocation& inv) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  Client& c = **client;
  if (auto r = c.Use(inv.tube); !r) return Report(FromStatus(r.status(), "use " + inv.tube));
  uint64_t total = 0;
  uint64_t reserved_elsewhere = 0;
  if (auto s = c.StatsTube(inv.tube); s) {
    total = s->current_jobs_ready + s->current_jobs_delayed + s->current_jobs_buried;
    reserved_elsewhere = s->current_jobs_reserved;
  } else if (!s.status().is(Error::kNotFound)) {
    return Report(FromStatus(s.status(), "stats-tube " + inv.tube));
  }

  OutputFile out(inv.path);
  if (auto r = out.Open(); !r) return Report(r.failure());
  ExportHeader header;
  header.tube = inv.tube;
  header.source = inv.endpoint.ToString();
  header.created = UtcNow();
  if (auto r = out.Write(EncodeHeader(header)); !r) return Report(r.failure());

  Progress progress(std::cerr, ProgressMode(inv), "export", total);
  Exporter exporter(c, out, progress);
  auto taken = exporter.TakeAll();
  Outcome<bool> written = taken ? out.Write(EncodeTrailer(exporter.taken().size())) : taken;
  if (written) written = out.Commit();
  progress.Finish(exporter.taken().size());
  if (!written) {
    const uint64_t stuck = exporter.Finish(/*restore=*/true);
    Report(written.failure());
    Note("export failed; " +
         (stuck == 0 ? std::string("every job was put back")
                     : std::to_string(stuck) + " jobs could not be put back (see above)"));
    return ToInt(written.failure().code);
  }

  const uint64_t n = exporter.taken().size();
  const uint64_t failed = exporter.Finish(/*restore=*/inv.keep);
  Note("exported " + std::to_string(n) + " jobs (" + std::to_string(exporter.count(JobState::kReady)) +
       " ready, " + std::to_string(exporter.count(JobState::kDelayed)) + " delayed, " +
       std::to_string(exporter.count(JobState::kBuried)) + " buried) of tube " + inv.tube + " to " +
       inv.path + (inv.keep ? "; left on the server" : "; deleted from the server"));
  const uint64_t skipped = reserved_elsewhere + exporter.lost_races();
  if (skipped > 0) {
    Note(std::to_string(skipped) + " jobs reserved by other clients were not exported");
  }
  if (failed > 0) {
    Note(std::to_string(failed) + (inv.keep ? " jobs could not be put back as they were"
                                            : " exported jobs could not be deleted and are still on the server"));
    return ToInt(ExitCode::kServerError);
  }
  return 0;
}

}  // namespace stalk::cli
