#pragma once

// What the queue reports (JobInfo, TubeInfo) as the documents of stats-job and
// stats-tube (stalk/stats.h: whole seconds, the YAML keys' names). One conversion for
// the server, which encodes them, and for libstalk's Redis backend, which hands them
// to its caller.

#include "queue/types.h"
#include "stalk/stats.h"

namespace stalk::queue {

JobStats ToStats(const JobInfo& j);
TubeStats ToStats(const TubeInfo& t);

}  // namespace stalk::queue
