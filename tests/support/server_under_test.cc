#include "support/server_under_test.h"

#include <cstdlib>

namespace stalk::test {

std::string ServerUnderTestPath() {
  const char* env = std::getenv("STALK_TEST_SERVER");
  if (env != nullptr && *env != '\0') return env;
#ifdef STALKD_PATH
  return STALKD_PATH;
#else
  return "";
#endif
}

std::string BaselineServerPath() {
  const char* env = std::getenv("STALK_DIFF_BASELINE");
  if (env != nullptr && *env != '\0') return env;
  return "/usr/bin/beanstalkd";
}

bool IsBeanstalkdBinary(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return base == "beanstalkd";
}

bool IsBeanstalkd() { return IsBeanstalkdBinary(ServerUnderTestPath()); }

bool VersionMatches(bool beanstalkd_1_12, std::string_view value) {
  if (beanstalkd_1_12) return value == "1.12";
  constexpr std::string_view kPrefix = "1.13.0+stalkd.";
  return value.size() > kPrefix.size() && value.starts_with(kPrefix);
}

bool VersionIsQuoted(bool beanstalkd_1_12) { return beanstalkd_1_12; }

}  // namespace stalk::test
