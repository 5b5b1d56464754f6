// Mutation test: rewriting a corpus statement in ways that do not change its meaning (keyword
// case, whitespace, comments between tokens, parentheses around a query, stray semicolons) must
// not change its classification; above all, no statement the corpus sends to the primary may
// become a replica read.
#include <doctest/doctest.h>
#include <switchyard/sql/lexer.hpp>
#include <switchyard/sql/statement_classifier.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "corpus.hpp"

namespace sql = switchyard::sql;

namespace {

// Deterministic across standard libraries (std distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::uint32_t>(state_ >> 11);
  }
  std::uint32_t below(std::uint32_t n) { return next() % n; }
  bool chance(std::uint32_t one_in) { return below(one_in) == 0; }

 private:
  std::uint64_t state_;
};

struct Piece {
  sql::Token token;
  std::string gap_before;  // the input's whitespace before the token
};

std::vector<Piece> pieces(const std::string& text, sql::Dialect dialect) {
  sql::Lexer lexer(text, dialect, sql::LexerOptions{.keep_comments = true});
  std::vector<Piece> out;
  std::size_t end_of_previous = 0;
  for (sql::Token t = lexer.next(); t.kind != sql::TokenKind::end; t = lexer.next()) {
    const std::size_t at = lexer.offset_of(t);
    out.push_back({t, text.substr(end_of_previous, at - end_of_previous)});
    end_of_previous = at + t.text.size();
  }
  return out;
}

std::string flip_case(std::string_view word, Rng& rng) {
  std::string out(word);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z' && rng.chance(2))
      c = static_cast<char>(c - 32);
    else if (c >= 'A' && c <= 'Z' && rng.chance(2))
      c = static_cast<char>(c + 32);
  }
  return out;
}

std::string separator(const std::string& original_gap, sql::Dialect dialect, Rng& rng) {
  switch (rng.below(dialect == sql::Dialect::postgresql ? 7 : 6)) {
    case 0:
      return original_gap;
    case 1:
      return " ";
    case 2:
      return " \n\t  ";
    case 3:
      return " /**/ ";
    case 4:
      return " -- x\n";
    case 5:
      return "\r\n/* SELECT 1; */\n";
    default:
      return " /* nested /* INSERT */ comment */ ";  // PostgreSQL nests comments
  }
}

bool is_query_leader(const std::vector<Piece>& ps, sql::Dialect dialect) {
  for (const Piece& p : ps) {
    if (p.token.kind == sql::TokenKind::comment || p.token.kind == sql::TokenKind::lparen) continue;
    if (p.token.kind != sql::TokenKind::word) return false;
    const auto w = p.token.text;
    return sql::iequals_ascii(w, "select") || sql::iequals_ascii(w, "with") ||
           sql::iequals_ascii(w, "values") ||
           (dialect == sql::Dialect::postgresql && sql::iequals_ascii(w, "table"));
  }
  return false;
}

std::string mutate(const std::vector<Piece>& ps, sql::Dialect dialect, Rng& rng) {
  std::string out;
  bool single_statement = true;
  bool clean = true;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const sql::Token& t = ps[i].token;
    single_statement = single_statement && t.kind != sql::TokenKind::semicolon;
    clean = clean && t.kind != sql::TokenKind::error;
    std::string gap = ps[i].gap_before;
    if (i > 0 && rng.chance(2)) gap = separator(gap, dialect, rng);
    if (i > 0 && ps[i - 1].token.kind == sql::TokenKind::comment &&
        ps[i - 1].token.text.starts_with("--")) {
      gap = "\n" + gap;  // a line comment must still end where it ended
    }
    out += gap;
    out += t.kind == sql::TokenKind::word ? flip_case(t.text, rng) : std::string(t.text);
  }
  if (clean && single_statement && is_query_leader(ps, dialect) && rng.chance(3)) {
    out = "(" + out + "\n)";
  }
  if (clean && rng.chance(3)) out += rng.chance(2) ? "\n;" : "\n; ;";
  if (rng.chance(3)) out = (rng.chance(2) ? ";" : " \n ; ") + out;
  return out;
}

}  // namespace

TEST_CASE("mutations never turn a primary statement into a replica read") {
  const auto cases = switchyard::test::load_corpus();
  REQUIRE(!cases.empty());
  Rng rng(0x5eed5eedULL);
  int checked = 0;
  int changed = 0;
  for (const auto& c : cases) {
    const sql::Classification original = sql::classify(c.dialect, c.sql);
    const auto ps = pieces(c.sql, c.dialect);
    for (int round = 0; round < 40; ++round) {
      const std::string text = mutate(ps, c.dialect, rng);
      const sql::Classification got = sql::classify(c.dialect, text);
      INFO("corpus line " << c.line << ", mutation: " << text);
      INFO("original " << sql::to_string(original.route) << " " << original.reason << ", got "
                       << sql::to_string(got.route) << " " << got.reason);
      if (c.route != "replica") CHECK(got.route != sql::Route::replica);
      CHECK(got.route == original.route);
      CHECK(got.kind == original.kind);
      // With a backslash in a string the classifier also reads the text as a server with
      // standard_conforming_strings off would; the mutator keeps token boundaries of the
      // default reading only, so under the other one the deciding reason may differ.
      if (c.sql.find('\\') == std::string::npos) CHECK(got.reason == original.reason);
      ++checked;
      changed += text != c.sql;
    }
  }
  CHECK(checked >= 160 * 40);
  CHECK(changed > checked * 3 / 4);  // the mutator really mutates
}
