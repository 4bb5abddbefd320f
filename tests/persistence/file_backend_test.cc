// The file backend beyond the conformance suite: CRC32C vectors, recovery
// after simulated power cuts (FaultInjectionEnv), and clear errors for
// damaged or foreign files.
#include "persistence/file_backend.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "persistence/backend.h"
#include "persistence/backend_metrics.h"
#include "persistence/crc32c.h"
#include "persistence/fault_injection_env.h"
#include "persistence/file_log_store.h"
#include "persistence/record_file.h"
#include "tests/persistence/conformance_suite.h"
#include "tests/persistence/test_entries.h"
#include "tests/persistence/test_status.h"

namespace synod::persistence::testing {
namespace {

namespace fs = std::filesystem;

TEST(Crc32c, MatchesKnownVectors) {
  // RFC 3720 B.4 and the classic check value.
  EXPECT_EQ(crc32c::value("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c::value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c::value(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c::value(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c::value(descending), 0x113FDB5Cu);
  EXPECT_EQ(crc32c::value(""), 0u);
}

TEST(Crc32c, HardwareAndTablePathsAgreeAndExtendComposes) {
  std::mt19937 rng(7);
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4099u}) {
    std::string data(n, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    std::uint32_t whole = crc32c::value(data);
    EXPECT_EQ(whole, crc32c::extend_portable(0, data.data(), n)) << n;
    std::size_t half = n / 3;
    EXPECT_EQ(whole,
              crc32c::extend(crc32c::extend(0, data.data(), half), data.data() + half, n - half));
  }
  EXPECT_EQ(crc32c::unmask(crc32c::mask(0xdeadbeef)), 0xdeadbeefu);
  EXPECT_NE(crc32c::mask(0xdeadbeef), 0xdeadbeefu);
}

class FileBackendTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("synod-filetest"); }
  void TearDown() override {
    backend_.reset();
    remove_temp_dir(dir_);
  }

  BackendOptions options() {
    BackendOptions o;
    o.backend = "file";
    o.node_id = NodeId(3);
    o.data_dir = dir_;
    o.segment_bytes = segment_bytes_;
    o.env = &env_;
    return o;
  }
  Result<std::unique_ptr<StorageBackend>> try_open() {
    backend_.reset();
    return open_backend(options());
  }
  LogStore& open() {
    auto opened = try_open();
    EXPECT_TRUE(opened.is_ok()) << opened.status();
    backend_ = std::move(opened).value();
    return backend_->log();
  }
  std::string node_dir() { return file_backend_dir(options()); }
  std::vector<std::string> segments() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(node_dir() + "/log")) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
  static void flip_byte(const std::string& path, std::uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
  }
  std::vector<Entry> all_entries() {
    LogStore& log = backend_->log();
    auto r = log.read(log.first_index(), log.last_index().next());
    EXPECT_TRUE(r.is_ok()) << r.status();
    return r.is_ok() ? *r : std::vector<Entry>{};
  }

  std::string dir_;
  std::uint64_t segment_bytes_ = 64 << 20;
  FaultInjectionEnv env_;
  std::unique_ptr<StorageBackend> backend_;
};

TEST_F(FileBackendTest, PowerCutLosesOnlyUnsyncedEntries) {
  LogStore& log = open();
  ASSERT_OK(log.append(make_entries(1, 10)));
  ASSERT_OK(log.sync());
  ASSERT_OK(log.append(make_entries(11, 20)));
  backend_.reset();
  ASSERT_OK(env_.drop_unsynced());
  LogStore& reopened = open();
  EXPECT_EQ(reopened.last_index(), LogIndex(10));
  EXPECT_EQ(reopened.durable_index(), LogIndex(10));
  EXPECT_EQ(all_entries(), make_entries(1, 10));
  ASSERT_OK(reopened.append(make_entries(11, 12, 2)));
  ASSERT_OK(reopened.sync());
}

