#pragma once

namespace synod::node {
inline constexpr const char* kVersion = "0.1.0";
}
