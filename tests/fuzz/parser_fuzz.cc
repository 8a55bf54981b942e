// libFuzzer target for proto::Parser. Feeds the input all at once and in
// random chunks (the split and the -z limit are derived from the input, so a
// crash reproduces from the input file alone) and aborts when any invariant of
// parser_harness.h breaks: consumed <= size, every event but kNeedMore makes
// progress, kNeedMore without progress is stable, buffering stays bounded,
// and chunking never changes the events.
//
// Build (clang only): CXX=clang++ cmake -S . -B build-fuzz -DSTALK_BUILD_FUZZ=ON
//   cmake --build build-fuzz --target parser_fuzz
//   build-fuzz/tests/fuzz/parser_fuzz -max_total_time=60 /tmp/corpus tests/fuzz/corpus

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/parser_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  uint32_t hash = 2166136261u;  // FNV-1a
  for (unsigned char c : input) hash = (hash ^ c) * 16777619u;
  static constexpr uint64_t kLimits[] = {stalk::proto::kDefaultMaxJobBytes, 10, 0, 1000};
  const uint64_t max_job_bytes = kLimits[hash % 4];
  const std::string error = stalk::proto::testing::CheckSplitInvariance(input, hash, max_job_bytes);
  if (!error.empty()) {
    std::fprintf(stderr, "parser invariant broken (max_job_bytes %llu): %s\n",
                 static_cast<unsigned long long>(max_job_bytes), error.c_str());
    std::abort();
  }
  return 0;
}
