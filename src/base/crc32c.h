#pragma once

// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of the
// journal's records (docs/wal_format.md). Uses the SSE4.2 `crc32` instruction when the CPU
// has it (checked once at run time) and a slicing-by-8 table otherwise; both give the same
// values. Thread-safe: pure functions.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stalk::crc32c {

// Returns the CRC-32C of `data[0, n)` appended to a message whose CRC-32C is `crc`.
// Extend(Extend(0, a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The two implementations, exposed for tests and benchmarks. ExtendHardware REQUIRES
// HardwareAvailable().
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n);
bool HardwareAvailable();

// A CRC stored next to the data it covers is masked (rotated and offset, as in leveldb),
// because the CRC of a string that itself contains CRCs is weak.
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace stalk::crc32c
