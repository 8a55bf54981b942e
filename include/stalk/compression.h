#pragma once

// LZ4 compression of job bodies, as the stalk::Conn facade does it (Tube::Put with
// compress = true) and as every libstalk reader undoes it. Exposed so that a producer
// on the plain stalk::Client can compress the same way.
//
// Format (docs/client.md "Compression"): a 9-byte header, then one raw LZ4 block.
//   magic    4 bytes  "\0SZ4"
//   version  1 byte   1
//   length   4 bytes  original body length, unsigned, little-endian
//   block             LZ4_compress_default() output of the original body
//
// Pure functions of their arguments; safe from any thread.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stalk {

// Bodies shorter than this are never compressed (LZ4 rarely pays below it).
inline constexpr size_t kMinCompressBytes = 2048;
inline constexpr size_t kCompressedHeaderBytes = 9;

struct CompressedBody {
  std::string body;         // what to store: the frame, or the original bytes
  bool compressed = false;  // false: under kMinCompressBytes, or it did not shrink
};

// Compresses `body` when that pays: not under kMinCompressBytes, and the frame,
// header included, strictly smaller than the body. Otherwise returns it unchanged.
CompressedBody CompressBody(std::string_view body);

// When `body` is a frame of this format that decodes to exactly its stated length,
// the original body; otherwise nullopt (the caller keeps `body` as it is, so a body
// that merely starts with the magic is never lost).
std::optional<std::string> DecompressBody(std::string_view body);

}  // namespace stalk
