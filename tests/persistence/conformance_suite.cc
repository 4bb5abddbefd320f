// The conformance tests: every behaviour the persistence interfaces promise,
// checked the same way against every backend (see conformance_suite.h).
#include "tests/persistence/conformance_suite.h"

#include <cstdlib>
#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/persistence/test_entries.h"
#include "tests/persistence/test_status.h"

namespace synod::persistence::testing {

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) ADD_FAILURE() << "mkdtemp " << pattern << " failed";
  return pattern;
}

void remove_temp_dir(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

void TempDirFixture::set_up() { dir_ = make_temp_dir("synod-" + backend_); }
void TempDirFixture::tear_down() { remove_temp_dir(dir_); }
BackendOptions TempDirFixture::options(NodeId node) {
  BackendOptions o;
  o.backend = backend_;
  o.node_id = node;
  o.data_dir = dir_;
  return o;
}

BackendOptions MemoryFixture::options(NodeId node) {
  BackendOptions o;
  o.backend = "memory";
  o.node_id = node;
  return o;
}

void StorageConformance::SetUp() {
  fixture_ = GetParam().make();
  fixture_->set_up();
  overrides_.snapshots_retained = 2;
  open();
}

void StorageConformance::TearDown() {
  backend_.reset();
  fixture_->tear_down();
}

StorageBackend& StorageConformance::open(NodeId node) {
  backend_.reset();
  node_ = node;
  BackendOptions options = fixture_->options(node);
  options.segment_bytes = overrides_.segment_bytes;
  options.snapshots_retained = overrides_.snapshots_retained;
  auto opened = open_backend(options);
  EXPECT_TRUE(opened.is_ok()) << opened.status();
  if (opened.is_ok()) backend_ = std::move(opened).value();
  return *backend_;
}

namespace {

#define SYNOD_REQUIRE_RESTART_SURVIVAL() \
  if (!fixture_->survives_restart()) GTEST_SKIP() << "backend keeps nothing across restarts"

std::vector<Entry> read_all_entries(LogStore& log) {
  auto r = log.read(log.first_index(), log.last_index().next());
  EXPECT_TRUE(r.is_ok()) << r.status();
  return r.is_ok() ? *r : std::vector<Entry>{};
}

Record session_record(const std::string& id, const std::string& node) {
  return Record{id,
                {std::string("lock-" + id), node, std::string("15s"), std::string("release"),
                 std::string("15s"), std::string("serfHealth"), std::int64_t{42}},
                "{\"ID\":\"" + id + "\"}"};
}

std::vector<std::pair<Table, Record>> load_records(AppliedStateStore& store) {
  std::vector<std::pair<Table, Record>> out;
  Status s = store.load_all([&](Table t, const Record& r) {
    out.emplace_back(t, r);
    return Status::ok();
  });
  EXPECT_TRUE(s.is_ok()) << s;
  return out;
}

// ---- LogStore --------------------------------------------------------------

TEST_P(StorageConformance, EmptyLogHasNoEntries) {
  LogStore& log = backend_->log();
  EXPECT_EQ(log.first_index(), LogIndex(1));
  EXPECT_EQ(log.last_index(), LogIndex(0));
  EXPECT_EQ(log.durable_index(), LogIndex(0));
  ASSERT_OK(log.term_at(LogIndex(0)));
  EXPECT_EQ(*log.term_at(LogIndex(0)), Term(0));
  EXPECT_CODE(log.term_at(LogIndex(1)), StatusCode::kOutOfRange);
  auto empty = log.read(LogIndex(1), LogIndex(1));
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  EXPECT_CODE(log.read(LogIndex(1), LogIndex(2)), StatusCode::kOutOfRange);
  ASSERT_OK(log.sync());
}

TEST_P(StorageConformance, AppendedEntriesReadBackBeforeAndAfterSync) {
  LogStore& log = backend_->log();
  auto entries = make_entries(1, 10);
  ASSERT_OK(log.append(entries));
  EXPECT_EQ(log.last_index(), LogIndex(10));
  EXPECT_LE(log.durable_index(), log.last_index());
  EXPECT_EQ(read_all_entries(log), entries);
  ASSERT_OK(log.sync());
  EXPECT_EQ(log.durable_index(), LogIndex(10));
  auto middle = log.read(LogIndex(3), LogIndex(6));
  ASSERT_OK(middle);
  EXPECT_EQ(*middle, std::vector<Entry>(entries.begin() + 2, entries.begin() + 5));
  EXPECT_EQ(*log.term_at(LogIndex(7)), Term(1));
}

TEST_P(StorageConformance, AppendRejectsGapsAndOverlaps) {
  LogStore& log = backend_->log();
  EXPECT_CODE(log.append(make_entries(2, 3)), StatusCode::kInvalidArgument);
  ASSERT_OK(log.append(make_entries(1, 3)));
  EXPECT_CODE(log.append(make_entries(3, 4)), StatusCode::kInvalidArgument);
  EXPECT_CODE(log.append(make_entries(5, 6)), StatusCode::kInvalidArgument);
  std::vector<Entry> not_contiguous = {make_entry(4, 1), make_entry(6, 1)};
  EXPECT_CODE(log.append(not_contiguous), StatusCode::kInvalidArgument);
  ASSERT_OK(log.append({}));
  EXPECT_EQ(log.last_index(), LogIndex(3));
}

TEST_P(StorageConformance, ManyBatchesOneSyncMakesAllDurable) {
  LogStore& log = backend_->log();
  for (std::uint64_t i = 1; i <= 100; i += 10) ASSERT_OK(log.append(make_entries(i, i + 9)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(log.durable_index(), LogIndex(100));
  EXPECT_EQ(read_all_entries(log).size(), 100u);
}

TEST_P(StorageConformance, ReadStopsAtByteLimitButReturnsAtLeastOneEntry) {
  LogStore& log = backend_->log();
  ASSERT_OK(log.append(make_entries(1, 10, 1, 100)));  // byte_size() 124 each
  auto two = log.read(LogIndex(1), LogIndex(11), 250);
  ASSERT_OK(two);
  EXPECT_EQ(two->size(), 2u);
  auto one = log.read(LogIndex(4), LogIndex(11), 1);
  ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].index, LogIndex(4));
  auto all = log.read(LogIndex(1), LogIndex(11), 0);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 10u);
  EXPECT_CODE(log.read(LogIndex(5), LogIndex(4)), StatusCode::kInvalidArgument);
}

TEST_P(StorageConformance, TruncateSuffixThenAppendReplacesConflictingEntries) {
  LogStore& log = backend_->log();
  ASSERT_OK(log.append(make_entries(1, 10)));
  ASSERT_OK(log.sync());
  ASSERT_OK(log.truncate_suffix(LogIndex(6)));
  EXPECT_EQ(log.last_index(), LogIndex(5));
  EXPECT_LE(log.durable_index(), LogIndex(5));
  EXPECT_CODE(log.term_at(LogIndex(6)), StatusCode::kOutOfRange);
  ASSERT_OK(log.append(make_entries(6, 8, 2)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(log.durable_index(), LogIndex(8));
  EXPECT_EQ(*log.term_at(LogIndex(5)), Term(1));
  EXPECT_EQ(*log.term_at(LogIndex(6)), Term(2));
  auto expected = make_entries(1, 5);
  for (auto& e : make_entries(6, 8, 2)) expected.push_back(e);
  EXPECT_EQ(read_all_entries(log), expected);
}

TEST_P(StorageConformance, TruncateEverythingAndAtEndAreAllowed) {
  LogStore& log = backend_->log();
  ASSERT_OK(log.append(make_entries(1, 5)));
  ASSERT_OK(log.truncate_suffix(LogIndex(6)));  // nothing to remove
  EXPECT_EQ(log.last_index(), LogIndex(5));
  ASSERT_OK(log.truncate_suffix(LogIndex(1)));
  EXPECT_EQ(log.last_index(), LogIndex(0));
  EXPECT_EQ(log.durable_index(), LogIndex(0));
  EXPECT_CODE(log.truncate_suffix(LogIndex(3)), StatusCode::kOutOfRange);
  ASSERT_OK(log.append(make_entries(1, 2, 3)));
  EXPECT_EQ(*log.term_at(LogIndex(2)), Term(3));
}

TEST_P(StorageConformance, CompactPrefixKeepsTheBoundaryTerm) {
  LogStore& log = backend_->log();
  ASSERT_OK(log.append(make_entries(1, 10, 1)));
  ASSERT_OK(log.append(make_entries(11, 20, 2)));
  ASSERT_OK(log.sync());
  ASSERT_OK(log.compact_prefix(LogIndex(12)));
  EXPECT_EQ(log.first_index(), LogIndex(13));
  EXPECT_EQ(*log.term_at(LogIndex(12)), Term(2));
  EXPECT_CODE(log.term_at(LogIndex(11)), StatusCode::kOutOfRange);
  EXPECT_CODE(log.read(LogIndex(5), LogIndex(15)), StatusCode::kOutOfRange);
  auto rest = log.read(LogIndex(13), LogIndex(21));
  ASSERT_OK(rest);
  EXPECT_EQ(*rest, make_entries(13, 20, 2));
  ASSERT_OK(log.compact_prefix(LogIndex(12)));  // idempotent
  EXPECT_CODE(log.compact_prefix(LogIndex(5)), StatusCode::kOutOfRange);
  EXPECT_CODE(log.compact_prefix(LogIndex(21)), StatusCode::kOutOfRange);
  ASSERT_OK(log.compact_prefix(LogIndex(20)));  // the whole log
  EXPECT_EQ(log.first_index(), LogIndex(21));
  EXPECT_EQ(log.last_index(), LogIndex(20));
  EXPECT_EQ(*log.term_at(LogIndex(20)), Term(2));
  ASSERT_OK(log.append(make_entries(21, 22, 3)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(read_all_entries(log), make_entries(21, 22, 3));
}

TEST_P(StorageConformance, ResetRestartsTheLogAfterASnapshot) {
  LogStore& log = backend_->log();
  ASSERT_OK(log.append(make_entries(1, 10)));
  ASSERT_OK(log.reset(LogIndex(100), Term(7)));
  EXPECT_EQ(log.first_index(), LogIndex(101));
  EXPECT_EQ(log.last_index(), LogIndex(100));
  EXPECT_EQ(log.durable_index(), LogIndex(100));
  EXPECT_EQ(*log.term_at(LogIndex(100)), Term(7));
  EXPECT_CODE(log.append(make_entries(11, 12)), StatusCode::kInvalidArgument);
  ASSERT_OK(log.append(make_entries(101, 103, 7)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(read_all_entries(log), make_entries(101, 103, 7));
}

TEST_P(StorageConformance, SegmentBoundariesAreInvisible) {
  overrides().segment_bytes = 2048;  // file: a new segment every ~20 entries
  open();
  LogStore& log = backend_->log();
  for (std::uint64_t i = 1; i <= 200; i += 7) ASSERT_OK(log.append(make_entries(i, i + 6, 1, 90)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(read_all_entries(log), make_entries(1, 203, 1, 90));
  ASSERT_OK(log.truncate_suffix(LogIndex(77)));
  ASSERT_OK(log.append(make_entries(77, 90, 2, 90)));
  ASSERT_OK(log.compact_prefix(LogIndex(41)));
  ASSERT_OK(log.sync());
  auto limited = log.read(LogIndex(42), LogIndex(91), 1000);
  ASSERT_OK(limited);
  EXPECT_EQ(limited->size(), 8u);  // 8 * 114 bytes
  auto expected = make_entries(42, 76, 1, 90);
  for (auto& e : make_entries(77, 90, 2, 90)) expected.push_back(e);
  EXPECT_EQ(read_all_entries(log), expected);
  if (!fixture_->survives_restart()) return;
  reopen();
  EXPECT_LE(backend_->log().first_index(), LogIndex(42));
  auto after = backend_->log().read(LogIndex(42), LogIndex(91));
  ASSERT_OK(after);
  EXPECT_EQ(*after, expected);
}

TEST_P(StorageConformance, SyncedEntriesSurviveReopen) {
  SYNOD_REQUIRE_RESTART_SURVIVAL();
  ASSERT_OK(backend_->log().append(make_entries(1, 50)));
  ASSERT_OK(backend_->log().sync());
  reopen();
  LogStore& log = backend_->log();
  EXPECT_EQ(log.last_index(), LogIndex(50));
  EXPECT_EQ(log.durable_index(), LogIndex(50));
  EXPECT_EQ(read_all_entries(log), make_entries(1, 50));
  ASSERT_OK(log.append(make_entries(51, 52)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(log.last_index(), LogIndex(52));
}

TEST_P(StorageConformance, TruncationCompactionAndResetSurviveReopen) {
  SYNOD_REQUIRE_RESTART_SURVIVAL();
  LogStore* log = &backend_->log();
  ASSERT_OK(log->append(make_entries(1, 30)));
  ASSERT_OK(log->sync());
  ASSERT_OK(log->truncate_suffix(LogIndex(21)));
  ASSERT_OK(log->compact_prefix(LogIndex(10)));
  reopen();
  log = &backend_->log();
  EXPECT_EQ(log->last_index(), LogIndex(20));
  EXPECT_LE(log->first_index(), LogIndex(11));  // compaction need not be durable
  auto kept = log->read(LogIndex(11), LogIndex(21));
  ASSERT_OK(kept);
  EXPECT_EQ(*kept, make_entries(11, 20));
  ASSERT_OK(log->reset(LogIndex(500), Term(9)));
  reopen();
  log = &backend_->log();
  EXPECT_EQ(log->first_index(), LogIndex(501));
  EXPECT_EQ(log->last_index(), LogIndex(500));
  EXPECT_EQ(*log->term_at(LogIndex(500)), Term(9));
}

TEST_P(StorageConformance, SyncAndReadsRunConcurrentlyWithAppends) {
  LogStore& log = backend_->log();
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  std::thread syncer([&] {
    LogIndex seen;
    while (!done.load()) {
      if (!log.sync().is_ok()) ++violations;
      LogIndex durable = log.durable_index();
      if (durable < seen || durable > log.last_index()) ++violations;
      seen = durable;
    }
  });
  std::thread reader([&] {
    while (!done.load()) {
      LogIndex last = log.last_index();
      if (last == LogIndex(0)) continue;
      auto r = log.read(last.value() > 10 ? last - 10 : LogIndex(1), last.next());
      if (!r.is_ok()) {
        ++violations;
        continue;
      }
      for (const Entry& e : *r) {
        if (!entry_intact(e, 64)) ++violations;
      }
    }
  });
  for (std::uint64_t i = 1; i <= 1000; i += 10) ASSERT_OK(log.append(make_entries(i, i + 9)));
  done = true;
  syncer.join();
  reader.join();
  EXPECT_EQ(violations.load(), 0);
  ASSERT_OK(log.sync());
  EXPECT_EQ(log.durable_index(), LogIndex(1000));
}

// ---- StableStore -----------------------------------------------------------

TEST_P(StorageConformance, StableStoreStartsEmptyAndKeepsTheLastSave) {
  StableStore& stable = backend_->stable();
  auto initial = stable.load();
  ASSERT_OK(initial);
  EXPECT_EQ(*initial, StableState{});
  StableState first{{Term(3), NodeId(2), LogIndex(10)}, "conf-a"};
  StableState second{{Term(4), kNoNode, LogIndex(12)}, std::string("conf\0b", 6)};
  ASSERT_OK(stable.save(first));
  ASSERT_OK(stable.save(second));
  EXPECT_EQ(*stable.load(), second);
  if (!fixture_->survives_restart()) return;
  reopen();
  EXPECT_EQ(*backend_->stable().load(), second);
}

// ---- SnapshotStore ---------------------------------------------------------

Status write_snapshot(SnapshotStore& store, const SnapshotMeta& meta, const Bytes& data,
                      std::size_t chunk) {
  SYNOD_ASSIGN_OR_RETURN(auto writer, store.begin(meta));
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    SYNOD_RETURN_IF_ERROR(writer->append(ByteView(data).substr(at, chunk)));
  }
  return writer->commit();
}

Bytes snapshot_data(std::uint64_t index, std::size_t size) {
  return entry_payload(index, 99, size);
}

TEST_P(StorageConformance, NoSnapshotIsNotFound) {
  EXPECT_CODE(backend_->snapshots().open_latest(), StatusCode::kNotFound);
  auto list = backend_->snapshots().list();
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
}

TEST_P(StorageConformance, SnapshotWrittenInChunksReadsBackWhole) {
  SnapshotStore& store = backend_->snapshots();
  SnapshotMeta meta{LogIndex(40), Term(3), "members:1,2,3"};
  Bytes data = snapshot_data(40, 300000);
  ASSERT_OK(write_snapshot(store, meta, data, 65536 + 7));
  auto reader = store.open_latest();
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->meta(), meta);
  EXPECT_EQ((*reader)->size(), data.size());
  auto read = read_all(**reader, 10000);
  ASSERT_OK(read);
  EXPECT_EQ(*read, data);
  auto list = store.list();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], (SnapshotInfo{meta, data.size()}));
}

TEST_P(StorageConformance, EmptySnapshotIsValid) {
  SnapshotMeta meta{LogIndex(1), Term(1), ""};
  ASSERT_OK(write_snapshot(backend_->snapshots(), meta, "", 10));
  auto reader = backend_->snapshots().open_latest();
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->size(), 0u);
  auto data = read_all(**reader);
  ASSERT_OK(data);
  EXPECT_TRUE(data->empty());
}

TEST_P(StorageConformance, OnlyTheNewestSnapshotsAreRetained) {
  SnapshotStore& store = backend_->snapshots();  // retained: 2
  for (std::uint64_t i = 1; i <= 4; ++i) {
    ASSERT_OK(write_snapshot(store, {LogIndex(i * 10), Term(1), "c"}, snapshot_data(i, 100), 33));
  }
  auto list = store.list();
  ASSERT_OK(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].meta.index, LogIndex(40));
  EXPECT_EQ((*list)[1].meta.index, LogIndex(30));
  auto reader = store.open_latest();
  ASSERT_OK(reader);
  EXPECT_EQ(*read_all(**reader), snapshot_data(4, 100));
}

TEST_P(StorageConformance, AbandonedSnapshotLeavesThePreviousOne) {
  SnapshotStore& store = backend_->snapshots();
  ASSERT_OK(write_snapshot(store, {LogIndex(10), Term(1), "c"}, "old", 10));
  {
    auto writer = store.begin({LogIndex(20), Term(2), "c"});
    ASSERT_OK(writer);
    ASSERT_OK((*writer)->append("never committed"));
  }
  auto reader = store.open_latest();
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->meta().index, LogIndex(10));
  EXPECT_EQ(*read_all(**reader), "old");
  EXPECT_EQ(store.list()->size(), 1u);
}

TEST_P(StorageConformance, SnapshotBelowTheLatestIsRefused) {
  SnapshotStore& store = backend_->snapshots();
  ASSERT_OK(write_snapshot(store, {LogIndex(10), Term(1), "c"}, "ten", 10));
  EXPECT_CODE(store.begin({LogIndex(9), Term(1), "c"}), StatusCode::kFailedPrecondition);
  ASSERT_OK(write_snapshot(store, {LogIndex(10), Term(1), "c"}, "ten again", 10));
  EXPECT_EQ(*read_all(**store.open_latest()), "ten again");
}

TEST_P(StorageConformance, SnapshotsSurviveReopen) {
  SYNOD_REQUIRE_RESTART_SURVIVAL();
  SnapshotMeta meta{LogIndex(77), Term(5), "conf"};
  ASSERT_OK(write_snapshot(backend_->snapshots(), meta, snapshot_data(77, 5000), 1000));
  reopen();
  auto reader = backend_->snapshots().open_latest();
  ASSERT_OK(reader);
  EXPECT_EQ((*reader)->meta(), meta);
  EXPECT_EQ(*read_all(**reader), snapshot_data(77, 5000));
}

// ---- AppliedStateStore -----------------------------------------------------

TEST_P(StorageConformance, AppliedStateStartsEmpty) {
  AppliedStateStore& store = backend_->applied_state();
  EXPECT_EQ(*store.applied_index(), LogIndex(0));
  EXPECT_TRUE(load_records(store).empty());
}

TEST_P(StorageConformance, AppliedBatchesUpsertAndDeleteInOrder) {
  AppliedStateStore& store = backend_->applied_state();
  AppliedBatch first{LogIndex(5), false, {}};
  first.ops.push_back(RecordOp::put(Table::kSessions, session_record("s2", "n1")));
  first.ops.push_back(RecordOp::put(Table::kSessions, session_record("s1", "n1")));
  first.ops.push_back(RecordOp::put(Table::kKv, Record{"a/b", {std::int64_t{0}}, "v1"}));
  first.ops.push_back(RecordOp::put(Table::kNodes, Record{"n1", {}, "{}"}));
  ASSERT_OK(store.apply_batch(first));
  AppliedBatch second{LogIndex(6), false, {}};
  second.ops.push_back(RecordOp::erase(Table::kSessions, "s2"));
  second.ops.push_back(RecordOp::put(Table::kKv, Record{"a/b", {std::int64_t{3}}, "v2"}));
  second.ops.push_back(RecordOp::erase(Table::kChecks, "absent"));
  ASSERT_OK(store.apply_batch(second));
  EXPECT_EQ(*store.applied_index(), LogIndex(6));

  auto records = load_records(store);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].first, Table::kKv);
  EXPECT_EQ(records[0].second.value, "v2");
  ASSERT_EQ(records[0].second.columns.size(), table_schema(Table::kKv).columns.size());
  EXPECT_EQ(records[0].second.columns[0], ColumnValue(std::int64_t{3}));
  EXPECT_EQ(records[0].second.columns[1], ColumnValue(std::monostate{}));  // padded
  EXPECT_EQ(records[1].first, Table::kNodes);
  EXPECT_EQ(records[2].first, Table::kSessions);
  EXPECT_EQ(records[2].second, session_record("s1", "n1"));
}

TEST_P(StorageConformance, ReplaceAllSwapsTheWholeState) {
  AppliedStateStore& store = backend_->applied_state();
  AppliedBatch fill{LogIndex(10), false, {}};
  fill.ops.push_back(RecordOp::put(Table::kKv, Record{"old", {}, "x"}));
  fill.ops.push_back(RecordOp::put(Table::kServices, Record{"n1/web", {}, "y"}));
  ASSERT_OK(store.apply_batch(fill));
  AppliedBatch snapshot{LogIndex(8), true, {}};  // replace_all may move the index anywhere
  snapshot.ops.push_back(RecordOp::put(Table::kKv, Record{"new", {}, "z"}));
  ASSERT_OK(store.apply_batch(snapshot));
  EXPECT_EQ(*store.applied_index(), LogIndex(8));
  auto records = load_records(store);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].second.key, "new");
}

