// The destination conformance kit (tests/conformance/destination_conformance.h)
// run against Destination on the test directory's filesystem (ext4 on these
// machines) in each durability mode, and on tmpfs (/dev/shm), whose holes and
// block size differ.
#include "destination_conformance.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include "test_util.h"

using sparseio::SyncMode;
using sparseio::conformance::check_destination_conformance;
using sparseio::conformance::DestinationFixture;
using sparseio::test::TempDir;

TEST_CASE("destination conformance: the test directory, every durability mode") {
  for (auto [name, mode] : {std::pair{"hash", SyncMode::kHash}, std::pair{"batch", SyncMode::kBatch},
                            std::pair{"none", SyncMode::kNone}}) {
    TempDir dir;
    DestinationFixture fx{std::string("tmpdir ") + name, dir.path(), {}};
    fx.options.sync = mode;
    check_destination_conformance(fx);
  }
}

TEST_CASE("destination conformance: tmpfs") {
  if (::access("/dev/shm", W_OK) != 0) {
    MESSAGE("no writable /dev/shm: skipped");
    return;
  }
  TempDir dir("/dev/shm");
  check_destination_conformance({"tmpfs hash", dir.path(), {}});
}
