#include "help_text.h"

namespace sparseio::cli {

std::string range_syntax_help() {
  return "RANGES: items A-B (bytes A to B, inclusive), A- (A to the end), -N (the last N bytes),\n"
         "  A+N (N bytes from A), separated by commas or whitespace; -r may be repeated.\n"
         "  Numbers are decimal or hexadecimal (0x1000). SIZE and N take K/M/G/T (=KiB, MiB...)\n"
         "  or KB/MB/GB/TB (x1000). A --ranges-from FILE holds the same items, any number per\n"
         "  line, '#' starts a comment; `sparseio stat --ranges-only DST` writes such a file.\n";
}

std::string select_syntax_help() {
  return "SELECT: zip:GLOB, tar:GLOB (members), safetensors:GLOB (tensors),\n"
         "  parquet:columns=A,B.c;row_groups=0-3,7 (column chunks); zip: alone takes everything.\n"
         "  Globs as in the shell: * and ? stay within one path segment (never match /),\n"
         "  ** crosses segments (train/**.jpg: every .jpg under train/, at any depth),\n"
         "  [a-z] and [!0-9] are character classes, {a,b} alternatives, \\ quotes the next\n"
         "  character. Quote the selector: 'zip:train/**.jpg'. Tensor and column names have\n"
         "  no /, so there * runs across dots.\n";
}

std::string examples_help(const std::string& command) {
  if (command == "fetch")
    return "EXAMPLES:\n"
           "  The footer of a Parquet file (its last 64 KiB), then the column chunks it names:\n"
           "    sparseio fetch -r -64K https://host/data.parquet data.parquet\n"
           "    sparseio fetch --ranges-from chunks.txt https://host/data.parquet data.parquet\n"
           "  The same from S3 or an S3-compatible store (keys as the aws CLI finds them):\n"
           "    sparseio fetch -r -64K s3://my-bucket/data.parquet data.parquet\n"
           "    sparseio fetch -r -64K --endpoint-url http://127.0.0.1:9000 s3://b/data.parquet d.parquet\n"
           "  A CI step that resumes a cached download and tells failures apart by exit code:\n"
           "    sparseio fetch --json -q https://host/disk.img cache/disk.img || case $? in\n"
           "      7) echo 'network trouble: retry later' ;; *) exit 1 ;; esac\n"
           "  Many objects into one directory (each at DIR/NAME, records in DIR/.sparseio/):\n"
           "    sparseio fetch -r -64K https://host/a.parquet https://host/b.parquet staged/\n"
           "    sparseio fetch -r -64K ./shards/ staged/     # a local directory, recursively\n"
           "    sparseio fetch --from list.txt staged/       # lines: SRC [NAME] [RANGES...]\n"
           "    sparseio fetch s3://bucket/data/ staged/     # every key under an S3 prefix (LIST)\n"
           "    sparseio fetch 's3://bucket/data/**.parquet' staged/  # a glob over keys\n"
           "    sparseio stat staged/                        # every object, and the totals\n";
  if (command == "cat")
    return "EXAMPLES:\n"
           "  The first file of a tar archive on a server (keeping what was fetched in t.tar):\n"
           "    sparseio cat -r 0-1M https://host/big.tar t.tar | tar -tvf - 2>/dev/null | head -1\n"
           "  Checksum one region:\n"
           "    sparseio cat -r 0x1000+4K disk.img part.img | sha256sum\n"
           "  Stream a footer and a column chunk to a reader, storing nothing:\n"
           "    sparseio cat https://host/data.parquet -r -64K,4M+2M | my-reader\n";
  if (command == "stat")
    return "EXAMPLES:\n"
           "  sparseio stat data.parquet\n"
           "  sparseio stat --ranges-only a.img > have.txt   # then: fetch --ranges-from have.txt\n"
           "  sparseio stat --json a.img | jq .present_bytes\n";
  if (command == "punch")
    return "EXAMPLES:\n"
           "  Give back the blocks of the first GiB (fetch brings it back when needed):\n"
           "    sparseio punch -r 0-1G disk.img\n";
  if (command == "verify")
    return "EXAMPLES:\n"
           "  sparseio verify https://host/data.parquet data.parquet && echo identical\n"
           "  sparseio verify -r -64K disk.img copy.img\n"
           "  Fetch again the blocks that differ, and say what was repaired:\n"
           "    sparseio verify --repair --json disk.img copy.img\n";
  if (command == "plan")
    return "EXAMPLES:\n"
           "  The byte ranges of two Parquet columns in row groups 0-3, as a list to edit:\n"
           "    sparseio plan https://host/t.parquet --select 'parquet:columns=price,qty;row_groups=0-3'\n"
           "  Plan once, then fetch one shard on each of 8 machines:\n"
           "    sparseio plan https://host/train.zip --select 'zip:train/*.jpg' --json > plan.json\n"
           "    sparseio fetch --plan plan.json --shard \"$I/8\" train.zip\n"
           "  Which tensors a sparse copy lacks (they would read as zeros):\n"
           "    sparseio plan model.safetensors --select safetensors: --json | jq '.ranges[] | "
           "select(.present == false)'\n";
  if (command == "mount")
    return "EXAMPLES:\n"
           "  Query a remote SQLite database; only the pages the query reads are fetched:\n"
           "    mkdir -p /mnt/db && sparseio mount https://host/data/app.db /mnt/db &\n"
           "    sqlite3 -readonly /mnt/db/app.db 'SELECT count(*) FROM users'\n"
           "  List and extract from a zip on S3, the cache kept under 2 GiB:\n"
           "    sparseio mount --cache-max 2G s3://bucket/big.zip /mnt/z &\n"
           "    unzip -l /mnt/z/big.zip; unzip -p /mnt/z/big.zip docs/README > README\n"
           "  The cache is ordinary sparseio files (DIR/NAME-HASH):\n"
           "    sparseio stat ~/.cache/sparseio/app.db-*\n"
           "  Unmount: Ctrl-C, kill (SIGTERM) or fusermount3 -u /mnt/db.\n";
  return "EXAMPLES:\n"
         "  sparseio fetch -r -64K https://host/data.parquet data.parquet   # Parquet footer\n"
         "  sparseio fetch --ranges-from ranges.txt https://host/disk.img disk.img\n"
         "  sparseio cat -r 0-1M https://host/big.tar t.tar | tar -tvf -\n"
         "  sparseio cat -r 0-4095 disk.img d.img | sha256sum\n"
         "  sparseio mount https://host/app.db /mnt/db   # then: sqlite3 /mnt/db/app.db\n"
         "Run 'sparseio COMMAND --help' for a command's options and more examples; see also sparseio(1).\n";
}

}  // namespace sparseio::cli
