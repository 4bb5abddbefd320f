// synod_test_servers_reap: stops throw-away PostgreSQL/Redis servers whose test
// process died without stopping them (a crash or a ctest timeout). Run by ctest
// as the cleanup fixture of every test that starts servers; servers of live
// test processes are left alone.
#include <cstdio>

#include "tests/harness/process_util.h"

int main() {
  int stopped = synod::test::reap_orphaned_servers();
  std::printf("synod_test_servers_reap: stopped %d orphaned server(s)\n", stopped);
  return 0;
}
