#define FUSE_USE_VERSION 312
#include "mount/fuse_fs.h"

#include <fmt/format.h>
#include <fuse.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstring>
#include <string_view>

#include "core/errors.h"

namespace sparseio::mount {
namespace {

// Wakes the thread waiting in fuse_loop_mt: libfuse 3.14's loop sleeps in
// sem_wait until a signal interrupts it (fuse_session_exit only sets a flag),
// so exit() sends this one, with a handler that does nothing, to that thread.
const int kWakeSignal = SIGRTMIN + 1;

void on_wake(int) {}

// libfuse's own messages ("fuse: ...") go out through our log, one line each.
void fuse_log_to_spdlog(enum fuse_log_level level, const char* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string msg(buf);
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (level <= FUSE_LOG_ERR)
    spdlog::error("{}", msg);
  else if (level <= FUSE_LOG_NOTICE)
    spdlog::info("{}", msg);
  else
    spdlog::debug("{}", msg);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

struct FuseMount::Ops {
  static FuseMount& self() { return *static_cast<FuseMount*>(fuse_get_context()->private_data); }

  // The entry named by `path` ("/NAME"), or nullptr. The index is built
  // once and never changes, so lookups from many threads need no lock.
  static MountEntry* find(const char* path, size_t* index = nullptr) {
    if (path == nullptr || path[0] != '/') return nullptr;
    FuseMount& m = self();
    const auto it = m.index_.find(std::string_view(path + 1));
    if (it == m.index_.end()) return nullptr;
    if (index != nullptr) *index = it->second;
    return &m.entries_[it->second];
  }

  static void* init(fuse_conn_info* conn, fuse_config* cfg) {
    (void)conn;
    cfg->kernel_cache = 1;
    cfg->entry_timeout = cfg->attr_timeout = cfg->negative_timeout = 3600;
    return fuse_get_context()->private_data;
  }

  static int getattr(const char* path, struct stat* st, fuse_file_info*) {
    std::memset(st, 0, sizeof *st);
    st->st_uid = ::getuid();
    st->st_gid = ::getgid();
    if (path != nullptr && std::strcmp(path, "/") == 0) {
      st->st_mode = S_IFDIR | 0555;
      st->st_nlink = 2;
      return 0;
    }
    const MountEntry* e = find(path);
    if (e == nullptr) return -ENOENT;
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(e->size);
    st->st_blocks = static_cast<blkcnt_t>((e->size + 511) / 512);
    st->st_blksize = 1 << 20;  // what a reader asks for at once (stdio buffers follow it)
    st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = e->mtime;
    return 0;
  }

  static int readdir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
                     fuse_readdir_flags) {
    if (path == nullptr || std::strcmp(path, "/") != 0) return -ENOTDIR;
    fill(buf, ".", nullptr, 0, fuse_fill_dir_flags{});
    fill(buf, "..", nullptr, 0, fuse_fill_dir_flags{});
    for (const MountEntry& e : self().entries_) fill(buf, e.name.c_str(), nullptr, 0, fuse_fill_dir_flags{});
    return 0;
  }

  static int open(const char* path, fuse_file_info* fi) {
    size_t index = 0;
    if (find(path, &index) == nullptr) return -ENOENT;
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
    fi->fh = index;
    fi->keep_cache = 1;
    return 0;
  }

  static int read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    FuseMount& m = self();
    MountEntry& e = m.entries_[fi->fh];
    try {
      const size_t n = e.object->read_at(static_cast<uint64_t>(offset),
                                         std::span<std::byte>(reinterpret_cast<std::byte*>(buf), size));
      if (m.on_read_ && n > 0) m.on_read_(static_cast<uint32_t>(fi->fh), static_cast<uint64_t>(offset), n);
      return static_cast<int>(n);
    } catch (const std::exception& err) {
      report(e, size, offset, err.what());
      return -EIO;
    }
  }

  // One line per object and burst (ErrorThrottle): a reader that retries a
  // failing read in a loop must not flood stderr.
  static void report(MountEntry& e, size_t size, off_t offset, const char* why) {
    uint64_t suppressed = 0;
    {
      std::lock_guard lock(e.error_mu);
      if (!e.throttle.allow(now_s(), suppressed)) return;
    }
    const std::string more =
        suppressed == 0 ? "" : fmt::format(" ({} more failed reads since the last line)", suppressed);
    spdlog::error("{}: read of {} bytes at {} failed (EIO): {}{}", e.name, size, offset, why, more);
  }
};

FuseMount::FuseMount(const std::string& mountpoint, std::vector<MountEntry>& entries, ReadHook on_read)
    : mountpoint_(mountpoint), entries_(entries), on_read_(std::move(on_read)) {
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].name, i);
  fuse_set_log_func(fuse_log_to_spdlog);
  fuse_operations ops{};
  ops.init = Ops::init;
  ops.getattr = Ops::getattr;
  ops.readdir = Ops::readdir;
  ops.open = Ops::open;
  ops.read = Ops::read;
  const char* argv[] = {"sparseio", "-o", "ro,default_permissions,fsname=sparseio,subtype=sparseio", nullptr};
  fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  fuse_ = fuse_new(&args, &ops, sizeof ops, this);
  fuse_opt_free_args(&args);
  if (fuse_ == nullptr) throw Error(fmt::format("{}: cannot set up the FUSE session", mountpoint_));
  if (fuse_mount(fuse_, mountpoint_.c_str()) != 0) {
    fuse_destroy(fuse_);
    throw Error(fmt::format("{}: cannot mount (see the line above)", mountpoint_));
  }
  mounted_ = true;
}

FuseMount::~FuseMount() {
  // After `fusermount3 -u` the kernel has already let go; libfuse's unmount
  // then finds nothing to do.
  if (mounted_) fuse_unmount(fuse_);
  fuse_destroy(fuse_);
}

void FuseMount::loop() {
  struct sigaction sa {};
  sa.sa_handler = on_wake;  // no SA_RESTART: sem_wait must return EINTR
  sigaction(kWakeSignal, &sa, nullptr);
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, kWakeSignal);
  pthread_sigmask(SIG_UNBLOCK, &wake, nullptr);
  loop_thread_ = pthread_self();
  looping_ = true;
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(cfg, 32);
  fuse_loop_mt(fuse_, cfg);
  fuse_loop_cfg_destroy(cfg);
  looping_ = false;
}

void FuseMount::exit() {
  fuse_exit(fuse_);
  if (looping_) pthread_kill(loop_thread_, kWakeSignal);
}

}  // namespace sparseio::mount
