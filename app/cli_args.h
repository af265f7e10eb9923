// Argument preprocessing and checks that CLI11 cannot express: suffix ranges
// given as separate values, typos named with the closest command or option
// (CLI11 would only say "A subcommand is required"), and one value per
// option occurrence on every command.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace sparseio::cli {

// SPEC writes suffix ranges as "-r -64KiB": CLI11 would take "-64KiB" for an
// option. Glues such a value to its option ("-r" "-64KiB" -> "--ranges=-64KiB").
std::vector<std::string> glue_dash_values(const std::vector<std::string>& args);

// Makes every option of `app` and its commands that takes a value take
// exactly one per occurrence, wherever it stands: CLI11 lets an option bound
// to a std::vector swallow the words after it ("--select X SRC DST" lost SRC
// and DST), and a repeatable option is repeated instead ("--select A
// --select B"). Also trims CLI11's type noise from --help: a validator's
// description ("N:UINT in [1 - 1024]", "SECONDS:FINITE:FLOAT") and the
// "..." of repeatable options (the help text says "repeatable"), and the
// "TEXT" after positionals. Call it once every option has been added.
void one_value_per_option(CLI::App& app);

// The candidate closest to `word` (at most 2 edits away by the library's
// plan::edit_distance, the one --select's suggestions use, or one that
// starts with it), or "" when none is close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// Checks what comes before and including the command word; returns a
// one-line error ("unknown command "fecth" (did you mean "fetch"?)") or
// nullopt. `args` are the arguments after the program name.
std::optional<std::string> check_command_word(const std::vector<std::string>& args,
                                              const std::vector<std::string>& commands);

// Checks the options given to subcommand `cmd` (the arguments after its
// name); returns an error naming the first unknown one and the closest
// known option, or nullopt.
std::optional<std::string> check_options(const CLI::App& cmd, const std::vector<std::string>& args);

}  // namespace sparseio::cli
