// tar header parsing after POSIX.1-2008 pax (ustar header layout, extended
// header records "LEN key=value\n") and GNU tar's documented extensions
// ('L'/'K' long names, base-256 numeric fields).
#include "plan/tar.h"

#include <fmt/format.h>

#include <algorithm>

#include "plan/selector_match.h"

namespace sparseio::plan {
namespace {

constexpr uint64_t kBlock = 512;
// A pax or long-name header bigger than this is not a name: refuse rather
// than buffer it (GNU tar's own limit for long names is far below).
constexpr uint64_t kMaxMetaSize = 1 << 20;

[[noreturn]] void fail(uint64_t offset, std::string_view what) {
  throw FormatError(fmt::format("tar: at offset {}: {}", offset, what));
}

uint64_t padded(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

std::string_view field(std::span<const std::byte> h, size_t at, size_t len) {
  const auto* p = reinterpret_cast<const char*>(h.data() + at);
  size_t n = 0;
  while (n < len && p[n] != '\0') ++n;
  return {p, n};
}

// Octal (space/NUL terminated) or GNU base-256 (top bit of the first byte).
uint64_t number(std::span<const std::byte> h, size_t at, size_t len, uint64_t offset, const char* what) {
  const auto* p = reinterpret_cast<const unsigned char*>(h.data() + at);
  if (p[0] & 0x80) {
    if (p[0] & 0x40) fail(offset, fmt::format("negative base-256 {} field", what));
    uint64_t v = p[0] & 0x3f;
    for (size_t i = 1; i < len; ++i) {
      if (v >> 56) fail(offset, fmt::format("base-256 {} field does not fit in 64 bits", what));
      v = v << 8 | p[i];
    }
    return v;
  }
  size_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\0')) ++i;
  uint64_t v = 0;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 61) fail(offset, fmt::format("octal {} field does not fit in 64 bits", what));
    v = v * 8 + (p[i] - '0');
  }
  for (; i < len; ++i)
    if (p[i] != ' ' && p[i] != '\0') fail(offset, fmt::format("expected an octal {} field", what));
  return v;
}

bool all_zero(std::span<const std::byte> b) {
  return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

bool checksum_ok(std::span<const std::byte> h, uint64_t offset) {
  uint64_t want = 0;
  try {
    want = number(h, 148, 8, offset, "checksum");
  } catch (const FormatError&) {
    return false;  // not even a number where the checksum goes: not a header
  }
  uint64_t sum_unsigned = 0;
  int64_t sum_signed = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    auto c = std::to_integer<uint8_t>(h[i]);
    if (i >= 148 && i < 156) c = ' ';
    sum_unsigned += c;
    sum_signed += static_cast<int8_t>(c);
  }
  return want == sum_unsigned || static_cast<int64_t>(want) == sum_signed;
}

// Applies the records of a pax extended header: path and size.
void apply_pax(std::string_view data, uint64_t offset, std::string& name, bool& has_size, uint64_t& size) {
  while (!data.empty()) {
    size_t sp = data.find(' ');
    uint64_t len = 0;
    if (sp == std::string_view::npos || sp == 0) fail(offset, "expected a pax record 'LENGTH key=value'");
    for (size_t i = 0; i < sp; ++i) {
      if (data[i] < '0' || data[i] > '9' || len > kMaxMetaSize)
        fail(offset, "expected a decimal length at the start of a pax record");
      len = len * 10 + static_cast<uint64_t>(data[i] - '0');
    }
    if (len <= sp + 1 || len > data.size() || data[len - 1] != '\n')
      fail(offset, fmt::format("pax record of length {} does not end with a newline within the header", len));
    std::string_view rec = data.substr(sp + 1, len - sp - 2);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos) fail(offset, "expected key=value in a pax record");
    std::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
    if (key == "path") name = std::string(value);
    if (key == "size") {
      uint64_t v = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) fail(offset, "expected a decimal pax size");
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      has_size = true;
      size = v;
    }
    data.remove_prefix(len);
  }
}

}  // namespace

std::string_view compression_of(std::span<const std::byte> head) {
  auto at = [&](size_t i) { return i < head.size() ? std::to_integer<int>(head[i]) : -1; };
  if (at(0) == 0x1f && at(1) == 0x8b) return "gzip";
  if (at(0) == 'B' && at(1) == 'Z' && at(2) == 'h') return "bzip2";
  if (at(0) == 0xfd && at(1) == '7' && at(2) == 'z' && at(3) == 'X' && at(4) == 'Z') return "xz";
  if (at(0) == 0x28 && at(1) == 0xb5 && at(2) == 0x2f && at(3) == 0xfd) return "zstd";
  if (at(0) == 0x04 && at(1) == 0x22 && at(2) == 0x4d && at(3) == 0x18) return "lz4";
  if (at(0) == 0x1f && (at(1) == 0x9d || at(1) == 0xa0)) return "compress";
  return "";
}

