// The safetensors planner: an 8-byte little-endian header length N, a JSON
// header of N bytes mapping tensor names to {dtype, shape, data_offsets},
// then the tensors' bytes, with data_offsets relative to byte 8+N.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plan/plan_types.h"
#include "plan/selector.h"

namespace sparseio::plan {

// The first read: the length and, for most checkpoints, the whole header
// (a few hundred tensors take 20-60 KiB of JSON).
constexpr uint64_t kSafetensorsHeadRead = 64 * 1024;
// The format's own limit on the header (safetensors' MAX_HEADER_SIZE).
constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

struct SafetensorsTensor {
  std::string name;
  std::string dtype;
  ByteRange range;  // absolute offsets in the file
};

// The header length from the first 8 bytes; checks it against the limit and
// the file size. Throws FormatError.
uint64_t safetensors_header_length(std::span<const std::byte> first8, uint64_t file_size);

// Parses the JSON header (the N bytes at offset 8).
std::vector<SafetensorsTensor> parse_safetensors_header(std::span<const std::byte> json, uint64_t file_size);

std::vector<PlanItem> plan_safetensors(const std::vector<SafetensorsTensor>& tensors, uint64_t header_length,
                                       const std::vector<Selector>& selectors);

}  // namespace sparseio::plan
