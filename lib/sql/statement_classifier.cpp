#include "switchyard/sql/statement_classifier.hpp"

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "classifier_tables.hpp"
#include "lexer_core.hpp"
#include "switchyard/sql/lexer.hpp"

namespace switchyard::sql {
namespace {

using detail::Fn;
using detail::Kw;
using detail::Paren;
using detail::Pragma;

constexpr std::size_t npos = static_cast<std::size_t>(-1);

// A token as the classifier sees it: comments dropped, keywords resolved once.
struct Tok {
  std::string_view text;
  TokenKind kind = TokenKind::end;
  Kw kw = Kw::none;
  detail::Paren paren = detail::Paren::call;  // what `keyword (` is
};

// One reason: a code plus an optional detail. The detail is either static text or, for names,
// the raw identifier tokens (folded or unquoted only when the reason is rendered).
struct Reason {
  ReasonCode code = ReasonCode::select;
  std::string_view detail;
  std::string_view schema;  // raw qualifier of a function name, if any
  bool detail_is_name = false;
};

// The verdict on one statement (or, combined, on a string of them).
struct Verdict {
  StatementKind kind = StatementKind::read;
  Route route = Route::replica;
  Reason reason;
  Reason function_reason;  // the first side-effect or unknown function, if any
  bool pins = false;
  bool temp_ref = false;  // names a temporary relation, which exists only on this connection
  bool function_write = false;
};

constexpr int severity(StatementKind kind) noexcept {
  switch (kind) {
    case StatementKind::read:
      return 0;
    case StatementKind::transaction_control:
      return 1;
    case StatementKind::session_state:
      return 2;
    case StatementKind::write:
      return 3;
  }
  return 3;
}

Verdict make(StatementKind kind, Route route, ReasonCode code, std::string_view detail = {}) {
  Verdict v;
  v.kind = kind;
  v.route = route;
  v.reason = Reason{code, detail, {}, false};
  return v;
}
Verdict write(ReasonCode code, std::string_view detail = {}) {
  return make(StatementKind::write, Route::primary, code, detail);
}
Verdict session(Route route, ReasonCode code, std::string_view detail = {}, bool pins = false) {
  Verdict v = make(StatementKind::session_state, route, code, detail);
  v.pins = pins;
  return v;
}
Verdict transaction(std::string_view detail) {
  return make(StatementKind::transaction_control, Route::primary, ReasonCode::transaction_control,
              detail);
}

// Makes `v` at least as restrictive as (kind, route, reason); the first reason of the highest
// severity is kept.
void raise(Verdict& v, StatementKind kind, Route route, const Reason& reason) {
  if (severity(kind) > severity(v.kind)) {
    v.kind = kind;
    v.route = route;
    v.reason = reason;
  } else if (kind == v.kind && kind == StatementKind::session_state && route == Route::primary) {
    v.route = Route::primary;
  }
}

bool is_name_token(const Tok& t) noexcept {
  return t.kind == TokenKind::word || t.kind == TokenKind::quoted_identifier;
}
// The last token of an operand: after it a name cannot start a function call, only an alias or
// an operator keyword (LIKE, JOIN ...).
bool is_operand_end(const Tok& t) noexcept {
  switch (t.kind) {
    case TokenKind::rparen:
    case TokenKind::rbracket:
    case TokenKind::quoted_identifier:
    case TokenKind::string:
    case TokenKind::dollar_string:
    case TokenKind::number:
    case TokenKind::placeholder:
      return true;
    case TokenKind::word:
      return t.kw == Kw::none;
    default:
      return false;
  }
}

bool is_quoted(std::string_view raw) noexcept {
  return !raw.empty() && (raw.front() == '"' || raw.front() == '`' || raw.front() == '[');
}

// Writes the identifier `raw` as the server resolves it: unquoted names fold to lower case,
// quoted ones keep their case (SQLite folds those too: its names are case-insensitive).
// Returns false if it does not fit.
bool fold_name(std::string_view raw, bool fold_quoted, char* out, std::size_t cap,
               std::size_t& len) {
  len = 0;
  const bool quoted = is_quoted(raw);
  std::string_view body = quoted ? raw.substr(1, raw.size() >= 2 ? raw.size() - 2 : 0) : raw;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (quoted && raw.front() != '[' && c == raw.front()) ++i;  // doubled quote
    if (len >= cap) return false;
    out[len++] = (!quoted || fold_quoted) ? to_lower_ascii(c) : c;
  }
  return true;
}

void append_name(std::string& out, std::string_view raw, bool fold_quoted) {
  char buf[256];
  std::size_t len = 0;
  if (fold_name(raw, fold_quoted, buf, sizeof buf, len)) {
    out.append(buf, len);
  } else {
    out.append(raw);
  }
}

std::string_view dml_name(Kw kw) noexcept {
  switch (kw) {
    case Kw::insert:
      return "INSERT";
    case Kw::update:
      return "UPDATE";
    case Kw::delete_:
      return "DELETE";
    case Kw::merge:
      return "MERGE";
    default:
      return "DML";
  }
}

// Statement keywords that always write, with the name used in WRITE_STATEMENT(...).
std::string_view write_leader_name(Kw kw, Dialect dialect) noexcept {
  const bool pg = dialect == Dialect::postgresql;
  switch (kw) {
    case Kw::insert:
      return "INSERT";
    case Kw::update:
      return "UPDATE";
    case Kw::delete_:
      return "DELETE";
    case Kw::drop:
      return "DROP";
    case Kw::alter:
      return "ALTER";
    case Kw::vacuum:
      return "VACUUM";
    case Kw::analyze:
      return "ANALYZE";
    case Kw::reindex:
      return "REINDEX";
    case Kw::replace:
      return pg ? std::string_view{} : "REPLACE";
    default:
      break;
  }
  if (!pg) return {};
  switch (kw) {
    case Kw::merge:
      return "MERGE";
    case Kw::truncate:
      return "TRUNCATE";
    case Kw::grant:
      return "GRANT";
    case Kw::revoke:
      return "REVOKE";
    case Kw::analyse:
      return "ANALYSE";
    case Kw::cluster:
      return "CLUSTER";
    case Kw::lock:
      return "LOCK";
    case Kw::comment:
      return "COMMENT";
    case Kw::refresh:
      return "REFRESH";
    case Kw::call:
      return "CALL";
    case Kw::do_:
      return "DO";
    case Kw::import:
      return "IMPORT";
    case Kw::security:
      return "SECURITY LABEL";
    case Kw::notify:
      return "NOTIFY";
    case Kw::checkpoint:
      return "CHECKPOINT";
    case Kw::load:
      return "LOAD";
    case Kw::reassign:
      return "REASSIGN";
    default:
      return {};
  }
}

// Walks one token vector. Each method looks at [b, e) of it.
class Analyzer {
 public:
  Analyzer(const StatementClassifier& classifier, const std::vector<Tok>& toks)
      : classifier_(classifier), toks_(toks), pg_(classifier.dialect() == Dialect::postgresql) {}

  Verdict statement(std::size_t b, std::size_t e) const;

