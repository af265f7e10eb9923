// Whole-buffer positional I/O and SEEK_DATA/SEEK_HOLE extent scanning.
// Every function retries EINTR and short transfers, and names `path` in errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/byte_range.h"

namespace sparseio {

// Reads until buf is full or end of file; returns the bytes read.
size_t pread_full(int fd, std::span<std::byte> buf, uint64_t offset, const std::string& path);

// Writes all of buf at offset.
void pwrite_full(int fd, std::span<const std::byte> buf, uint64_t offset, const std::string& path);

// The data runs of fd inside r, as SEEK_DATA/SEEK_HOLE report them. A
// filesystem without SEEK_DATA support reports all of r as data. A file that
// ends before r.end (it shrank) throws SourceChangedError rather than
// passing its missing tail off as a hole.
std::vector<ByteRange> data_extents(int fd, ByteRange r, const std::string& path);

// Number of data runs in the whole file.
size_t count_data_segments(int fd, const std::string& path);

// Disk space the file uses: st_blocks * 512.
uint64_t allocated_bytes(int fd, const std::string& path);

// The directory part of `path` ("." when it has none, "/" for the root).
std::string parent_dir(const std::string& path);

// Calls fn with consecutive spans of zero bytes, n bytes in all, from one
// shared read-only buffer: for writing, hashing or comparing runs of zeros.
void for_each_zero_span(uint64_t n, const std::function<void(std::span<const std::byte>)>& fn);

// Size of the file (st_size).
uint64_t file_size(int fd, const std::string& path);

}  // namespace sparseio
