// Internal to the statement classifier: compile-time hash tables of keywords, built-in functions
// and SQLite pragmas. Names are lower case; lookups fold ASCII case (never the locale).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace switchyard::sql::detail {

template <typename V>
struct Named {
  std::string_view name;
  V value{};
};

// Open addressing over FNV-1a, filled at compile time; a duplicate name fails the build.
template <typename V, std::size_t N>
class NameTable {
 public:
  static constexpr std::size_t kSlots = std::bit_ceil(N * 2);

  constexpr explicit NameTable(const Named<V> (&entries)[N]) {
    slots_.fill(kEmpty);
    for (std::size_t i = 0; i < N; ++i) {
      entries_[i] = entries[i];
      if (entries[i].name.size() > kMaxLength) throw "name too long for table";
      for (char c : entries[i].name) {
        if (lower(c) != c) throw "table names must be lower case";
      }
      if (entries[i].name.size() > max_length_) max_length_ = entries[i].name.size();
      std::size_t slot = hash(entries[i].name) & (kSlots - 1);
      while (slots_[slot] != kEmpty) {
        if (entries_[slots_[slot]].name == entries[i].name) throw "duplicate name in table";
        slot = (slot + 1) & (kSlots - 1);
      }
      slots_[slot] = static_cast<std::uint16_t>(i);
    }
  }

  // With `fold`, `name` matches ignoring ASCII case; without, exactly (quoted identifiers).
  const V* find(std::string_view name, bool fold = true) const noexcept {
    if (name.size() > max_length_) return nullptr;  // most identifiers end here
    char buf[kMaxLength];
    std::uint32_t h = kFnvOffset;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = fold ? lower(name[i]) : name[i];
      buf[i] = c;
      h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
    }
    for (std::size_t slot = h & (kSlots - 1); slots_[slot] != kEmpty;
         slot = (slot + 1) & (kSlots - 1)) {
      const Named<V>& entry = entries_[slots_[slot]];
      if (entry.name.size() == name.size() &&
          std::memcmp(entry.name.data(), buf, name.size()) == 0) {
        return &entry.value;
      }
    }
    return nullptr;
  }

 private:
  static constexpr std::uint16_t kEmpty = 0xFFFF;
  static constexpr char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  static constexpr std::uint32_t kFnvOffset = 2166136261u;
  static constexpr std::uint32_t kFnvPrime = 16777619u;
  static constexpr std::size_t kMaxLength = 64;
  static constexpr std::uint32_t hash(std::string_view s) noexcept {
    std::uint32_t h = kFnvOffset;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
    return h;
  }

  std::array<Named<V>, N> entries_{};
  std::array<std::uint16_t, kSlots> slots_{};
  std::size_t max_length_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Keywords. Only the ones the classifier names get their own id; the rest are `other`.

// clang-format off
enum class Kw : std::uint8_t {
  none,  // not a keyword: an identifier
  other,
  abort, all, alter, analyse, analyze, as, attach, begin, bit, by, call, char_, character,
  characteristics, checkpoint, close, cluster, columns, comment, commit, conflict, constraints,
  copy, create, cross, cube, cursor, deallocate, declare, delete_, detach, discard, do_, drop,
  end, escape, execute, explain, fetch, filter, for_, from, full, glob, global, grant, group,
  grouping, hold, ilike, import, inner, insert, into, join, key, left, like, listen, load, local,
  lock, locked, match, materialized, merge, move, natural, no, not_, notify, nowait, on, only,
  operator_, or_, order, outer, over, overlaps, partition, plan, pragma, prepare, prepared, query,
  read, reassign, recursive, refresh, regexp, reindex, release, repeatable, replace, reset,
  revoke, right, rollback, rollup, savepoint, security, select, session, set, sets, share, show,
  skip, start, stdout, table, tablesample, temp, temporary, time, to, transaction, truncate,
  unlisten, update, vacuum, values, varying, verbose, wait, with, without, work, zone,
  // clause keywords
  where, having, window, limit, offset, union_, intersect, except, returning, using_,
};
// clang-format on

// What `keyword (` is.
enum class Paren : std::uint8_t {
  call,        // checked as a function call: the keyword may name a function
  syntax,      // never a call: reserved and column-name keywords, which PostgreSQL does not
               // accept as function names, type names among them
  contextual,  // syntax only right after the words that introduce it (ORDER BY (, x LIKE (,
               // count(*) FILTER (, ...); anywhere else a call, since it may name a function
};

struct KwInfo {
  Kw id = Kw::none;
  Paren paren = Paren::call;
};

constexpr KwInfo S(Kw id = Kw::other) {
  return {id, Paren::syntax};
}
constexpr KwInfo K(Kw id = Kw::other) {
  return {id, Paren::call};
}
constexpr KwInfo C(Kw id) {
  return {id, Paren::contextual};
}

