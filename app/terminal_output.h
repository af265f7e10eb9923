// What cat may write to a terminal. Binary bytes on a terminal garble it (a
// stray escape sequence can reprogram it), so as curl(1) does, cat refuses
// output that looks binary when standard output is a terminal, unless the
// user asks for it with `-o -`; and the live status line is not drawn while
// data goes to a terminal, where it would be drawn over the data.
#pragma once

#include <cstddef>
#include <span>

namespace sparseio::cli {

// True when `first` (the first chunk written) holds a NUL byte (curl's
// test) or a control character text does not use: all of C0 but TAB, LF,
// VT, FF, CR, BS, BEL and ESC (a log with colours keeps its ESC). Text in
// any ASCII-compatible encoding (UTF-8, Latin-1) has none; random or
// compressed bytes have one in 100 with odds 1 - (232/256)^100 > 0.9999,
// where the NUL test alone misses one in three (1 - (255/256)^100 = 0.32).
bool looks_binary(std::span<const std::byte> first);

// The one line cat prints when it refuses.
inline constexpr const char* kBinaryToTerminal =
    "binary output can mess up your terminal: not writing it to standard output; use -o - to write "
    "it there anyway, or redirect it (> FILE, | CMD)";

}  // namespace sparseio::cli
