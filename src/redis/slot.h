#pragma once

// Redis Cluster key slots: which of the 16384 slots a key lives in, and a short
// hash tag for every slot so that a caller can build keys for a chosen slot.
// Pure functions; thread-safe.

#include <cstdint>
#include <string_view>

namespace stalk::redis {

inline constexpr uint16_t kSlotCount = 16384;

// CRC16-XMODEM (poly 0x1021, init 0, no reflection) of `data`.
uint16_t Crc16(std::string_view data);

// The slot of `key`: Crc16 & 16383. If the key holds a '{' followed later by a '}' with at
// least one byte between them, only the bytes between the FIRST '{' and the first '}' after
// it are hashed ("{}" anywhere first means the whole key is hashed). Same rule as Redis's
// keyHashSlot.
uint16_t KeySlot(std::string_view key);

// A short string (1 to 4 characters of [0-9a-z]) whose KeySlot is `slot`: "{<tag>}..." keys
// then live in that slot. The shortest such string, the lowest in base-36 order among equals.
// The table is computed once, on first use (about 1.7 M CRCs, a few ms), then shared.
// REQUIRES: slot < kSlotCount. The view stays valid for the life of the process.
std::string_view TagForSlot(uint16_t slot);

}  // namespace stalk::redis
