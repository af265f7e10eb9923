// Creating the place of a file below a directory DST without ever leaving
// it: the parents of DIR/NAME are walked from DIR one segment at a time with
// openat(O_NOFOLLOW | O_DIRECTORY) and made with mkdirat when missing, so a
// symlink anywhere on the way (planted in DIR, or an existing link to
// elsewhere) stops the walk instead of being followed; the leaf must not be
// a symlink either. NAME must have passed relative_name_problem
// (core/relative_name.h). Nothing outside DIR is created.
//
// Known gap: the walk checks, then the destination is opened by path, so a
// process that swaps a checked directory for a symlink between the two can
// still redirect the open (the open of a new DST is O_EXCL | O_NOFOLLOW, so
// only its leaf is safe against that race).
#pragma once

#include <string>

namespace sparseio {

// Makes the parents of DIR/name (0755) and checks that none of them, nor
// DIR/name itself when it exists, is a symlink or a non-directory. Throws
// DestinationConflictError naming the path (a symlink, or a file where a
// directory is needed), SystemError for other failures. Returns DIR/name.
std::string prepare_under(const std::string& dir, const std::string& name);

// The sidecar of an existing DST: DST.sparseio when it exists, else, for an
// object of a directory DST, DIR/.sparseio/NAME.sparseio of the nearest
// directory DIR above DST that has one for it (so that stat, verify and
// punch of DIR/sub/f.bin find DIR/.sparseio/sub/f.bin.sparseio); when
// neither exists, DST.sparseio (whose absence the caller reports).
std::string find_sidecar(const std::string& dst);

}  // namespace sparseio