 private:
  Kw kw_at(std::size_t i, std::size_t e) const noexcept {
    return (i < e && toks_[i].kind == TokenKind::word) ? toks_[i].kw : Kw::none;
  }
  bool kind_at(std::size_t i, std::size_t e, TokenKind kind) const noexcept {
    return i < e && toks_[i].kind == kind;
  }
  // Whether on_word can act on token i: a qualifier (a temporary schema, perhaps) or one of the
  // keywords it handles. Checked inline first, because most words and identifiers are neither.
  bool word_matters(std::size_t i, std::size_t e) const noexcept {
    if (kind_at(i + 1, e, TokenKind::dot)) return true;
    if (toks_[i].kind != TokenKind::word) return false;
    switch (toks_[i].kw) {
      case Kw::for_:
      case Kw::nowait:
      case Kw::skip:
      case Kw::into:
      case Kw::insert:
      case Kw::update:
      case Kw::delete_:
      case Kw::merge:
        return true;
      default:
        return false;
    }
  }
  std::size_t matching_paren(std::size_t open, std::size_t e) const noexcept;
  bool balanced(std::size_t b, std::size_t e) const noexcept;
  std::size_t leader_index(std::size_t b, std::size_t e) const noexcept;

  Verdict dispatch(std::size_t b, std::size_t i, std::size_t e) const;
  Verdict query(std::size_t b, std::size_t e, ReasonCode code) const;
  Verdict write_statement(std::size_t b, std::size_t e, std::string_view name) const;
  Verdict create(std::size_t b, std::size_t i, std::size_t e) const;
  Verdict explain(std::size_t i, std::size_t e) const;
  bool explain_options(std::size_t& j, std::size_t e, bool& analyze) const;
  Verdict copy(std::size_t i, std::size_t e) const;
  Verdict set(std::size_t i, std::size_t e) const;
  Verdict declare(std::size_t i, std::size_t e) const;
  Verdict begin(std::size_t i, std::size_t e, Kw kw) const;
  Verdict end_transaction(std::size_t i, std::size_t e, Kw kw) const;
  Verdict pragma(std::size_t i, std::size_t e) const;

  void scan(std::size_t b, std::size_t e, Verdict& v) const;
  void on_word(std::size_t b, std::size_t i, std::size_t e, int depth, bool cte_paren,
               Verdict& v) const;
  void on_dml_word(std::size_t b, std::size_t i, std::size_t e, int depth, bool cte_paren,
                   Verdict& v) const;
  bool is_temp_schema(std::size_t i, std::size_t e) const noexcept;
  void check_call(std::size_t b, std::size_t name, std::size_t e, bool cte_name, Verdict& v) const;
  bool not_a_call(std::size_t b, std::size_t first, std::size_t name, bool qualified, std::size_t e,
                  bool cte_name) const;
  bool contextual_syntax(std::size_t b, std::size_t name, std::size_t e) const;
  bool in_group_by_list(std::size_t b, std::size_t comma) const noexcept;
  bool operator_reference(std::size_t open, std::size_t e) const noexcept;
  std::size_t identifier_list(std::size_t open, std::size_t e) const noexcept;
  Fn lookup_function(std::string_view schema, std::string_view name, bool& known) const;

