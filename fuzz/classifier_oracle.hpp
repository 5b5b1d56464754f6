// A conservative oracle for the classifier fuzzer, written independently of lib/sql: it finds
// constructs that make a statement a write (or at least not a replica read) under the rules of
// docs/sql-classifier.md. It under-approximates on purpose: it only judges input it can lex with
// certainty (no backslashes, dollar quotes, nested comments, SQLite bracket or backtick
// identifiers) and only flags what the documented rules leave no doubt about, so every flag it
// raises on a statement the classifier calls a replica read is a classifier bug.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::fuzz {

struct OracleToken {
  enum Kind { word, quoted, number, param, punct };
  Kind kind;
  std::string text;  // words folded to ASCII lower case
};

// nullopt: the oracle does not judge this input (see above).
struct OracleLex {
  std::vector<std::vector<OracleToken>> statements;  // split at ';', empty ones dropped
  std::optional<std::string> error;                  // unterminated string/identifier/comment
};

inline bool oracle_word_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
inline bool oracle_word_char(unsigned char c) {
  return oracle_word_start(c) || (c >= '0' && c <= '9');
}
inline std::string oracle_fold(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);  // ASCII only, as the classifier
  }
  return out;
}

// Characters whose lexing differs between the dialects or between server settings.
inline bool oracle_unsure(std::string_view sql, bool sqlite) {
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\\') return true;  // E'' escapes, standard_conforming_strings
    if (sqlite && (c == '`' || c == '[')) return true;
    if (c == '$') {  // only $N parameters, never dollar quotes or identifiers with '$'
      const bool digit_next = i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9';
      const bool word_before = i > 0 && oracle_word_char(static_cast<unsigned char>(sql[i - 1]));
      if (!digit_next || word_before) return true;
    }
  }
  return false;
}

// Returns nullopt for input the oracle does not judge.
inline std::optional<OracleLex> oracle_lex(std::string_view sql, bool sqlite) {
  if (oracle_unsure(sql, sqlite)) return std::nullopt;
  OracleLex out;
  std::vector<OracleToken> current;
  auto end_statement = [&] {
    if (!current.empty()) out.statements.push_back(std::move(current));
    current.clear();
  };
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(sql[i]);
    const char next = i + 1 < n ? sql[i + 1] : '\0';
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '-' && next == '-') {
      while (i < n && sql[i] != '\n' && (sqlite || sql[i] != '\r')) ++i;
    } else if (c == '/' && next == '*') {
      const std::size_t close = sql.find("*/", i + 2);
      if (close == std::string_view::npos) {
        out.error = "unterminated comment";
        return out;
      }
      // A "/*" inside, also one whose '*' the "*/" reuses ("/*/*/").
      if (sql.substr(i + 2, close + 1 - (i + 2)).find("/*") != std::string_view::npos) {
        return std::nullopt;  // nested in PostgreSQL, not in SQLite
      }
      i = close + 2;
    } else if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      for (;;) {
        j = sql.find(static_cast<char>(c), j);
        if (j == std::string_view::npos) {
          out.error = c == '\'' ? "unterminated string" : "unterminated quoted identifier";
          return out;
        }
        if (j + 1 < n && sql[j + 1] == static_cast<char>(c)) {
          j += 2;  // doubled quote
          continue;
        }
        break;
      }
      const std::string text(sql.substr(i, j + 1 - i));
      if (c == '"') {
        current.push_back({OracleToken::quoted, text});
      } else {
        current.push_back({OracleToken::number, text});  // a literal; judged like a number
      }
      i = j + 1;
    } else if (c == '$') {
      std::size_t j = i + 1;
      while (j < n && sql[j] >= '0' && sql[j] <= '9') ++j;
      current.push_back({OracleToken::param, std::string(sql.substr(i, j - i))});
      i = j;
    } else if (c >= '0' && c <= '9') {
      // As PostgreSQL before 16 reads numbers: `1for` is 1 and for, `555AS x` is 555 AS x.
      std::size_t j = i;
      auto digits = [&] {
        while (j < n && sql[j] >= '0' && sql[j] <= '9') ++j;
      };
      digits();
      if (j < n && sql[j] == '.') {
        ++j;
        digits();
      }
      if (j + 1 < n && (sql[j] == 'e' || sql[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < n && (sql[k] == '+' || sql[k] == '-')) ++k;
        if (k < n && sql[k] >= '0' && sql[k] <= '9') {
          j = k;
          digits();
        }
      }
      current.push_back({OracleToken::number, std::string(sql.substr(i, j - i))});
      i = j;
    } else if (oracle_word_start(c)) {
      std::size_t j = i;
      while (j < n && oracle_word_char(static_cast<unsigned char>(sql[j]))) ++j;
      current.push_back({OracleToken::word, oracle_fold(sql.substr(i, j - i))});
      i = j;
    } else if (c == ';') {
      end_statement();
      ++i;
    } else if ((c == ':' || (sqlite && c == '@')) &&
               oracle_word_start(static_cast<unsigned char>(next))) {
      std::size_t j = i + 1;  // a named bind parameter (:name, SQLite also @name): a value
      while (j < n && oracle_word_char(static_cast<unsigned char>(sql[j]))) ++j;
      current.push_back({OracleToken::param, std::string(sql.substr(i, j - i))});
      i = j;
    } else if (c == ':' && next == ':') {
      current.push_back({OracleToken::punct, "::"});
      i += 2;
    } else {
      current.push_back({OracleToken::punct, std::string(1, static_cast<char>(c))});
      ++i;
    }
  }
  end_statement();
  return out;
}

