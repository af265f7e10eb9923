// --shard I/N: a deterministic, byte-balanced split of a range list, so that
// N machines (a CI matrix, a Kubernetes Indexed Job, a Slurm array) can each
// fetch their part of one plan without talking to each other.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/byte_range.h"

namespace sparseio::plan {

// Cuts fall on multiples of this many bytes of the object (inside a range),
// so every shard is within one grain of total/N, and the pieces stay
// block-aligned (64 KiB is a multiple of every common filesystem block).
constexpr uint64_t kShardGrain = 64 * 1024;

struct ShardSpec {
  unsigned index = 0;  // 0-based, < count
  unsigned count = 1;
};

// Parses "I/N" (0 <= I < N <= 65536). Throws UsageError quoting it.
ShardSpec parse_shard(std::string_view text);

// Sorted, with overlapping and adjacent ranges merged; empty ones dropped.
std::vector<ByteRange> coalesce(std::vector<ByteRange> ranges);

// Shard `spec.index` of `coalesced` (the output of coalesce()). A pure
// function of its arguments: the shards of 0..N-1 are disjoint, their union
// is the whole list, and each holds total/N bytes give or take one grain.
std::vector<ByteRange> shard_ranges(const std::vector<ByteRange>& coalesced, ShardSpec spec,
                                    uint64_t grain = kShardGrain);

// The ranges of `from` outside `remove` (both coalesced), coalesced.
std::vector<ByteRange> subtract(const std::vector<ByteRange>& from, const std::vector<ByteRange>& remove);

// A shard that opens on its own: shard `spec.index` of the data ranges (those
// not in `metadata`), plus every metadata range whole (a zip's directory, a
// Parquet footer, tar headers: the format's tools read them before any
// member). The data shares are disjoint and cover the data; the metadata is in
// every shard. Both lists are coalesced by the caller.
std::vector<ByteRange> shard_with_metadata(const std::vector<ByteRange>& data,
                                           const std::vector<ByteRange>& metadata, ShardSpec spec,
                                           uint64_t grain = kShardGrain);

// One object of a plan over several objects: its ranges (coalesced), and
// which of them are the format's metadata (coalesced; a subset of ranges).
struct ObjectRanges {
  std::vector<ByteRange> ranges;
  std::vector<ByteRange> metadata;
};

// Shard `spec.index` of a plan over several objects (fetch --plan of a
// version 2 manifest --shard I/N), one list per object, in their order
// (empty: the shard holds nothing of it). The objects' data (ranges outside
// metadata) in their order is one stream, split as shard_ranges splits one
// list: by bytes, each cut on a grain of its object's offsets, so an object
// may be cut between shards and each shard holds total/N data bytes give or
// take one grain. Each object's metadata goes whole into every shard that
// holds any of its data, so that each shard's copy of it opens on its own
// (as shard_with_metadata does for one object); an object that is all
// metadata is split as data. A pure function: the data shares are disjoint
// and together, with the metadata, are the whole plan. Throws UsageError
// when the objects' sizes add up past 2^64 bytes.
std::vector<std::vector<ByteRange>> shard_objects(const std::vector<ObjectRanges>& objects, ShardSpec spec,
                                                  uint64_t grain = kShardGrain);

}  // namespace sparseio::plan