TEST_P(StorageConformance, RejectedBatchChangesNothing) {
  AppliedStateStore& store = backend_->applied_state();
  AppliedBatch base{LogIndex(10), false, {RecordOp::put(Table::kKv, Record{"k", {}, "v"})}};
  ASSERT_OK(store.apply_batch(base));
  AppliedBatch backwards{LogIndex(9), false, {RecordOp::erase(Table::kKv, "k")}};
  EXPECT_CODE(store.apply_batch(backwards), StatusCode::kFailedPrecondition);
  AppliedBatch bad_type{LogIndex(11), false, {}};
  bad_type.ops.push_back(RecordOp::erase(Table::kKv, "k"));
  bad_type.ops.push_back(RecordOp::put(Table::kKv, Record{"k2", {std::string("not an int")}, ""}));
  EXPECT_CODE(store.apply_batch(bad_type), StatusCode::kInvalidArgument);
  AppliedBatch too_many{LogIndex(11), false, {}};
  too_many.ops.push_back(
      RecordOp::put(Table::kNodes, Record{"n", {"a", "b", "c", std::int64_t{1}, "e"}, ""}));
  EXPECT_CODE(store.apply_batch(too_many), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store.applied_index(), LogIndex(10));
  auto records = load_records(store);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].second.key, "k");
}

