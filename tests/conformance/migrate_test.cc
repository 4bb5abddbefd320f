// Export, import and migrate between backends, each with its verification
// pass: file -> export file -> sqlite, sqlite -> postgres (a real server),
// and damaged export files rejected before anything is written.
#include "persistence/migrate.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/conformance/server_fixtures.h"

namespace synod::persistence::testing {
namespace {

// The suite's sources are linked for its fixtures; its TEST_Ps run elsewhere.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StorageConformance);

constexpr NodeId kNode{4};

// A node's worth of state: hard state, a compacted log, a snapshot, records.
void fill(StorageBackend& b) {
  ASSERT_TRUE(b.stable().save({{Term(3), NodeId(2), LogIndex(40)}, "conf-1-2-3"}).is_ok());
  std::vector<Entry> entries;
  for (std::uint64_t i = 1; i <= 60; ++i) {
    entries.push_back({Term(1 + i / 25), LogIndex(i),
                       i % 7 == 0 ? EntryType::kNoop : EntryType::kNormal,
                       "cmd-" + std::to_string(i) + std::string(i, '\0')});
  }
  ASSERT_TRUE(b.log().append(entries).is_ok());
  ASSERT_TRUE(b.log().sync().is_ok());
  ASSERT_TRUE(b.log().compact_prefix(LogIndex(20)).is_ok());
  auto writer = b.snapshots().begin({LogIndex(20), Term(1), "conf-1-2-3"});
  ASSERT_TRUE(writer.is_ok());
  ASSERT_TRUE((*writer)->append(std::string(3 << 20, 's')).is_ok());  // several chunks
  ASSERT_TRUE((*writer)->append("tail").is_ok());
  ASSERT_TRUE((*writer)->commit().is_ok());
  AppliedBatch batch;
  batch.applied_index = LogIndex(38);
  batch.ops.push_back(RecordOp::put(
      Table::kKv, {"app/config",
                   {std::int64_t{0}, std::monostate{}, std::int64_t{5}, std::int64_t{9}},
                   "{\"v\":1}"}));
  batch.ops.push_back(RecordOp::put(
      Table::kSessions,
      {"sess-a", {std::string("lock"), std::string("n2"), std::string("10s")}, "{}"}));
  ASSERT_TRUE(b.applied_state().apply_batch(batch).is_ok());
}

void expect_filled(StorageBackend& b) {
  auto stable = b.stable().load();
  ASSERT_TRUE(stable.is_ok());
  EXPECT_EQ(stable->hard_state.commit, LogIndex(40));
  EXPECT_EQ(b.log().first_index(), LogIndex(21));
  EXPECT_EQ(b.log().last_index(), LogIndex(60));
  auto entries = b.log().read(LogIndex(59), LogIndex(61));
  ASSERT_TRUE(entries.is_ok());
  EXPECT_EQ((*entries)[1].data, "cmd-60" + std::string(60, '\0'));
  auto reader = b.snapshots().open_latest();
  ASSERT_TRUE(reader.is_ok()) << reader.status();
  auto data = read_all(**reader);
  ASSERT_TRUE(data.is_ok()) << data.status();
  EXPECT_EQ(data->size(), (3u << 20) + 4);
  auto applied = b.applied_state().applied_index();
  ASSERT_TRUE(applied.is_ok());
  EXPECT_EQ(*applied, LogIndex(38));
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("synod-migrate"); }
  void TearDown() override { remove_temp_dir(dir_); }
  std::unique_ptr<StorageBackend> open_local(const std::string& backend, const std::string& sub) {
    BackendOptions o;
    o.backend = backend;
    o.node_id = kNode;
    o.data_dir = dir_ + "/" + sub;
    auto b = open_backend(o);
    EXPECT_TRUE(b.is_ok()) << b.status();
    return b.is_ok() ? std::move(b).value() : nullptr;
  }
  std::string dir_;
};

TEST_F(MigrateTest, FileExportImportsIntoSqliteAndVerifies) {
  auto file = open_local("file", "file");
  ASSERT_TRUE(file);
  fill(*file);
  std::string dump = dir_ + "/node.dump";
  ASSERT_TRUE(export_state(*file, dump).is_ok());
  auto sqlite = open_local("sqlite", "sqlite");
  ASSERT_TRUE(sqlite);
  Status imported = import_state(dump, *sqlite);
  ASSERT_TRUE(imported.is_ok()) << imported;
  expect_filled(*sqlite);
  // A second import into the now non-empty target is refused.
  Status again = import_state(dump, *sqlite);
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition) << again;
}

TEST_F(MigrateTest, SqliteMigratesToPostgresAndVerifies) {
  auto sqlite = open_local("sqlite", "sqlite");
  ASSERT_TRUE(sqlite);
  fill(*sqlite);
  PostgresFixture pg;
  pg.set_up();
  auto postgres = open_backend(pg.options(kNode));
  ASSERT_TRUE(postgres.is_ok()) << postgres.status();
  Status migrated = migrate(*sqlite, **postgres);
  ASSERT_TRUE(migrated.is_ok()) << migrated;
  expect_filled(**postgres);
}

TEST_F(MigrateTest, CorruptedOrTruncatedExportIsRejectedBeforeWriting) {
  auto source = open_local("sqlite", "source");
  ASSERT_TRUE(source);
  fill(*source);
  std::string dump = dir_ + "/node.dump";
  ASSERT_TRUE(export_state(*source, dump).is_ok());
  std::string bytes;
  {
    std::ifstream in(dump, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  };
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x5A;
  write(dir_ + "/flipped.dump", flipped);
  write(dir_ + "/truncated.dump", bytes.substr(0, bytes.size() - 100));
  write(dir_ + "/garbage.dump", "hello, not a dump");

  auto target = open_local("sqlite", "target");
  ASSERT_TRUE(target);
  Status flip = import_state(dir_ + "/flipped.dump", *target);
  EXPECT_EQ(flip.code(), StatusCode::kCorruption) << flip;
  EXPECT_NE(flip.message().find("flipped.dump"), std::string::npos) << flip;
  EXPECT_NE(flip.message().find("checksum mismatch"), std::string::npos) << flip;
  Status cut = import_state(dir_ + "/truncated.dump", *target);
  EXPECT_EQ(cut.code(), StatusCode::kCorruption) << cut;
  EXPECT_NE(cut.message().find("truncated"), std::string::npos) << cut;
  Status garbage = import_state(dir_ + "/garbage.dump", *target);
  EXPECT_NE(garbage.message().find("not a synod export"), std::string::npos) << garbage;
  // Nothing reached the target.
  EXPECT_EQ(target->log().last_index(), LogIndex(0));
  EXPECT_TRUE(import_state(dump, *target).is_ok());
  expect_filled(*target);
}

}  // namespace
}  // namespace synod::persistence::testing
