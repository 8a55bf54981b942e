// Puts N jobs into the tube "examples" with the stalk::Conn facade, compressing the
// bodies that are worth it.
//
//   producer [address] [count]     address: host:port, tcp://host:port or unix:/path;
//                                  default: STALKD_HOST / STALKD_PORT (DialDefault)

#include <stalk/stalk.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  stalk::Result<stalk::Conn> conn = argc > 1 ? stalk::Dial(argv[1]) : stalk::DialDefault();
  if (!conn) {
    std::fprintf(stderr, "producer: %s\n", conn.status().ToString().c_str());
    return 1;
  }
  const int count = argc > 2 ? std::atoi(argv[2]) : 10;
  stalk::Result<stalk::Tube> tube = conn->Use("examples");
  if (!tube) {
    std::fprintf(stderr, "producer: %s\n", tube.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    std::string body = "job " + std::to_string(i);
    if (i % 2 == 1) body += " " + std::string(4096, 'x');  // big enough to compress
    stalk::Result<stalk::JobId> id =
        tube->Put(body, /*delay=*/{}, /*ttr=*/std::chrono::seconds(60), /*compress=*/true);
    if (!id) {
      std::fprintf(stderr, "producer: put: %s\n", id.status().ToString().c_str());
      return 1;
    }
    std::printf("put %llu (%zu bytes)\n", static_cast<unsigned long long>(*id), body.size());
  }
  stalk::Result<stalk::TubeInfo> stats = tube->Stats();
  if (stats) {
    std::printf("compressed %llu, skipped %llu, saved %llu bytes\n",
                static_cast<unsigned long long>(stats->jobs_compressed),
                static_cast<unsigned long long>(stats->jobs_skipped),
                static_cast<unsigned long long>(stats->bytes_saved));
  }
  return 0;
}
