// The shared zstd dictionary (consensus/state/dictionary_table.h): header
// checks without zstd, replace-on-apply, snapshots and applied-state records.
#include "consensus/state/dictionary_table.h"

#include <gtest/gtest.h>

#include "tests/state/state_test_util.h"

namespace synod::consensus::state {
namespace {

using testing::Harness;

// A byte string with a zstd dictionary header (magic, id) and `size` bytes.
std::string fake_dictionary(std::uint32_t id, std::size_t size = 1024, char fill = 'x') {
  Bytes out;
  put_u32(out, 0xEC30A437);
  put_u32(out, id);
  out.append(std::string(size - 8, fill));
  return std::string(out);
}

TEST(DictionaryTable, ApplyInstallsAndReplaces) {
  Harness h;
  EXPECT_TRUE(h.store.dictionary().empty());
  ApplyResult first = h.run(make_dictionary_command(fake_dictionary(7)));
  ASSERT_TRUE(first.status.is_ok()) << first.status;
  EXPECT_TRUE(first.ok);
  EXPECT_EQ(h.store.dictionary().id(), 7u);
  EXPECT_EQ(h.store.dictionary().set_at(), 1u);
  EXPECT_TRUE(dictionary_changed(h.store.take_changes()));

  ApplyResult same = h.run(make_dictionary_command(fake_dictionary(7)));
  EXPECT_TRUE(same.status.is_ok());
  EXPECT_FALSE(same.ok) << "the same dictionary again changes nothing";
  EXPECT_FALSE(dictionary_changed(h.store.take_changes()));

  ASSERT_TRUE(h.run(make_dictionary_command(fake_dictionary(9, 2048))).ok);
  EXPECT_EQ(h.store.dictionary().id(), 9u);
  EXPECT_EQ(h.store.dictionary().dictionary().size(), 2048u);
  EXPECT_EQ(h.store.dictionary().set_at(), 3u);
}

TEST(DictionaryTable, NonDictionariesAreRefused) {
  Harness h;
  std::string wrong_magic = fake_dictionary(7);
  wrong_magic[0] = 0;
  for (const std::string& bad :
       {std::string(), fake_dictionary(0), wrong_magic, fake_dictionary(7, kMinDictionaryBytes - 1),
        fake_dictionary(7, kMaxDictionaryBytes + 1)}) {
    ApplyResult result = h.run(make_dictionary_command(bad));
    EXPECT_EQ(result.status.code(), StatusCode::kInvalidArgument) << bad.size() << " bytes";
  }
  EXPECT_TRUE(h.store.dictionary().empty());
}

TEST(DictionaryTable, SnapshotAndRecordsRoundTrip) {
  Harness h;
  ASSERT_TRUE(h.run(make_dictionary_command(fake_dictionary(11))).ok);
  const Bytes snapshot = h.store.snapshot();
  StateStore restored;
  ASSERT_TRUE(restored.restore(snapshot).is_ok());
  EXPECT_EQ(restored.snapshot(), snapshot);
  EXPECT_EQ(restored.dictionary().dictionary(), fake_dictionary(11));
  EXPECT_EQ(restored.dictionary().set_at(), 1u);
  EXPECT_TRUE(dictionary_changed(restored.take_changes())) << "a restore re-installs it";

  std::vector<RecordChange> changes = h.store.records_for(h.store.take_changes()).changes;
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "compression/dictionary");
  ASSERT_TRUE(changes[0].record.has_value());
  StateStore loaded;
  Status status = loaded.load_records(h.store.applied_index(), [&](const SnapshotVisitor& add) {
    return add(changes[0].table, changes[0].key, changes[0].record->value);
  });
  ASSERT_TRUE(status.is_ok()) << status;
  EXPECT_EQ(loaded.snapshot(), snapshot);
}

TEST(DictionaryTable, DamagedRecordIsCorruption) {
  Harness h;
  ASSERT_TRUE(h.run(make_dictionary_command(fake_dictionary(11))).ok);
  const std::string good(h.store.records_for(h.store.take_changes()).changes[0].record->value);
  std::string bad_version = good;
  bad_version[0] = 9;
  std::string not_a_dictionary = good;
  not_a_dictionary[9] = 0;  // first byte of the magic
  for (const std::string& bad : {good.substr(0, 5), bad_version, not_a_dictionary}) {
    SnapshotWriter writer(LogIndex(3));
    writer.add(RecordTable::kMeta, "compression/dictionary", bad);
    StateStore store;
    EXPECT_EQ(store.restore(writer.finish()).code(), StatusCode::kCorruption);
  }
}

}  // namespace
}  // namespace synod::consensus::state
