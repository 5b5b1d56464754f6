// Verify: proves the target holds exactly the source's rows (after filter, mapping and
// transform), or names the keys that differ.
//
// The key space is cut into ranges of about `range_size` source keys; each range is compared by
// row count and checksum on both sides (md5 of the rows' text in key order). Between two
// PostgreSQL databases without a transform the checksum is computed by the servers (string_agg +
// md5); otherwise rows are fetched and hashed here after normalising values so that both dialects
// agree (NULL, booleans as 1/0, integers, shortest round-trip doubles, text). A range that differs
// is bisected until it is small enough to compare key by key. Text keys are ordered bytewise
// (COLLATE "C" on PostgreSQL, SQLite's BINARY), so ranges cover the same keys on both sides.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "switchyard/sync/table_sync.hpp"

namespace switchyard::sync {

struct VerifyOptions {
  std::size_t range_size = 10000;  // source keys per top-level range
  std::size_t leaf_size = 256;     // ranges at most this big are compared key by key
  bool repair = false;             // enqueue every differing key in the source outbox
  bool server_checksums = true;    // let PostgreSQL compute checksums when both sides are PG
  std::size_t max_reported = 1000;  // differing keys kept in the report
  std::ostream* progress = nullptr;
};

struct KeyDifference {
  std::string key;
  enum class Kind { missing_on_target, extra_on_target, different } kind = Kind::different;
};
const char* to_string(KeyDifference::Kind kind) noexcept;

struct VerifyReport {
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;
  std::size_t ranges = 0;           // top-level ranges compared
  std::size_t ranges_checked = 0;   // including bisected sub-ranges
  std::int64_t differences = 0;     // differing keys found (may exceed differing.size())
  std::vector<KeyDifference> differing{};
  std::int64_t repaired = 0;        // keys enqueued by repair
  bool server_side = false;         // checksums computed in SQL
  double seconds = 0;
  bool equal() const noexcept { return differences == 0 && source_rows == target_rows; }
};

VerifyReport verify(const TableSync& spec, const VerifyOptions& options = {});

// The normalised text of one value, as verify hashes it (exposed for tests).
std::string normalized_text(const Value& value);

}  // namespace switchyard::sync
