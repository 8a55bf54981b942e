#pragma once

#include <string>
#include <string_view>

namespace stalk::test {

// Which server binary the end-to-end suites talk to.
//
//   STALK_TEST_SERVER=<path>   the server under test; if unset, the stalkd built
//                              with the tests (STALKD_PATH, compiled in when the
//                              CMake target `stalkd` exists), else none.
//   STALK_DIFF_BASELINE=<path> the reference of the differential test; if unset,
//                              /usr/bin/beanstalkd (Debian's 1.12).
//
// Running the conformance suite with STALK_TEST_SERVER=/usr/bin/beanstalkd checks
// the suite itself against the reference implementation.

// The server under test, or "" when none is configured.
std::string ServerUnderTestPath();

// The differential test's reference server.
std::string BaselineServerPath();

// True when the file name of `path` is "beanstalkd": the suites then expect
// beanstalkd 1.12's behaviour where the reference says 1.12 and 1.13 differ
// (YAML quoting, reserve-with-timeout parsing, version) and where stalkd
// deliberately differs (the 224-byte line bug, ids burnt by failed puts, exit
// status on SIGTERM).
bool IsBeanstalkdBinary(std::string_view path);

// IsBeanstalkdBinary(ServerUnderTestPath()).
bool IsBeanstalkd();

// True when `value` (unquoted) is what the given server reports as `version`:
// "1.12" for beanstalkd 1.12, "1.13.0+stalkd.<something>" for stalkd.
bool VersionMatches(bool beanstalkd_1_12, std::string_view value);

// Whether `version` is double-quoted in stats. beanstalkd always quotes it (a bare
// 1.12 would read as a float); stalkd applies its quoting rule, under which
// 1.13.0+stalkd.<x> reads back as the same string and so is written bare
// (docs/protocol.md "Version").
bool VersionIsQuoted(bool beanstalkd_1_12);

}  // namespace stalk::test
