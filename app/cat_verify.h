// The CLI of `cat` and `verify` (kept apart from main.cc), and the guard
// that keeps descriptors 0-2 from being taken by files or sockets.
#pragma once

#include "api/commands.h"
#include "api/verify_command.h"

namespace sparseio::cli {

// Opens /dev/null onto whichever of descriptors 0, 1 and 2 is closed, so that
// no file or socket opened later lands there (a DST on fd 1 would receive
// `cat`'s output). A closed stdout gets /dev/null read-only: writing to it
// then fails, and `cat` reports it instead of writing nowhere.
void ensure_standard_fds();

// sparseio cat: streams the ranges to standard output. A reader that goes
// away (EPIPE, as with `| head`) ends the run quietly with 0, what was fetched
// recorded; a closed or read-only stdout is an Error naming it.
int run_cat_command(FetchCommand cmd, bool store);

// sparseio verify [--repair] [--json]: 0 identical (or repaired), 3 differs.
int run_verify_command(const VerifyCommand& cmd, bool json, bool quiet);

}  // namespace sparseio::cli