  const StatementClassifier& classifier_;
  const std::vector<Tok>& toks_;
  bool pg_;
};

std::size_t Analyzer::matching_paren(std::size_t open, std::size_t e) const noexcept {
  int depth = 0;
  for (std::size_t i = open; i < e; ++i) {
    if (toks_[i].kind == TokenKind::lparen) ++depth;
    if (toks_[i].kind == TokenKind::rparen && --depth == 0) return i;
  }
  return npos;
}

bool Analyzer::balanced(std::size_t b, std::size_t e) const noexcept {
  int depth = 0;
  for (std::size_t i = b; i < e; ++i) {
    if (toks_[i].kind == TokenKind::lparen) ++depth;
    if (toks_[i].kind == TokenKind::rparen && --depth < 0) return false;
  }
  return depth == 0;
}

std::size_t Analyzer::leader_index(std::size_t b, std::size_t e) const noexcept {
  while (b < e && toks_[b].kind == TokenKind::lparen) ++b;
  return b;
}

Verdict Analyzer::statement(std::size_t b, std::size_t e) const {
  const std::size_t i = leader_index(b, e);
  if (i >= e || toks_[i].kind != TokenKind::word) return write(ReasonCode::unrecognized_statement);
  Verdict v = dispatch(b, i, e);
  const Kw kw = toks_[i].kw;
  const bool query_leader =
      kw == Kw::select || kw == Kw::with || kw == Kw::values || (pg_ && kw == Kw::table);
  if (i > b && !query_leader && v.kind != StatementKind::write) {
    // `(SET ...)`, `(BEGIN)`: not valid SQL, so not provably harmless.
    const bool pins = v.pins;
    v = write(ReasonCode::unrecognized_statement);
    v.pins = pins;
  }
  if (v.kind != StatementKind::write && !balanced(b, e)) {
    // Only queries scan their parentheses; `EXPLAIN SELECT 1)` or `SHOW x)` is no read either.
    const bool pins = v.pins;
    v = write(ReasonCode::unbalanced_parentheses);
    v.pins = pins;
  }
  return v;
}

Verdict Analyzer::dispatch(std::size_t b, std::size_t i, std::size_t e) const {
  const Kw kw = toks_[i].kw;
  switch (kw) {
    case Kw::select:
      return query(b, e, ReasonCode::select);
    case Kw::with:
      return query(b, e, ReasonCode::with);
    case Kw::values:
      return query(b, e, ReasonCode::values);
    case Kw::explain:
      return explain(i, e);
    case Kw::create:
      return create(b, i, e);
    case Kw::begin:
    case Kw::start:
      return begin(i, e, kw);
    case Kw::commit:
    case Kw::end:
    case Kw::rollback:
    case Kw::abort:
    case Kw::savepoint:
    case Kw::release:
      return end_transaction(i, e, kw);
    default:
      break;
  }
  if (std::string_view name = write_leader_name(kw, classifier_.dialect()); !name.empty()) {
    return write_statement(b, e, name);
  }
  if (!pg_) {
    switch (kw) {
      case Kw::pragma:
        return pragma(i, e);
      case Kw::attach:
        return session(Route::primary, ReasonCode::session_state, "ATTACH", true);
      case Kw::detach:
        return session(Route::primary, ReasonCode::session_state, "DETACH", true);
      default:
        return write(ReasonCode::unrecognized_statement);
    }
  }
  switch (kw) {
    case Kw::table:
      return query(b, e, ReasonCode::table);
    case Kw::show:
      return make(StatementKind::read, Route::replica, ReasonCode::show);
    case Kw::copy:
      return copy(i, e);
    case Kw::set:
      return set(i, e);
    case Kw::reset:
      return session(Route::all, ReasonCode::session_state, "RESET");
    case Kw::discard:
      return session(Route::all, ReasonCode::session_state, "DISCARD");
    case Kw::prepare:
      if (kw_at(i + 1, e) == Kw::transaction) return transaction("PREPARE TRANSACTION");
      return session(Route::primary, ReasonCode::session_state, "PREPARE", true);
    case Kw::execute: {
      Verdict v = write(ReasonCode::execute);
      v.pins = true;
      return v;
    }
    case Kw::deallocate:
      return session(Route::primary, ReasonCode::session_state, "DEALLOCATE", true);
    case Kw::listen:
      return session(Route::primary, ReasonCode::listen, {}, true);
    case Kw::unlisten:
      return session(Route::primary, ReasonCode::session_state, "UNLISTEN", true);
    case Kw::declare:
      return declare(i, e);
    case Kw::fetch:
      return session(Route::primary, ReasonCode::cursor, "FETCH");
    case Kw::move:
      return session(Route::primary, ReasonCode::cursor, "MOVE");
    case Kw::close:
      return session(Route::primary, ReasonCode::cursor, "CLOSE");
    case Kw::wait:
      // PostgreSQL 18+: WAIT FOR LSN '...' only waits for replay on a standby.
      if (kw_at(i + 1, e) == Kw::for_ && i + 2 < e && iequals_ascii(toks_[i + 2].text, "lsn")) {
        return make(StatementKind::read, Route::replica, ReasonCode::wait_for_lsn);
      }
      return write(ReasonCode::unrecognized_statement);
    default:
      return write(ReasonCode::unrecognized_statement);
  }
}

Verdict Analyzer::query(std::size_t b, std::size_t e, ReasonCode code) const {
  Verdict v = make(StatementKind::read, Route::replica, code);
  scan(b, e, v);
  return v;
}

Verdict Analyzer::write_statement(std::size_t b, std::size_t e, std::string_view name) const {
  // Still scanned: the route is settled, but session pins (advisory locks, currval, temp
  // tables) and the functions a plain EXPLAIN would plan are not.
  Verdict v = write(ReasonCode::write_statement, name);
  scan(b, e, v);
  if (v.temp_ref) v.pins = true;
  return v;
}

Verdict Analyzer::create(std::size_t b, std::size_t i, std::size_t e) const {
  std::size_t j = i + 1;
  if (kw_at(j, e) == Kw::or_ && kw_at(j + 1, e) == Kw::replace) j += 2;
  if (kw_at(j, e) == Kw::global || kw_at(j, e) == Kw::local) ++j;
  const bool temp = kw_at(j, e) == Kw::temp || kw_at(j, e) == Kw::temporary;
  Verdict v = write_statement(b, e, "CREATE");
  if (temp || v.temp_ref) {
    v.reason = Reason{ReasonCode::temp_table, {}, {}, false};
    v.pins = true;
  }
  return v;
}

bool Analyzer::explain_options(std::size_t& j, std::size_t e, bool& analyze) const {
  // ( option [value] [, ...] ): ANALYZE is on unless its value is plainly false.
  std::size_t k = j + 1;
  while (k < e && toks_[k].kind != TokenKind::rparen) {
    if (toks_[k].kind != TokenKind::word) return false;
    const bool is_analyze = toks_[k].kw == Kw::analyze || toks_[k].kw == Kw::analyse;
    const std::size_t value = ++k;
    while (k < e && toks_[k].kind != TokenKind::comma && toks_[k].kind != TokenKind::rparen) ++k;
    if (is_analyze) {
      bool off = false;
      if (k == value + 1) {
        std::string_view t = toks_[value].text;
        if (toks_[value].kind == TokenKind::string && t.size() >= 2) t = t.substr(1, t.size() - 2);
        off = iequals_ascii(t, "false") || iequals_ascii(t, "off") || t == "0";
      }
      analyze = analyze || !off;
    }
    if (kind_at(k, e, TokenKind::comma)) ++k;
  }
  if (k >= e) return false;
  j = k + 1;
  return true;
}

Verdict Analyzer::explain(std::size_t i, std::size_t e) const {
  std::size_t j = i + 1;
  bool analyze = false;
  if (pg_) {
    if (kind_at(j, e, TokenKind::lparen)) {
      if (!explain_options(j, e, analyze)) return write(ReasonCode::unrecognized_statement);
    } else {
      for (Kw kw = kw_at(j, e); kw == Kw::analyze || kw == Kw::analyse || kw == Kw::verbose;
           kw = kw_at(++j, e)) {
        analyze = analyze || kw != Kw::verbose;
      }
    }
  } else if (kw_at(j, e) == Kw::query && kw_at(j + 1, e) == Kw::plan) {
    j += 2;
  }
  if (j >= e) return write(ReasonCode::unrecognized_statement);

  Verdict inner = statement(j, e);
  const Kw lead = kw_at(leader_index(j, e), e);
  const bool plannable = lead == Kw::select || lead == Kw::with || lead == Kw::values ||
                         lead == Kw::insert || lead == Kw::update || lead == Kw::delete_ ||
                         (pg_ && (lead == Kw::table || lead == Kw::merge)) ||
                         (!pg_ && lead == Kw::replace);
  if (!plannable) {
    // EXPLAIN EXECUTE, EXPLAIN CREATE TABLE AS ...: as restrictive as the statement itself.
    if (inner.kind != StatementKind::write) return write(ReasonCode::unrecognized_statement);
    if (analyze) inner.reason = Reason{ReasonCode::explain_analyze_write, {}, {}, false};
    return inner;
  }
  if (analyze) {  // EXPLAIN ANALYZE runs the statement
    if (inner.kind == StatementKind::write) {
      inner.reason = Reason{ReasonCode::explain_analyze_write, {}, {}, false};
    } else if (inner.kind == StatementKind::read) {
      inner.reason = Reason{ReasonCode::explain_analyze, {}, {}, false};
    }
    return inner;
  }
  // Plain EXPLAIN only plans. But planning may evaluate stable functions with constant
  // arguments for estimates, so a side-effect or unknown function still makes it a write.
  if (inner.function_write) {
    Verdict v = write(ReasonCode::side_effect_function);
    v.reason = inner.function_reason;
    return v;
  }
  if (inner.temp_ref) return session(Route::primary, ReasonCode::temp_table, {}, true);
  return make(StatementKind::read, Route::replica, ReasonCode::explain);
}

Verdict Analyzer::copy(std::size_t i, std::size_t e) const {
  std::size_t j = i + 1;
  Verdict source = make(StatementKind::read, Route::replica, ReasonCode::copy_to_stdout);
  if (kind_at(j, e, TokenKind::lparen)) {  // COPY (query) TO ...
    const std::size_t close = matching_paren(j, e);
    if (close == npos) return write(ReasonCode::unbalanced_parentheses);
    source = statement(j + 1, close);
    j = close + 1;
  } else {  // COPY [schema.]table [(columns)] ...
    if (j >= e || !is_name_token(toks_[j])) return write(ReasonCode::unrecognized_statement);
    if (is_temp_schema(j, e)) source.temp_ref = true;
    ++j;
    while (kind_at(j, e, TokenKind::dot) && j + 1 < e && is_name_token(toks_[j + 1])) j += 2;
    if (kind_at(j, e, TokenKind::lparen)) {
      const std::size_t close = matching_paren(j, e);
      if (close == npos) return write(ReasonCode::unbalanced_parentheses);
      j = close + 1;
    }
  }
  Verdict v;
  if (kw_at(j, e) == Kw::from) {
    v = write(ReasonCode::copy_from);
  } else if (kw_at(j, e) != Kw::to) {
    v = write(ReasonCode::unrecognized_statement);
  } else if (kw_at(j + 1, e) != Kw::stdout) {
    v = write(ReasonCode::copy_to_file);  // a server-side file or PROGRAM
  } else if (source.kind != StatementKind::read) {
    return source;
  } else if (source.temp_ref) {
    v = session(Route::primary, ReasonCode::temp_table, {}, true);
  } else {
    return source.reason.code == ReasonCode::copy_to_stdout
               ? source
               : make(StatementKind::read, Route::replica, ReasonCode::copy_to_stdout);
  }
  v.pins = v.pins || source.pins || source.temp_ref;
  return v;
}

Verdict Analyzer::set(std::size_t i, std::size_t e) const {
  switch (kw_at(i + 1, e)) {
    case Kw::none:
      if (i + 1 >= e) return write(ReasonCode::unrecognized_statement);
      break;
    case Kw::transaction:
      return transaction("SET TRANSACTION");
    case Kw::constraints:
      return transaction("SET CONSTRAINTS");
    case Kw::local:
      // Lasts until the end of the current transaction, which already pins its connection.
      return session(Route::primary, ReasonCode::session_state, "SET LOCAL");
    default:
      break;
  }
  return session(Route::all, ReasonCode::session_state, "SET");
}

Verdict Analyzer::declare(std::size_t i, std::size_t e) const {
  // DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR q
  std::size_t j = i + 2;
  while (j < e && toks_[j].kind == TokenKind::word && toks_[j].kw != Kw::cursor) ++j;
  if (kw_at(j, e) != Kw::cursor) return write(ReasonCode::unrecognized_statement);
  ++j;
  bool hold = false;
  if ((kw_at(j, e) == Kw::with || kw_at(j, e) == Kw::without) && kw_at(j + 1, e) == Kw::hold) {
    hold = kw_at(j, e) == Kw::with;
    j += 2;
  }
  if (kw_at(j, e) != Kw::for_ || j + 1 >= e) return write(ReasonCode::unrecognized_statement);
  Verdict inner = statement(j + 1, e);
  if (inner.kind == StatementKind::write) {
    inner.pins = inner.pins || hold;
    return inner;
  }
  if (inner.kind != StatementKind::read && inner.kind != StatementKind::session_state) {
    return write(ReasonCode::unrecognized_statement);
  }
  Verdict v = hold ? session(Route::primary, ReasonCode::cursor_with_hold, {}, true)
                   : session(Route::primary, ReasonCode::cursor, "DECLARE");
  v.pins = v.pins || inner.pins || inner.temp_ref;
  return v;
}

Verdict Analyzer::begin(std::size_t i, std::size_t e, Kw kw) const {
  if (kw == Kw::start && (!pg_ || kw_at(i + 1, e) != Kw::transaction)) {
    return write(ReasonCode::unrecognized_statement);
  }
  bool read_only = false;
  for (std::size_t j = i + 1; j + 1 < e; ++j) {
    if (kw_at(j, e) == Kw::read && kw_at(j + 1, e) == Kw::only) read_only = true;
  }
  if (kw == Kw::start)
    return transaction(read_only ? "START TRANSACTION READ ONLY" : "START TRANSACTION");
  return transaction(read_only ? "BEGIN READ ONLY" : "BEGIN");
}

Verdict Analyzer::end_transaction(std::size_t i, std::size_t e, Kw kw) const {
  std::size_t j = i + 1;
  while (kw_at(j, e) == Kw::work || kw_at(j, e) == Kw::transaction) ++j;
  switch (kw) {
    case Kw::commit:
      // Two-phase commit makes durable what another session wrote.
      if (pg_ && kw_at(j, e) == Kw::prepared)
        return write(ReasonCode::write_statement, "COMMIT PREPARED");
      return transaction("COMMIT");
    case Kw::rollback:
      if (pg_ && kw_at(j, e) == Kw::prepared) {
        return write(ReasonCode::write_statement, "ROLLBACK PREPARED");
      }
      return transaction(kw_at(j, e) == Kw::to ? "ROLLBACK TO" : "ROLLBACK");
    case Kw::end:
      return transaction("END");
    case Kw::abort:
      return pg_ ? transaction("ABORT") : write(ReasonCode::unrecognized_statement);
    case Kw::savepoint:
      return transaction("SAVEPOINT");
    case Kw::release:
      return transaction("RELEASE");
    default:
      return write(ReasonCode::unrecognized_statement);
  }
}

Verdict Analyzer::pragma(std::size_t i, std::size_t e) const {
  // PRAGMA [schema.]name [= value | (argument)]
  std::size_t j = i + 1;
  if (j >= e || !is_name_token(toks_[j])) return write(ReasonCode::unrecognized_statement);
  const bool temp = is_temp_schema(j, e);
  if (kind_at(j + 1, e, TokenKind::dot)) j += 2;
  if (j >= e || !is_name_token(toks_[j])) return write(ReasonCode::unrecognized_statement);
  const Tok& name = toks_[j];
  const bool has_value = kind_at(j + 1, e, TokenKind::lparen) ||
                         (kind_at(j + 1, e, TokenKind::op) && toks_[j + 1].text == "=");
  char buf[64];
  std::size_t len = 0;
  const Pragma* kind = fold_name(name.text, true, buf, sizeof buf, len)
                           ? detail::kPragmas.find(std::string_view(buf, len))
                           : nullptr;
  Verdict v;
  if (kind == nullptr) {
    v = write(ReasonCode::unknown_pragma);
  } else if (*kind == Pragma::action || (*kind == Pragma::persistent && has_value)) {
    v = write(ReasonCode::pragma_write);
  } else if (*kind == Pragma::session && has_value) {
    return session(Route::all, ReasonCode::session_state, "PRAGMA");
  } else if (temp) {
    return session(Route::primary, ReasonCode::temp_table, {}, true);
  } else {
    v = make(StatementKind::read, Route::replica, ReasonCode::pragma_read);
  }
  v.reason.detail = name.text;
  v.reason.detail_is_name = true;
  return v;
}

// ---------------------------------------------------------------------------------------------
// The scan: one pass over a statement, at every depth, looking for what makes a query a write.

void Analyzer::scan(std::size_t b, std::size_t e, Verdict& v) const {
  // Per depth d (bit d): inside a WITH list, and the paren at d opened a CTE body. Only such
  // parens are CTE bodies; `FROM f() AS (a int)` is a column definition list.
  std::uint64_t with_lists = 0;
  std::uint64_t cte_parens = 0;
  int depth = 0;
  std::size_t last_cte_close = npos;
  // Parentheses around the whole statement: `(WITH x AS (...) DELETE ...)` still has its main
  // statement at the outer level.
  int outer = 0;
  while (b + outer < e && toks_[b + outer].kind == TokenKind::lparen) ++outer;
  auto bit = [](int d) { return std::uint64_t{1} << (d & 63); };
  for (std::size_t i = b; i < e; ++i) {
    const Tok& t = toks_[i];
    switch (t.kind) {
      case TokenKind::lparen: {
        const Tok* prev = i > b ? &toks_[i - 1] : nullptr;
        const bool in_with = (with_lists & bit(depth)) != 0;
        const bool name_before = prev != nullptr && is_name_token(*prev);
        const bool cte =
            in_with && prev != nullptr && (prev->kw == Kw::as || prev->kw == Kw::materialized);
        if (in_with && !cte && !name_before) with_lists &= ~bit(depth);  // (SELECT ...) main
        if (name_before) {
          // WITH x(a) AS, ..., y(b) AS: a CTE name with column names, not a call.
          const std::size_t before = i >= b + 2 ? i - 2 : npos;
          const bool cte_name =
              in_with && before != npos &&
              (toks_[before].kw == Kw::with || toks_[before].kw == Kw::recursive ||
               (toks_[before].kind == TokenKind::comma && before >= 1 &&
                before - 1 == last_cte_close));
          check_call(b, i - 1, e, cte_name, v);
        }
        ++depth;
        with_lists &= ~bit(depth);
        cte_parens = cte ? (cte_parens | bit(depth)) : (cte_parens & ~bit(depth));
        break;
      }
      case TokenKind::rparen:
        if (depth == 0) {
          raise(v, StatementKind::write, Route::primary,
                Reason{ReasonCode::unbalanced_parentheses, {}, {}, false});
          break;
        }
        if (cte_parens & bit(depth)) last_cte_close = i;
        --depth;
        break;
      case TokenKind::word:
        switch (t.kw) {
          case Kw::with:  // WITH name ... or WITH RECURSIVE (not WITH ORDINALITY, WITH TIES)
            if (i + 1 < e && (toks_[i + 1].kind == TokenKind::quoted_identifier ||
                              toks_[i + 1].kw == Kw::none || toks_[i + 1].kw == Kw::recursive)) {
              with_lists |= bit(depth);
            }
            break;
          case Kw::select:
          case Kw::values:
          case Kw::table:
          case Kw::insert:
          case Kw::update:
          case Kw::delete_:
          case Kw::merge:
            with_lists &= ~bit(depth);  // the main statement of a WITH starts here
            break;
          default:
            break;
        }
        if (word_matters(i, e)) on_word(b, i, e, depth - outer, (cte_parens & bit(depth)) != 0, v);
        break;
      case TokenKind::quoted_identifier:
        if (word_matters(i, e)) on_word(b, i, e, depth - outer, (cte_parens & bit(depth)) != 0, v);
        break;
      default:
        break;
    }
  }
  if (depth != 0) {
    raise(v, StatementKind::write, Route::primary,
          Reason{ReasonCode::unbalanced_parentheses, {}, {}, false});
  }
}

bool Analyzer::is_temp_schema(std::size_t i, std::size_t e) const noexcept {
  // Cheap rejections first: this runs for every qualified name.
  const std::string_view raw = toks_[i].text;
  const char first = to_lower_ascii(raw.size() > 1 && is_quoted(raw) ? raw[1] : raw.front());
  if (first != (pg_ ? 'p' : 't') || !kind_at(i + 1, e, TokenKind::dot)) return false;
  char buf[64];
  std::size_t len = 0;
  if (!fold_name(toks_[i].text, !pg_, buf, sizeof buf, len)) return false;
  const std::string_view name(buf, len);
  if (!pg_) return name == "temp";
  return name == "pg_temp" || name.starts_with("pg_temp_");
}

void Analyzer::on_word(std::size_t b, std::size_t i, std::size_t e, int depth, bool cte_paren,
                       Verdict& v) const {
  if (kind_at(i + 1, e, TokenKind::dot) && is_temp_schema(i, e)) {
    v.temp_ref = true;
    v.pins = true;
    raise(v, StatementKind::session_state, Route::primary,
          Reason{ReasonCode::temp_table, {}, {}, false});
    return;
  }
  if (toks_[i].kind != TokenKind::word) return;
  switch (toks_[i].kw) {
    case Kw::for_: {
      const Kw next = kw_at(i + 1, e);
      if (next == Kw::update || next == Kw::share || next == Kw::no || next == Kw::key) {
        raise(v, StatementKind::write, Route::primary,
              Reason{ReasonCode::locking_clause, {}, {}, false});
      }
      break;
    }
    case Kw::nowait:
    case Kw::skip:
      if (toks_[i].kw == Kw::nowait || kw_at(i + 1, e) == Kw::locked) {
        raise(v, StatementKind::write, Route::primary,
              Reason{ReasonCode::locking_clause, {}, {}, false});
      }
      break;
    case Kw::into: {
      const Kw next = kw_at(i + 1, e);
      if (next == Kw::temp || next == Kw::temporary) {
        v.temp_ref = true;
        v.pins = true;
      }
      raise(v, StatementKind::write, Route::primary,
            Reason{ReasonCode::select_into, {}, {}, false});
      break;
    }
    case Kw::insert:
    case Kw::update:
    case Kw::delete_:
    case Kw::merge:
      on_dml_word(b, i, e, depth, cte_paren, v);
      break;
    default:
      break;
  }
}

void Analyzer::on_dml_word(std::size_t b, std::size_t i, std::size_t e, int depth, bool cte_paren,
                           Verdict& v) const {
  const Tok* prev = i > b ? &toks_[i - 1] : nullptr;
  // A qualified name (`t.update`, `update.x`), an alias (`AS delete`), or FOR [NO KEY] UPDATE,
  // which the FOR rule has already seen.
  if (prev != nullptr && (prev->kind == TokenKind::dot || prev->kw == Kw::as ||
                          prev->kw == Kw::for_ || prev->kw == Kw::key)) {
    return;
  }
  if (kind_at(i + 1, e, TokenKind::dot)) return;
  ReasonCode code = ReasonCode::dml_keyword;
  if (prev == nullptr || (prev->kind == TokenKind::rparen && depth <= 0)) {
    code = ReasonCode::write_statement;  // WITH ... DELETE: the main statement is the write
  } else if (prev->kind == TokenKind::lparen) {
    code = cte_paren ? ReasonCode::dml_in_cte : ReasonCode::dml_in_subquery;
  }
  const bool named = code == ReasonCode::write_statement || code == ReasonCode::dml_keyword;
  raise(v, StatementKind::write, Route::primary,
        Reason{code, named ? dml_name(toks_[i].kw) : std::string_view{}, {}, false});
}

// `(` right after a name: a function call, unless the grammar says otherwise.
bool Analyzer::not_a_call(std::size_t b, std::size_t first, std::size_t name, bool qualified,
                          std::size_t e, bool cte_name) const {
  const Tok& n = toks_[name];
  const Tok* ctx = first > b ? &toks_[first - 1] : nullptr;
  const std::size_t open = name + 1;
  if (n.kind == TokenKind::word && !qualified) {
    if (n.paren == Paren::syntax) return true;  // IN (, EXISTS (, VALUES (, numeric(10, 2)
    if (n.paren == Paren::contextual && contextual_syntax(b, name, e)) return true;
  }
  if (ctx == nullptr) return false;
  if (ctx->kind == TokenKind::double_colon) return true;  // x::my_type(3)
  // CAST(x AS varchar(3)), FROM f() AS t(a, b), INSERT INTO t (a), TABLESAMPLE system (10)
  if (ctx->kw == Kw::as || ctx->kw == Kw::into || ctx->kw == Kw::tablesample) return true;
  if (n.kw == Kw::conflict && ctx->kw == Kw::on) return true;  // ON CONFLICT (id)
  if (qualified) return false;
  if (cte_name) {  // WITH x(a, b) AS (...), y(c) AS (...)
    const std::size_t close = identifier_list(open, e);
    return close != npos && kw_at(close + 1, e) == Kw::as;
  }
  // FROM generate_series(1, 3) g(i), FROM t x(a, b): an alias with column names follows an
  // operand and holds plain names only. (A literal before a name is a syntax error.)
  const bool after_operand = ctx->kind == TokenKind::rparen || ctx->kind == TokenKind::rbracket ||
                             ctx->kind == TokenKind::quoted_identifier ||
                             (ctx->kind == TokenKind::word && ctx->kw == Kw::none);
  return after_operand && identifier_list(open, e) != npos;
}

bool Analyzer::contextual_syntax(std::size_t b, std::size_t name, std::size_t e) const {
  const Tok& word = toks_[name];
  if (word.kw == Kw::operator_) return operator_reference(name + 1, e);  // OPERATOR(pg_catalog.=)
  if (name == b) return false;
  const Tok* ctx = &toks_[name - 1];
  const Kw c = ctx->kw;
  switch (word.kw) {
    case Kw::join:  // a JOIN (b JOIN c), a LEFT JOIN (...)
      return is_operand_end(*ctx) || c == Kw::left || c == Kw::right || c == Kw::full ||
             c == Kw::inner || c == Kw::outer || c == Kw::cross || c == Kw::natural;
    case Kw::like:  // x NOT LIKE (...), a OVERLAPS (...), ESCAPE (...)
    case Kw::ilike:
    case Kw::glob:
    case Kw::regexp:
    case Kw::match:
    case Kw::overlaps:
    case Kw::escape:
      return is_operand_end(*ctx) || c == Kw::not_;
    case Kw::filter:  // count(*) FILTER (WHERE ...) OVER (...), TABLESAMPLE x(1) REPEATABLE (2)
    case Kw::over:
    case Kw::repeatable:
      return ctx->kind == TokenKind::rparen;
    case Kw::columns:  // JSON_TABLE(..., '$' COLUMNS (...))
      return is_operand_end(*ctx);
    case Kw::by:
      return c == Kw::order || c == Kw::group || c == Kw::partition;
    case Kw::sets:
      return c == Kw::grouping;
    case Kw::rollup:  // GROUP BY ROLLUP (a), CUBE (b)
    case Kw::cube:
      return c == Kw::by || c == Kw::sets ||
             (ctx->kind == TokenKind::comma && in_group_by_list(b, name - 1));
    case Kw::materialized:
      return c == Kw::as || c == Kw::not_;
    case Kw::varying:
      return c == Kw::character || c == Kw::char_ || c == Kw::bit;
    case Kw::zone:
      return c == Kw::time;
    default:
      return false;
  }
}

// True if `comma` separates items of a GROUP BY list (at the list's own depth).
bool Analyzer::in_group_by_list(std::size_t b, std::size_t comma) const noexcept {
  int depth = 0;
  for (std::size_t i = comma; i-- > b;) {
    const Tok& t = toks_[i];
    if (t.kind == TokenKind::rparen) ++depth;
    if (t.kind == TokenKind::lparen && depth-- == 0) return false;
    if (depth > 0 || t.kind == TokenKind::comma) continue;
    if (t.kw == Kw::by) return i > b && toks_[i - 1].kw == Kw::group;
    switch (t.kw) {
      case Kw::select:
      case Kw::from:
      case Kw::where:
      case Kw::having:
      case Kw::window:
      case Kw::order:
      case Kw::limit:
      case Kw::offset:
      case Kw::fetch:
      case Kw::for_:
      case Kw::union_:
      case Kw::intersect:
      case Kw::except:
      case Kw::returning:
      case Kw::on:
      case Kw::using_:
      case Kw::into:
      case Kw::with:
      case Kw::values:
        return false;
      default:
        break;
    }
  }
  return false;
}

bool Analyzer::operator_reference(std::size_t open, std::size_t e) const noexcept {
  // ( [schema .] operator-characters )
  std::size_t i = open + 1;
  if (i + 1 < e && is_name_token(toks_[i]) && toks_[i + 1].kind == TokenKind::dot) i += 2;
  const std::size_t first = i;
  while (i < e && (toks_[i].kind == TokenKind::op || toks_[i].kind == TokenKind::placeholder)) ++i;
  return i > first && kind_at(i, e, TokenKind::rparen);
}

std::size_t Analyzer::identifier_list(std::size_t open, std::size_t e) const noexcept {
  bool expect_name = true;
  for (std::size_t i = open + 1; i < e; ++i) {
    const Tok& t = toks_[i];
    if (expect_name) {
      if (!is_name_token(t) || (t.kind == TokenKind::word && t.paren == Paren::syntax)) return npos;
    } else if (t.kind == TokenKind::rparen) {
      return i;
    } else if (t.kind != TokenKind::comma) {
      return npos;
    }
    expect_name = !expect_name;
  }
  return npos;
}

Fn Analyzer::lookup_function(std::string_view schema, std::string_view name, bool& known) const {
  known = true;
  const bool fold_quoted = !pg_;
  char name_buf[128];
  std::size_t name_len = 0;
  if (!fold_name(name, fold_quoted, name_buf, sizeof name_buf, name_len)) {
    known = false;
    return Fn::side_effect;
  }
  const std::string_view folded(name_buf, name_len);
  bool builtin_scope = schema.empty();
  char full[256];
  std::size_t full_len = 0;
  if (!schema.empty()) {
    std::size_t schema_len = 0;
    if (!fold_name(schema, fold_quoted, full, 120, schema_len)) {
      known = false;
      return Fn::side_effect;
    }
    builtin_scope = pg_ && std::string_view(full, schema_len) == "pg_catalog";
    full[schema_len] = '.';
    std::copy(folded.begin(), folded.end(), full + schema_len + 1);
    full_len = schema_len + 1 + folded.size();
  }
  if (builtin_scope) {
    // Names in the tables are lower case; a quoted "NextVal" is another function.
    const Fn* fn = pg_ ? detail::kPostgresFunctions.find(folded, false)
                       : detail::kSqliteFunctions.find(folded, false);
    if (fn != nullptr) return *fn;
    if (pg_) {
      for (const auto& deny : detail::kPostgresDenyPrefixes) {
        if (folded.starts_with(deny.prefix)) return deny.fn;
      }
    }
  }
  const std::string_view registered = schema.empty() ? folded : std::string_view(full, full_len);
  if (classifier_.is_registered_read_only(registered)) return Fn::read;
  known = false;
  return Fn::side_effect;
}

void Analyzer::check_call(std::size_t b, std::size_t name, std::size_t e, bool cte_name,
                          Verdict& v) const {
  // [catalog.][schema.]name (
  std::size_t first = name;
  std::string_view schema;
  if (first >= b + 2 && toks_[first - 1].kind == TokenKind::dot &&
      is_name_token(toks_[first - 2])) {
    schema = toks_[first - 2].text;
    first -= 2;
    if (first >= b + 2 && toks_[first - 1].kind == TokenKind::dot &&
        is_name_token(toks_[first - 2])) {
      first -= 2;
    }
  }
  if (not_a_call(b, first, name, !schema.empty(), e, cte_name && first == name)) return;
  bool known = false;
  const Fn fn = lookup_function(schema, toks_[name].text, known);
  if (known && fn == Fn::read) return;
  const Reason reason{
      known ? (fn == Fn::session ? ReasonCode::session_function : ReasonCode::side_effect_function)
            : ReasonCode::unknown_function,
      toks_[name].text, schema, true};
  if (known && fn == Fn::session) {
    v.pins = true;
    raise(v, StatementKind::session_state, Route::primary, reason);
    return;
  }
  if (!v.function_write) v.function_reason = reason;
  v.function_write = true;
  if (known && fn == Fn::side_effect_pin) v.pins = true;
  raise(v, StatementKind::write, Route::primary, reason);
}

// ---------------------------------------------------------------------------------------------

// Lexes `sql` into `out`. Returns the lexer error, if any; `backslash` reports a plain string
// containing a backslash (whose extent depends on standard_conforming_strings).
LexError tokenize(std::string_view sql, Dialect dialect, bool standard_strings,
                  std::vector<Tok>& out, bool& backslash, std::size_t& semicolons) {
  semicolons = 0;
  out.clear();
  detail::LexCore lexer(sql, dialect, LexerOptions{.standard_conforming_strings = standard_strings},
                        0);
  for (Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) {
    if (t.kind == TokenKind::error) return t.error;
    if (t.flags & Token::kBackslashInPlainString) backslash = true;
    Tok tok{t.text, t.kind, Kw::none, Paren::call};
    if (t.kind == TokenKind::semicolon) ++semicolons;
    if (t.kind == TokenKind::word) {
      if (const detail::KwInfo* info = detail::kKeywords.find(t.text)) {
        tok.kw = info->id;
        tok.paren = info->paren;
      }
    }
    out.push_back(tok);
  }
  return LexError::none;
}

struct Combined {
  Verdict verdict;
  int statements = 0;
};

// Classifies every statement of the token vector; the most restrictive decides. `semicolons`
// counts the semicolon tokens: without any, the vector is one statement.
Combined classify_tokens(const StatementClassifier& classifier, const std::vector<Tok>& toks,
                         std::size_t semicolons) {
  const Analyzer analyzer(classifier, toks);
  Combined c;
  if (semicolons == 0) {
    if (!toks.empty()) {
      c.verdict = analyzer.statement(0, toks.size());
      c.statements = 1;
    }
    return c;
  }
  bool mixed = false;
  StatementKind first_kind = StatementKind::read;
  std::size_t b = 0;
  for (std::size_t i = 0; i <= toks.size(); ++i) {
    if (i < toks.size() && toks[i].kind != TokenKind::semicolon) continue;
    if (i > b) {
      Verdict v = analyzer.statement(b, i);
      if (c.statements++ == 0) {
        c.verdict = v;
        first_kind = v.kind;
      } else {
        mixed = mixed || v.kind != first_kind;
        raise(c.verdict, v.kind, v.route, v.reason);
        c.verdict.pins = c.verdict.pins || v.pins;
        c.verdict.temp_ref = c.verdict.temp_ref || v.temp_ref;
      }
    }
    b = i + 1;
  }
  // Session state sent together with other statements cannot be replayed on its own.
  if (mixed && c.verdict.kind == StatementKind::session_state && c.verdict.route == Route::all) {
    c.verdict.route = Route::primary;
    c.verdict.pins = true;
  }
  return c;
}

Classification render(const Combined& c, Dialect dialect) {
  Classification out;
  const Verdict& v = c.verdict;
  out.multi_statement = c.statements > 1;
  out.kind = v.kind;
  out.code = v.reason.code;
  out.pins = v.pins || v.temp_ref;
  switch (v.kind) {
    case StatementKind::read:
      out.route = Route::replica;
      break;
    case StatementKind::write:
    case StatementKind::transaction_control:
      out.route = Route::primary;
      break;
    case StatementKind::session_state:
      out.route = out.pins ? Route::primary : v.route;
      break;
  }
  if (c.statements == 0) {
    out.route = Route::primary;
    out.code = ReasonCode::empty;
  }
  std::string& r = out.reason;
  if (out.multi_statement) r += "MULTI_STATEMENT(";
  r += to_string(out.code);
  if (c.statements > 0 && !v.reason.detail.empty()) {
    r += '(';
    if (v.reason.detail_is_name) {
      const bool fold_quoted = dialect == Dialect::sqlite3;
      if (!v.reason.schema.empty()) {
        append_name(r, v.reason.schema, fold_quoted);
        r += '.';
      }
      append_name(r, v.reason.detail, fold_quoted);
    } else {
      r += v.reason.detail;
    }
    r += ')';
  }
  if (out.multi_statement) r += ')';
  return out;
}

Classification lex_failure(LexError error) {
  Classification out;
  out.kind = StatementKind::write;
  out.route = Route::primary;
  out.code = error == LexError::nul_byte ? ReasonCode::nul_byte : ReasonCode::unterminated;
  out.reason = std::string(to_string(out.code));
  return out;
}

// A per-thread, direct-mapped cache of decisions, keyed by the exact statement text.
constexpr std::size_t kCacheSlots = 512;
constexpr std::size_t kMaxCachedLength = 2048;

struct CacheEntry {
  std::uint64_t owner = 0;  // classifier id; 0 = empty
  std::uint64_t generation = 0;
  std::uint64_t hash = 0;
  std::string sql;
  Classification result;
};

CacheEntry* cache_slot(std::uint64_t hash) {
  thread_local std::vector<CacheEntry> entries(kCacheSlots);
  return &entries[hash & (kCacheSlots - 1)];
}

// Eight bytes at a time; collisions only cost a miss, the text itself is compared.
std::uint64_t hash_text(std::string_view s) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, s.data() + i, 8);
    h = (h ^ chunk) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ULL;
  return h ^ (h >> 32);
}