TarWalker::TarWalker(uint64_t file_size) : size_(file_size) {
  done_ = size_ == 0;
  need_ = {0, std::min<uint64_t>(kBlock, size_)};
}

void TarWalker::feed(uint64_t offset, std::span<const std::byte> bytes) {
  const uint64_t end = offset + bytes.size();
  if (offset == 0 && pos_ == 0 && !compression_of(bytes).empty())
    throw FormatError(
        fmt::format("tar: a {}-compressed tarball: no random access without an index; "
                    "decompress it first",
                    compression_of(bytes)));
  if (size_ < kBlock)
    fail(0, fmt::format("expected a 512-byte tar header, but the file has {} bytes", size_));
  while (!done_) {
    if (pos_ < offset || pos_ + kBlock > end) break;
    std::span<const std::byte> h = bytes.subspan(static_cast<size_t>(pos_ - offset), kBlock);
    if (all_zero(h)) {
      end_marker_ = {pos_, std::min(size_, pos_ + 2 * kBlock)};
      done_ = true;
      break;
    }
    if (!checksum_ok(h, pos_)) fail(pos_, "expected a tar header, but the checksum does not match");
    const char type = static_cast<char>(std::to_integer<uint8_t>(h[156]));
    uint64_t size = number(h, 124, 12, pos_, "size");
    const bool meta = type == 'x' || type == 'g' || type == 'L' || type == 'K';
    if (meta) {
      if (size > kMaxMetaSize)
        fail(pos_,
             fmt::format("a '{}' extended header of {} bytes (more than {})", type, size, kMaxMetaSize));
      if (pos_ + kBlock + padded(size) > size_)
        fail(pos_,
             fmt::format("the '{}' extended header's {} bytes run past the end of the archive", type, size));
      if (pos_ + kBlock + size > end) {  // read it whole next time
        need_ = {pos_, pos_ + kBlock + padded(size)};
        return;
      }
      if (pending_start_ == UINT64_MAX) pending_start_ = pos_;
      std::string_view data(reinterpret_cast<const char*>(h.data() + kBlock), static_cast<size_t>(size));
      if (type == 'x') apply_pax(data, pos_, pending_name_, has_pending_size_, pending_size_);
      if (type == 'L') pending_name_ = std::string(data.substr(0, data.find('\0')));
      pos_ += kBlock + padded(size);
      continue;
    }
    TarMember m;
    m.type = type;
    m.headers_offset = pending_start_ == UINT64_MAX ? pos_ : pending_start_;
    m.data_offset = pos_ + kBlock;
    std::string_view magic = field(h, 257, 6);
    std::string_view prefix =
        magic == "ustar" && h[262] == std::byte{0} ? field(h, 345, 155) : std::string_view{};
    m.name = !pending_name_.empty() ? pending_name_
             : prefix.empty()       ? std::string(field(h, 0, 100))
                                    : fmt::format("{}/{}", prefix, field(h, 0, 100));
    if (has_pending_size_) size = pending_size_;
    // Links, devices, directories and FIFOs have no data blocks.
    if (type >= '1' && type <= '6') size = 0;
    m.size = size;
    if (m.data_offset > size_ || size_ - m.data_offset < size)
      fail(pos_, fmt::format("member '{}' has {} bytes of data, past the end of the archive ({} bytes)",
                             m.name, size, size_));
    members_.push_back(std::move(m));
    pending_start_ = UINT64_MAX;
    pending_name_.clear();
    has_pending_size_ = false;
    pos_ += kBlock + padded(size);
  }
  if (!done_ && pos_ + kBlock > size_) {  // no end marker: the archive just stops
    if (pending_start_ != UINT64_MAX) fail(pending_start_, "an extended header with no member after it");
    done_ = true;
  }
  if (!done_) need_ = {pos_, pos_ + kBlock};
}

std::vector<PlanItem> plan_tar(const TarWalker& walker, const std::vector<Selector>& selectors) {
  std::vector<std::string> names;
  names.reserve(walker.members().size());
  for (const TarMember& m : walker.members()) names.push_back(m.name);
  check_selectors_match(selectors, names, NameKind::kMember);
  std::vector<PlanItem> items;
  for (const TarMember& m : walker.members()) {
    bool take = false;
    for (const Selector& s : selectors) take = take || s.matches_name(m.name);
    // Every header is metadata (tar -t and tar -x walk them all); a selected
    // member's data follows its header, padded to whole blocks so that the
    // next header follows without a gap.
    items.push_back(
        {{m.headers_offset, m.data_offset}, fmt::format("tar header of {}", m.name), {}, false, true});
    if (take && m.size > 0)
      items.push_back({{m.data_offset, std::min(walker.file_size(), m.data_offset + padded(m.size))},
                       fmt::format("tar member {}", m.name),
                       {m.data_offset, m.data_offset + m.size},
                       false});
  }
  if (!walker.end_marker().empty())
    items.push_back({walker.end_marker(), "tar end of archive", {}, false, true});
  return items;
}

}  // namespace sparseio::plan
