#include "support/journal_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "support/server_process.h"

extern char** environ;

namespace stalk::test {
namespace {

using std::chrono::milliseconds;

std::string TempRoot() {
  const char* dir = std::getenv("TMPDIR");
  return (dir != nullptr && *dir != '\0') ? dir : "/tmp";
}

// "wal.0000000042" -> 42; nullopt for any other name.
std::optional<uint32_t> SegmentIndexOf(std::string_view name) {
  constexpr std::string_view kPrefix = "wal.";
  if (name.size() != kPrefix.size() + 10 || !name.starts_with(kPrefix)) return std::nullopt;
  uint64_t index = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  if (index == 0 || index > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(index);
}

}  // namespace

ScratchDir::ScratchDir() {
  std::string pattern = TempRoot() + "/stalk-journal-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<SegmentFile> ListSegments(const std::string& dir) {
  std::vector<SegmentFile> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    auto index = SegmentIndexOf(e->d_name);
    if (!index) continue;
    SegmentFile f;
    f.index = *index;
    f.path = dir + "/" + e->d_name;
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) continue;  // removed meanwhile
    f.bytes = static_cast<uint64_t>(st.st_size);
    out.push_back(std::move(f));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.index < b.index; });
  return out;
}

uint64_t SegmentBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const SegmentFile& f : ListSegments(dir)) total += f.bytes;
  return total;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<ExitResult> RunToExit(const std::string& binary, const std::vector<std::string>& args,
                                    milliseconds timeout, std::string* error) {
  std::string output_template = TempRoot() + "/stalk-e2e-run-XXXXXX";
  std::vector<char> path_buf(output_template.begin(), output_template.end());
  path_buf.push_back('\0');
  int out_fd = ::mkstemp(path_buf.data());
  if (out_fd < 0) {
    *error = std::string("mkstemp failed: ") + std::strerror(errno);
    return std::nullopt;
  }
  const std::string output_path = path_buf.data();

  // Built before fork(): only async-signal-safe calls after it.
  std::vector<std::string> all = {binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = SpawnChild(argv.data(), environ, out_fd);
  ::close(out_fd);
  if (pid < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    ::unlink(output_path.c_str());
    return std::nullopt;
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool exited = false;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      exited = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  std::string output = ReadFileBytes(output_path);
  ::unlink(output_path.c_str());
  if (!exited) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *error = "'" + binary + "' was still running after " + std::to_string(timeout.count()) +
             " ms (killed); its output:\n" + output;
    return std::nullopt;
  }
  return ExitResult{status, std::move(output)};
}

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

namespace {

std::optional<YamlDoc> DocReply(WireClient& c, const std::string& command,
                                std::source_location loc) {
  if (!c.Send(command, loc)) return std::nullopt;
  auto reply = c.ReadReply();
  if (!reply) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "no reply to " << EscapeBytes(command) << " (pending: " << EscapeBytes(c.pending())
        << ")";
    return std::nullopt;
  }
  auto body = OkReplyBody(*reply);
  auto doc = body ? ParseYamlDoc(*body) : std::nullopt;
  if (!doc) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "reply to " << EscapeBytes(command)
        << " is not an OK YAML document: " << EscapeBytes(*reply);
  }
  return doc;
}

}  // namespace

std::optional<YamlDoc> Stats(WireClient& c, std::source_location loc) {
  return DocReply(c, "stats\r\n", loc);
}

std::optional<YamlDoc> StatsJob(WireClient& c, uint64_t id, std::source_location loc) {
  return DocReply(c, "stats-job " + std::to_string(id) + "\r\n", loc);
}

std::optional<uint64_t> NumField(const YamlDoc& doc, const std::string& key,
                                 std::source_location loc) {
  auto raw = doc.Get(key);
  if (!raw) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << "no field '" << key << "'";
    return std::nullopt;
  }
  if (raw->empty() || raw->size() > 20 ||
      !std::all_of(raw->begin(), raw->end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "field '" << key << "' is not a number: " << EscapeBytes(*raw);
    return std::nullopt;
  }
  return std::strtoull(raw->c_str(), nullptr, 10);
}

void JournalFixture::SetUp() {
  ServerFixture::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  ASSERT_FALSE(dir_.path().empty()) << "could not create a scratch directory under " << TempRoot();
}

void JournalFixture::TearDown() {
  if (HasFailure() && !past_output_.empty()) {
    std::cerr << "---- output of the earlier runs of " << binary() << " ----\n"
              << past_output_ << "---- end of the earlier runs ----\n";
  }
  ServerFixture::TearDown();
}

void JournalFixture::RetireServer() {
  if (!server_) return;
  std::string out = server_->Output();
  past_output_ +=
      "[pid " + std::to_string(server_->pid()) + "]\n" + (out.empty() ? "(none)\n" : out);
  server_.reset();
}

bool JournalFixture::StartJournaled(std::vector<std::string> args, std::source_location loc) {
  if (server_ && server_->Running() && !StopServer(loc)) return false;
  RetireServer();
  args.insert(args.begin(), {"-b", dir()});
  return StartServer(std::move(args), loc);
}

bool JournalFixture::StopServer(std::source_location loc) {
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << "no server to stop";
    return false;
  }
  if (!server_->Signal(SIGTERM)) {
    auto status = server_->WaitForExit(milliseconds(0));
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "the server had already exited before SIGTERM ("
        << (status ? DescribeWaitStatus(*status) : std::string("status unknown")) << ")";
    return false;
  }
  auto status = server_->WaitForExit(milliseconds(10000));
  if (!status) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "the server did not exit within 10 s of SIGTERM";
    return false;
  }
  const bool orderly = beanstalkd() ? (WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM)
                                    : (WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  if (!orderly) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "after SIGTERM the server " << DescribeWaitStatus(*status) << " (expected "
        << (beanstalkd() ? "death by SIGTERM" : "exit status 0") << ")";
    return false;
  }
  return true;
}

void JournalFixture::KillServer() {
  if (server_) server_->Kill();
}

std::string JournalFixture::AllOutput() const {
  std::string out = past_output_;
  if (server_) out += "[pid " + std::to_string(server_->pid()) + "]\n" + server_->Output();
  return out;
}

}  // namespace stalk::test
