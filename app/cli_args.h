// Argument preprocessing that CLI11 cannot express.
#pragma once

#include <string>
#include <vector>

namespace sparseio::cli {

// SPEC writes suffix ranges as "-r -64KiB": CLI11 would take "-64KiB" for an
// option. Glues such a value to its option ("-r" "-64KiB" -> "--ranges=-64KiB").
std::vector<std::string> glue_dash_values(const std::vector<std::string>& args);

}  // namespace sparseio::cli
