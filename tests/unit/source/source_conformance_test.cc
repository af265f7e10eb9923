// The source conformance kit (tests/conformance/source_conformance.h) run
// against the file source (a plain file and a sparse one) and an in-memory
// fake that uses Source's default fetch_into. The HTTP source runs the same
// kit against nginx in tests/e2e/conformance_http_test.py.
#include "source_conformance.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "core/errors.h"
#include "core/unique_fd.h"
#include "source/file_source.h"
#include "test_util.h"

namespace {

using sparseio::ByteRange;
using sparseio::FileSource;
using sparseio::Source;
using sparseio::SourceIdentity;
using sparseio::conformance::check_source_conformance;
using sparseio::conformance::SourceFixture;
using sparseio::test::pattern_bytes;
using sparseio::test::TempDir;

// The smallest honest Source: bytes in memory, the default fetch_into.
class MemorySource : public Source {
 public:
  explicit MemorySource(std::vector<std::byte> bytes) : bytes_(std::move(bytes)) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return bytes_.size(); }
  SourceIdentity identity() const override {
    SourceIdentity id;
    id.size = bytes_.size();
    return id;
  }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= bytes_.size()) return 0;
    size_t n = std::min<uint64_t>(buf.size(), bytes_.size() - offset);
    std::memcpy(buf.data(), bytes_.data() + offset, n);
    return n;
  }

 private:
  std::string name_ = "memory";
  std::vector<std::byte> bytes_;
};

TEST_CASE("a file source conforms") {
  TempDir dir;
  std::string path = dir.file("obj");
  SourceFixture f;
  f.label = "file";
  f.expected = pattern_bytes(0, (5u << 20) + 333, 3);
  sparseio::test::write_file(path, f.expected);
  f.open = [&] { return std::make_unique<FileSource>(path); };
  f.gone = f.open;
  f.spoil = [&] { REQUIRE(::truncate(path.c_str(), 0) == 0); };
  check_source_conformance(f);
}

TEST_CASE("a sparse file source conforms (holes come as zeros)") {
  TempDir dir;
  std::string path = dir.file("sparse");
  SourceFixture f;
  f.label = "sparse file";
  f.expected.assign((6u << 20) + 17, std::byte{0});
  std::vector<std::byte> a = pattern_bytes(0, 1u << 20, 4), b = pattern_bytes(0, 4000, 5);
  std::copy(a.begin(), a.end(), f.expected.begin() + (1u << 20));
  std::copy(b.begin(), b.end(), f.expected.end() - 4000);
  {
    sparseio::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    REQUIRE(fd.valid());
    REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(f.expected.size())) == 0);
    REQUIRE(::pwrite(fd.get(), a.data(), a.size(), 1 << 20) == static_cast<ssize_t>(a.size()));
    REQUIRE(::pwrite(fd.get(), b.data(), b.size(), static_cast<off_t>(f.expected.size() - 4000)) == 4000);
  }
  REQUIRE(sparseio::test::file_data_runs(path).size() >= 2);  // really sparse here
  f.open = [&] { return std::make_unique<FileSource>(path); };
  check_source_conformance(f);
}

TEST_CASE("an in-memory source with the default fetch_into conforms") {
  SourceFixture f;
  f.label = "memory";
  f.expected = pattern_bytes(0, (3u << 20) + 5, 9);
  f.open = [&] { return std::make_unique<MemorySource>(f.expected); };
  check_source_conformance(f);
}

}  // namespace