// clang-format off
inline constexpr Named<KwInfo> kKeywordList[] = {
    // reserved
    {"all", S(Kw::all)}, {"analyse", S(Kw::analyse)}, {"analyze", S(Kw::analyze)}, {"and", S()},
    {"any", S()}, {"array", S()}, {"as", S(Kw::as)}, {"asc", S()}, {"asymmetric", S()},
    {"both", S()}, {"case", S()}, {"cast", S()}, {"check", S()}, {"collate", S()},
    {"column", S()}, {"constraint", S()}, {"create", S(Kw::create)}, {"current_catalog", S()},
    {"current_date", S()}, {"current_role", S()}, {"current_time", S()},
    {"current_timestamp", S()}, {"current_user", S()}, {"default", S()}, {"deferrable", S()},
    {"desc", S()}, {"distinct", S()}, {"do", S(Kw::do_)}, {"else", S()}, {"end", S(Kw::end)},
    {"except", S(Kw::except)}, {"false", S()}, {"fetch", S(Kw::fetch)}, {"for", S(Kw::for_)},
    {"foreign", S()}, {"from", S(Kw::from)}, {"grant", S(Kw::grant)}, {"group", S(Kw::group)},
    {"having", S(Kw::having)}, {"in", S()}, {"initially", S()}, {"intersect", S(Kw::intersect)}, {"into", S(Kw::into)},
    {"lateral", S()}, {"leading", S()}, {"limit", S(Kw::limit)}, {"localtime", S()},
    {"localtimestamp", S()}, {"not", S(Kw::not_)}, {"null", S()}, {"offset", S(Kw::offset)}, {"on", S(Kw::on)},
    {"only", S(Kw::only)}, {"or", S(Kw::or_)}, {"order", S(Kw::order)}, {"placing", S()},
    {"primary", S()}, {"references", S()}, {"returning", S(Kw::returning)}, {"select", S(Kw::select)},
    {"session_user", S()}, {"some", S()}, {"symmetric", S()}, {"system_user", S()},
    {"table", S(Kw::table)}, {"then", S()}, {"to", S(Kw::to)}, {"trailing", S()}, {"true", S()},
    {"union", S(Kw::union_)}, {"unique", S()}, {"user", S()}, {"using", S(Kw::using_)}, {"variadic", S()},
    {"when", S()}, {"where", S(Kw::where)}, {"window", S(Kw::window)}, {"with", S(Kw::with)},
    // column-name keywords: types and special function forms
    {"between", S()}, {"bigint", S()}, {"bit", S(Kw::bit)}, {"boolean", S()}, {"char", S(Kw::char_)},
    {"character", S(Kw::character)}, {"coalesce", S()}, {"dec", S()}, {"decimal", S()}, {"exists", S()},
    {"extract", S()}, {"float", S()}, {"greatest", S()}, {"grouping", S(Kw::grouping)}, {"inout", S()},
    {"int", S()}, {"integer", S()}, {"interval", S()}, {"json", S()}, {"json_array", S()},
    {"json_arrayagg", S()}, {"json_exists", S()}, {"json_object", S()},
    {"json_objectagg", S()}, {"json_query", S()}, {"json_scalar", S()},
    {"json_serialize", S()}, {"json_table", S()}, {"json_value", S()}, {"least", S()},
    {"merge_action", S()}, {"national", S()}, {"nchar", S()}, {"none", S()},
    {"normalize", S()}, {"nullif", S()}, {"numeric", S()}, {"out", S()}, {"overlay", S()},
    {"position", S()}, {"precision", S()}, {"real", S()}, {"row", S()}, {"setof", S()},
    {"smallint", S()}, {"substring", S()}, {"time", S(Kw::time)}, {"timestamp", S()}, {"treat", S()},
    {"trim", S()}, {"values", S(Kw::values)}, {"varchar", S()}, {"xmlattributes", S()},
    {"xmlconcat", S()}, {"xmlelement", S()}, {"xmlexists", S()}, {"xmlforest", S()},
    {"xmlnamespaces", S()}, {"xmlparse", S()}, {"xmlpi", S()}, {"xmlroot", S()},
    {"xmlserialize", S()}, {"xmltable", S()},
    // type/function-name keywords: may name functions
    {"authorization", K()}, {"binary", K()}, {"collation", K()}, {"concurrently", K()},
    {"cross", K(Kw::cross)}, {"freeze", K()}, {"full", K(Kw::full)}, {"ilike", C(Kw::ilike)},
    {"inner", K(Kw::inner)}, {"is", K()}, {"isnull", K()}, {"join", C(Kw::join)},
    {"like", C(Kw::like)}, {"natural", K(Kw::natural)}, {"notnull", K()},
    {"outer", K(Kw::outer)}, {"overlaps", C(Kw::overlaps)}, {"similar", K()},
    {"tablesample", K(Kw::tablesample)}, {"verbose", K(Kw::verbose)}, {"left", K(Kw::left)},
    {"right", K(Kw::right)}, {"current_schema", K()},
    // unreserved keywords followed by a parenthesis in some places, function names elsewhere
    {"by", C(Kw::by)}, {"filter", C(Kw::filter)}, {"over", C(Kw::over)}, {"sets", C(Kw::sets)},
    {"rollup", C(Kw::rollup)}, {"cube", C(Kw::cube)}, {"repeatable", C(Kw::repeatable)},
    {"materialized", C(Kw::materialized)}, {"operator", C(Kw::operator_)},
    {"varying", C(Kw::varying)}, {"columns", C(Kw::columns)}, {"zone", C(Kw::zone)},
    {"escape", C(Kw::escape)},
    // DML keywords: whatever follows them, the DML rule has already made the statement a write
    {"insert", S(Kw::insert)}, {"update", S(Kw::update)}, {"delete", S(Kw::delete_)},
    {"merge", S(Kw::merge)},
    // SQLite operators and trigger syntax
    {"glob", C(Kw::glob)}, {"regexp", C(Kw::regexp)}, {"match", C(Kw::match)}, {"raise", K()},
    // unreserved keywords: may name a function, so `keyword (` is checked as a call
    {"abort", K(Kw::abort)}, {"alter", K(Kw::alter)}, {"attach", K(Kw::attach)},
    {"begin", K(Kw::begin)}, {"call", K(Kw::call)},
    {"characteristics", K(Kw::characteristics)}, {"checkpoint", K(Kw::checkpoint)},
    {"close", K(Kw::close)}, {"cluster", K(Kw::cluster)}, {"comment", K(Kw::comment)},
    {"commit", K(Kw::commit)}, {"conflict", K(Kw::conflict)},
    {"constraints", K(Kw::constraints)}, {"copy", K(Kw::copy)}, {"cursor", K(Kw::cursor)},
    {"deallocate", K(Kw::deallocate)}, {"declare", K(Kw::declare)}, {"detach", K(Kw::detach)},
    {"discard", K(Kw::discard)}, {"drop", K(Kw::drop)}, {"execute", K(Kw::execute)},
    {"explain", K(Kw::explain)}, {"global", K(Kw::global)}, {"hold", K(Kw::hold)},
    {"import", K(Kw::import)}, {"key", K(Kw::key)}, {"listen", K(Kw::listen)},
    {"load", K(Kw::load)}, {"local", K(Kw::local)}, {"lock", K(Kw::lock)},
    {"locked", K(Kw::locked)}, {"move", K(Kw::move)}, {"no", K(Kw::no)},
    {"notify", K(Kw::notify)}, {"nowait", K(Kw::nowait)}, {"plan", K(Kw::plan)},
    {"pragma", K(Kw::pragma)}, {"prepare", K(Kw::prepare)}, {"prepared", K(Kw::prepared)},
    {"query", K(Kw::query)}, {"read", K(Kw::read)}, {"reassign", K(Kw::reassign)},
    {"recursive", K(Kw::recursive)}, {"refresh", K(Kw::refresh)}, {"reindex", K(Kw::reindex)},
    {"release", K(Kw::release)}, {"replace", K(Kw::replace)}, {"reset", K(Kw::reset)},
    {"revoke", K(Kw::revoke)}, {"rollback", K(Kw::rollback)}, {"savepoint", K(Kw::savepoint)},
    {"security", K(Kw::security)}, {"session", K(Kw::session)}, {"set", K(Kw::set)},
    {"share", K(Kw::share)}, {"show", K(Kw::show)}, {"skip", K(Kw::skip)},
    {"start", K(Kw::start)}, {"stdout", K(Kw::stdout)}, {"temp", K(Kw::temp)},
    {"temporary", K(Kw::temporary)}, {"transaction", K(Kw::transaction)},
    {"truncate", K(Kw::truncate)}, {"unlisten", K(Kw::unlisten)}, {"vacuum", K(Kw::vacuum)},
    {"wait", K(Kw::wait)}, {"without", K(Kw::without)}, {"work", K(Kw::work)},
    // more unreserved keywords, named only so that a word after them is not taken for an alias
    {"absent", K()}, {"at", K()}, {"breadth", K()}, {"committed", K()}, {"conditional", K()}, {"content", K()},
    {"current", K()}, {"cycle", K()}, {"database", K()}, {"deferred", K()}, {"depth", K()},
    {"document", K()}, {"each", K()}, {"empty", K()}, {"encoding", K()}, {"error", K()},
    {"exclude", K()}, {"exclusive", K()}, {"fail", K()}, {"first", K()}, {"following", K()},
    {"format", K()}, {"groups", K()}, {"if", K()}, {"ignore", K()}, {"immediate", K()},
    {"indexed", K()}, {"isolation", K()}, {"keep", K()}, {"keys", K()}, {"last", K()},
    {"level", K()}, {"nested", K()}, {"next", K()}, {"nothing", K()}, {"nulls", K()},
    {"of", K()}, {"omit", K()}, {"ordinality", K()}, {"others", K()}, {"partition", K(Kw::partition)},
    {"passing", K()}, {"ref", K()}, {"standalone", K()}, {"version", K()},
    {"name", K()}, {"yes", K()}, {"path", K()}, {"preceding", K()}, {"quotes", K()}, {"range", K()},
    {"rows", K()}, {"search", K()}, {"serializable", K()}, {"snapshot", K()}, {"strict", K()},
    {"ties", K()}, {"unbounded", K()}, {"uncommitted", K()}, {"unconditional", K()}, {"unlogged", K()},
    {"value", K()}, {"within", K()}, {"wrapper", K()}, {"write", K()},
};
// clang-format on

