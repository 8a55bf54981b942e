#pragma once

// The stats documents as the CLI shows them: an ordered JSON object with the wire's
// key names ("current-jobs-ready") and numbers as numbers, which both `--json` and
// the readable table are made from. Pure; thread-safe.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include <stalk/stats.h>

namespace stalk::cli {

using Json = nlohmann::ordered_json;

// j.dump() that never throws: invalid UTF-8 in a string (a body, a hostname) is
// replaced by U+FFFD instead. `indent` < 0 is one line.
std::string DumpJson(const Json& j, int indent = -1);

// Keys in the order beanstalkd 1.13 prints them.
Json JobStatsJson(const JobStats& s);
Json TubeStatsJson(const TubeStats& s);
Json ServerStatsJson(const ServerStats& s);

// The readable view of such an object: "key  value" lines, aligned; strings bare,
// numbers as JSON writes them, booleans as true/false.
std::string StatsTable(const Json& object);

// `tubes --stats`: one row per tube with its job counts.
std::string TubeCountsTable(const std::vector<TubeStats>& tubes);

}  // namespace stalk::cli
