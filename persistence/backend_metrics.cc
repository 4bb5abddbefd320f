#include "persistence/backend_metrics.h"

namespace synod::persistence {
namespace {

metrics::Labels backend_label(std::string_view backend) {
  return {{"backend", std::string(backend)}};
}

metrics::Counter& error_counter(const std::string& backend, std::string_view op) {
  return metrics::Registry::global().counter("synod_persistence_errors_total",
                                             "Storage backend operations that failed",
                                             {{"backend", backend}, {"op", std::string(op)}});
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

BackendMetrics::BackendMetrics(std::string_view backend)
    : backend_(backend),
      append_seconds_(metrics::Registry::global().histogram(
          "synod_persistence_append_seconds", "Time to append one batch to the log store",
          backend_label(backend))),
      sync_seconds_(metrics::Registry::global().histogram("synod_persistence_sync_seconds",
                                                          "Time to make appended data durable",
                                                          backend_label(backend))),
      bytes_written_(metrics::Registry::global().counter("synod_persistence_bytes_written_total",
                                                         "Bytes written by the storage backend",
                                                         backend_label(backend))) {}

void BackendMetrics::observe_append(std::chrono::nanoseconds elapsed, std::uint64_t bytes) const {
  append_seconds_.observe(seconds(elapsed));
  add_bytes_written(bytes);
}

void BackendMetrics::observe_sync(std::chrono::nanoseconds elapsed) const {
  sync_seconds_.observe(seconds(elapsed));
}

void BackendMetrics::add_bytes_written(std::uint64_t bytes) const {
  bytes_written_.inc(static_cast<double>(bytes));
}

void BackendMetrics::count_error(std::string_view op) const { error_counter(backend_, op).inc(); }

Status BackendMetrics::track(std::string_view op, Status status) const {
  if (!status.is_ok()) count_error(op);
  return status;
}

double BackendMetrics::errors(std::string_view op) const {
  return error_counter(backend_, op).value();
}

}  // namespace synod::persistence
