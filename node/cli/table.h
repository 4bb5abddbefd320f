// Human-readable tables for CLI output (`-o table`, the default).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace synod::node::cli {

// Prints left-aligned columns separated by two spaces, with a header row.
void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace synod::node::cli