TEST_F(FileBackendTest, TornLastWriteIsDiscardedWhateverSurvivedOfIt) {
  for (bool garbage : {false, true}) {
    for (std::size_t keep : {0u, 3u, 8u, 30u, 200u}) {
      SCOPED_TRACE("keep " + std::to_string(keep) + (garbage ? " garbage" : ""));
      TearDown();
      SetUp();
      LogStore& log = open();
      ASSERT_OK(log.append(make_entries(1, 10)));
      ASSERT_OK(log.sync());
      ASSERT_OK(log.append(make_entries(11, 15)));  // reaches the disk in full
      ASSERT_OK(log.append(make_entries(16, 20)));  // torn
      backend_.reset();
      ASSERT_OK(env_.tear_last_write(keep, garbage));
      // Whole records inside the surviving bytes are valid and kept; the
      // partial one after them is discarded. Each record is 8 + 17 + 64 bytes.
      std::uint64_t last = 15 + (garbage ? 0 : keep / (8 + 17 + 64));
      LogStore& reopened = open();
      EXPECT_EQ(reopened.last_index(), LogIndex(last));
      EXPECT_EQ(all_entries(), make_entries(1, last));
      ASSERT_OK(reopened.append(make_entries(last + 1, last + 2, 2)));
      ASSERT_OK(reopened.sync());
      open();  // the repaired tail holds new appends across another restart
      EXPECT_EQ(backend_->log().last_index(), LogIndex(last + 2));
    }
  }
}

// Random histories of appends, syncs, truncations and compactions, each
// ended by a random power cut: the reopened log must be a prefix of what was
// appended that holds at least everything durable.
TEST_F(FileBackendTest, RandomHistoriesSurviveRandomPowerCuts) {
  segment_bytes_ = 2048;
  std::mt19937_64 rng(4242);
  std::vector<Entry> model;  // model[i] has index i + 1
  std::uint64_t term = 1;
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    LogStore& log = open();
    ASSERT_LE(log.last_index().value(), model.size());
    model.resize(log.last_index().value());
    for (int op = 0; op < 12; ++op) {
      std::uint64_t last = log.last_index().value();
      switch (rng() % 8) {
        case 0:
        case 1:
          ASSERT_OK(log.sync());
          break;
        case 2:
          if (last >= log.first_index().value()) {
            std::uint64_t from =
                log.first_index().value() + rng() % (last - log.first_index().value() + 1);
            ASSERT_OK(log.truncate_suffix(LogIndex(from)));
            model.resize(from - 1);
            ++term;
          }
          break;
        case 3:
          if (last > 0 && rng() % 3 == 0) {
            std::uint64_t upto =
                log.first_index().value() - 1 + rng() % (last - log.first_index().value() + 2);
            ASSERT_OK(log.compact_prefix(LogIndex(std::min(upto, last))));
          }
          break;
        default: {
          auto batch = make_entries(last + 1, last + 1 + rng() % 9, term, 16 + rng() % 120);
          ASSERT_OK(log.append(batch));
          model.insert(model.end(), batch.begin(), batch.end());
        }
      }
    }
    std::uint64_t durable = log.durable_index().value();
    backend_.reset();
    switch (rng() % 3) {
      case 0:
        ASSERT_OK(env_.drop_unsynced());
        break;
      case 1:
        ASSERT_OK(env_.tear_last_write(rng() % 300, false));
        break;
      default:
        ASSERT_OK(env_.tear_last_write(rng() % 300, true));
    }
    LogStore& reopened = open();
    std::uint64_t last = reopened.last_index().value();
    ASSERT_GE(last, durable);
    ASSERT_LE(last, model.size());
    auto entries = reopened.read(reopened.first_index(), LogIndex(last + 1));
    ASSERT_OK(entries);
    for (const Entry& e : *entries) ASSERT_EQ(e, model[e.index.value() - 1]);
  }
}

TEST_F(FileBackendTest, BadChecksumBeforeTheTailIsCorruptionNamingFileAndOffset) {
  LogStore& log = open();
  ASSERT_OK(log.append(make_entries(1, 20)));
  ASSERT_OK(log.sync());
  backend_.reset();
  std::string segment = segments().at(0);
  flip_byte(segment, fs::file_size(segment) / 2);
  auto opened = try_open();
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(opened.status().message().find(segment), std::string::npos) << opened.status();
  EXPECT_NE(opened.status().message().find("offset"), std::string::npos) << opened.status();
}

TEST_F(FileBackendTest, DamageInAnOlderSegmentIsCorruptionEvenAtItsEnd) {
  segment_bytes_ = 1024;
  LogStore& log = open();
  for (std::uint64_t i = 1; i <= 100; i += 5) ASSERT_OK(log.append(make_entries(i, i + 4)));
  ASSERT_OK(log.sync());
  backend_.reset();
  auto files = segments();
  ASSERT_GE(files.size(), 3u);
  flip_byte(files[0], fs::file_size(files[0]) - 2);
  auto opened = try_open();
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(opened.status().message().find(files[0]), std::string::npos) << opened.status();
}

