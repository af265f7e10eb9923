#include "progress_display.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace sparseio::cli {
namespace {

using Clock = std::chrono::steady_clock;

// 8 frames a second: smooth to the eye, and a snapshot (one coverage lookup
// per cell, ~200) costs far less than the 125 ms between them.
constexpr auto kFrame = std::chrono::milliseconds(125);
// The rate is measured over the last 3 s: steady, yet quick to follow a change.
constexpr auto kRateWindow = std::chrono::seconds(3);

}  // namespace

std::string short_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1023.95 && unit < 6) {
    v /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, kUnits[unit]);
}

namespace {

unsigned percent(uint64_t done, uint64_t wanted) {
  if (wanted == 0) return 100;
  return static_cast<unsigned>(static_cast<unsigned __int128>(done) * 100 / wanted);
}

// Display columns of a UTF-8 string (every code point is one column here).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

size_t terminal_width() {
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    long v = std::strtol(c, nullptr, 10);
    if (v >= 20 && v <= 1000) return static_cast<size_t>(v);
  }
  return 80;
}

bool utf8_locale() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    std::string s(v);
    return s.find("UTF-8") != std::string::npos || s.find("utf8") != std::string::npos ||
           s.find("utf-8") != std::string::npos;
  }
  return false;
}

}  // namespace

std::string render_map(const std::vector<CellState>& cells, bool unicode) {
  std::string out = "[";
  for (CellState c : cells) {
    switch (c) {
      case CellState::kAbsent:
        out += unicode ? "\u00b7" : ".";
        break;
      case CellState::kPartial:
        out += unicode ? "\u2592" : "+";
        break;
      case CellState::kPresent:
        out += unicode ? "\u2588" : "#";
        break;
      case CellState::kActive:
        out += unicode ? "\u25b6" : ">";
        break;
    }
  }
  return out + "]";
}

std::string format_eta(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds > 99 * 3600.0) return "--:--";
  const auto s = static_cast<uint64_t>(std::llround(*seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

size_t map_cells(size_t width) { return width > 12 ? width - 3 : 10; }

namespace {
// "3/10 objects  " with many objects, "" with one.
std::string objects_prefix(const StatusView& v, const char* sep) {
  return v.objects_total == 0 ? "" : fmt::format("{}/{} objects{}", v.objects_done, v.objects_total, sep);
}
}  // namespace

std::optional<double> estimate_eta(uint64_t done_bytes, uint64_t wanted_bytes, double rate_bps,
                                   size_t objects_started, size_t objects_total) {
  double wanted = static_cast<double>(wanted_bytes);
  if (objects_total > 0 && objects_started > 0 && objects_started < objects_total)
    wanted = wanted / static_cast<double>(objects_started) * static_cast<double>(objects_total);
  const double left = std::max(0.0, wanted - static_cast<double>(done_bytes));
  const bool all_started = objects_total == 0 || objects_started >= objects_total;
  if (left == 0 && all_started) return 0.0;
  if (rate_bps <= 0) return std::nullopt;
  return left / rate_bps;
}

std::string render_current(const std::vector<std::string>& names, size_t width) {
  if (names.empty()) return "";
  std::string out = "now ";
  size_t shown = 0;
  for (const std::string& n : names) {
    const std::string more = fmt::format(" +{}", names.size() - shown - 1);
    const std::string piece = (shown > 0 ? ", " : "") + n;
    // Room for this name and, unless it is the last, the count after it.
    const size_t need = columns(out) + columns(piece) + (shown + 1 < names.size() ? more.size() : 0);
    if (need > width && shown > 0) break;
    out += piece;
    ++shown;
  }
  if (shown < names.size()) out += fmt::format(" +{}", names.size() - shown);
  return out;
}

std::vector<std::string> render_status(const StatusView& v, size_t width) {
  std::string counters = objects_prefix(v, "  ") +
                         fmt::format("{} / {}  {:>3}%  {}/s  ETA {}  {}/{} conn", short_size(v.done_bytes),
                                     short_size(v.wanted_bytes), percent(v.done_bytes, v.wanted_bytes),
                                     short_size(static_cast<uint64_t>(std::max(0.0, v.rate_bps))),
                                     format_eta(v.eta_s), v.active, v.jobs);
  // One column spare: writing the last column makes some terminals wrap.
  const size_t room = width > 1 ? width - 1 : width;
  if (counters.size() > room) counters.resize(room);
  std::vector<std::string> lines;
  if (!v.cells.empty()) lines.push_back(render_map(v.cells, v.unicode));
  lines.push_back(std::move(counters));
  if (!v.current.empty()) lines.push_back(render_current(v.current, room));
  for (std::string& l : lines)
    if (columns(l) > room && !v.unicode) l.resize(room);
  return lines;
}

std::string render_plain(const StatusView& v) {
  return objects_prefix(v, ", ") +
         fmt::format("{} of {} ({}%), {}/s, ETA {}, {} of {} connections busy", short_size(v.done_bytes),
                     short_size(v.wanted_bytes), percent(v.done_bytes, v.wanted_bytes),
                     short_size(static_cast<uint64_t>(std::max(0.0, v.rate_bps))), format_eta(v.eta_s),
                     v.active, v.jobs) +
         (v.current.empty() ? "" : ", " + render_current(v.current, 60));
}

std::string render_frame(const std::vector<std::string>& lines, size_t previous_lines,
                         const std::string& above) {
  std::string out = "\r";
  if (previous_lines > 1) out += fmt::format("\x1b[{}A", previous_lines - 1);
  if (!above.empty()) out += "\x1b[J" + above;  // below the cursor only: the old frame
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    out += "\x1b[K";  // clears what an older, longer line left
    if (i + 1 < lines.size()) out += "\n";
  }
  // A frame with fewer lines than the last: clear the rest.
  if (lines.size() < previous_lines && above.empty()) out += "\x1b[J";
  return out;
}

ProgressDisplay::Mode ProgressDisplay::choose(bool force_on, bool force_off, bool quiet) {
  if (force_off || quiet) return Mode::kOff;
  if (force_on) return Mode::kLive;
  const char* ci = std::getenv("CI");
  const bool in_ci =
      ci != nullptr && *ci != '\0' && std::strcmp(ci, "false") != 0 && std::strcmp(ci, "0") != 0;
  if (::isatty(STDERR_FILENO) && !in_ci) return Mode::kLive;
  return Mode::kPlain;
}

ProgressDisplay::ProgressDisplay(Mode mode, bool quiet, ProgressMonitor& monitor, Clock::duration plain_every)
    : mode_(mode),
      quiet_(quiet),
      unicode_(utf8_locale()),
      monitor_(monitor),
      plain_every_(plain_every),
      last_plain_(Clock::now()) {
  // The run starts with nothing fetched: the first rate is measured from
  // here. Without it a plain line, the first sample of its own, said
  // "0 B/s, ETA --:--" at 22 MiB/s (issue 24).
  samples_.emplace_back(last_plain_, 0);
  if (mode_ != Mode::kOff) thread_ = std::thread([this] { run(); });
}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::put(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: nothing to tell anyone
    done += static_cast<size_t>(n);
  }
}

