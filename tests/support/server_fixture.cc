#include "support/server_fixture.h"

#include <unistd.h>

#include "support/server_under_test.h"

namespace stalk::test {

void ServerFixture::SetUp() {
  binary_ = ServerUnderTestPath();
  if (binary_.empty()) {
    GTEST_SKIP() << "no server under test: set STALK_TEST_SERVER=<path> (e.g. "
                    "/usr/bin/beanstalkd) or build the stalkd target";
  }
  if (::access(binary_.c_str(), X_OK) != 0) {
    FAIL() << "server under test '" << binary_
           << "' is missing or not executable; build the stalkd target or set "
              "STALK_TEST_SERVER";
  }
  beanstalkd_ = IsBeanstalkdBinary(binary_);
}

void ServerFixture::TearDown() {
  if (server_ && HasFailure()) {
    std::string out = server_->Output();
    std::cerr << "---- output of " << binary_ << " (pid " << server_->pid() << ") ----\n"
              << (out.empty() ? "(none)\n" : out) << "---- end of server output ----\n";
  }
  server_.reset();
}

bool ServerFixture::StartServer(std::vector<std::string> args, std::source_location loc) {
  ServerProcess::Options options;
  options.binary = binary_;
  options.args = std::move(args);
  std::string error;
  server_ = ServerProcess::Start(options, &error);
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << error;
    return false;
  }
  return true;
}

bool ServerFixture::StartUnixServer(const std::string& path, std::vector<std::string> args,
                                    std::source_location loc) {
  ServerProcess::Options options;
  options.binary = binary_;
  options.args = std::move(args);
  options.unix_path = path;
  std::string error;
  server_ = ServerProcess::Start(options, &error);
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << error;
    return false;
  }
  return true;
}

std::unique_ptr<WireClient> ServerFixture::Connect(std::source_location loc) {
  if (!server_) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line())) << "no server running";
    return std::make_unique<WireClient>(uint16_t{0}, loc);
  }
  if (!server_->unix_path().empty()) return std::make_unique<WireClient>(server_->unix_path(), loc);
  return std::make_unique<WireClient>(server_->port(), loc);
}

}  // namespace stalk::test