std::atomic<std::uint64_t> next_classifier_id{1};

std::vector<Tok>& scratch_tokens() {
  thread_local std::vector<Tok> tokens = [] {
    std::vector<Tok> v;
    v.reserve(128);
    return v;
  }();
  return tokens;
}

StatementClassifier& mutable_default_classifier(Dialect dialect) {
  static StatementClassifier postgresql(Dialect::postgresql);
  static StatementClassifier sqlite(Dialect::sqlite3);
  return dialect == Dialect::postgresql ? postgresql : sqlite;
}

}  // namespace

std::string_view to_string(ReasonCode code) noexcept {
  switch (code) {
    case ReasonCode::empty:
      return "EMPTY";
    case ReasonCode::select:
      return "SELECT";
    case ReasonCode::with:
      return "WITH";
    case ReasonCode::values:
      return "VALUES";
    case ReasonCode::table:
      return "TABLE";
    case ReasonCode::show:
      return "SHOW";
    case ReasonCode::explain:
      return "EXPLAIN";
    case ReasonCode::explain_analyze:
      return "EXPLAIN_ANALYZE";
    case ReasonCode::copy_to_stdout:
      return "COPY_TO_STDOUT";
    case ReasonCode::pragma_read:
      return "PRAGMA_READ";
    case ReasonCode::wait_for_lsn:
      return "WAIT_FOR_LSN";
    case ReasonCode::locking_clause:
      return "LOCKING_CLAUSE";
    case ReasonCode::select_into:
      return "SELECT_INTO";
    case ReasonCode::dml_in_cte:
      return "DML_IN_CTE";
    case ReasonCode::dml_in_subquery:
      return "DML_IN_SUBQUERY";
    case ReasonCode::dml_keyword:
      return "DML_KEYWORD";
    case ReasonCode::side_effect_function:
      return "SIDE_EFFECT_FUNCTION";
    case ReasonCode::unknown_function:
      return "UNKNOWN_FUNCTION";
    case ReasonCode::explain_analyze_write:
      return "EXPLAIN_ANALYZE_WRITE";
    case ReasonCode::copy_from:
      return "COPY_FROM";
    case ReasonCode::copy_to_file:
      return "COPY_TO_FILE";
    case ReasonCode::write_statement:
      return "WRITE_STATEMENT";
    case ReasonCode::temp_table:
      return "TEMP_TABLE";
    case ReasonCode::unterminated:
      return "UNTERMINATED";
    case ReasonCode::nul_byte:
      return "NUL_BYTE";
    case ReasonCode::unbalanced_parentheses:
      return "UNBALANCED_PARENTHESES";
    case ReasonCode::unrecognized_statement:
      return "UNRECOGNIZED_STATEMENT";
    case ReasonCode::execute:
      return "EXECUTE";
    case ReasonCode::pragma_write:
      return "PRAGMA_WRITE";
    case ReasonCode::unknown_pragma:
      return "UNKNOWN_PRAGMA";
    case ReasonCode::session_state:
      return "SESSION_STATE";
    case ReasonCode::listen:
      return "LISTEN";
    case ReasonCode::cursor_with_hold:
      return "CURSOR_WITH_HOLD";
    case ReasonCode::cursor:
      return "CURSOR";
    case ReasonCode::session_function:
      return "SESSION_FUNCTION";
    case ReasonCode::transaction_control:
      return "TRANSACTION_CONTROL";
  }
  return "UNKNOWN";
}

