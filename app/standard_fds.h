// Keeps descriptors 0-2 from being taken by files or sockets: a DST opened
// on fd 1 would receive `cat`'s output, and a socket on fd 1 made a closed
// stdout report "Resource temporarily unavailable".
#pragma once

namespace sparseio::cli {

// Opens /dev/null onto whichever of descriptors 0, 1 and 2 is closed, so that
// no file or socket opened later lands there. A closed stdout gets /dev/null
// read-only: writing to it then fails, and `cat` reports it instead of
// writing nowhere. Call first thing in main().
void ensure_standard_fds();

}  // namespace sparseio::cli
