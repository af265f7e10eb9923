// S3 prefixes and globs as objects: which SRC names many objects, the LIST
// prefix and naming base, and the jobs a listing gives (glob, folder
// markers, each with the listed size and ETag; hostile keys kept for
// under_dir to refuse).
#include "api/s3_objects.h"

#include <doctest/doctest.h>

using namespace sparseio;

TEST_CASE("a key ending with '/' or holding a glob character names many objects") {
  CHECK_FALSE(s3_collection("s3://b/data/a.bin"));
  CHECK_FALSE(s3_collection("https://h/data/"));
  CHECK_FALSE(s3_collection("./dir/"));
  CHECK_FALSE(s3_collection("s3://b/lit\\*eral"));  // an escaped '*' is a character of the key
  auto prefix = s3_collection("s3://b/data/");
  REQUIRE(prefix);
  CHECK(prefix->bucket == "b");
  CHECK(prefix->prefix == "data/");
  CHECK(prefix->name_base == "data/");
  CHECK_FALSE(prefix->glob);
  auto bucket = s3_collection("s3://b/");
  REQUIRE(bucket);
  CHECK(bucket->prefix.empty());
  auto bare = s3_collection("s3://b");
  REQUIRE(bare);
  CHECK(bare->prefix.empty());
  auto glob = s3_collection("s3://b/data/2024-*/part-[0-9].parquet");
  REQUIRE(glob);
  CHECK(glob->prefix == "data/2024-");
  CHECK(glob->name_base == "data/");
  CHECK(*glob->glob == "data/2024-*/part-[0-9].parquet");
  auto top = s3_collection("s3://b/model-{1,2}.bin");
  REQUIRE(top);
  CHECK(top->prefix == "model-");
  CHECK(top->name_base.empty());
  auto escaped = s3_collection("s3://b/a\\?b/*.x");
  REQUIRE(escaped);
  CHECK(escaped->prefix == "a?b/");
}

TEST_CASE("a listing's keys become jobs named below the base, with their identity") {
  s3::Listing listing;
  listing.keys = {{"data/a.parquet", 10, "\"1\""},
                  {"data/sub/", 0, "\"d\""},
                  {"data/sub/b.parquet", 20, "\"2\""},
                  {"data/c.txt", 3, "\"3\""},
                  {"data/../escape", 4, "\"4\""}};
  listing.latency_s = 0.02;
  auto all = jobs_from_listing("s3://b/data/", *s3_collection("s3://b/data/"), listing);
  REQUIRE(all.size() == 4);  // the folder marker is no object
  CHECK(all[0].source == "s3://b/data/a.parquet");
  CHECK(all[0].name == "a.parquet");
  REQUIRE(all[0].listed);
  CHECK(all[0].listed->size == 10);
  CHECK(all[0].listed->etag == "\"1\"");
  CHECK(all[0].listed->latency_s == 0.02);
  CHECK(all[1].name == "sub/b.parquet");
  CHECK(all[3].name == "../escape");  // kept: store/under_dir refuses it, for this object alone
  auto parquet =
      jobs_from_listing("s3://b/data/**.parquet", *s3_collection("s3://b/data/**.parquet"), listing);
  REQUIRE(parquet.size() == 2);
  CHECK(parquet[0].name == "a.parquet");
  CHECK(parquet[1].name == "sub/b.parquet");
  auto one_level =
      jobs_from_listing("s3://b/data/*.parquet", *s3_collection("s3://b/data/*.parquet"), listing);
  REQUIRE(one_level.size() == 1);  // '*' stays within a segment, as in --select
}
