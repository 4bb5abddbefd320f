// The conformance suite against the backends that need no server.
#include "tests/persistence/conformance_suite.h"

namespace synod::persistence::testing {
namespace {

SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(Memory, [] { return std::make_unique<MemoryFixture>(); });
SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(File,
                                      [] { return std::make_unique<TempDirFixture>("file"); });

}  // namespace
}  // namespace synod::persistence::testing