// Keyword lookup for word tokens, the classifier's most frequent lookup. A word of at most 24
// bytes is packed into three 64-bit lanes and folded with one OR per lane, hashed with two
// multiplies and compared lane by lane: no per-byte hashing, no memcmp. Folding by OR 0x20 is
// exact for the bytes a word token holds (letters, digits, '_', '$', bytes >= 0x80): it lowers
// letters, and no other identifier byte folds onto a byte of a lower-case keyword.
class KeywordTable {
 public:
  static constexpr std::size_t kMaxLength = 24;
  static constexpr std::size_t kSlots = 1024;

  template <std::size_t N>
  constexpr explicit KeywordTable(const Named<KwInfo> (&entries)[N]) {
    static_assert(N < kSlots / 2, "keyword table too full");
    for (auto& s : slots_) s = kEmpty;
    for (std::size_t i = 0; i < N; ++i) {
      const std::string_view name = entries[i].name;
      if (name.empty() || name.size() > kMaxLength) throw "keyword length out of range";
      Entry e;
      e.length = static_cast<std::uint8_t>(name.size());
      e.info = entries[i].value;
      for (std::size_t k = 0; k < name.size(); ++k) {
        if (name[k] >= 'A' && name[k] <= 'Z') throw "keywords must be lower case";
        e.lanes[k / 8] |= std::uint64_t{static_cast<unsigned char>(name[k])} << (8 * (k % 8));
      }
      for (auto& lane : e.lanes) lane |= kFold;
      if (name.size() > max_length_) max_length_ = name.size();
      std::size_t slot = hash(e.lanes, name.size());
      while (slots_[slot] != kEmpty) {
        if (same(entries_[slots_[slot]], e.lanes, name.size())) throw "duplicate keyword";
        slot = (slot + 1) & (kSlots - 1);
      }
      entries_[i] = e;
      slots_[slot] = static_cast<std::uint16_t>(i);
    }
  }

