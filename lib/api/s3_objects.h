// An s3:// SRC that names many objects (sparseio fetch s3://B/data/ DIR/,
// sparseio fetch 's3://B/data/**.parquet' DIR/): recognising it, the LIST
// prefix and the part of each key that names its object below DIR (pure,
// unit-tested), and the expansion into objects through one listing
// (source/s3/s3_list.h). Each object carries the listing's size and ETag
// (S3Options::listed), so no HEAD is sent for it and its GETs carry
// If-Match with that ETag.
//
// Naming: below a prefix P/ an object is its key without P/; below a glob
// it is its key without the glob's literal start up to its last '/'
// ("data/**.parquet" names "data/x/y.parquet" as "x/y.parquet"). The name
// is whatever the key says: a hostile one ("../escape", "a//b") is kept as
// is and refused where the object is placed (store/under_dir), so that it
// fails alone, named, and the other objects still run.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/many.h"
#include "source/http/http_options.h"
#include "source/s3/s3_list.h"
#include "source/s3/s3_options.h"

namespace sparseio {

// An s3:// SRC that names many objects, split.
struct S3Collection {
  std::string bucket;
  std::string prefix;               // the LIST prefix: the key's literal start (escapes removed)
  std::string name_base;            // what is cut off a key to name its object below DIR
  std::optional<std::string> glob;  // the key pattern (lib/plan/glob), when the key has wildcards
};

// Pure: the collection an s3:// SRC names, or nullopt when it names one
// object: its key is empty or ends with '/' (a prefix), or has an unescaped
// glob character (* ? [ {: a glob over keys, the rules of --select). A key
// with a literal '*' is written with '\*'.
std::optional<S3Collection> s3_collection(const std::string& src);

// Pure: the objects of `listing` that `c` names, in the listing's order:
// keys the glob does not match are left out, as are "folder" markers (keys
// ending with '/', which hold no object's bytes). Each job names its
// object below DIR as the header says and carries its size and ETag.
std::vector<ObjectJob> jobs_from_listing(const std::string& src, const S3Collection& c,
                                         const s3::Listing& listing);

// Lists `src` and returns its objects. A prefix or glob that names none is
// an Error of kind kSourceMissing naming `src` (exit 6).
std::vector<ObjectJob> list_s3_objects(const std::string& src, const S3Collection& c, const HttpOptions& http,
                                       const S3Options& s3);

}  // namespace sparseio
