// The CLI of `verify`: the one-line verdict, the repair summary and --json;
// for a directory DST (verify SRC... DIR/), one line per object and totals.
#pragma once

#include <string>
#include <vector>

#include "api/verify_command.h"

namespace sparseio::cli {

// sparseio verify [--repair] [--json]: 0 identical (or repaired), 3 differs.
int run_verify_command(const VerifyCommand& cmd, bool json, bool quiet);

// sparseio verify SRC... DIR/: each object of `sources` (named as fetch
// names them) against DIR/NAME, `each` giving the ranges, repair and
// options. Every object is compared; stdout has a line per object and the
// totals (--json: an "objects" array of each verify report or error),
// stderr ends with the objects that differ or failed. Exit 0 when all are
// identical (or repaired), 3 when some differ and none failed, the
// failures' shared kind when none differs, else 1.
int run_verify_many_command(const std::vector<std::string>& sources, const std::string& dir,
                            const VerifyCommand& each, bool json, bool quiet);

}  // namespace sparseio::cli