  // `word` must be a word token's text (identifier bytes only); ASCII case is ignored.
  const KwInfo* find(std::string_view word) const noexcept {
    const std::size_t n = word.size();
    if (n - 1 >= max_length_) return nullptr;  // empty, or longer than every keyword
    const char* p = word.data();
    std::uint64_t lanes[3] = {0, 0, 0};
    if (n <= 8) {
      lanes[0] = load_partial(p, n);
    } else if (n <= 16) {
      lanes[0] = load8(p);
      lanes[1] = load_partial(p + 8, n - 8);
    } else {
      lanes[0] = load8(p);
      lanes[1] = load8(p + 8);
      lanes[2] = load_partial(p + 16, n - 16);
    }
    for (auto& lane : lanes) lane |= kFold;
    for (std::size_t slot = hash(lanes, n); slots_[slot] != kEmpty;
         slot = (slot + 1) & (kSlots - 1)) {
      const Entry& e = entries_[slots_[slot]];
      if (same(e, lanes, n)) return &e.info;
    }
    return nullptr;
  }

 private:
  struct Entry {
    std::uint64_t lanes[3] = {0, 0, 0};
    std::uint8_t length = 0;
    KwInfo info{};
  };
  static constexpr std::uint16_t kEmpty = 0xFFFF;
  static constexpr std::uint64_t kFold = 0x2020202020202020ULL;

  static constexpr bool same(const Entry& e, const std::uint64_t (&lanes)[3],
                             std::size_t n) noexcept {
    return e.length == n && e.lanes[0] == lanes[0] && e.lanes[1] == lanes[1] &&
           e.lanes[2] == lanes[2];
  }
  static constexpr std::size_t hash(const std::uint64_t (&lanes)[3], std::size_t n) noexcept {
    std::uint64_t h = (lanes[0] ^ n) * 0x9E3779B97F4A7C15ULL;
    h ^= (lanes[1] ^ lanes[2]) * 0xC2B2AE3D27D4EB4FULL;
    return static_cast<std::size_t>(h >> 54) & (kSlots - 1);
  }
  // Little-endian lane order, the same as the constexpr packing above.
  static std::uint64_t byte(const char* p, std::size_t i) noexcept {
    return std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  }
  static std::uint64_t load8(const char* p) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      return v;
    } else {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < 8; ++i) v |= byte(p, i);
      return v;
    }
  }
  // Bytes [0, n) of p, n in [1, 8], zero above: two overlapping loads instead of a loop.
  static std::uint64_t load_partial(const char* p, std::size_t n) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
      if (n >= 4) {
        std::uint32_t lo, hi;
        std::memcpy(&lo, p, 4);
        std::memcpy(&hi, p + n - 4, 4);
        return std::uint64_t{lo} | (std::uint64_t{hi} << (8 * (n - 4)));
      }
      return byte(p, 0) | byte(p, n / 2) | byte(p, n - 1);
    } else {
      std::uint64_t v = 0;
      for (std::size_t i = 0; i < n; ++i) v |= byte(p, i);
      return v;
    }
  }

  Entry entries_[kSlots / 2]{};
  std::uint16_t slots_[kSlots]{};
  std::size_t max_length_ = 0;
};

inline constexpr KeywordTable kKeywords(kKeywordList);

// ---------------------------------------------------------------------------------------------
// Functions.

enum class Fn : std::uint8_t {
  read,             // no side effects: a replica may run it
  side_effect,      // writes, or must run on the primary
  side_effect_pin,  // ... and leaves state on the session (session advisory lock, set_config)
  session,          // reads state of this session only (currval, last_insert_rowid)
};

constexpr Named<Fn> R(std::string_view name) {
  return {name, Fn::read};
}
constexpr Named<Fn> W(std::string_view name) {
  return {name, Fn::side_effect};
}
constexpr Named<Fn> P(std::string_view name) {
  return {name, Fn::side_effect_pin};
}
constexpr Named<Fn> Q(std::string_view name) {
  return {name, Fn::session};
}