TEST_P(StorageConformance, LoadAllStopsAtTheVisitorsError) {
  AppliedStateStore& store = backend_->applied_state();
  AppliedBatch batch{LogIndex(1), false, {}};
  for (int i = 0; i < 5; ++i) {
    batch.ops.push_back(RecordOp::put(Table::kKv, Record{"k" + std::to_string(i), {}, "v"}));
  }
  ASSERT_OK(store.apply_batch(batch));
  int seen = 0;
  Status s = store.load_all(
      [&](Table, const Record&) { return ++seen == 2 ? aborted("enough") : Status::ok(); });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
  EXPECT_EQ(seen, 2);
}

TEST_P(StorageConformance, AppliedStateSurvivesReopen) {
  SYNOD_REQUIRE_RESTART_SURVIVAL();
  for (std::uint64_t i = 1; i <= 50; ++i) {
    AppliedBatch batch{LogIndex(i), false, {}};
    batch.ops.push_back(RecordOp::put(
        Table::kKv,
        Record{"key" + std::to_string(i % 10), {std::int64_t(i)}, std::string(200, 'v')}));
    if (i % 5 == 0)
      batch.ops.push_back(RecordOp::erase(Table::kKv, "key" + std::to_string((i + 1) % 10)));
    ASSERT_OK(backend_->applied_state().apply_batch(batch));
  }
  auto before = load_records(backend_->applied_state());
  reopen();
  EXPECT_EQ(*backend_->applied_state().applied_index(), LogIndex(50));
  EXPECT_EQ(load_records(backend_->applied_state()), before);
}

