#include "switchyard/sync/verify.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <ostream>

#include "switchyard/connection/connection.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/sql/dialect.hpp"
#include "switchyard/sync/outbox.hpp"
#include "table_ops.hpp"

namespace switchyard::sync {

namespace {

using namespace std::chrono;

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::string_view s) { EVP_DigestUpdate(ctx_, s.data(), s.size()); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, digest, &len);
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string row_text(const std::vector<Value>& row) {
  std::string out;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) out += '\t';
    for (char c : normalized_text(row[i])) {
      if (c == '\\') out += "\\\\";
      else if (c == '\t') out += "\\t";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
  }
  return out;
}

std::int64_t as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* s = std::get_if<std::string>(&v)) return std::atoll(s->c_str());
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}

struct Range {
  std::optional<std::string> lo;  // exclusive
  std::optional<std::string> hi;  // inclusive
};

struct Summary {
  std::int64_t count = 0;
  std::string hash;
  bool operator==(const Summary&) const = default;
};

// One side of the comparison: a connection, its table, columns and key.
struct Side {
  Connection* conn = nullptr;
  std::string table;
  std::vector<std::string> columns;
  std::string key;
  std::string filter;     // source only
  bool apply_transform = false;  // source only
  std::string okey;       // ordered key expression

  std::string where(const Range& r, const detail::Plan& plan, std::vector<Value>& binds) const {
    std::vector<std::string> conds;
    if (r.lo) {
      binds.push_back(detail::key_bind(plan, *r.lo));
      conds.push_back(okey + " > " + sql::placeholder(static_cast<int>(binds.size())));
    }
    if (r.hi) {
      binds.push_back(detail::key_bind(plan, *r.hi));
      conds.push_back(okey + " <= " + sql::placeholder(static_cast<int>(binds.size())));
    }
    if (!filter.empty()) conds.push_back("(" + filter + ")");
    std::string out;
    for (std::size_t i = 0; i < conds.size(); ++i) out += (i ? " AND " : " WHERE ") + conds[i];
    return out;
  }

  std::string server_row_text() const {
    std::string out = "concat_ws(E'\\t'";
    for (const auto& c : columns) out += ", coalesce(" + sql::quote_identifier(c) + "::text, '\\N')";
    return out + ")";
  }
};

class Verifier {
 public:
  Verifier(const TableSync& spec, const VerifyOptions& opt) : spec_(spec), opt_(opt) {}

  VerifyReport run() {
    const auto t0 = steady_clock::now();
    src_ = detail::open_sync_connection(spec_.source);
    tgt_ = detail::open_sync_connection(spec_.target);
    plan_ = detail::make_plan(spec_, *src_, *tgt_);
    report_.server_side = opt_.server_checksums && !spec_.transform &&
                          src_->dialect() == sql::Dialect::postgresql &&
                          tgt_->dialect() == sql::Dialect::postgresql;
    const std::string sk = sql::quote_identifier(plan_.source_key);
    const std::string tk = sql::quote_identifier(plan_.target_key);
    source_ = {src_.get(), spec_.table, plan_.source_columns, sk, spec_.filter, true,
               detail::ordered_key(src_->dialect(), plan_, sk)};
    target_ = {tgt_.get(), spec_.target_name(), plan_.target_columns, tk, "", false,
               detail::ordered_key(tgt_->dialect(), plan_, tk)};

    auto bounds = boundaries();
    std::vector<Range> ranges;
    std::optional<std::string> lo;
    for (const auto& b : bounds) {
      ranges.push_back({lo, b});
      lo = b;
    }
    ranges.push_back({lo, std::nullopt});
    report_.ranges = ranges.size();
    std::size_t done = 0;
    for (const auto& r : ranges) {
      auto s = summary(source_, r);
      auto t = summary(target_, r);
      report_.source_rows += s.count;
      report_.target_rows += t.count;
      ++report_.ranges_checked;
      if (!(s == t)) narrow(r, s, t);
      ++done;
      if (opt_.progress)
        *opt_.progress << "\rverify " << spec_.describe() << ": range " << done << "/"
                       << ranges.size() << ", " << report_.differences << " differing key(s) "
                       << std::flush;
    }
    if (opt_.progress) *opt_.progress << "\n";
    if (opt_.repair && !all_differing_.empty()) {
      enqueue_many(*src_, spec_.table, all_differing_, "repair");
      report_.repaired = static_cast<std::int64_t>(all_differing_.size());
      wake_workers();
    }
    report_.seconds = duration<double>(steady_clock::now() - t0).count();
    return report_;
  }

 private:
  // Every range_size-th source key, ascending.
  std::vector<std::string> boundaries() {
    std::vector<std::string> out;
    const std::size_t step = std::max<std::size_t>(1, opt_.range_size);
    std::optional<std::string> last;
    for (;;) {
      std::vector<Value> binds;
      std::string sql = "SELECT " + source_.key + " FROM " + sql::quote_qualified(source_.table) +
                        source_.where({last, std::nullopt}, plan_, binds) + " ORDER BY " +
                        source_.okey + " LIMIT 1 OFFSET " + std::to_string(step - 1);
      auto r = source_.conn->execute(sql, binds, {.name = "SYNC Verify"});
      if (r.rows.empty()) break;
      out.push_back(detail::key_text(r.rows[0][0]));
      last = out.back();
    }
    return out;
  }

  std::vector<std::vector<Value>> fetch(const Side& side, const Range& r) {
    std::vector<Value> binds;
    std::string sql = "SELECT " + detail::quoted_list(side.columns) + " FROM " +
                      sql::quote_qualified(side.table) + side.where(r, plan_, binds) +
                      " ORDER BY " + side.okey;
    auto rows = side.conn->execute(sql, binds, {.name = "SYNC Verify"}).rows;
    if (side.apply_transform) detail::apply_transform(spec_, plan_, rows, nullptr);
    return rows;
  }

