// FileSource: identity, positional reads, errors naming the path, and
// fetch_into over a sparse file (holes as write_zeros, data as copies).
#include "source/file_source.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/block.h"
#include "core/coverage_map.h"
#include "core/errors.h"
#include "core/file_io.h"
#include "core/unique_fd.h"
#include "test_util.h"

using sparseio::ByteRange;
using sparseio::Error;
using sparseio::FileSource;
using sparseio::test::pattern_bytes;
using sparseio::test::read_file;
using sparseio::test::TempDir;
using Bytes = std::vector<std::byte>;

namespace sparseio {
static std::ostream& operator<<(std::ostream& os, const ByteRange& r) {
  return os << "[" << r.begin << ", " << r.end << ")";
}
}  // namespace sparseio

namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Records every call, with the bytes delivered.
class Recorder : public sparseio::ExtentWriter {
 public:
  enum class Kind { kWrite, kZeros, kCopy };
  struct Event {
    Kind kind;
    ByteRange r;
    Bytes bytes;
  };
  explicit Recorder(bool record_copies) : record_copies_(record_copies) {}

  void write(uint64_t offset, std::span<const std::byte> data) override {
    events.push_back({Kind::kWrite, {offset, offset + data.size()}, Bytes(data.begin(), data.end())});
  }
  void write_zeros(ByteRange r) override { events.push_back({Kind::kZeros, r, {}}); }
  void copy_from_fd(int fd, const std::string& path, ByteRange r) override {
    if (!record_copies_) return ExtentWriter::copy_from_fd(fd, path, r);
    Bytes b(r.size());
    REQUIRE(sparseio::pread_full(fd, b, r.begin, path) == r.size());
    events.push_back({Kind::kCopy, r, std::move(b)});
  }

  std::vector<Event> events;

 private:
  bool record_copies_;
};

struct Delivered {
  Bytes bytes;                  // what the events say r holds
  sparseio::CoverageMap zeros;  // delivered through write_zeros
};

// Checks ascending, gap-free, exactly-once delivery of r and rebuilds it.
Delivered replay(const Recorder& rec, ByteRange r) {
  Delivered d;
  d.bytes.assign(r.size(), std::byte{0x5a});
  uint64_t cursor = r.begin;
  for (const Recorder::Event& e : rec.events) {
    CAPTURE(e.r);
    CHECK(e.r.begin == cursor);  // ascending and contiguous: no gap, no overlap
    CHECK(!e.r.empty());
    CHECK(e.r.end <= r.end);
    if (e.r.begin != cursor || e.r.end > r.end || e.r.empty()) break;
    if (e.kind == Recorder::Kind::kZeros) {
      std::fill_n(d.bytes.begin() + static_cast<long>(e.r.begin - r.begin), e.r.size(), std::byte{0});
      d.zeros.insert(e.r);
    } else {
      REQUIRE(e.bytes.size() == e.r.size());
      std::copy(e.bytes.begin(), e.bytes.end(), d.bytes.begin() + static_cast<long>(e.r.begin - r.begin));
    }
    cursor = e.r.end;
  }
  CHECK(cursor == r.end);
  return d;
}

Bytes slice(const Bytes& all, ByteRange r) {
  return Bytes(all.begin() + static_cast<long>(r.begin), all.begin() + static_cast<long>(r.end));
}

}  // namespace

TEST_CASE("size and identity of a real file") {
  TempDir dir;
  const std::string path = dir.file("src");
  sparseio::test::write_file(path, pattern_bytes(0, 12345));
  struct timespec times[2] = {{1000, 0}, {1700000000, 123456789}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);

  FileSource src(path);
  CHECK(src.name() == path);
  CHECK(src.size() == 12345);
  const sparseio::SourceIdentity id = src.identity();
  CHECK(id.size == 12345);
  CHECK(id.mtime_ns == 1700000000LL * 1000000000LL + 123456789);
  CHECK(id.device == st.st_dev);
  CHECK(id.inode == st.st_ino);
  CHECK(id.etag.empty());
  CHECK(id.last_modified.empty());
  CHECK(sparseio::describe_identity_change(id, FileSource(path).identity()).empty());

  // Touching the file changes the identity, and the change is explained.
  times[1].tv_nsec += 1;
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  const sparseio::SourceIdentity touched = FileSource(path).identity();
  CHECK(touched != id);
  CHECK(sparseio::describe_identity_change(id, touched).find("modification time") != std::string::npos);

  // A different file with the same size and time is a different identity.
  const std::string other = dir.file("other");
  sparseio::test::write_file(other, pattern_bytes(0, 12345));
  REQUIRE(::utimensat(AT_FDCWD, other.c_str(), times, 0) == 0);
  const sparseio::SourceIdentity other_id = FileSource(other).identity();
  CHECK(other_id.inode != touched.inode);
  CHECK(sparseio::describe_identity_change(touched, other_id).find("different file") != std::string::npos);

  sparseio::test::write_file(dir.file("empty"), {});
  CHECK(FileSource(dir.file("empty")).size() == 0);
}

