// Many objects in one run (sparseio fetch SRC1 SRC2 ... DIR/, a local
// directory, stat DIR/): which objects the sources name and where each
// lands (plan_objects), fetching them a few at a time (run_fetch_many), the
// per-object outcomes and the run's totals (format_many_*), and the run's
// failure kind (many_failure_kind). The CLI prints; nothing here does.
//
// Layout of a directory DST: each object at DIR/NAME, NAME its path below
// the directory given (the basename for a file, URL or S3 key); its sidecar
// at DIR/.sparseio/NAME.sparseio, so that a reader globbing DIR/*.parquet
// finds only data. Names are checked by core/relative_name.h and created by
// store/under_dir.h (no symlink followed): nothing outside DIR is created.
//
// What objects share: the RunControl (a stop ends the run), the caller's
// ProgressMonitor (a combined view) and, for remote objects, one
// HttpConnectionPool (source/http/connection_pool.h): a connection opened
// for one object serves the next, and --max-connections bounds the run's
// connections, not each object's. Each object keeps its own ObjectCore
// (source, DST with its lock and sidecar, coordinator and scheduler), so it
// claims only bytes written to its DST, exactly as a single fetch does.
//
// How many objects run at once follows the link (objects_in_flight): an
// object waits on a few round trips (discovery, planning, its GETs), each
// using one connection or a few, so behind 100 ms a run of 200 objects at 4
// at a time waits 50 × ~4 round trips; the objects in flight grow as soon
// as the first answer tells the latency. Memory: each object in flight
// holds its DST's claim log and coverage map, its coordinator's threads
// (as many as its pieces in flight) and one libcurl easy handle per request
// of its in flight (a 512 KiB receive buffer each): about 1 MiB an object
// for Parquet-like reads, so 64 objects in flight stay under ~64 MiB.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/commands.h"
#include "api/report.h"
#include "core/errors.h"
#include "engine/progress.h"

