#include "api/many.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/open_source.h"
#include "api/s3_objects.h"
#include "core/errors.h"
#include "core/log.h"
#include "core/range_list.h"
#include "core/relative_name.h"
#include "engine/scheduler.h"
#include "source/http/connection_pool.h"
#include "store/under_dir.h"

namespace sparseio {
namespace {

namespace fs = std::filesystem;

// The last path segment of a URL or s3:// spec (query and fragment dropped).
std::string remote_basename(const std::string& spec) {
  std::string s = spec.substr(0, spec.find_first_of("?#"));
  const size_t scheme = s.find("://");
  s = scheme == std::string::npos ? s : s.substr(scheme + 3);
  const size_t slash = s.find('/');
  if (slash == std::string::npos) return "";  // a host or bucket alone
  return s.substr(s.rfind('/') + 1);
}

void add_directory(const std::string& root, std::vector<ObjectJob>& out) {
  std::vector<ObjectJob> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec)
    throw Error(fmt::format("cannot read directory {}: {}", root, ec.message()), ErrorKind::kSourceMissing);
  for (; it != end; it.increment(ec)) {
    if (ec) throw Error(fmt::format("cannot read directory {}: {}", root, ec.message()));
    const fs::directory_entry& e = *it;
    const std::string rel = fs::relative(e.path(), root).generic_string();
    if (it.depth() == 0 && e.path().filename() == kSidecarDir) {
      it.disable_recursion_pending();  // an earlier DIR/'s sidecars are not objects
      continue;
    }
    if (e.is_symlink()) {
      log::warn("skipping {}: a symbolic link (not followed)", e.path().string());
      continue;
    }
    if (!e.is_regular_file()) continue;  // directories are walked; devices, FIFOs are no objects
    found.push_back({e.path().string(), rel, {}, {}});
  }
  // The walk's order is the filesystem's: sorted, runs and reports repeat.
  std::sort(found.begin(), found.end(),
            [](const ObjectJob& a, const ObjectJob& b) { return a.name < b.name; });
  out.insert(out.end(), found.begin(), found.end());
}

// The run's progress: the objects running now (their monitors, asked at
// each snapshot) and the last state of those finished, summed.
struct Combined {
  std::mutex mu;
  ProgressSnapshot finished;
  std::vector<std::pair<ProgressMonitor*, const std::string*>> active;  // monitor, object name
  size_t done = 0, total = 0;
};

}  // namespace

namespace {

// The name of a single object: the last segment of its path, URL or key.
std::string single_name(const std::string& src) {
  std::string local = src;  // "missing/" names "missing": it then fails as a missing source
  while (local.size() > 1 && local.ends_with('/')) local.pop_back();
  std::string name = is_remote(src) ? remote_basename(src) : fs::path(local).filename().string();
  if (auto why = relative_name_problem(name))
    throw UsageError(fmt::format("{}: no usable file name for it below the destination directory ({})",
                                 message_excerpt(src), *why));
  return name;
}

}  // namespace

