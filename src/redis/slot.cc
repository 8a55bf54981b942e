#include "redis/slot.h"

#include <array>
#include <cassert>
#include <string>

namespace stalk::redis {
namespace {

constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

// Tags of up to 4 base-36 characters: 4 bytes plus a length fit one small record, so the
// whole table is a single allocation.
struct Tag {
  char text[4];
  uint8_t len = 0;
};

struct TagTable {
  std::array<Tag, kSlotCount> tags{};

  TagTable() {
    static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    size_t missing = kSlotCount;
    char buf[4];
    // Shortest first, so every slot gets its shortest tag.
    for (int len = 1; len <= 4 && missing > 0; ++len) {
      int total = 1;
      for (int i = 0; i < len; ++i) total *= 36;
      for (int n = 0; n < total && missing > 0; ++n) {
        int rest = n;
        for (int i = len - 1; i >= 0; --i) {
          buf[i] = kDigits[rest % 36];
          rest /= 36;
        }
        const uint16_t slot = Crc16(std::string_view(buf, len)) & (kSlotCount - 1);
        Tag& tag = tags[slot];
        if (tag.len != 0) continue;
        std::copy(buf, buf + len, tag.text);
        tag.len = static_cast<uint8_t>(len);
        --missing;
      }
    }
    // Verified when this was written: 4 characters reach every slot.
    assert(missing == 0);
  }
};

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char c : data) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ c) & 0xff]);
  }
  return crc;
}

uint16_t KeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) & (kSlotCount - 1);
}

std::string_view TagForSlot(uint16_t slot) {
  assert(slot < kSlotCount);
  static const TagTable* const table = new TagTable();  // never destroyed: views outlive exit
  const Tag& tag = table->tags[slot & (kSlotCount - 1)];
  return std::string_view(tag.text, tag.len);
}

}  // namespace stalk::redis