namespace sparseio {

// One object of a run: a source, its name below DIR and, from a --from
// line, its own ranges (empty: the run's); from an S3 listing, the size and
// ETag it gave (no HEAD is then sent for the object).
struct ObjectJob {
  std::string source;
  std::string name;
  std::vector<RangeItem> ranges;
  std::optional<S3Listed> listed;
  // fetch --plan of many objects (api/plan_many.h): this object's part of
  // the plan and the identity it was planned against; replaces `ranges`.
  std::shared_ptr<const plan::Manifest> planned = nullptr;
};

// Pure: parses a source list (fetch --from LIST): one object a line,
// "SRC [NAME] [RANGES...]", words separated by blanks, '#' starting a
// comment, blank lines ignored. The second word is NAME (the object's place
// below DIR) unless it parses as a range list; NAME must pass
// relative_name_problem. Without NAME the object is named as plan_objects
// names a file (its last path segment). A bad line is a UsageError naming
// `what` and the line number. A local directory is not expanded here.
std::vector<ObjectJob> parse_object_list(std::string_view text, const std::string& what);

// The jobs of plan_objects(sources) followed by `listed`, with the same
// checks (no two with one name). An S3 prefix or glob among `sources`
// (api/s3_objects.h) is listed with `http` and `s3`, and stands for the
// objects it names.
std::vector<ObjectJob> plan_objects(const std::vector<std::string>& sources, std::vector<ObjectJob> listed,
                                    const HttpOptions& http = {}, const S3Options& s3 = {});

// The objects `sources` name: a local directory stands for every regular
// file below it (recursively; symbolic links are skipped and logged, never
// followed; a top-level .sparseio/ folder is skipped), an S3 prefix or glob
// for the objects its listing names (without credentials options: the
// environment's), anything else for one
// object named by its last path segment. Throws UsageError for a source
// that yields no usable name, or naming both sources that map to one name.
std::vector<ObjectJob> plan_objects(const std::vector<std::string>& sources);

// Objects fetched at once for local sources, and for remote ones until the
// first answer tells the latency, or when it is below kLatencyStartAtCap
// (loopback, a LAN): there the CPU, not the link, is the limit, and 4 keep
// a 2-core machine busy.
inline constexpr unsigned kObjectsAtOnce = 4;
// Round trips an object waits on before its last bytes arrive: discovery
// (HEAD), planning (a footer or a directory), the GETs of its ranges.
inline constexpr double kObjectRoundTrips = 3;
// CPU an object costs the run (discovery, open and lock DST, create the
// sidecar, plan, fetch 256 KiB, commit): 50 Parquet files behind 20 ms took
// 0.15 s of user+sys in one run on the 2-core benchmark machine (3 ms
// each; scripts/bench --only objects --quick), rounded up.
inline constexpr double kObjectCpuSeconds = 0.004;

// Pure: how many objects to keep in flight. Enough that the cores stay busy
// while each object in flight waits on its round trips: cores × (1 +
// kObjectRoundTrips × latency / kObjectCpuSeconds) (each object runs a CPU
// burst between round trips), within [kObjectsAtOnce, connections] (an
// object in flight uses a connection at least while it discovers and
// plans; more would only queue for one). `latency_s` 0: unknown.
// `remote`: some object is reached over the network.
unsigned objects_in_flight(bool remote, double latency_s, unsigned connections, unsigned cores);

struct ManyCommand {
  std::vector<ObjectJob> objects;  // from plan_objects
  std::string directory;           // DIR: created when missing
  // Ranges, plan (--select), options and control for every object; its
  // source and destination are set per object. fetch.progress is the
  // run's combined view (objects done/total, bytes of all objects).
  FetchCommand each;
  // Objects at once; 0: follow the link (objects_in_flight).
  unsigned at_once = 0;
  bool fail_fast = false;  // start no object after the first failure
};

struct ObjectOutcome {
  std::string source, name, path;
  std::optional<Report> report;         // when it succeeded
  std::optional<ErrorKind> error_kind;  // when it failed
  std::string error;                    // its message
  bool attempted = false;               // false: --fail-fast stopped the run before it
};

// Runs `work` for one object of a many-object command; an exception it
// throws becomes that object's failure (an Error's kind, else kFailure, and
// its message) instead of ending the run. The one place fetch, plan and
// verify of many objects turn a failure into an outcome.
template <class Work>
void capture_failure(std::optional<ErrorKind>& kind, std::string& message, Work&& work) {
  try {
    work();
  } catch (const Error& e) {
    kind = e.kind();
    message = e.what();
  } catch (const std::exception& e) {
    kind = ErrorKind::kFailure;
    message = e.what();
  }
}

struct ManyReport {
  std::string directory;
  std::vector<ObjectOutcome> objects;  // in the order planned
};

// Fetches every object (every one is attempted unless fail_fast). Throws
// UsageError when DIR exists and is not a directory; an object's failure is
// its outcome, not an exception.
ManyReport run_fetch_many(ManyCommand cmd);

// Makes DIR (when missing) and DIR/.sparseio/ and returns the latter.
// Throws UsageError when DIR exists and is not a directory,
// DestinationConflictError when .sparseio is not a directory.
std::string prepare_many_directory(const std::string& dir);

// True when `path` is a directory DST (a directory holding .sparseio/).
bool is_many_destination(const std::string& path);

// stat DIR/: the report of every destination whose sidecar is under
// DIR/.sparseio/ (a destination that cannot be read is a failed outcome).
ManyReport run_stat_many(const std::string& directory, bool list_ranges = false);

// Pure: the run's failure kind: nullopt when nothing failed, the kind all
// failures share, else kFailure.
std::optional<ErrorKind> many_failure_kind(const ManyReport& report);

// Totals and one line per object ("ok NAME ..." / "FAILED NAME: why").
std::string format_many_text(const ManyReport& report);
// One JSON object: the totals and an "objects" array, each object's report
// (as format_report_json) or its error.
std::string format_many_json(const ManyReport& report);

}  // namespace sparseio