// PostgreSQL: common built-ins without side effects, then the denylist. The special forms that
// are keywords (coalesce, extract, substring, ...) never reach this table.
// clang-format off
inline constexpr Named<Fn> kPostgresFunctionList[] = {
    // aggregates
    R("count"), R("sum"), R("avg"), R("min"), R("max"), R("array_agg"), R("string_agg"),
    R("bool_and"), R("bool_or"), R("every"), R("bit_and"), R("bit_or"), R("bit_xor"),
    R("json_agg"), R("jsonb_agg"), R("json_agg_strict"), R("jsonb_agg_strict"),
    R("json_object_agg"), R("jsonb_object_agg"), R("json_object_agg_strict"),
    R("jsonb_object_agg_strict"), R("json_object_agg_unique"), R("jsonb_object_agg_unique"),
    R("xmlagg"), R("stddev"), R("stddev_pop"), R("stddev_samp"), R("variance"), R("var_pop"),
    R("var_samp"), R("corr"), R("covar_pop"), R("covar_samp"), R("regr_avgx"), R("regr_avgy"),
    R("regr_count"), R("regr_intercept"), R("regr_r2"), R("regr_slope"), R("regr_sxx"),
    R("regr_sxy"), R("regr_syy"), R("mode"), R("percentile_cont"), R("percentile_disc"),
    R("range_agg"), R("range_intersect_agg"), R("any_value"),
    // window functions
    R("row_number"), R("rank"), R("dense_rank"), R("percent_rank"), R("cume_dist"),
    R("ntile"), R("lag"), R("lead"), R("first_value"), R("last_value"), R("nth_value"),
    // math
    R("abs"), R("cbrt"), R("ceil"), R("ceiling"), R("degrees"), R("div"), R("exp"),
    R("factorial"), R("floor"), R("gcd"), R("lcm"), R("ln"), R("log"), R("log10"),
    R("min_scale"), R("mod"), R("pi"), R("power"), R("radians"), R("round"), R("scale"),
    R("sign"), R("sqrt"), R("trim_scale"), R("trunc"), R("width_bucket"), R("random"),
    R("random_normal"), R("acos"), R("acosd"), R("asin"), R("asind"), R("atan"), R("atand"),
    R("atan2"), R("atan2d"), R("cos"), R("cosd"), R("cot"), R("cotd"), R("sin"), R("sind"),
    R("tan"), R("tand"), R("sinh"), R("cosh"), R("tanh"), R("asinh"), R("acosh"), R("atanh"),
    R("erf"), R("erfc"),
    // strings and binary strings
    R("ascii"), R("bit_length"), R("btrim"), R("char_length"), R("character_length"),
    R("chr"), R("concat"), R("concat_ws"), R("format"), R("initcap"), R("left"), R("length"),
    R("lower"), R("lpad"), R("ltrim"), R("md5"), R("octet_length"), R("parse_ident"),
    R("quote_ident"), R("quote_literal"), R("quote_nullable"), R("regexp_count"),
    R("regexp_instr"), R("regexp_like"), R("regexp_match"), R("regexp_matches"),
    R("regexp_replace"), R("regexp_split_to_array"), R("regexp_split_to_table"),
    R("regexp_substr"), R("repeat"), R("replace"), R("reverse"), R("right"), R("rpad"),
    R("rtrim"), R("split_part"), R("starts_with"), R("string_to_array"),
    R("string_to_table"), R("strpos"), R("substr"), R("to_ascii"), R("to_hex"),
    R("translate"), R("unistr"), R("upper"), R("encode"), R("decode"), R("convert"),
    R("convert_from"), R("convert_to"), R("sha224"), R("sha256"), R("sha384"), R("sha512"),
    R("get_bit"), R("get_byte"), R("set_bit"), R("set_byte"), R("bit_count"), R("casefold"),
    R("crc32"), R("crc32c"), R("to_char"), R("to_date"), R("to_number"), R("to_timestamp"),
    R("text"),
    // date and time
    R("age"), R("clock_timestamp"), R("date_add"), R("date_bin"), R("date_part"),
    R("date_subtract"), R("date_trunc"), R("isfinite"), R("justify_days"),
    R("justify_hours"), R("justify_interval"), R("make_date"), R("make_interval"),
    R("make_time"), R("make_timestamp"), R("make_timestamptz"), R("now"),
    R("statement_timestamp"), R("timeofday"), R("transaction_timestamp"), R("timezone"),
    R("pg_sleep"), R("pg_sleep_for"), R("pg_sleep_until"),
    // type conversions spelled as functions
    R("int2"), R("int4"), R("int8"), R("float4"), R("float8"), R("bool"), R("date"),
    R("timestamptz"), R("bpchar"), R("name"), R("oid"), R("regclass"), R("regproc"),
    R("regtype"), R("to_regclass"), R("to_regtype"), R("to_regtypemod"), R("to_regproc"),
    R("to_regprocedure"), R("to_regoper"), R("to_regoperator"), R("to_regnamespace"),
    R("to_regrole"), R("to_regcollation"), R("format_type"), R("num_nulls"),
    R("num_nonnulls"), R("pg_typeof"), R("pg_input_is_valid"), R("pg_input_error_info"),
    // arrays and set-returning functions
    R("array_append"), R("array_cat"), R("array_dims"), R("array_fill"), R("array_length"),
    R("array_lower"), R("array_ndims"), R("array_position"), R("array_positions"),
    R("array_prepend"), R("array_remove"), R("array_replace"), R("array_reverse"),
    R("array_sample"), R("array_shuffle"), R("array_sort"), R("array_to_string"),
    R("array_upper"), R("cardinality"), R("trim_array"), R("unnest"), R("generate_series"),
    R("generate_subscripts"),
    // json and jsonb
    R("to_json"), R("to_jsonb"), R("array_to_json"), R("row_to_json"),
    R("json_build_array"), R("jsonb_build_array"), R("json_build_object"),
    R("jsonb_build_object"), R("jsonb_object"), R("json_array_elements"),
    R("jsonb_array_elements"), R("json_array_elements_text"), R("jsonb_array_elements_text"),
    R("json_array_length"), R("jsonb_array_length"), R("json_each"), R("jsonb_each"),
    R("json_each_text"), R("jsonb_each_text"), R("json_extract_path"),
    R("jsonb_extract_path"), R("json_extract_path_text"), R("jsonb_extract_path_text"),
    R("json_object_keys"), R("jsonb_object_keys"), R("json_populate_record"),
    R("jsonb_populate_record"), R("jsonb_populate_record_valid"),
    R("json_populate_recordset"), R("jsonb_populate_recordset"), R("json_to_record"),
    R("jsonb_to_record"), R("json_to_recordset"), R("jsonb_to_recordset"),
    R("json_strip_nulls"), R("jsonb_strip_nulls"), R("jsonb_set"), R("jsonb_set_lax"),
    R("jsonb_insert"), R("jsonb_pretty"), R("json_typeof"), R("jsonb_typeof"),
    R("jsonb_path_exists"), R("jsonb_path_match"), R("jsonb_path_query"),
    R("jsonb_path_query_array"), R("jsonb_path_query_first"), R("jsonb_path_exists_tz"),
    R("jsonb_path_match_tz"), R("jsonb_path_query_tz"), R("jsonb_path_query_array_tz"),
    R("jsonb_path_query_first_tz"), R("jsonb_exists"), R("jsonb_exists_any"),
    R("jsonb_exists_all"), R("jsonb_contains"), R("jsonb_contained"),
    // ranges, network, geometry
    R("isempty"), R("lower_inc"), R("upper_inc"), R("lower_inf"), R("upper_inf"),
    R("range_merge"), R("int4range"), R("int8range"), R("numrange"), R("tsrange"),
    R("tstzrange"), R("daterange"), R("host"), R("hostmask"), R("masklen"), R("netmask"),
    R("network"), R("broadcast"), R("family"), R("abbrev"), R("inet_same_family"),
    R("inet_merge"), R("set_masklen"), R("area"), R("center"), R("diameter"), R("height"),
    R("width"), R("isclosed"), R("isopen"), R("npoints"), R("pclose"), R("popen"),
    R("radius"), R("box"), R("circle"), R("line"), R("lseg"), R("path"), R("point"),
    R("polygon"), R("bound_box"),
    // full-text search, xml, uuid
    R("to_tsvector"), R("to_tsquery"), R("plainto_tsquery"), R("phraseto_tsquery"),
    R("websearch_to_tsquery"), R("ts_rank"), R("ts_rank_cd"), R("ts_headline"),
    R("setweight"), R("strip"), R("numnode"), R("querytree"), R("tsvector_to_array"),
    R("array_to_tsvector"), R("ts_lexize"), R("ts_debug"), R("ts_parse"),
    R("ts_token_type"), R("ts_delete"), R("ts_filter"), R("get_current_ts_config"),
    R("xpath"), R("xpath_exists"), R("xml_is_well_formed"),
    R("xml_is_well_formed_document"), R("xml_is_well_formed_content"), R("xmlcomment"),
    R("xmltext"), R("gen_random_uuid"), R("uuidv4"), R("uuidv7"), R("uuid_generate_v4"),
    R("uuid_extract_version"), R("uuid_extract_timestamp"),
    // session and system information
    R("current_database"), R("current_query"), R("current_schemas"),
    R("current_schema"), R("current_setting"), R("inet_client_addr"),
    R("inet_client_port"), R("inet_server_addr"), R("inet_server_port"),
    R("pg_backend_pid"), R("pg_blocking_pids"), R("pg_conf_load_time"),
    R("pg_is_in_recovery"), R("pg_last_wal_receive_lsn"), R("pg_last_wal_replay_lsn"),
    R("pg_last_xact_replay_timestamp"), R("pg_is_wal_replay_paused"),
    R("pg_get_wal_replay_pause_state"), R("pg_wal_lsn_diff"), R("pg_postmaster_start_time"),
    R("pg_trigger_depth"), R("pg_jit_available"), R("version"), R("pg_has_role"),
    R("has_table_privilege"), R("has_schema_privilege"), R("has_column_privilege"),
    R("has_any_column_privilege"), R("has_database_privilege"),
    R("has_function_privilege"), R("has_sequence_privilege"), R("has_type_privilege"),
    R("has_language_privilege"), R("has_server_privilege"), R("has_tablespace_privilege"),
    R("has_parameter_privilege"), R("has_foreign_data_wrapper_privilege"),
    R("pg_get_viewdef"), R("pg_get_indexdef"), R("pg_get_constraintdef"),
    R("pg_get_functiondef"), R("pg_get_function_arguments"), R("pg_get_function_result"),
    R("pg_get_function_identity_arguments"), R("pg_get_expr"), R("pg_get_keywords"),
    R("pg_get_ruledef"), R("pg_get_serial_sequence"), R("pg_get_statisticsobjdef"),
    R("pg_get_triggerdef"), R("pg_get_userbyid"), R("pg_get_partkeydef"),
    R("pg_table_is_visible"), R("pg_type_is_visible"), R("pg_function_is_visible"),
    R("pg_column_size"), R("pg_database_size"), R("pg_relation_size"), R("pg_table_size"),
    R("pg_indexes_size"), R("pg_total_relation_size"), R("pg_size_pretty"),
    R("pg_size_bytes"), R("pg_relation_filenode"), R("pg_relation_filepath"),
    R("pg_tablespace_size"), R("pg_tablespace_location"), R("pg_encoding_to_char"),
    R("pg_char_to_encoding"), R("pg_client_encoding"), R("obj_description"),
    R("col_description"), R("shobj_description"), R("pg_describe_object"),
    R("pg_identify_object"), R("pg_get_object_address"), R("txid_current_snapshot"),
    R("txid_snapshot_xmin"), R("txid_snapshot_xmax"), R("txid_snapshot_xip"),
    R("txid_visible_in_snapshot"), R("pg_current_snapshot"), R("pg_snapshot_xmin"),
    R("pg_snapshot_xmax"), R("pg_snapshot_xip"), R("pg_visible_in_snapshot"),
    R("pg_xact_status"), R("pg_xact_commit_timestamp"), R("pg_last_committed_xact"),
    R("pg_control_checkpoint"), R("pg_control_system"), R("pg_control_init"),
    R("pg_control_recovery"), R("pg_stat_get_wal_senders"), R("pg_stat_get_activity"),
    R("pg_stat_get_wal_receiver"), R("pg_listening_channels"),
    R("pg_notification_queue_usage"), R("pg_safe_snapshot_blocking_pids"),
    R("pg_walfile_name"), R("pg_walfile_name_offset"), R("pg_split_walfile_name"),
    R("pg_options_to_table"), R("pg_partition_root"), R("pg_partition_tree"),
    R("pg_partition_ancestors"), R("pg_column_compression"), R("pg_index_column_has_property"),
    R("pg_indexam_has_property"), R("pg_index_has_property"), R("pg_get_replica_identity_index"),

    // denylist: writes, or primary-only
    W("nextval"), W("setval"), W("pg_notify"), W("txid_current"),
    W("txid_current_if_assigned"), W("pg_current_xact_id"),
    W("pg_current_xact_id_if_assigned"), W("pg_advisory_xact_lock"),
    W("pg_advisory_xact_lock_shared"), W("pg_try_advisory_xact_lock"),
    W("pg_try_advisory_xact_lock_shared"), W("loread"), W("lowrite"),
    W("pg_current_wal_lsn"), W("pg_current_wal_insert_lsn"), W("pg_current_wal_flush_lsn"),
    W("pg_switch_wal"), W("pg_create_restore_point"), W("pg_terminate_backend"),
    W("pg_cancel_backend"), W("pg_reload_conf"), W("pg_rotate_logfile"), W("dblink_exec"),
    W("dblink"), W("pg_logical_emit_message"), W("pg_promote"), W("pg_wal_replay_pause"),
    W("pg_wal_replay_resume"), W("pg_create_physical_replication_slot"),
    W("pg_create_logical_replication_slot"), W("pg_drop_replication_slot"),
    W("pg_replication_slot_advance"), W("pg_logical_slot_get_changes"),
    W("pg_logical_slot_get_binary_changes"), W("pg_backup_start"), W("pg_backup_stop"),
    W("pg_log_backend_memory_contexts"), W("brin_summarize_new_values"),
    W("brin_summarize_range"), W("brin_desummarize_range"), W("gin_clean_pending_list"),
    W("pg_import_system_collations"), W("query_to_xml"), W("query_to_xmlschema"),
    W("query_to_xml_and_xmlschema"), W("cursor_to_xml"),
    // ... that also leave state on the session
    P("pg_advisory_lock"), P("pg_advisory_lock_shared"), P("pg_try_advisory_lock"),
    P("pg_try_advisory_lock_shared"), P("pg_advisory_unlock"), P("pg_advisory_unlock_shared"),
    P("pg_advisory_unlock_all"), P("set_config"), P("setseed"), P("dblink_connect"),
    P("dblink_connect_u"), P("dblink_disconnect"), P("dblink_open"), P("set_limit"),
    // session-bound reads
    Q("currval"), Q("lastval"),
};
// clang-format on
inline constexpr NameTable kPostgresFunctions(kPostgresFunctionList);