void ProgressDisplay::event(const std::string& line) {
  if (quiet_) return;
  std::lock_guard lock(mu_);
  const std::string text = "sparseio: " + line + "\n";
  if (mode_ != Mode::kLive || drawn_lines_ == 0 || finished_) {
    put(text);
    return;
  }
  // Above the status, which is redrawn below it at once.
  std::optional<ProgressSnapshot> s = monitor_.snapshot(map_cells(terminal_width()));
  std::vector<std::string> lines;
  if (s) lines = render_status(view_of(*s, Clock::now()), terminal_width());
  put(render_frame(lines, drawn_lines_, text));
  drawn_lines_ = lines.size();
}

StatusView ProgressDisplay::view_of(const ProgressSnapshot& s, Clock::time_point now) {
  StatusView v;
  v.done_bytes = s.done_bytes;
  v.wanted_bytes = s.wanted_bytes;
  v.active = s.active;
  v.jobs = s.jobs;
  v.cells = s.cells;
  v.objects_done = s.objects_done;
  v.objects_total = s.objects_total;
  v.unicode = unicode_;
  samples_.emplace_back(now, s.fetched_bytes);
  while (samples_.size() > 2 && now - samples_.front().first > kRateWindow) samples_.pop_front();
  const double dt = std::chrono::duration<double>(now - samples_.front().first).count();
  if (dt > 0.2) v.rate_bps = static_cast<double>(s.fetched_bytes - samples_.front().second) / dt;
  v.current = s.current_objects;
  v.eta_s = estimate_eta(s.done_bytes, s.wanted_bytes, v.rate_bps, s.objects_done + s.current_objects.size(),
                         s.objects_total);
  return v;
}

void ProgressDisplay::tick(bool final) {
  const Clock::time_point now = Clock::now();
  if (mode_ == Mode::kLive) {
    const size_t width = terminal_width();
    std::optional<ProgressSnapshot> s = monitor_.snapshot(map_cells(width));
    if (!s) return;
    std::vector<std::string> lines = render_status(view_of(*s, now), width);
    put(render_frame(lines, drawn_lines_) + (final ? "\n" : ""));
    drawn_lines_ = lines.size();
  } else if (mode_ == Mode::kPlain && !final && now - last_plain_ >= plain_every_) {
    std::optional<ProgressSnapshot> s = monitor_.snapshot(0);
    if (!s) return;
    last_plain_ = now;
    put("sparseio: " + render_plain(view_of(*s, now)) + "\n");
  }
}

void ProgressDisplay::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    tick(false);
    wake_.wait_for(lock, kFrame, [&] { return stopping_; });
  }
}

void ProgressDisplay::finish() {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  if (mode_ == Mode::kLive) tick(true);  // the final state stays on screen
  finished_ = true;
}

}  // namespace sparseio::cli