  Summary summary(const Side& side, const Range& r) {
    if (report_.server_side) {
      std::vector<Value> binds;
      std::string sql = "SELECT count(*), coalesce(md5(string_agg(" + side.server_row_text() +
                        ", E'\\n' ORDER BY " + side.okey + ")), '') FROM " +
                        sql::quote_qualified(side.table) + side.where(r, plan_, binds);
      auto row = side.conn->execute(sql, binds, {.name = "SYNC Verify"}).rows.at(0);
      return {as_int(row[0]), to_text(row[1])};
    }
    auto rows = fetch(side, r);
    Md5 md5;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i) md5.update("\n");
      md5.update(row_text(rows[i]));
    }
    return {static_cast<std::int64_t>(rows.size()), rows.empty() ? "" : md5.hex()};
  }

  // key -> row hash for a small range.
  std::map<std::string, std::string> row_hashes(const Side& side, const Range& r) {
    std::map<std::string, std::string> out;
    if (report_.server_side) {
      std::vector<Value> binds;
      std::string sql = "SELECT " + side.key + "::text, md5(" + side.server_row_text() +
                        ") FROM " + sql::quote_qualified(side.table) +
                        side.where(r, plan_, binds);
      for (const auto& row : side.conn->execute(sql, binds, {.name = "SYNC Verify"}).rows)
        out[to_text(row[0])] = to_text(row[1]);
      return out;
    }
    for (const auto& row : fetch(side, r)) {
      Md5 md5;
      md5.update(row_text(row));
      out[detail::key_text(row[plan_.key_index])] = md5.hex();
    }
    return out;
  }

  std::optional<std::string> median(const Side& side, const Range& r, std::int64_t count) {
    std::vector<Value> binds;
    std::string sql = "SELECT " + side.key + " FROM " + sql::quote_qualified(side.table) +
                      side.where(r, plan_, binds) + " ORDER BY " + side.okey + " LIMIT 1 OFFSET " +
                      std::to_string(std::max<std::int64_t>(0, count / 2 - 1));
    auto res = side.conn->execute(sql, binds, {.name = "SYNC Verify"});
    if (res.rows.empty()) return std::nullopt;
    return detail::key_text(res.rows[0][0]);
  }

  void narrow(const Range& r, const Summary& s, const Summary& t) {
    const std::int64_t biggest = std::max(s.count, t.count);
    if (biggest <= static_cast<std::int64_t>(opt_.leaf_size) || biggest < 2) {
      compare_keys(r);
      return;
    }
    auto mid = median(s.count >= t.count ? source_ : target_, r, biggest);
    if (!mid || (r.hi && *mid == *r.hi)) {
      compare_keys(r);
      return;
    }
    for (const Range& half : {Range{r.lo, mid}, Range{mid, r.hi}}) {
      auto hs = summary(source_, half);
      auto ht = summary(target_, half);
      ++report_.ranges_checked;
      if (!(hs == ht)) narrow(half, hs, ht);
    }
  }

  void compare_keys(const Range& r) {
    auto a = row_hashes(source_, r);
    auto b = row_hashes(target_, r);
    auto add = [&](const std::string& key, KeyDifference::Kind kind) {
      ++report_.differences;
      all_differing_.push_back(key);
      if (report_.differing.size() < opt_.max_reported) report_.differing.push_back({key, kind});
    };
    for (const auto& [k, h] : a) {
      auto it = b.find(k);
      if (it == b.end()) add(k, KeyDifference::Kind::missing_on_target);
      else if (it->second != h) add(k, KeyDifference::Kind::different);
    }
    for (const auto& [k, h] : b)
      if (!a.count(k)) add(k, KeyDifference::Kind::extra_on_target);
  }

  const TableSync& spec_;
  const VerifyOptions& opt_;
  std::unique_ptr<Connection> src_, tgt_;
  detail::Plan plan_;
  Side source_, target_;
  VerifyReport report_;
  std::vector<std::string> all_differing_;
};

// "3.50" -> "3.5", "-0.0" -> "-0": decimal text as both dialects would agree on.
bool canonical_decimal(const std::string& s, std::string& out) {
  if (s.empty() || s.size() > 40) return false;
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::size_t digits = 0, dot = std::string::npos;
  for (std::size_t j = i; j < s.size(); ++j) {
    if (s[j] == '.' && dot == std::string::npos) dot = j;
    else if (s[j] >= '0' && s[j] <= '9') ++digits;
    else return false;
  }
  if (!digits || dot == std::string::npos) return false;
  out = s[0] == '+' ? s.substr(1) : s;
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return true;
}

}  // namespace

std::string normalized_text(const Value& value) {
  if (is_null(value)) return "\\N";
  if (auto* b = std::get_if<bool>(&value)) return *b ? "1" : "0";
  if (auto* d = std::get_if<double>(&value)) {
    if (std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9007199254740992.0)
      return std::to_string(static_cast<std::int64_t>(*d));
    return to_text(value);
  }
  if (auto* s = std::get_if<std::string>(&value)) {
    std::string canon;
    if (canonical_decimal(*s, canon)) return canon;
    return *s;
  }
  return to_text(value);
}

const char* to_string(KeyDifference::Kind kind) noexcept {
  switch (kind) {
    case KeyDifference::Kind::missing_on_target: return "missing on target";
    case KeyDifference::Kind::extra_on_target: return "extra on target";
    case KeyDifference::Kind::different: return "different";
  }
  return "different";
}

VerifyReport verify(const TableSync& spec, const VerifyOptions& options) {
  return Verifier(spec, options).run();
}

}  // namespace switchyard::sync
