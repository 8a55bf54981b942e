#pragma once

#include "proto/stats.h"
#include "stalk/stats.h"

namespace stalk::detail {

// The wire structs of proto/ to the public ones of stalk/stats.h. The public
// ServerStats keys the cmd-* counters by name (proto::VerbName) and gives rusage in
// seconds; JobStats and TubeStats are field for field the same.
JobStats ToPublic(const proto::JobStats& in);
TubeStats ToPublic(const proto::TubeStats& in);
ServerStats ToPublic(const proto::ServerStats& in);

}  // namespace stalk::detail
