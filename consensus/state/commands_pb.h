// The generated header of proto/commands.proto. protobuf_generate places it
// either under proto/ or at the top of the build tree depending on the CMake
// version, so it is included from here only.
#pragma once

#if __has_include("proto/commands.pb.h")
#include "proto/commands.pb.h"  // IWYU pragma: export
#else
#include "commands.pb.h"  // IWYU pragma: export
#endif
