#include "mount/mount_command.h"

#include <dirent.h>
#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "api/public_types.h"
#include "core/errors.h"
#include "core/range_list.h"
#include "help_text.h"
#include "mount/cache_evictor.h"
#include "mount/fuse_fs.h"
#include "mount/mount_names.h"
#include "sparseio/object.h"

namespace sparseio::cli {
namespace {

namespace fs = std::filesystem;
using mount::CacheEvictor;
using mount::FuseMount;
using mount::MountEntry;

// SIGINT, SIGTERM and SIGHUP for the mount. They are blocked in every
// thread (the handles' and libfuse's threads inherit the mask of the thread
// that constructs this, so it must come first) and taken by one watcher
// thread, which runs the handler set for the phase: before the mount is up,
// none (leave at once: opening only wrote sidecars, which are kill-safe);
// while mounted, FuseMount::exit (the loop returns and the mount is taken
// down in order). A second signal leaves at once, as for fetch: every claim
// in a sidecar was written after its bytes, so none is false.
class MountSignals {
 public:
  MountSignals() {
    sigemptyset(&set_);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, s);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { run(); });
  }
  ~MountSignals() {
    stopping_ = true;
    thread_.join();
  }
  MountSignals(const MountSignals&) = delete;
  MountSignals& operator=(const MountSignals&) = delete;

  void on_signal(std::function<void()> handler) {
    std::lock_guard lock(mu_);
    handler_ = std::move(handler);
  }

 private:
  void run() {
    // 20 ms: how often a stop is sent again, and how soon the destructor is heard.
    const timespec tick{0, 20'000'000};
    bool stopping_fuse = false;
    while (!stopping_) {
      const int sig = sigtimedwait(&set_, nullptr, &tick);
      // The handler runs under the lock, so that on_signal(nullptr) returns
      // only once no call of it is running: then the mount may go away.
      std::lock_guard lock(mu_);
      if (sig > 0) {
        if (stopping_fuse || !handler_) {
          const std::string msg = fmt::format("\nsparseio: {}: exiting at once\n", strsignal(sig));
          ssize_t ignored = ::write(STDERR_FILENO, msg.data(), msg.size());
          (void)ignored;
          ::_exit(128 + sig);
        }
        stopping_fuse = true;
      }
      // Sent again on every tick until the loop has returned (the caller then
      // clears the handler): a wake-up that reaches the loop just before it
      // waits is lost. The handler never blocks, so a second signal is heard
      // even while a read stuck on the network holds the loop up.
      if (stopping_fuse && handler_) handler_();
    }
  }

  sigset_t set_{};
  std::mutex mu_;
  std::function<void()> handler_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: started once the members above exist
};

uint64_t size_flag(const std::string& text, const char* flag) {
  if (text.empty()) return 0;
  const uint64_t v = parse_size(text, flag);
  if (v == 0) throw UsageError(fmt::format("bad {} \"{}\": must be at least 1 byte", flag, text));
  return v;
}

Options make_options(const MountFlags& f, const HttpFlags& hf, const S3Flags& s3f) {
  Options o;
  o.jobs = f.jobs;
  o.chunk_size = size_flag(f.chunk_size, "--chunk-size");
  if (!hf.coalesce_gap.empty()) o.coalesce_gap = parse_size(hf.coalesce_gap, "--coalesce-gap");
  o.max_connections = hf.max_connections;
  o.read_block_size = size_flag(f.read_block_size, "--read-block-size");
  o.readahead_max = size_flag(f.readahead_max, "--readahead-max");
  o.durability = f.sync == "none"    ? Durability::kNone
                 : f.sync == "batch" ? Durability::kBatch
                                     : Durability::kHash;
  // Two mounts of one object would wait for each other's lock forever.
  o.wait_for_lock = false;
  set_source_options(o, make_http_options(hf), make_s3_options(s3f));
  return o;
}

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && x[0] == '/')
    return fs::path(x) / "sparseio";
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] != '\0')
    return fs::path(h) / ".cache" / "sparseio";
  throw UsageError("no cache directory: neither XDG_CACHE_HOME nor HOME is set; give --cache DIR");
}

// The mount point must be an empty directory, as for any FUSE file system;
// a mount left behind by a killed sparseio is named as such.
void check_mountpoint(const std::string& mp) {
  struct stat st {};
  if (::stat(mp.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOTCONN)
      throw Error(
          fmt::format("{}: a mount whose sparseio is gone (transport endpoint is not connected): "
                      "unmount it with fusermount3 -u {}",
                      mp, mp));
    throw UsageError(fmt::format("mount point {}: {}", mp, std::strerror(err)));
  }
  if (!S_ISDIR(st.st_mode)) throw UsageError(fmt::format("mount point {}: not a directory", mp));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(mp.c_str()), ::closedir);
  if (!dir) throw UsageError(fmt::format("mount point {}: {}", mp, std::strerror(errno)));
  while (const dirent* d = ::readdir(dir.get())) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0)
      throw UsageError(fmt::format("mount point {}: not an empty directory (it holds {})", mp, d->d_name));
  }
}

void check_dev_fuse() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0)
    throw Error(
        fmt::format("/dev/fuse: {}: cannot mount (load the fuse module; a container needs "
                    "--device /dev/fuse)",
                    std::strerror(errno)));
}

std::string canonical_source(const std::string& src) {
  if (src.find("://") != std::string::npos) return src;
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(src), ec);
  return ec ? src : p.string();
}

