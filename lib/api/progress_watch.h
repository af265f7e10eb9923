// Options::on_progress for the facade: a thread that takes the run's
// progress snapshot every progress_interval_s and hands it to the program's
// handler, and stops the run when the handler says so.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/commands.h"
#include "core/run_control.h"
#include "engine/progress.h"
#include "sparseio/options.h"

namespace sparseio {

class ProgressWatch {
 public:
  // Without a handler, does nothing (no thread).
  explicit ProgressWatch(const Options& options);
  // The last call to the handler (the final state), then joins.
  ~ProgressWatch();
  ProgressWatch(const ProgressWatch&) = delete;
  ProgressWatch& operator=(const ProgressWatch&) = delete;

  // Lets `cmd` report progress here and be stopped from here.
  void attach(FetchCommand& cmd);
  // The same for one call on a coordinator shared with other calls (a
  // handle's): its stop and monitor, both null without a handler.
  FetchCall call();
  // For a call that is not one fetch (a handle's read of many pieces): it
  // reports through `provider` instead, and asks stopped() between steps.
  void watch(ProgressMonitor::Provider provider);
  bool stopped() const { return control_.stop_requested(); }
  // Starts calling the handler (after attach, before the run).
  void start();

 private:
  void run(std::stop_token stop);
  bool call_handler();  // false: the handler asked to stop

  ProgressHandler handler_;
  double interval_s_;
  RunControl control_;
  ProgressMonitor monitor_;
  std::mutex mu_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace sparseio
