// safetensors header parsing with nlohmann-json (no exceptions escape: a
// parse failure becomes one FormatError naming the header's offset).
#include "plan/safetensors.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "plan/selector_match.h"

namespace sparseio::plan {
namespace {

[[noreturn]] void fail(uint64_t offset, std::string_view what) {
  throw FormatError(fmt::format("safetensors: at offset {}: {}", offset, what));
}

}  // namespace

uint64_t safetensors_header_length(std::span<const std::byte> first8, uint64_t file_size) {
  if (first8.size() < 8 || file_size < 8)
    fail(0, fmt::format("expected an 8-byte header length, but the file has {} bytes", file_size));
  const uint64_t n = load_le(first8, 0, 8);
  if (n < 2 || n > kSafetensorsMaxHeader)
    fail(0, fmt::format("expected a header length of 2 to {} bytes, found {}: not a safetensors file",
                        kSafetensorsMaxHeader, n));
  if (n > file_size - 8)
    fail(0, fmt::format("the header length {} runs past the end of the file ({} bytes)", n, file_size));
  return n;
}

std::vector<SafetensorsTensor> parse_safetensors_header(std::span<const std::byte> json, uint64_t file_size) {
  const uint64_t base = 8 + json.size();
  const auto* p = reinterpret_cast<const char*>(json.data());
  nlohmann::json h = nlohmann::json::parse(p, p + json.size(), nullptr, false);
  if (h.is_discarded() || !h.is_object())
    fail(8, fmt::format("expected a JSON object of {} bytes", json.size()));
  std::vector<SafetensorsTensor> out;
  for (const auto& [name, t] : h.items()) {
    if (name == "__metadata__") continue;
    if (!t.is_object()) fail(8, fmt::format("tensor '{}': expected an object", name));
    auto offs = t.find("data_offsets");
    if (offs == t.end() || !offs->is_array() || offs->size() != 2 || !(*offs)[0].is_number_unsigned() ||
        !(*offs)[1].is_number_unsigned())
      fail(8, fmt::format("tensor '{}': expected \"data_offsets\": [BEGIN, END]", name));
    const uint64_t b = (*offs)[0].get<uint64_t>(), e = (*offs)[1].get<uint64_t>();
    if (e < b || e > file_size - base)
      fail(8, fmt::format("tensor '{}': data_offsets [{}, {}] do not fit in the {} bytes after the header",
                          name, b, e, file_size - base));
    SafetensorsTensor st;
    st.name = name;
    auto dt = t.find("dtype");
    if (dt != t.end() && dt->is_string()) st.dtype = dt->get<std::string>();
    st.range = {base + b, base + e};
    out.push_back(std::move(st));
  }
  return out;
}

std::vector<PlanItem> plan_safetensors(const std::vector<SafetensorsTensor>& tensors, uint64_t header_length,
                                       const std::vector<Selector>& selectors) {
  std::vector<std::string> names;
  names.reserve(tensors.size());
  for (const SafetensorsTensor& t : tensors) names.push_back(t.name);
  check_selectors_match(selectors, names, NameKind::kTensor);
  std::vector<PlanItem> items;
  items.push_back({{0, 8 + header_length}, "safetensors header", {}, false, true});
  for (const SafetensorsTensor& t : tensors) {
    bool take = false;
    for (const Selector& s : selectors) take = take || s.matches_name(t.name);
    if (take)
      items.push_back({t.range, fmt::format("safetensors tensor {} ({})", t.name, t.dtype), t.range, false});
  }
  return items;
}

}  // namespace sparseio::plan