std::string_view to_string(StatementKind kind) noexcept {
  switch (kind) {
    case StatementKind::read:
      return "read";
    case StatementKind::write:
      return "write";
    case StatementKind::session_state:
      return "session_state";
    case StatementKind::transaction_control:
      return "transaction_control";
  }
  return "unknown";
}

std::string_view to_string(Route route) noexcept {
  switch (route) {
    case Route::replica:
      return "replica";
    case Route::primary:
      return "primary";
    case Route::all:
      return "all";
  }
  return "unknown";
}

StatementClassifier::StatementClassifier(Dialect dialect)
    : dialect_(dialect), id_(next_classifier_id.fetch_add(1, std::memory_order_relaxed)) {}

void StatementClassifier::register_read_only_function(std::string name) {
  for (char& c : name) c = to_lower_ascii(c);
  std::unique_lock lock(mutex_);
  read_only_functions_.insert(std::move(name));
  any_registered_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
}

bool StatementClassifier::is_registered_read_only(std::string_view name) const {
  if (!any_registered_.load(std::memory_order_acquire)) return false;
  std::shared_lock lock(mutex_);
  return read_only_functions_.find(name) != read_only_functions_.end();
}

Classification StatementClassifier::classify(std::string_view sql) const {
  if (sql.size() > kMaxCachedLength) return classify_uncached(sql);
  const std::uint64_t hash = hash_text(sql);
  const std::uint64_t generation = generation_.load(std::memory_order_acquire);
  CacheEntry* entry = cache_slot(hash);
  if (entry->owner == id_ && entry->generation == generation && entry->hash == hash &&
      entry->sql == sql) {
    return entry->result;
  }
  Classification c = classify_uncached(sql);
  entry->owner = id_;
  entry->generation = generation;
  entry->hash = hash;
  entry->sql.assign(sql);
  entry->result = c;
  return c;
}