TEST_CASE("read_at is exact, and short only at the end of the file") {
  TempDir dir;
  const std::string path = dir.file("src");
  const Bytes data = pattern_bytes(0, 100000, 3);
  sparseio::test::write_file(path, data);
  FileSource src(path);
  for (ByteRange r :
       {ByteRange{0, 100000}, ByteRange{1, 2}, ByteRange{4095, 4097}, ByteRange{54321, 99999}}) {
    CAPTURE(r);
    Bytes buf(r.size());
    CHECK(src.read_at(r.begin, buf) == r.size());
    CHECK(buf == slice(data, r));
  }
  Bytes buf(100);
  CHECK(src.read_at(99990, buf) == 10);
  CHECK(Bytes(buf.begin(), buf.begin() + 10) == slice(data, {99990, 100000}));
  CHECK(src.read_at(100000, buf) == 0);
  CHECK(src.read_at(1 << 30, buf) == 0);
  Bytes empty;
  CHECK(src.read_at(5, empty) == 0);
}

TEST_CASE("errors name the path") {
  TempDir dir;
  const std::string missing = dir.file("no-such-file");
  std::string msg = error_of([&] { FileSource s(missing); });
  CHECK(msg.find(missing) != std::string::npos);
  CHECK(msg.find("No such file") != std::string::npos);

  msg = error_of([&] { FileSource s(dir.path()); });
  CHECK(msg.find(dir.path()) != std::string::npos);
  CHECK(msg.find("directory") != std::string::npos);
}

TEST_CASE("a source that is not there is kind source_missing; a directory is a failure") {
  TempDir dir;
  auto kind_of = [](const std::string& path) {
    try {
      FileSource s(path);
    } catch (const Error& e) {
      return e.kind();
    }
    FAIL("no error for " << path);
    return sparseio::ErrorKind::kFailure;
  };
  CHECK(kind_of(dir.file("no-such-file")) == sparseio::ErrorKind::kSourceMissing);  // ENOENT
  sparseio::test::write_file(dir.file("plain"), pattern_bytes(0, 10));
  CHECK(kind_of(dir.file("plain") + "/below") == sparseio::ErrorKind::kSourceMissing);  // ENOTDIR
  REQUIRE(::symlink("loop", dir.file("loop").c_str()) == 0);
  CHECK(kind_of(dir.file("loop")) == sparseio::ErrorKind::kSourceMissing);  // ELOOP
  CHECK(kind_of(dir.path()) == sparseio::ErrorKind::kFailure);
}

