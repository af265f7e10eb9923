// The CLI of `verify`: the one-line verdict, the repair summary and --json.
#pragma once

#include "api/verify_command.h"

namespace sparseio::cli {

// sparseio verify [--repair] [--json]: 0 identical (or repaired), 3 differs.
int run_verify_command(const VerifyCommand& cmd, bool json, bool quiet);

}  // namespace sparseio::cli
