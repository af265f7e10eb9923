// The safetensors planner against a file written by hand in python (the
// format is a length, a JSON header and raw bytes), header bigger than the
// first read included.
#include "plan/safetensors.h"

#include <doctest/doctest.h>

#include "plan_test_util.h"

using namespace sparseio;
using namespace sparseio::plan;
using sparseio::test::TempDir;

namespace {

const char* kWriter = R"(
import json, os, struct, sys
d = sys.argv[1]
layers = int(os.environ["LAYERS"])
header, body = {"__metadata__": {"format": "pt"}}, b""
for l in range(layers):
    for part, n in (("attn.w", 16), ("mlp.w", 48)):
        data = struct.pack("<%df" % n, *[l + k for k in range(n)])
        header["model.layers.%d.%s" % (l, part)] = {"dtype": "F32", "shape": [n], "data_offsets": [len(body), len(body) + len(data)]}
        body += data
h = json.dumps(header).encode()
with open(os.path.join(d, "m.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + body)
with open(os.path.join(d, "expected.txt"), "w") as out:
    for name, t in header.items():
        if name != "__metadata__":
            out.write("%s %d %d\n" % (name, 8 + len(h) + t["data_offsets"][0], t["data_offsets"][1] - t["data_offsets"][0]))
)";

void check(int layers, uint64_t rounds) {
  TempDir dir;
  setenv("LAYERS", std::to_string(layers).c_str(), 1);
  REQUIRE(sparseio::test::run_python(dir, kWriter));
  auto expected = sparseio::test::read_expected(dir.file("expected.txt"));
  Plan p = sparseio::test::plan_file(dir.file("m.safetensors"), {"safetensors:model.layers.[0-5].*"});
  CHECK(p.round_trips == rounds);
  size_t n = 0;
  for (const PlanItem& it : p.items) {
    if (it.payload.empty()) continue;
    std::string name = it.label.substr(std::string("safetensors tensor ").size());
    name = name.substr(0, name.find(' '));
    REQUIRE(expected.count(name));
    CHECK(it.payload.begin == expected[name].first);
    CHECK(it.payload.size() == expected[name].second);
    ++n;
  }
  CHECK(n == 12);  // layers 0-5, two tensors each
}

}  // namespace

TEST_CASE("safetensors: small header in one round trip") { check(12, 1); }
TEST_CASE("safetensors: a header larger than the first read takes a second") { check(1200, 2); }

TEST_CASE("safetensors: malformed headers name the offset") {
  std::vector<std::byte> b(8, std::byte{0xff});
  CHECK_THROWS_WITH_AS(safetensors_header_length(b, 100),
                       doctest::Contains("at offset 0: expected a header length"), FormatError);
  std::string json = R"({"t": {"dtype": "F32", "data_offsets": [0, 400]}})";
  std::span<const std::byte> j(reinterpret_cast<const std::byte*>(json.data()), json.size());
  CHECK_THROWS_WITH_AS(parse_safetensors_header(j, 8 + json.size() + 100), doctest::Contains("do not fit"),
                       FormatError);
  std::string notjson = "{\"t\": ";
  std::span<const std::byte> nj(reinterpret_cast<const std::byte*>(notjson.data()), notjson.size());
  CHECK_THROWS_WITH_AS(parse_safetensors_header(nj, 1000),
                       doctest::Contains("at offset 8: expected a JSON object"), FormatError);
}