// Opens the handle of one SRC on its cache file. A cache of an older version
// of the source is worth nothing: it is started over, with a warning, rather
// than refusing to mount (the handle never mixes versions either way).
std::unique_ptr<Object> open_cached(const std::string& src, const std::string& cache, Options o) {
  try {
    return Object::open(src, cache, o);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kSourceChanged) throw;
    spdlog::warn("{}: changed since it was cached in {}: starting its cache over", src, cache);
  }
  o.restart = true;
  return Object::open(src, cache, o);
}

}  // namespace

CLI::App* add_mount_command(CLI::App& app, MountFlags& f, HttpFlags& hf, S3Flags& s3f) {
  CLI::App* cmd = app.add_subcommand(
      "mount", "Show each SRC as a read-only file in MOUNTPOINT (FUSE), fetched on demand into a cache");
  // One positional list, its last item the mount point: CLI11 2.1 would
  // give a MOUNTPOINT positional after a SRC list to the list whenever an
  // option follows them.
  cmd->add_option("SRC...MOUNTPOINT", f.sources,
                  "Sources (local paths, http:// or https:// URLs, s3://BUCKET/KEY), then the mount point "
                  "(an empty directory)")
      ->required()
      ->expected(2, -1);
  cmd->add_option("--cache", f.cache_dir,
                  "Cache directory (default $XDG_CACHE_HOME/sparseio, else ~/.cache/sparseio); one "
                  "destination NAME-HASH per SRC, with its sidecar")
      ->type_name("DIR");
  cmd->add_option("--cache-max", f.cache_max,
                  "Evict the least recently read blocks when the cache's allocated bytes pass SIZE")
      ->type_name("SIZE");
  cmd->add_option("-j,--jobs", f.jobs,
                  "Parallel transfers (default: number of cores; for URLs it follows the link)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--chunk-size", f.chunk_size,
                  "Largest unit of work (default 4MiB for files, 8MiB for URLs)")
      ->type_name("SIZE");
  cmd->add_option(
         "--read-block-size", f.read_block_size,
         "A read of a missing byte fetches the aligned block around it (default: follows the reader, "
         "64KiB to 1MiB)")
      ->type_name("SIZE");
  cmd->add_option("--readahead-max", f.readahead_max,
                  "Largest readahead window of a sequential reader (default: follows the link)")
      ->type_name("SIZE");
  cmd->add_option("--sync", f.sync,
                  "hash: checksummed records, re-checked after a reboot (default); batch: fdatasync "
                  "before recording; none: kill-safe only")
      ->type_name("MODE")
      ->check(CLI::IsMember({"hash", "batch", "none"}));
  add_http_options(cmd, hf);
  add_s3_options(cmd, s3f);
  cmd->footer(examples_help("mount"));
  return cmd;
}

int run_mount_command(MountFlags f, const HttpFlags& hf, const S3Flags& s3f) {
  f.mountpoint = f.sources.back();
  f.sources.pop_back();
  // Everything a user can get wrong is checked before anything is opened.
  std::vector<std::string> names;
  for (const std::string& src : f.sources) names.push_back(mount::entry_name(src));
  if (auto dup = mount::duplicate_names(f.sources, names)) throw UsageError(*dup);
  const Options options = make_options(f, hf, s3f);
  const uint64_t cache_max = size_flag(f.cache_max, "--cache-max");
  const fs::path cache_dir = f.cache_dir.empty() ? fs::path(default_cache_dir()) : fs::absolute(f.cache_dir);
  check_mountpoint(f.mountpoint);
  check_dev_fuse();
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec)
    throw Error(fmt::format("cache directory {}: {}", cache_dir.string(), ec.message()),
                ErrorKind::kDestinationUnwritable);

  // Order matters: the signal mask first (every later thread inherits it);
  // the handles before the evictor and the mount that use them, destroyed
  // after them (the mount is gone before the last claims are synced).
  MountSignals signals;
  std::vector<MountEntry> entries(f.sources.size());
  for (size_t i = 0; i < f.sources.size(); ++i) {
    MountEntry& e = entries[i];
    e.name = names[i];
    e.source = f.sources[i];
    const fs::path cache = cache_dir / mount::cache_file_name(names[i], canonical_source(e.source));
    e.object = open_cached(e.source, cache.string(), options);
    e.size = e.object->size();
    e.mtime = e.object->mtime();
    spdlog::info("{}: {} ({} bytes), cached in {}", e.name, e.source, e.size, cache.string());
  }
  std::unique_ptr<CacheEvictor> evictor;
  if (cache_max > 0) {
    std::vector<Object*> objects;
    for (MountEntry& e : entries) objects.push_back(e.object.get());
    evictor = std::make_unique<CacheEvictor>(std::move(objects), cache_max);
  }
  mount::ReadHook hook;
  if (evictor) hook = [&evictor](uint32_t o, uint64_t off, uint64_t n) { evictor->on_read(o, off, n); };
  FuseMount fuse(f.mountpoint, entries, std::move(hook));
  signals.on_signal([&fuse] { fuse.exit(); });
  if (!f.quiet)
    fmt::print(stderr, "sparseio: mounted {} file{} at {} (cache {}); Ctrl-C or fusermount3 -u {} unmounts\n",
               entries.size(), entries.size() == 1 ? "" : "s", f.mountpoint, cache_dir.string(),
               f.mountpoint);
  fuse.loop();
  signals.on_signal(nullptr);  // from here a signal leaves at once: fuse is going away
  if (!f.quiet) fmt::print(stderr, "sparseio: unmounting {}\n", f.mountpoint);
  return 0;
}

}  // namespace sparseio::cli