TEST_F(FileBackendTest, MissingMiddleSegmentIsCorruption) {
  segment_bytes_ = 1024;
  LogStore& log = open();
  for (std::uint64_t i = 1; i <= 100; i += 5) ASSERT_OK(log.append(make_entries(i, i + 4)));
  ASSERT_OK(log.sync());
  backend_.reset();
  auto files = segments();
  ASSERT_GE(files.size(), 3u);
  fs::remove(files[1]);
  auto opened = try_open();
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(opened.status().message().find("missing"), std::string::npos) << opened.status();
}

TEST_F(FileBackendTest, LeftoversOfAnInterruptedResetAreDropped) {
  LogStore& log = open();
  ASSERT_OK(log.append(make_entries(1, 10)));
  ASSERT_OK(log.sync());
  backend_.reset();
  std::string old_segment = segments().at(0);
  fs::copy_file(old_segment, dir_ + "/saved");
  ASSERT_OK(open().reset(LogIndex(50), Term(4)));
  backend_.reset();
  fs::copy_file(dir_ + "/saved", old_segment);  // as if the crash hit before its removal
  LogStore& reopened = open();
  EXPECT_EQ(reopened.first_index(), LogIndex(51));
  EXPECT_EQ(reopened.last_index(), LogIndex(50));
  EXPECT_EQ(*reopened.term_at(LogIndex(50)), Term(4));
  EXPECT_FALSE(fs::exists(old_segment));
}

TEST_F(FileBackendTest, WrongFormatVersionsAreClearErrors) {
  open();
  backend_.reset();
  { std::ofstream(node_dir() + "/FORMAT") << "synod-file-backend 9\n"; }
  auto opened = try_open();
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find(node_dir() + "/FORMAT"), std::string::npos);
  EXPECT_NE(opened.status().message().find("synod-file-backend 9"), std::string::npos);

  std::ofstream(node_dir() + "/FORMAT") << kFileBackendFormat;
  Bytes extra;
  put_u64(extra, 1);
  put_u64(extra, 0);
  put_u64(extra, 0);
  std::string segment = segments().at(0);
  std::ofstream(segment, std::ios::binary | std::ios::trunc)
      << encode_file_header(kLogSegmentMagic, kLogSegmentVersion + 1, extra);
  opened = try_open();
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find(segment), std::string::npos) << opened.status();
  EXPECT_NE(opened.status().message().find("version 2"), std::string::npos) << opened.status();

  std::ofstream(segment, std::ios::binary | std::ios::trunc) << "GARBAGE!GARBAGE!GARBAGE!";
  opened = try_open();
  ASSERT_FALSE(opened.is_ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_NE(opened.status().message().find("bad magic"), std::string::npos) << opened.status();
}

TEST_F(FileBackendTest, TruncatedOrDamagedSnapshotNamesTheFile) {
  open();
  auto writer = backend_->snapshots().begin({LogIndex(9), Term(2), "conf"});
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->append(entry_payload(1, 1, 10000)));
  ASSERT_OK((*writer)->commit());
  std::string path;
  for (const auto& e : fs::directory_iterator(node_dir() + "/snapshots")) path = e.path();
  auto size = fs::file_size(path);

  flip_byte(path, size / 2);  // data damage: found by the reader at the end
  auto reader = backend_->snapshots().open_latest();
  ASSERT_OK(reader);
  auto data = read_all(**reader, 4096);
  ASSERT_FALSE(data.is_ok());
  EXPECT_EQ(data.status().code(), StatusCode::kCorruption);
  EXPECT_NE(data.status().message().find(path), std::string::npos) << data.status();

  fs::resize_file(path, size - 100);  // cut short: found when opening
  auto truncated = backend_->snapshots().open_latest();
  ASSERT_FALSE(truncated.is_ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kCorruption);
  EXPECT_NE(truncated.status().message().find("truncated snapshot " + path), std::string::npos)
      << truncated.status();
}