// ---- Namespacing -----------------------------------------------------------

TEST_P(StorageConformance, NodesSharingAServerDoNotSeeEachOther) {
  ASSERT_OK(backend_->log().append(make_entries(1, 5, 1)));
  ASSERT_OK(backend_->log().sync());
  ASSERT_OK(backend_->stable().save({{Term(1), NodeId(1), LogIndex(5)}, "one"}));
  ASSERT_OK(backend_->applied_state().apply_batch(
      {LogIndex(5), false, {RecordOp::put(Table::kSessions, session_record("s-1", "n1"))}}));
  std::unique_ptr<StorageBackend> first = std::move(backend_);
  open(NodeId(2));
  EXPECT_EQ(backend_->log().last_index(), LogIndex(0));
  EXPECT_EQ(*backend_->stable().load(), StableState{});
  EXPECT_TRUE(load_records(backend_->applied_state()).empty());
  ASSERT_OK(backend_->log().append(make_entries(1, 2, 4)));
  ASSERT_OK(backend_->log().sync());
  EXPECT_EQ(first->log().last_index(), LogIndex(5));
  EXPECT_EQ(*first->log().term_at(LogIndex(2)), Term(1));
  EXPECT_EQ(first->stable().load()->configuration, "one");
  first.reset();
}

TEST(StorageBackendRegistry, UnknownBackendNamesTheKnownOnes) {
  BackendOptions options;
  options.backend = "floppy";
  options.node_id = NodeId(1);
  auto opened = open_backend(options);
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
  EXPECT_NE(opened.status().message().find("memory"), std::string::npos);
  EXPECT_NE(opened.status().message().find("file"), std::string::npos);
}

}  // namespace
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StorageConformance);

}  // namespace synod::persistence::testing
