// The typed conformance suite every storage backend must pass.
//
// A backend joins by providing a BackendFixture (how to get fresh, empty
// BackendOptions for a node, e.g. a temp dir or a throw-away database) and
// instantiating the suite in its own test .cc:
//
//   namespace synod::persistence::testing {
//   SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(Sqlite, [] {
//     return std::make_unique<MySqliteFixture>();
//   });
//   }
//
// and listing tests/persistence/conformance_suite.cc in that test's SOURCES
// (the TEST_P bodies live there, once per executable).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "persistence/backend.h"

namespace synod::persistence::testing {

class BackendFixture {
 public:
  virtual ~BackendFixture() = default;
  // Called once per test before options(): make a fresh, empty namespace
  // (e.g. mkdtemp, or a new database/prefix on a shared server).
  virtual void set_up() {}
  // Called once per test after every backend it opened was destroyed.
  virtual void tear_down() {}
  // Options that open this backend for node; the same node id must reach the
  // same stored state on every call within one test.
  virtual BackendOptions options(NodeId node) = 0;
  // false for "memory": the reopen tests are then skipped (by design).
  [[nodiscard]] virtual bool survives_restart() const { return true; }
};

using FixtureMaker = std::function<std::unique_ptr<BackendFixture>()>;

struct ConformanceParam {
  std::string name;
  FixtureMaker make;
  friend void PrintTo(const ConformanceParam& p, std::ostream* os) { *os << p.name; }
};

// A fixture for backends that keep everything under BackendOptions::data_dir
// (file; sqlite with its default path): a fresh temp dir per test.
class TempDirFixture : public BackendFixture {
 public:
  explicit TempDirFixture(std::string backend) : backend_(std::move(backend)) {}
  void set_up() override;
  void tear_down() override;
  BackendOptions options(NodeId node) override;
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  std::string backend_;
  std::string dir_;
};

class MemoryFixture : public BackendFixture {
 public:
  BackendOptions options(NodeId node) override;
  [[nodiscard]] bool survives_restart() const override { return false; }
};

// A fresh temp directory (removed by remove_temp_dir).
std::string make_temp_dir(const std::string& prefix);
void remove_temp_dir(const std::string& dir);

class StorageConformance : public ::testing::TestWithParam<ConformanceParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens (or reopens: destroys the current one first) node's backend.
  StorageBackend& open(NodeId node = NodeId(1));
  void reopen() { open(node_); }
  BackendOptions& overrides() { return overrides_; }

  std::unique_ptr<BackendFixture> fixture_;
  std::unique_ptr<StorageBackend> backend_;
  NodeId node_{1};
  BackendOptions overrides_;  // segment_bytes / snapshots_retained applied on open
};

}  // namespace synod::persistence::testing

// Use inside namespace synod::persistence::testing (gtest pastes the suite
// name into identifiers, so it cannot be qualified).
#define SYNOD_INSTANTIATE_STORAGE_CONFORMANCE(Name, maker)                    \
  INSTANTIATE_TEST_SUITE_P(Name, StorageConformance,                          \
                           ::testing::Values(ConformanceParam{#Name, maker}), \
                           [](const auto& info) { return info.param.name; })
