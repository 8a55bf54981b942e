#include "stalk/compression.h"

#include <lz4.h>

#include <cstring>

#include "proto/command.h"

namespace stalk {
namespace {

constexpr char kMagic[4] = {'\0', 'S', 'Z', '4'};
constexpr uint8_t kVersion = 1;

void PutU32Le(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetU32Le(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

}  // namespace

CompressedBody CompressBody(std::string_view body) {
  // LZ4 blocks take an int size; bodies beyond the protocol's 1 GiB cap are not ours.
  if (body.size() < kMinCompressBytes || body.size() > proto::kMaxMaxJobBytes) {
    return {std::string(body), false};
  }
  const int src_len = static_cast<int>(body.size());
  std::string out(kCompressedHeaderBytes + static_cast<size_t>(LZ4_compressBound(src_len)), '\0');
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  out[4] = static_cast<char>(kVersion);
  PutU32Le(out.data() + 5, static_cast<uint32_t>(body.size()));
  int n = LZ4_compress_default(body.data(), out.data() + kCompressedHeaderBytes, src_len,
                               static_cast<int>(out.size() - kCompressedHeaderBytes));
  if (n <= 0 || kCompressedHeaderBytes + static_cast<size_t>(n) >= body.size()) {
    return {std::string(body), false};
  }
  out.resize(kCompressedHeaderBytes + static_cast<size_t>(n));
  return {std::move(out), true};
}

std::optional<std::string> DecompressBody(std::string_view body) {
  if (body.size() <= kCompressedHeaderBytes || std::memcmp(body.data(), kMagic, 4) != 0 ||
      static_cast<uint8_t>(body[4]) != kVersion) {
    return std::nullopt;
  }
  const uint32_t length = GetU32Le(body.data() + 5);
  // A real frame never expands a body past the protocol's cap, and never encodes a
  // body under the threshold; anything else is someone's data that starts with the
  // magic by chance: leave it alone, and never allocate what a header claims blindly.
  if (length < kMinCompressBytes || length > proto::kMaxMaxJobBytes ||
      length <= body.size() - kCompressedHeaderBytes) {
    return std::nullopt;
  }
  std::string out(length, '\0');
  int n = LZ4_decompress_safe(body.data() + kCompressedHeaderBytes, out.data(),
                              static_cast<int>(body.size() - kCompressedHeaderBytes),
                              static_cast<int>(length));
  if (n < 0 || static_cast<uint32_t>(n) != length) return std::nullopt;
  return out;
}

}  // namespace stalk
