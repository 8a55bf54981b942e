#pragma once

// Standard base64 (RFC 4648 §4, with '=' padding) for job bodies in the export
// file and in --json output: bodies are arbitrary bytes. Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace stalk::cli {

std::string Base64Encode(std::string_view bytes);

// nullopt on anything that is not canonical padded base64 (bad characters, bad
// length, bits set in the padding).
std::optional<std::string> Base64Decode(std::string_view text);

// True when `bytes` is valid UTF-8 (so it can be shown as a JSON string as is).
bool IsValidUtf8(std::string_view bytes);

}  // namespace stalk::cli