// Name prefixes of side-effect function families (checked only for names not in the table).
struct DenyPrefix {
  std::string_view prefix;
  Fn fn;
};
// clang-format off
inline constexpr DenyPrefix kPostgresDenyPrefixes[] = {
    {"pg_advisory_", Fn::side_effect_pin}, {"pg_try_advisory_", Fn::side_effect_pin},
    {"lo_", Fn::side_effect},              {"dblink", Fn::side_effect},
    {"pg_stat_reset", Fn::side_effect},    {"pg_create_", Fn::side_effect},
    {"pg_drop_", Fn::side_effect},         {"pg_replication_", Fn::side_effect},
    {"pg_logical_", Fn::side_effect},      {"pg_current_wal", Fn::side_effect},
    {"pg_wal_replay_", Fn::side_effect},   {"pg_copy_", Fn::side_effect},
    {"pg_file_", Fn::side_effect},         {"pg_switch_", Fn::side_effect},
};
// clang-format on

// clang-format off
inline constexpr Named<Fn> kSqliteFunctionList[] = {
    R("abs"), R("char"), R("coalesce"), R("concat"), R("concat_ws"), R("format"), R("glob"),
    R("hex"), R("ifnull"), R("iif"), R("if"), R("instr"), R("length"), R("like"),
    R("likelihood"), R("likely"), R("lower"), R("ltrim"), R("max"), R("min"), R("nullif"),
    R("octet_length"), R("printf"), R("quote"), R("random"), R("randomblob"), R("replace"),
    R("round"), R("rtrim"), R("sign"), R("soundex"), R("sqlite_compileoption_get"),
    R("sqlite_compileoption_used"), R("sqlite_offset"), R("sqlite_source_id"),
    R("sqlite_version"), R("substr"), R("substring"), R("trim"), R("typeof"), R("unhex"),
    R("unicode"), R("unlikely"), R("upper"), R("zeroblob"), R("date"), R("time"),
    R("datetime"), R("julianday"), R("unixepoch"), R("strftime"), R("timediff"), R("avg"),
    R("count"), R("group_concat"), R("string_agg"), R("sum"), R("total"), R("median"),
    R("row_number"), R("rank"), R("dense_rank"), R("percent_rank"), R("cume_dist"),
    R("ntile"), R("lag"), R("lead"), R("first_value"), R("last_value"), R("nth_value"),
    R("acos"), R("acosh"), R("asin"), R("asinh"), R("atan"), R("atan2"), R("atanh"),
    R("ceil"), R("ceiling"), R("cos"), R("cosh"), R("degrees"), R("exp"), R("floor"),
    R("ln"), R("log"), R("log10"), R("log2"), R("mod"), R("pi"), R("pow"), R("power"),
    R("radians"), R("sin"), R("sinh"), R("sqrt"), R("tan"), R("tanh"), R("trunc"),
    R("json"), R("jsonb"), R("json_array"), R("jsonb_array"), R("json_array_length"),
    R("json_error_position"), R("json_extract"), R("jsonb_extract"), R("json_insert"),
    R("jsonb_insert"), R("json_object"), R("jsonb_object"), R("json_patch"),
    R("jsonb_patch"), R("json_pretty"), R("json_remove"), R("jsonb_remove"),
    R("json_replace"), R("jsonb_replace"), R("json_set"), R("jsonb_set"), R("json_type"),
    R("json_valid"), R("json_quote"), R("json_group_array"), R("jsonb_group_array"),
    R("json_group_object"), R("jsonb_group_object"), R("json_each"), R("json_tree"),
    R("generate_series"), R("highlight"), R("snippet"), R("bm25"),
    R("pragma_table_info"), R("pragma_table_xinfo"), R("pragma_index_list"),
    R("pragma_index_info"), R("pragma_index_xinfo"), R("pragma_foreign_key_list"),
    R("pragma_database_list"), R("pragma_compile_options"), R("pragma_function_list"),
    R("pragma_module_list"), R("pragma_pragma_list"), R("pragma_collation_list"),
    R("pragma_table_list"),
    W("load_extension"), W("fts3_tokenizer"),
    Q("changes"), Q("last_insert_rowid"), Q("total_changes"),
};
// clang-format on
inline constexpr NameTable kSqliteFunctions(kSqliteFunctionList);

