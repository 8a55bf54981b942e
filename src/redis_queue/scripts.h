#pragma once

// The Lua sources of RedisQueue's scripts (src/redis_queue/scripts/*.lua, each prefixed with
// common.lua), embedded at build time by embed_scripts.cmake. What each does, its KEYS, ARGV
// and reply: the comment at the top of its .lua file and docs/redis_schema.md.

namespace stalk::redis_queue::scripts {

extern const char* const kPut;
extern const char* const kHead;
extern const char* const kReserve;
extern const char* const kReserveJob;
extern const char* const kDelete;
extern const char* const kRelease;
extern const char* const kBury;
extern const char* const kTouch;
extern const char* const kUnreserve;
extern const char* const kKickJob;
extern const char* const kKick;
extern const char* const kPeekTube;
extern const char* const kPause;
extern const char* const kStatsJob;
extern const char* const kStatsTube;
extern const char* const kPromote;
extern const char* const kPrune;

}  // namespace stalk::redis_queue::scripts
