#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace stalk::crc32c {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  EXPECT_EQ(Value(""), 0u);
  // RFC 3720 (iSCSI) B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62A8AB43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46DD794Eu);
  std::string dec(32, '\0');
  for (int i = 0; i < 32; ++i) dec[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Value(dec), 0x113FDB5Cu);
}

TEST(Crc32c, PortableMatchesKnownVector) {
  EXPECT_EQ(ExtendPortable(0, "123456789", 9), 0xE3069283u);
}

TEST(Crc32c, ExtendIsConcatenation) {
  std::string a = "hello, ", b = "world";
  EXPECT_EQ(Extend(Value(a), b.data(), b.size()), Value(a + b));
}

TEST(Crc32c, HardwareEqualsPortableOnRandomData) {
  if (!HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(42);
  std::vector<unsigned char> buf(100000);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  // Every length up to a few blocks of the 3-stream path, at several misalignments.
  for (size_t off = 0; off < 9; ++off) {
    for (size_t n : {0ul, 1ul, 7ul, 8ul, 9ul, 63ul, 64ul, 4095ul, 12287ul, 12288ul, 12289ul,
                     24576ul + 17ul, 99000ul - off}) {
      uint32_t seed = static_cast<uint32_t>(rng());
      ASSERT_EQ(ExtendHardware(seed, buf.data() + off, n),
                ExtendPortable(seed, buf.data() + off, n))
          << "off=" << off << " n=" << n;
    }
  }
  for (int i = 0; i < 2000; ++i) {
    size_t off = rng() % 1000, n = rng() % 50000;
    ASSERT_EQ(ExtendHardware(0, buf.data() + off, n), ExtendPortable(0, buf.data() + off, n));
  }
}

TEST(Crc32c, MaskRoundTripsAndChangesTheValue) {
  uint32_t crc = Value("foo");
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

}  // namespace
}  // namespace stalk::crc32c
