// Round by round: zip needs the tail (1 read) and, only for a directory
// larger than the tail, the directory (1 more; a zip64 record outside the
// tail adds 1); safetensors the first 64 KiB and, for a bigger header, the
// rest; Parquet the last 64 KiB and, for a bigger footer, the rest; tar one
// read per window of headers.
#include "plan/read_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>

#include "core/log.h"
#include "plan/parquet.h"
#include "plan/safetensors.h"
#include "plan/tar.h"
#include "plan/zip.h"

namespace sparseio::plan {
namespace {

// tar: the first window, and the largest one. A window grows (doubling) while
// it keeps finding several headers (small members: headers are dense) and
// falls back when the next header is farther than a window (large members:
// reading their data to find the next header would waste bandwidth).
// Rounds cost latency and bytes cost bandwidth: on a 55 MB archive of 131
// members of 0.1-3 MB, selecting 20.8 MB, these windows take 91 rounds and
// read 6.4 MB (23.3 MB transferred in all, the rest kept for the fetch); a
// first window of 256 KiB takes 28 rounds but reads 40.5 MB (42.5 MB in
// all). Without the link's numbers at hand the planner keeps the bytes low.
constexpr uint64_t kTarMinWindow = 64 * 1024, kTarMaxWindow = 4 << 20;

std::vector<PlanItem> plan_zip_file(RoundReader& rd, const std::vector<Selector>& sel) {
  const uint64_t size = rd.source().size();
  const uint64_t tail_at = size - std::min(size, kZipTailRead);
  std::vector<std::byte> tail = rd.read({tail_at, size});
  ZipTailResult t = parse_zip_tail(tail, tail_at, size);
  if (!t.dir) {
    std::vector<std::byte> rec = rd.read(t.need);
    t = parse_zip_tail(tail, tail_at, size, rec, t.need.begin);
    if (!t.dir)
      throw FormatError(fmt::format("zip: at offset {}: cannot read the zip64 record", t.need.begin));
  }
  const ZipDirectory& dir = *t.dir;
  std::vector<ZipEntry> entries;
  if (dir.cd_offset >= tail_at) {
    std::span<const std::byte> cd(tail.data() + (dir.cd_offset - tail_at), dir.cd_size);
    entries = parse_zip_central_directory(cd, dir, size);
  } else {
    std::vector<std::byte> cd = rd.read({dir.cd_offset, dir.cd_offset + dir.cd_size});
    entries = parse_zip_central_directory(cd, dir, size);
  }
  return plan_zip(entries, dir, size, sel);
}

std::vector<PlanItem> plan_tar_file(RoundReader& rd, const std::vector<Selector>& sel) {
  const uint64_t size = rd.source().size();
  TarWalker w(size);
  uint64_t window = kTarMinWindow;
  while (!w.done()) {
    const ByteRange need = w.need();
    const ByteRange r{need.begin, std::min(size, need.begin + std::max(need.size(), window))};
    const size_t members_before = w.members().size();
    std::vector<std::byte> buf = rd.read(r);
    w.feed(r.begin, buf);
    const size_t found = w.members().size() - members_before;
    if (!w.done() && w.need().begin >= r.end + window) {
      window = kTarMinWindow;
    } else if (found >= 2) {
      window = std::min(window * 2, kTarMaxWindow);
    }
  }
  log::info(
      "plan: tar: read {} headers in {} rounds, {} bytes (a tar has no directory: each header is found "
      "from the previous member's size, so windows of headers are read one after another)",
      w.members().size(), rd.rounds(), rd.bytes());
  return plan_tar(w, sel);
}

std::vector<PlanItem> plan_safetensors_file(RoundReader& rd, const std::vector<Selector>& sel) {
  const uint64_t size = rd.source().size();
  std::vector<std::byte> head = rd.read({0, std::min(size, kSafetensorsHeadRead)});
  const uint64_t n = safetensors_header_length(head, size);
  if (8 + n > head.size()) {
    std::vector<std::byte> rest = rd.read({head.size(), 8 + n});
    head.insert(head.end(), rest.begin(), rest.end());
  }
  std::vector<SafetensorsTensor> tensors =
      parse_safetensors_header(std::span<const std::byte>(head).subspan(8, static_cast<size_t>(n)), size);
  return plan_safetensors(tensors, n, sel);
}

std::vector<PlanItem> plan_parquet_file(RoundReader& rd, const std::vector<Selector>& sel) {
  const uint64_t size = rd.source().size();
  const uint64_t tail_at = size - std::min(size, kParquetTailRead);
  std::vector<std::byte> tail = rd.read({tail_at, size});
  const uint64_t len = parquet_footer_length(tail, size);
  const uint64_t meta_at = size - 8 - len;
  if (meta_at < tail_at) {
    std::vector<std::byte> rest = rd.read({meta_at, tail_at});
    rest.insert(rest.end(), tail.begin(), tail.end());
    tail = std::move(rest);
  }
  std::span<const std::byte> meta(tail.data() + (tail.size() - 8 - len), static_cast<size_t>(len));
  return plan_parquet(parse_parquet_metadata(meta, meta_at, size), meta_at, size, sel);
}

}  // namespace

std::vector<std::vector<std::byte>> RoundReader::read(const std::vector<ByteRange>& ranges) {
  const uint64_t size = source_.size();
  std::vector<std::vector<std::byte>> out(ranges.size());
  auto one = [&](size_t i) {
    ByteRange r = ranges[i].intersect({0, size});
    out[i].resize(static_cast<size_t>(r.size()));
    size_t got = r.empty() ? 0 : source_.read_at(r.begin, out[i]);
    if (got != out[i].size())
      throw Error(
          fmt::format("{}: short read at offset {}: {} of {} bytes", source_.name(), r.begin, got, r.size()));
  };
  ++rounds_;
  if (ranges.size() == 1) {
    one(0);
  } else {
    // One thread per range of the round (a round holds a few ranges: zip
    // local headers are the most, for `cat`), at most 16 at a time.
    for (size_t start = 0; start < ranges.size(); start += 16) {
      std::vector<std::future<void>> running;
      for (size_t i = start; i < std::min(ranges.size(), start + 16); ++i)
        running.push_back(std::async(std::launch::async, one, i));
      for (auto& f : running) f.get();
    }
  }
  for (const auto& b : out) bytes_ += b.size();
  if (keep_)
    for (size_t i = 0; i < ranges.size(); ++i)
      if (!out[i].empty()) kept_.push_back({{ranges[i].begin, ranges[i].begin + out[i].size()}, out[i]});
  return out;
}

Plan plan_source(RoundReader& reader, const std::vector<Selector>& selectors) {
  if (selectors.empty()) throw UsageError("no --select given");
  Plan plan;
  try {
    switch (selectors.front().format) {
      case Format::kZip:
        plan.items = plan_zip_file(reader, selectors);
        break;
      case Format::kTar:
        plan.items = plan_tar_file(reader, selectors);
        break;
      case Format::kSafetensors:
        plan.items = plan_safetensors_file(reader, selectors);
        break;
      case Format::kParquet:
        plan.items = plan_parquet_file(reader, selectors);
        break;
    }
  } catch (const FormatError& e) {
    throw FormatError(fmt::format("{}: {}", reader.source().name(), e.what()));
  } catch (const UsageError& e) {  // a selector naming nothing in this file
    throw UsageError(fmt::format("{}: {}", reader.source().name(), e.what()));
  }
  plan.round_trips = reader.rounds();
  plan.read_bytes = reader.bytes();
  log::info("plan: {} ({}): {} items, {} round trips, {} bytes read", reader.source().name(),
            format_name(selectors.front().format), plan.items.size(), plan.round_trips, plan.read_bytes);
  return plan;
}

void resolve_zip_payloads(RoundReader& reader, std::vector<PlanItem>& items) {
  std::vector<ByteRange> heads;
  std::vector<size_t> which;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].payload_after_local_header) continue;
    heads.push_back({items[i].payload.begin, items[i].payload.begin + 30});
    which.push_back(i);
  }
  if (heads.empty()) return;
  std::vector<std::vector<std::byte>> got = reader.read(heads);
  for (size_t k = 0; k < which.size(); ++k) {
    PlanItem& it = items[which[k]];
    try {
      it.payload = zip_member_data(got[k], it.payload.begin, it.payload.size(), reader.source().size());
    } catch (const FormatError& e) {
      throw FormatError(fmt::format("{}: {}", reader.source().name(), e.what()));
    }
    it.payload_after_local_header = false;
  }
}

}  // namespace sparseio::plan