Classification StatementClassifier::classify_uncached(std::string_view sql) const {
  // Anywhere, also inside a string or comment: the driver would cut the text there, and what
  // the server then reads (e.g. with standard_conforming_strings off) is not what we classify.
  if (sql.find('\0') != std::string_view::npos) return lex_failure(LexError::nul_byte);
  std::vector<Tok>& toks = scratch_tokens();
  bool backslash = false;
  std::size_t semicolons = 0;
  if (LexError error = tokenize(sql, dialect_, true, toks, backslash, semicolons);
      error != LexError::none) {
    return lex_failure(error);
  }
  Combined c = classify_tokens(*this, toks, semicolons);
  if (backslash && dialect_ == Dialect::postgresql) {
    // With standard_conforming_strings off, '\'' would not end where we think: classify that
    // reading too, and keep the more restrictive verdict.
    bool ignored = false;
    if (LexError error = tokenize(sql, dialect_, false, toks, ignored, semicolons);
        error != LexError::none) {
      return lex_failure(error);
    }
    Combined other = classify_tokens(*this, toks, semicolons);
    if (severity(other.verdict.kind) > severity(c.verdict.kind)) {
      other.verdict.pins = other.verdict.pins || c.verdict.pins;
      c = other;
    } else {
      c.verdict.pins = c.verdict.pins || other.verdict.pins || other.verdict.temp_ref;
    }
  }
  return render(c, dialect_);
}

const StatementClassifier& default_classifier(Dialect dialect) {
  return mutable_default_classifier(dialect);
}

void register_read_only_function(Dialect dialect, std::string name) {
  mutable_default_classifier(dialect).register_read_only_function(std::move(name));
}

Classification classify(Dialect dialect, std::string_view sql) {
  return default_classifier(dialect).classify(sql);
}

}  // namespace switchyard::sql
