// `synod failover-test`: drives a write/read/CAS load on a running (or freshly
// launched) local cluster while repeatedly killing, pausing or partitioning
// the leader; reports per round the write-unavailability window and the time
// to a new leader, and checks at the end that no acknowledged write was lost
// and that the recorded client history is linearizable.
#pragma once

#include <string>

namespace synod::node::cli {

struct FailoverTestOptions {
  std::string dir = "./synod-cluster";
  int launch = 0;         // >0: launch this many nodes in `dir` first
  int base_port = 18500;  // with --launch
  std::string backend = "file";
  int rounds = 3;
  std::string fault = "kill";  // kill | pause | partition | mixed
  int clients = 3;
  int keys = 6;
  int fault_ms = 2000;   // how long a pause or partition lasts
  int settle_ms = 1500;  // quiet load between rounds
  int op_timeout_ms = 2000;
  int election_timeout_ms = 15000;  // give up waiting for a new leader
  bool keep = false;                // leave a launched cluster running
};

int run_failover_test(const FailoverTestOptions& options, const std::string& output);

}  // namespace synod::node::cli