std::vector<ObjectJob> parse_object_list(std::string_view text, const std::string& what) {
  std::vector<ObjectJob> jobs;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = line.substr(0, line.find('#'));
    std::vector<std::string> words;
    for (size_t at = 0; at < line.size();) {
      const size_t b = line.find_first_not_of(" \t\r", at);
      if (b == std::string_view::npos) break;
      const size_t e = std::min(line.find_first_of(" \t\r", b), line.size());
      words.emplace_back(line.substr(b, e - b));
      at = e;
    }
    if (words.empty()) continue;
    auto fail = [&](const std::string& why) {
      return UsageError(fmt::format("{}:{}: {}", what, line_no, why));
    };
    ObjectJob job;
    job.source = words[0];
    size_t next = 1;
    if (words.size() > 1) {
      bool is_ranges = true;
      try {
        (void)parse_range_list(words[1]);
      } catch (const UsageError&) {
        is_ranges = false;
      }
      if (!is_ranges) {
        if (auto why = relative_name_problem(words[1]))
          throw fail(fmt::format("refusing the name \"{}\": {}", message_excerpt(words[1]), *why));
        job.name = words[1];
        next = 2;
      }
    }
    try {
      if (job.name.empty()) job.name = single_name(job.source);
      for (; next < words.size(); ++next) {
        std::vector<RangeItem> items = parse_range_list(words[next]);
        job.ranges.insert(job.ranges.end(), items.begin(), items.end());
      }
    } catch (const UsageError& e) {
      throw fail(e.what());
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<ObjectJob> plan_objects(const std::vector<std::string>& sources) {
  return plan_objects(sources, {});
}

std::vector<ObjectJob> plan_objects(const std::vector<std::string>& sources, std::vector<ObjectJob> listed,
                                    const HttpOptions& http, const S3Options& s3) {
  std::vector<ObjectJob> jobs;
  for (const std::string& src : sources) {
    if (std::optional<S3Collection> c = s3_collection(src)) {
      std::vector<ObjectJob> found = list_s3_objects(src, *c, http, s3);
      jobs.insert(jobs.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
      continue;
    }
    struct stat st {};
    if (!is_remote(src) && ::stat(src.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      add_directory(src, jobs);
      continue;
    }
    jobs.push_back({src, single_name(src), {}, {}});
  }
  jobs.insert(jobs.end(), std::make_move_iterator(listed.begin()), std::make_move_iterator(listed.end()));
  std::map<std::string, const ObjectJob*> seen;
  for (const ObjectJob& j : jobs) {
    auto [at, fresh] = seen.emplace(j.name, &j);
    if (!fresh)
      throw UsageError(
          fmt::format("{} and {} would both be stored as {}", at->second->source, j.source, j.name));
  }
  if (jobs.empty()) throw UsageError("no objects: the sources given hold no files");
  return jobs;
}

std::string prepare_many_directory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw UsageError(fmt::format("{} is not a directory: with several objects DST must be one", dir));
  } else {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      throw Error(fmt::format("cannot create directory {}: {}", dir, ec.message()),
                  ErrorKind::kDestinationUnwritable);
  }
  std::string sidecars = dir + "/" + std::string(kSidecarDir);
  if (::mkdir(sidecars.c_str(), 0755) != 0 && errno != EEXIST)
    throw_errno(fmt::format("cannot create {}", sidecars), errno, ErrorKind::kDestinationUnwritable);
  if (::lstat(sidecars.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw DestinationConflictError(
        fmt::format("{} is not a directory (a symbolic link?); refusing it", sidecars));
  return sidecars;
}

ManyReport run_fetch_many(ManyCommand cmd) {
  const std::string& dir = cmd.directory;
  // A plan of many objects comes split into the objects' parts (jobs_from_plan).
  const bool planned = std::any_of(cmd.objects.begin(), cmd.objects.end(),
                                   [](const ObjectJob& j) { return j.planned != nullptr; });
  if (cmd.each.plan.shard || (!cmd.each.plan.manifest.empty() && !planned))
    throw UsageError("--plan and --shard take one object; with several, plan them first (plan --json)");
  const std::string sidecars = prepare_many_directory(dir);

  ManyReport report;
  report.directory = dir;
  std::vector<std::vector<RangeItem>> own_ranges;
  std::vector<std::optional<S3Listed>> listed;
  for (ObjectJob& j : cmd.objects) {
    own_ranges.push_back(std::move(j.ranges));
    listed.push_back(std::move(j.listed));
    ObjectOutcome o;
    o.source = j.source;
    o.name = j.name;
    report.objects.push_back(std::move(o));
  }

  ProgressMonitor* const caller = cmd.each.fetch.progress;
  Combined combined;
  combined.total = cmd.objects.size();
  if (caller)
    caller->attach([&combined](size_t) {
      std::lock_guard lock(combined.mu);
      ProgressSnapshot s = combined.finished;
      for (const auto& [m, name] : combined.active)
        if (auto a = m->snapshot(0)) {
          s.object_size += a->object_size;
          s.wanted_bytes += a->wanted_bytes;
          s.done_bytes += a->done_bytes;
          s.fetched_bytes += a->fetched_bytes;
          s.active += a->active;
          s.jobs += a->jobs;
          s.current_objects.push_back(*name);
        }
      s.objects_done = combined.done;
      s.objects_total = combined.total;
      return s;
    });

  // One pool of connections for every remote object of the run, capped by
  // --max-connections (or -j when that is more).
  const bool remote = std::any_of(cmd.objects.begin(), cmd.objects.end(),
                                  [](const ObjectJob& j) { return is_remote(j.source); });
  const unsigned cap =
      std::max(cmd.each.fetch.max_connections > 0 ? cmd.each.fetch.max_connections : kDefaultMaxConnections,
               cmd.each.fetch.jobs);
  std::mutex mu;               // guards next, running, workers and the wake-ups below
  std::condition_variable cv;  // an object ended, or the latency became known
  const std::shared_ptr<HttpConnectionPool> caller_pool =
      cmd.each.http.pool;  // a caller's: its observer stays
  std::shared_ptr<HttpConnectionPool> pool = caller_pool;
  if (remote && !pool) {
    pool = std::make_shared<HttpConnectionPool>(cap);
    pool->on_latency([&] {
      std::lock_guard lock(mu);
      cv.notify_all();
    });
    cmd.each.http.pool = pool;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto allowed = [&]() -> size_t {
    if (cmd.at_once > 0) return cmd.at_once;
    return objects_in_flight(remote, pool ? pool->latency_s() : 0, pool ? pool->connections() : cap, cores);
  };

  size_t next = 0, running = 0;
  std::atomic<bool> failed{false};
  const RunControl* control = cmd.each.fetch.control;
  auto fetch_one = [&](size_t i) {
    ObjectOutcome& out = report.objects[i];
    out.attempted = true;
    ProgressMonitor mine;
    {
      std::lock_guard lock(combined.mu);
      combined.active.emplace_back(&mine, &out.name);
    }
    capture_failure(out.error_kind, out.error, [&] {
      FetchCommand c = cmd.each;
      c.source = out.source;
      if (!own_ranges[i].empty()) c.ranges = own_ranges[i];
      c.s3.listed = listed[i];
      if (cmd.objects[i].planned) c.plan.planned = cmd.objects[i].planned;
      c.fetch.progress = &mine;
      out.path = c.destination = prepare_under(dir, out.name);
      c.dest.sidecar_path = prepare_under(sidecars, out.name + ".sparseio");
      out.report = run_fetch(std::move(c));
    });
    if (out.error_kind) failed = true;
    std::lock_guard lock(combined.mu);
    combined.active.erase(std::find_if(combined.active.begin(), combined.active.end(),
                                       [&](const auto& a) { return a.first == &mine; }));
    if (auto last = mine.snapshot(0)) {
      combined.finished.object_size += last->object_size;
      combined.finished.wanted_bytes += last->wanted_bytes;
      combined.finished.done_bytes += last->done_bytes;
      combined.finished.fetched_bytes += last->fetched_bytes;
    }
    ++combined.done;
  };
  auto stopping = [&] { return (cmd.fail_fast && failed) || (control && control->stop_requested()); };
  // A worker takes the next object while fewer than allowed() run; the
  // workers grow with allowed() (started below), never shrink: an object
  // ends before its worker takes another.
  auto work = [&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return next >= cmd.objects.size() || stopping() || running < allowed(); });
      if (next >= cmd.objects.size() || stopping()) break;
      const size_t i = next++;
      ++running;
      lock.unlock();
      fetch_one(i);
      lock.lock();
      --running;
      cv.notify_all();
    }
    cv.notify_all();  // the starter below waits for the end too
  };
  {
    std::vector<std::jthread> workers;  // joined before what they use goes
    std::unique_lock lock(mu);
    for (;;) {
      const size_t want = std::min(allowed(), cmd.objects.size());
      while (workers.size() < want) workers.emplace_back(work);
      if (next >= cmd.objects.size() || stopping()) break;
      cv.wait(lock);  // an object ended or the latency is known: allowed() may have changed
    }
    lock.unlock();
  }
  if (caller) caller->detach();
  if (pool && pool != caller_pool) pool->on_latency(nullptr);  // its observer refers to this frame
  return report;
}

unsigned objects_in_flight(bool remote, double latency_s, unsigned connections, unsigned cores) {
  const unsigned floor = std::min(kObjectsAtOnce, std::max(1u, connections));
  if (!remote || latency_s < kLatencyStartAtCap) return floor;
  const double want = std::max(1u, cores) * (1 + kObjectRoundTrips * latency_s / kObjectCpuSeconds);
  return static_cast<unsigned>(std::clamp(std::ceil(want), static_cast<double>(floor),
                                          static_cast<double>(std::max(floor, connections))));
}

bool is_many_destination(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         ::stat((path + "/" + std::string(kSidecarDir)).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

ManyReport run_stat_many(const std::string& directory, bool list_ranges) {
  const std::string sidecars = directory + "/" + std::string(kSidecarDir);
  constexpr std::string_view kSuffix = ".sparseio";
  ManyReport report;
  report.directory = directory;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(sidecars, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), sidecars).generic_string();
    if (it->is_symlink() || !it->is_regular_file() || !rel.ends_with(kSuffix)) continue;
    ObjectOutcome out;
    out.attempted = true;
    out.name = rel.substr(0, rel.size() - kSuffix.size());
    out.path = directory + "/" + out.name;
    try {
      if (auto why = relative_name_problem(out.name)) throw UsageError(*why);
      out.report = run_stat(out.path, list_ranges, it->path().string());
    } catch (const Error& e) {
      out.error_kind = e.kind();
      out.error = e.what();
    }
    report.objects.push_back(std::move(out));
  }
  if (ec) throw Error(fmt::format("cannot read {}: {}", sidecars, ec.message()));
  std::sort(report.objects.begin(), report.objects.end(),
            [](const ObjectOutcome& a, const ObjectOutcome& b) { return a.name < b.name; });
  return report;
}

std::optional<ErrorKind> many_failure_kind(const ManyReport& report) {
  std::optional<ErrorKind> kind;
  for (const ObjectOutcome& o : report.objects) {
    if (!o.error_kind) continue;
    if (kind && *kind != *o.error_kind) return ErrorKind::kFailure;
    kind = o.error_kind;
  }
  return kind;
}

namespace {

struct Totals {
  size_t ok = 0, failed = 0, skipped = 0;
  uint64_t logical = 0, present = 0, fetched = 0, requests = 0;
  double elapsed = 0;
};

Totals totals_of(const ManyReport& report) {
  Totals t;
  for (const ObjectOutcome& o : report.objects) {
    if (!o.attempted) ++t.skipped;
    if (o.error_kind) ++t.failed;
    if (!o.report) continue;
    ++t.ok;
    t.logical += o.report->logical_size;
    t.present += o.report->present_bytes;
    if (o.report->fetch) {
      t.fetched += o.report->fetch->fetched_bytes;
      t.requests += o.report->fetch->requests;
      t.elapsed = std::max(t.elapsed, o.report->fetch->elapsed_s);
    }
  }
  return t;
}

}  // namespace

std::string format_many_text(const ManyReport& report) {
  const Totals t = totals_of(report);
  std::string out;
  for (const ObjectOutcome& o : report.objects) {
    if (o.report)
      out +=
          fmt::format("ok      {}  {} of {} present{}\n", o.name, human_size(o.report->present_bytes),
                      human_size(o.report->logical_size),
                      o.report->fetch ? ", " + human_size(o.report->fetch->fetched_bytes) + " fetched" : "");
    else if (o.error_kind)
      out += fmt::format("FAILED  {}: {}\n", o.name, o.error);
    else
      out += fmt::format("skipped {} (--fail-fast)\n", o.name);
  }
  auto line = [&](std::string_view name, const std::string& value) {
    out += fmt::format("{:<16} {}\n", name, value);
  };
  line("directory", report.directory);
  line("objects", fmt::format("{} ({} ok, {} failed{})", report.objects.size(), t.ok, t.failed,
                              t.skipped > 0 ? fmt::format(", {} not attempted", t.skipped) : ""));
  line("logical_size", human_size(t.logical));
  line("present_bytes", human_size(t.present));
  bool any_fetch = std::any_of(report.objects.begin(), report.objects.end(),
                               [](const ObjectOutcome& o) { return o.report && o.report->fetch; });
  if (any_fetch) {
    line("fetched_bytes", human_size(t.fetched));
    line("requests", std::to_string(t.requests));
  }
  return out;
}

std::string format_many_json(const ManyReport& report) {
  const Totals t = totals_of(report);
  nlohmann::ordered_json j;
  j["version"] = kReportVersion;
  j["directory"] = report.directory;
  j["objects_total"] = report.objects.size();
  j["objects_ok"] = t.ok;
  j["objects_failed"] = t.failed;
  j["objects_not_attempted"] = t.skipped;
  j["logical_size"] = t.logical;
  j["present_bytes"] = t.present;
  j["fetched_bytes"] = t.fetched;
  j["requests"] = t.requests;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ObjectOutcome& o : report.objects) {
    nlohmann::ordered_json e;
    e["name"] = o.name;
    if (!o.source.empty()) e["source"] = o.source;
    e["path"] = o.path.empty() ? report.directory + "/" + o.name : o.path;
    e["attempted"] = o.attempted;
    if (o.report) e["report"] = nlohmann::ordered_json::parse(format_report_json(*o.report));
    if (o.error_kind) e["error"] = {{"kind", error_kind_name(*o.error_kind)}, {"message", o.error}};
    list.push_back(std::move(e));
  }
  j["objects"] = std::move(list);
  return j.dump() + "\n";
}

}  // namespace sparseio
