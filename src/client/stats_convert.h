#pragma once

#include "proto/stats.h"
#include "stalk/stats.h"

namespace stalk::detail {

// proto's ServerStats to the public one of stalk/stats.h, which keys the cmd-*
// counters by name (proto::VerbName) and gives rusage in seconds. (JobStats and
// TubeStats are the public structs already.)
ServerStats ToPublic(const proto::ServerStats& in);

}  // namespace stalk::detail