TEST_CASE("a FIFO is refused at once, without waiting for a writer") {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // If opening blocks, unblock it after a while so that the test fails
  // instead of hanging.
  std::atomic<bool> done{false};
  std::thread rescuer([&] {
    for (int i = 0; i < 300 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (done) return;
    int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (w >= 0) ::close(w);
  });
  auto start = std::chrono::steady_clock::now();
  std::string msg = error_of([&] { FileSource s(fifo); });
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  rescuer.join();
  CHECK_MESSAGE(waited < 2.0, "FileSource blocked for " << waited << " s opening a FIFO");
  CHECK(msg.find(fifo) != std::string::npos);
  CHECK(msg.find("not a regular file") != std::string::npos);
}

TEST_CASE("fetch_into a sparse source: holes as write_zeros, data as copies, once and in order") {
  TempDir dir;
  const std::string path = dir.file("sparse");
  const uint64_t size = 1 << 20;
  const std::vector<ByteRange> islands{{5000, 9000}, {100000, 100001}, {600000, 700000}, {size - 10, size}};
  Bytes content(size, std::byte{0});
  {
    sparseio::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(fd.valid());
    REQUIRE(::ftruncate(fd.get(), size) == 0);
    for (const ByteRange& is : islands) {
      Bytes b = pattern_bytes(is.begin, is.size(), 9);
      sparseio::pwrite_full(fd.get(), b, is.begin, path);
      std::copy(b.begin(), b.end(), content.begin() + static_cast<long>(is.begin));
    }
    REQUIRE(::fsync(fd.get()) == 0);
  }
  FileSource src(path);
  const uint64_t B = 4096;  // ext4 allocates data in blocks
  sparseio::CoverageMap data_blocks;
  for (const ByteRange& is : islands) data_blocks.insert(sparseio::blocks_around(is, B));

  for (bool record_copies : {true, false}) {
    for (ByteRange r : {ByteRange{0, size}, ByteRange{3000, 6000}, ByteRange{20000, 90000},
                        ByteRange{8999, 650000}, ByteRange{650000, 650001}, ByteRange{size - 5, size}}) {
      CAPTURE(record_copies);
      CAPTURE(r);
      Recorder rec(record_copies);
      src.fetch_into(r, rec);
      Delivered d = replay(rec, r);
      CHECK(d.bytes == slice(content, r));
      // Exactly the hole blocks came as zeros: nothing read, nothing missed.
      sparseio::CoverageMap want_zeros;
      want_zeros.insert(r);
      for (const ByteRange& db : data_blocks.ranges()) want_zeros.remove(db);
      CHECK(d.zeros.ranges() == want_zeros.ranges());
      for (const Recorder::Event& e : rec.events) {
        if (e.kind == Recorder::Kind::kZeros) continue;
        CHECK(e.kind == (record_copies ? Recorder::Kind::kCopy : Recorder::Kind::kWrite));
      }
    }
  }
  Recorder rec(true);
  src.fetch_into({500, 500}, rec);
  CHECK(rec.events.empty());
}

TEST_CASE("fetch_into a dense source delivers only data") {
  TempDir dir;
  const std::string path = dir.file("dense");
  const Bytes data = pattern_bytes(0, 3 * (1 << 20) + 77, 5);  // more than one copy buffer
  sparseio::test::write_file(path, data);
  FileSource src(path);
  Recorder rec(false);
  const ByteRange r{10, data.size()};
  src.fetch_into(r, rec);
  Delivered d = replay(rec, r);
  CHECK(d.zeros.empty());
  CHECK(d.bytes == slice(data, r));
  CHECK(rec.events.size() >= 3);  // delivered in buffer-sized steps
}

namespace {
// A Source without its own fetch_into: the default reads through read_at.
class MemorySource : public sparseio::Source {
 public:
  MemorySource(Bytes data, uint64_t claimed_size) : data_(std::move(data)), size_(claimed_size) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return size_; }
  sparseio::SourceIdentity identity() const override {
    sparseio::SourceIdentity id;
    id.size = size_;
    return id;
  }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override {
    if (offset >= data_.size()) return 0;
    size_t n = std::min<size_t>(buf.size(), data_.size() - offset);
    std::copy_n(data_.begin() + static_cast<long>(offset), n, buf.begin());
    return n;
  }

 private:
  Bytes data_;
  uint64_t size_;
  std::string name_ = "memory://test";
};
}  // namespace

TEST_CASE("the default fetch_into reads through read_at, and a short source is an error") {
  const Bytes data = pattern_bytes(0, (1 << 20) * 2 + 5, 11);
  MemorySource src(data, data.size());
  Recorder rec(false);
  src.fetch_into({7, data.size()}, rec);
  CHECK(replay(rec, {7, data.size()}).bytes == slice(data, {7, data.size()}));

  MemorySource truncated(Bytes(data.begin(), data.begin() + 1000), data.size());
  Recorder rec2(false);
  std::string msg = error_of([&] { truncated.fetch_into({0, 5000}, rec2); });
  CHECK(msg.find("memory://test") != std::string::npos);
  CHECK(msg.find("1000") != std::string::npos);  // where it ended
}

// Issue 9, defect 3: a file cut short after it was opened must not have its
// missing tail delivered as zeros (SEEK_DATA's ENXIO read as "a hole").
TEST_CASE("fetch_into a file truncated after opening is a changed source, never zeros") {
  TempDir dir;
  const std::string path = dir.file("src");
  const uint64_t M = 1 << 20;
  const Bytes data = pattern_bytes(0, 4 * M, 5);
  for (uint64_t cut : {uint64_t{0}, M / 2, 3 * M}) {
    CAPTURE(cut);
    sparseio::test::write_file(path, data);
    FileSource src(path);
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(cut)) == 0);
    for (bool copies : {false, true}) {
      Recorder rec(copies);
      CHECK_THROWS_WITH_AS(src.fetch_into({0, 4 * M}, rec), doctest::Contains("shrank during the run"),
                           sparseio::SourceChangedError);
      // A piece that starts past the new end, too.
      Recorder rec2(copies);
      CHECK_THROWS_AS(src.fetch_into({3 * M + 1, 4 * M}, rec2), sparseio::SourceChangedError);
    }
  }
}
