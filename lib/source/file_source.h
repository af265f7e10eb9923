// A local file as a Source. Holes of a sparse source stay holes: fetch_into
// walks SEEK_DATA/SEEK_HOLE and reports hole runs as zeros without reading them.
#pragma once

#include <string>

#include "core/unique_fd.h"
#include "source/source.h"

namespace sparseio {

class FileSource : public Source {
 public:
  // Opens `path` read-only; throws Error naming the path when it cannot, or
  // when it is not a regular file or block device.
  explicit FileSource(std::string path);

  const std::string& name() const override { return path_; }
  uint64_t size() const override { return identity_.size; }
  SourceIdentity identity() const override { return identity_; }
  size_t read_at(uint64_t offset, std::span<std::byte> buf) override;
  using Source::fetch_into;
  // A local file says nothing of a link.
  void fetch_into(ByteRange r, ExtentWriter& out, LinkObserver& link) override;
  int fd() const { return fd_.get(); }

 private:
  std::string path_;
  UniqueFd fd_;
  bool regular_ = false;  // a block device has no meaningful st_size
  SourceIdentity identity_;
};

}  // namespace sparseio
