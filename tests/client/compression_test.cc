// The LZ4 body format of stalk/compression.h, without a server.

#include "stalk/compression.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace stalk {
namespace {

std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "the quick brown fox jumps over the lazy dog; ";
  s.resize(n);
  return s;
}

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Compression, RoundTripsACompressibleBody) {
  std::string body = Compressible(10000);
  CompressedBody c = CompressBody(body);
  ASSERT_TRUE(c.compressed);
  EXPECT_LT(c.body.size(), body.size());
  EXPECT_EQ(c.body.substr(0, 5), std::string("\0SZ4\x01", 5));
  std::optional<std::string> back = DecompressBody(c.body);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, body);
}

TEST(Compression, SkipsBodiesUnderTwoKibibytes) {
  std::string body = Compressible(kMinCompressBytes - 1);
  CompressedBody c = CompressBody(body);
  EXPECT_FALSE(c.compressed);
  EXPECT_EQ(c.body, body);
  EXPECT_TRUE(CompressBody(Compressible(kMinCompressBytes)).compressed);
}

TEST(Compression, SkipsBodiesThatDoNotShrink) {
  std::string body = Random(4096, 1);
  CompressedBody c = CompressBody(body);
  EXPECT_FALSE(c.compressed);
  EXPECT_EQ(c.body, body);
}

TEST(Compression, PlainBodiesAreNotDecompressed) {
  EXPECT_FALSE(DecompressBody(""));
  EXPECT_FALSE(DecompressBody("hello"));
  EXPECT_FALSE(DecompressBody(Compressible(5000)));
}

// A body that starts with the magic but is not a frame is someone's data: the
// reader must give it back unchanged (DecompressBody says nullopt).
TEST(Compression, ABodyThatMerelyStartsWithTheMagicIsLeftAlone) {
  std::string frame = CompressBody(Compressible(10000)).body;
  // Wrong version.
  std::string v2 = frame;
  v2[4] = 2;
  EXPECT_FALSE(DecompressBody(v2));
  // Truncated block.
  EXPECT_FALSE(DecompressBody(frame.substr(0, frame.size() - 3)));
  // Stated length off by one either way.
  for (int delta : {-1, 1}) {
    std::string bad = frame;
    bad[5] = static_cast<char>(static_cast<uint8_t>(bad[5]) + delta);
    EXPECT_FALSE(DecompressBody(bad)) << delta;
  }
  // A huge stated length is refused without allocating it.
  std::string huge = frame;
  huge[8] = '\x7f';
  EXPECT_FALSE(DecompressBody(huge));
  // Magic followed by junk.
  EXPECT_FALSE(DecompressBody(std::string("\0SZ4\x01", 5) + Random(100, 2)));
}

}  // namespace
}  // namespace stalk
