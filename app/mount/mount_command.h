// `sparseio mount SRC... MOUNTPOINT`: the command's options and its run.
// The mount is a client of the public handle (sparseio::Object), as any
// program would be: one handle per SRC, its destination a cache file
// (mount_names.h), served by FuseMount, kept under --cache-max by
// CacheEvictor.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "http_flags.h"
#include "s3_flags.h"

namespace sparseio::cli {

struct MountFlags {
  std::vector<std::string> sources;  // as parsed: the sources, then the mount point
  std::string mountpoint;
  std::string cache_dir;  // empty: $XDG_CACHE_HOME/sparseio, else ~/.cache/sparseio
  std::string cache_max;  // SIZE; empty: no cap
  unsigned jobs = 0;
  std::string chunk_size, read_block_size, readahead_max;
  std::string sync = "hash";
  bool quiet = false;  // -q: not even where it is mounted
};

// Declares the command and its options on `app` (logging is added by the caller).
CLI::App* add_mount_command(CLI::App& app, MountFlags& f, HttpFlags& hf, S3Flags& s3f);

// Mounts, serves until unmounted (fusermount3 -u) or stopped (SIGINT,
// SIGTERM, SIGHUP), unmounts and returns 0; errors before the mount is up are
// thrown (Error with its kind, for the exit code).
int run_mount_command(MountFlags f, const HttpFlags& hf, const S3Flags& s3f);

}  // namespace sparseio::cli