// ---------------------------------------------------------------------------------------------
// SQLite pragmas.

enum class Pragma : std::uint8_t {
  query,       // reads, with or without an argument (table_info(t), integrity_check)
  persistent,  // bare: reads; with a value: writes the database file (user_version = 3)
  session,     // bare: reads; with a value: connection setting (foreign_keys = on)
  action,      // always writes (wal_checkpoint, optimize, incremental_vacuum)
};

// clang-format off
inline constexpr Named<Pragma> kPragmaList[] = {
    {"table_info", Pragma::query}, {"table_xinfo", Pragma::query},
    {"index_list", Pragma::query}, {"index_info", Pragma::query},
    {"index_xinfo", Pragma::query}, {"foreign_key_list", Pragma::query},
    {"foreign_key_check", Pragma::query}, {"integrity_check", Pragma::query},
    {"quick_check", Pragma::query}, {"database_list", Pragma::query},
    {"compile_options", Pragma::query}, {"collation_list", Pragma::query},
    {"function_list", Pragma::query}, {"module_list", Pragma::query},
    {"pragma_list", Pragma::query}, {"table_list", Pragma::query},
    {"data_version", Pragma::query}, {"freelist_count", Pragma::query},
    {"page_count", Pragma::query}, {"stats", Pragma::query},
    {"application_id", Pragma::persistent}, {"auto_vacuum", Pragma::persistent},
    {"encoding", Pragma::persistent}, {"journal_mode", Pragma::persistent},
    {"page_size", Pragma::persistent}, {"schema_version", Pragma::persistent},
    {"user_version", Pragma::persistent}, {"legacy_file_format", Pragma::persistent},
    {"analysis_limit", Pragma::session}, {"automatic_index", Pragma::session},
    {"busy_timeout", Pragma::session}, {"cache_size", Pragma::session},
    {"cache_spill", Pragma::session}, {"case_sensitive_like", Pragma::session},
    {"cell_size_check", Pragma::session}, {"checkpoint_fullfsync", Pragma::session},
    {"count_changes", Pragma::session}, {"defer_foreign_keys", Pragma::session},
    {"empty_result_callbacks", Pragma::session}, {"foreign_keys", Pragma::session},
    {"full_column_names", Pragma::session}, {"fullfsync", Pragma::session},
    {"hard_heap_limit", Pragma::session}, {"ignore_check_constraints", Pragma::session},
    {"journal_size_limit", Pragma::session}, {"legacy_alter_table", Pragma::session},
    {"locking_mode", Pragma::session}, {"max_page_count", Pragma::session},
    {"mmap_size", Pragma::session}, {"query_only", Pragma::session},
    {"read_uncommitted", Pragma::session}, {"recursive_triggers", Pragma::session},
    {"reverse_unordered_selects", Pragma::session}, {"secure_delete", Pragma::session},
    {"short_column_names", Pragma::session}, {"shrink_memory", Pragma::session},
    {"soft_heap_limit", Pragma::session}, {"synchronous", Pragma::session},
    {"temp_store", Pragma::session}, {"threads", Pragma::session},
    {"trusted_schema", Pragma::session}, {"wal_autocheckpoint", Pragma::session},
    {"writable_schema", Pragma::session},
    {"wal_checkpoint", Pragma::action}, {"optimize", Pragma::action},
    {"incremental_vacuum", Pragma::action},
};
// clang-format on
inline constexpr NameTable kPragmas(kPragmaList);

}  // namespace switchyard::sql::detail