TEST_F(FileBackendTest, StableStoreKeepsTheOldStateWhenASaveFails) {
  open();
  StableState first{{Term(2), NodeId(1), LogIndex(4)}, "a"};
  ASSERT_OK(backend_->stable().save(first));
  env_.fail_syncs(true);
  EXPECT_CODE(backend_->stable().save({{Term(3), NodeId(2), LogIndex(5)}, "b"}),
              StatusCode::kIoError);
  env_.fail_syncs(false);
  backend_.reset();
  ASSERT_OK(env_.drop_unsynced());
  open();
  EXPECT_EQ(*backend_->stable().load(), first);
}

TEST_F(FileBackendTest, AFailedSyncIsNeverRetriedAndWritesAreRefused) {
  BackendMetrics metrics("file");
  double errors_before = metrics.errors("sync");
  LogStore& log = open();
  ASSERT_OK(log.append(make_entries(1, 5)));
  env_.fail_syncs(true);
  EXPECT_CODE(log.sync(), StatusCode::kIoError);
  env_.fail_syncs(false);
  EXPECT_EQ(log.durable_index(), LogIndex(0));
  EXPECT_CODE(log.sync(), StatusCode::kIoError);
  EXPECT_CODE(log.append(make_entries(6, 6)), StatusCode::kIoError);
  EXPECT_EQ(metrics.errors("sync"), errors_before + 1);
  auto readable = log.read(LogIndex(1), LogIndex(6));  // reads still work
  ASSERT_OK(readable);
  EXPECT_EQ(readable->size(), 5u);
}

TEST_F(FileBackendTest, AppliedStateSurvivesATornJournalAndCheckpoints) {
  open();
  // ~6 MiB of batches: at least one checkpoint (base rewrite) happens.
  for (std::uint64_t i = 1; i <= 300; ++i) {
    AppliedBatch batch{LogIndex(i), false, {}};
    batch.ops.push_back(RecordOp::put(
        Table::kKv, Record{"k" + std::to_string(i % 37), {}, std::string(20000, 'x')}));
    ASSERT_OK(backend_->applied_state().apply_batch(batch));
  }
  backend_.reset();
  {
    std::ofstream(node_dir() + "/applied/journal", std::ios::app | std::ios::binary)
        << "half a bat";
  }
  open();
  EXPECT_EQ(*backend_->applied_state().applied_index(), LogIndex(300));
  int records = 0;
  ASSERT_OK(backend_->applied_state().load_all([&](Table, const Record&) {
    ++records;
    return Status::ok();
  }));
  EXPECT_EQ(records, 37);
  EXPECT_TRUE(fs::exists(node_dir() + "/applied/base"));
}

TEST_F(FileBackendTest, AppendsAndSyncsAreMeasured) {
  BackendMetrics metrics("file");
  auto appends = metrics.append_seconds().count();
  auto syncs = metrics.sync_seconds().count();
  double bytes = metrics.bytes_written().value();
  LogStore& log = open();
  ASSERT_OK(log.append(make_entries(1, 10)));
  ASSERT_OK(log.append(make_entries(11, 20)));
  ASSERT_OK(log.sync());
  EXPECT_EQ(metrics.append_seconds().count(), appends + 2);
  EXPECT_EQ(metrics.sync_seconds().count(), syncs + 1);
  EXPECT_EQ(metrics.bytes_written().value(), bytes + 20 * (8 + 17 + 64));
  std::string rendered = metrics::Registry::global().render();
  EXPECT_NE(rendered.find("synod_persistence_sync_seconds_count{backend=\"file\"}"),
            std::string::npos);
}

TEST_F(FileBackendTest, ReadersRunWhileTheWriterAppendsAndSyncs) {
  segment_bytes_ = 8192;
  LogStore& log = open();
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      LogIndex last = log.last_index();
      if (last == LogIndex(0)) continue;
      LogIndex lo = last.value() > 20 ? last - 20 : LogIndex(1);
      auto r = log.read(lo, last.next());
      if (!r.is_ok()) {
        ++bad;
        continue;
      }
      for (const Entry& e : *r) {
        if (!entry_intact(e, 64)) ++bad;
      }
    }
  });
  std::thread syncer([&] {
    while (!done.load()) {
      if (!log.sync().is_ok()) ++bad;
      if (log.durable_index() > log.last_index()) ++bad;
    }
  });
  for (std::uint64_t i = 1; i <= 2000; i += 10) ASSERT_OK(log.append(make_entries(i, i + 9)));
  done = true;
  reader.join();
  syncer.join();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_OK(log.sync());
  EXPECT_EQ(log.durable_index(), LogIndex(2000));
}

}  // namespace
}  // namespace synod::persistence::testing
