// The tar planner (POSIX ustar, pax extended headers, GNU long names and
// base-256 sizes, old v7 headers): a header walker that is fed windows of
// bytes and says where it needs to read next. Headers sit one after another's
// data, so finding member k needs the header of member k-1: the driver reads
// windows of several headers at once where members are small, and one header
// per round trip where they are large.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plan/plan_types.h"
#include "plan/selector.h"

namespace sparseio::plan {

struct TarMember {
  std::string name;
  char type = '0';
  uint64_t headers_offset = 0;  // first of its header blocks (pax, GNU long name, then ustar)
  uint64_t data_offset = 0;     // just after its ustar header
  uint64_t size = 0;            // bytes of data (then padding to 512)
};

class TarWalker {
 public:
  explicit TarWalker(uint64_t file_size);

  bool done() const { return done_; }
  uint64_t file_size() const { return size_; }
  // The bytes the walker needs next (starting at the next header); read at
  // least these, more if you like, and feed them.
  ByteRange need() const { return need_; }
  // Feeds bytes read at `offset` (== need().begin); walks every header that
  // lies wholly inside them. Throws FormatError naming the offset.
  void feed(uint64_t offset, std::span<const std::byte> bytes);

  const std::vector<TarMember>& members() const { return members_; }
  // The end-of-archive zero blocks (empty when the archive just stops).
  ByteRange end_marker() const { return end_marker_; }

 private:
  uint64_t size_;
  uint64_t pos_ = 0;
  bool done_ = false;
  ByteRange need_;
  ByteRange end_marker_;
  // A pax 'x' / GNU 'L' header applies to the next member.
  uint64_t pending_start_ = UINT64_MAX;
  std::string pending_name_;
  bool has_pending_size_ = false;
  uint64_t pending_size_ = 0;
  std::vector<TarMember> members_;
};

// The ranges `tar -xf` needs for the selected members: every member's header
// blocks (tar reads them all to find members) and the selected members' data
// with its padding, plus the end-of-archive marker.
std::vector<PlanItem> plan_tar(const TarWalker& walker, const std::vector<Selector>& selectors);

// Names the compression of a compressed tarball from its first bytes ("gzip",
// "xz"...), or "" when it does not look compressed.
std::string_view compression_of(std::span<const std::byte> head);

}  // namespace sparseio::plan
