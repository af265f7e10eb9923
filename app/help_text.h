// The texts of --help beyond the option list: examples per command, the
// range syntax (only under the commands that take ranges) and exit codes.
// Kept apart from main.cc so that new commands add their text here.
#pragma once

#include <string>

namespace sparseio::cli {

// The range grammar, for the footers of fetch, cat, punch and verify.
std::string range_syntax_help();

// The --select grammar and its globs, for the footers of fetch, cat and plan.
std::string select_syntax_help();

// Examples for `command` ("" for the top level), as a footer.
std::string examples_help(const std::string& command);

}  // namespace sparseio::cli