inline bool oracle_is(const OracleToken& t, std::string_view text) {
  return (t.kind == OracleToken::word || t.kind == OracleToken::punct) && t.text == text;
}

inline bool oracle_any_of(const OracleToken& t, std::initializer_list<std::string_view> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return oracle_is(t, w); });
}

// Functions that write or need the session's own connection, in either dialect (a function
// built into one dialect is unknown, hence a write, in the other).
inline bool oracle_side_effect_function(const std::string& name) {
  static const std::initializer_list<std::string_view> names = {"nextval",
                                                                "setval",
                                                                "currval",
                                                                "lastval",
                                                                "pg_advisory_lock",
                                                                "pg_advisory_xact_lock",
                                                                "pg_try_advisory_lock",
                                                                "pg_notify",
                                                                "txid_current",
                                                                "set_config",
                                                                "lo_import",
                                                                "pg_terminate_backend",
                                                                "pg_cancel_backend",
                                                                "load_extension",
                                                                "last_insert_rowid",
                                                                "changes",
                                                                "total_changes"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Of those, the ones that only read the session's own state. A plain EXPLAIN never calls them:
// PostgreSQL plans without evaluating volatile functions, and SQLite's EXPLAIN compiles the
// statement without running it. Only an executed statement needs the session's connection.
inline bool oracle_session_only_function(const std::string& name) {
  static const std::initializer_list<std::string_view> names = {
      "currval", "lastval", "last_insert_rowid", "changes", "total_changes"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The first reason found why `stmt` cannot be a replica read, if any.
inline std::optional<std::string> oracle_check_statement(const std::vector<OracleToken>& stmt) {
  int depth = 0;
  for (const auto& t : stmt) {
    if (oracle_is(t, "(")) ++depth;
    if (oracle_is(t, ")") && --depth < 0) return "unbalanced parentheses";
  }
  if (depth != 0) return "unbalanced parentheses";

  std::size_t first = 0;
  while (first < stmt.size() && oracle_is(stmt[first], "(")) ++first;
  if (first == stmt.size() ||
      !oracle_any_of(stmt[first], {"select", "with", "values", "table", "show", "explain", "copy",
                                   "wait", "pragma"})) {
    return "does not start like a read";
  }
  const bool query = oracle_any_of(stmt[first], {"select", "with", "values", "table"});
  // Where calls are evaluated: queries, what EXPLAIN plans, COPY (query). Not in PRAGMA or SHOW
  // arguments, nor in a COPY column list (a syntax error, never run).
  const bool calls_checked = query || oracle_is(stmt[first], "explain") ||
                             (oracle_is(stmt[first], "copy") && first + 1 < stmt.size() &&
                              oracle_is(stmt[first + 1], "("));
  const bool has_with = std::any_of(stmt.begin(), stmt.end(),
                                    [](const OracleToken& t) { return oracle_is(t, "with"); });
  // EXPLAIN that runs nothing: no ANALYZE anywhere (conservatively, in any position).
  const bool plain_explain =
      oracle_is(stmt[first], "explain") &&
      std::none_of(stmt.begin(), stmt.end(),
                   [](const OracleToken& t) { return oracle_any_of(t, {"analyze", "analyse"}); });
  for (std::size_t i = first; i < stmt.size(); ++i) {
    const OracleToken& t = stmt[i];
    const OracleToken* next = i + 1 < stmt.size() ? &stmt[i + 1] : nullptr;
    // Not a DML keyword: a qualified name (`t.update`), a label (`AS delete`, bare `key update`),
    // or a word right after a value (`@p update`, `1 delete`): a data-modifying statement only
    // ever starts a statement or follows `(`, never a value.
    const bool after_value = i > 0 && stmt[i - 1].kind != OracleToken::word &&
                             stmt[i - 1].kind != OracleToken::punct;
    const bool name = (i > 0 && oracle_any_of(stmt[i - 1], {".", "as", "for", "key"})) ||
                      after_value || (next && oracle_is(*next, "."));
    if (query && oracle_is(t, "into")) return "keyword into";
    if (query && !name && oracle_any_of(t, {"insert", "update", "delete", "merge"})) {
      return "keyword " + t.text;
    }
    if (query && oracle_is(t, "for") && next &&
        oracle_any_of(*next, {"update", "share", "key", "no"})) {
      return "locking clause FOR " + next->text;
    }
    if (!calls_checked) continue;
    if (t.kind != OracleToken::word || !oracle_side_effect_function(t.text) || !next ||
        !oracle_is(*next, "(")) {
      continue;
    }
    if (plain_explain && oracle_session_only_function(t.text)) continue;
    // Only call positions: not alias or CTE column lists (`AS f(a)`, `WITH f(a) AS`), not type
    // modifiers (`x::f(3)`, `CAST(x AS f(3))`).
    std::size_t p = i;
    while (p >= 2 && oracle_is(stmt[p - 1], ".") && stmt[p - 2].kind == OracleToken::word) p -= 2;
    if (p == 0) continue;
    const OracleToken& prev = stmt[p - 1];
    const bool call_position =
        oracle_any_of(prev, {"select", "=", "+", "-", "*", "/", "<", ">", "where", "and", "or",
                             "not", "distinct", "then", "else", "when"}) ||
        (!has_with && oracle_any_of(prev, {"(", ","}));
    if (call_position) return "function " + t.text + "()";
  }
  return std::nullopt;
}

// The reason the classifier must not route `sql` to a replica, or nullopt when the oracle finds
// none (or does not judge the input).
inline std::optional<std::string> oracle_must_not_be_replica(std::string_view sql, bool sqlite) {
  if (sql.find('\0') != std::string_view::npos) return "NUL byte";
  const auto lexed = oracle_lex(sql, sqlite);
  if (!lexed) return std::nullopt;
  if (lexed->error) return lexed->error;
  for (const auto& stmt : lexed->statements) {
    if (auto reason = oracle_check_statement(stmt)) return reason;
  }
  return std::nullopt;
}

}  // namespace switchyard::fuzz
