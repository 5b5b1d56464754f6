// Lexer unit tests and rewrite_question_placeholders.
#include <doctest/doctest.h>
#include <switchyard/sql/lexer.hpp>

#include <string>
#include <vector>

namespace sql = switchyard::sql;
using sql::Dialect;
using sql::TokenKind;

namespace {

struct Lexed {
  std::vector<TokenKind> kinds;
  std::vector<std::string> texts;
  sql::LexError error = sql::LexError::none;
};

Lexed lex(std::string_view text, Dialect dialect = Dialect::postgresql,
          sql::LexerOptions options = {}) {
  Lexed out;
  sql::Lexer lexer(text, dialect, options);
  for (sql::Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) {
    out.kinds.push_back(t.kind);
    out.texts.emplace_back(t.text);
    if (t.kind == TokenKind::error) out.error = t.error;
  }
  return out;
}

std::vector<std::string> texts(std::string_view text, Dialect dialect = Dialect::postgresql) {
  return lex(text, dialect).texts;
}

}  // namespace

TEST_CASE("lexer: words, punctuation, numbers and placeholders") {
  const Lexed l = lex("SELECT \"d\".* FROM d WHERE d.id = $1 AND x::int >= 1.5e3;");
  const std::vector<std::string> expected = {
      "SELECT", "\"d\"", ".",   "*", "FROM", "d",   "WHERE", "d",     ".", "id",
      "=",      "$1",    "AND", "x", "::",   "int", ">=",    "1.5e3", ";"};
  CHECK(l.texts == expected);
  CHECK(l.kinds[1] == TokenKind::quoted_identifier);
  CHECK(l.kinds[11] == TokenKind::placeholder);
  CHECK(l.kinds[14] == TokenKind::double_colon);
  CHECK(l.kinds[17] == TokenKind::number);
  CHECK(l.kinds[18] == TokenKind::semicolon);
  CHECK(l.error == sql::LexError::none);
}

TEST_CASE("lexer: a number never swallows a following keyword") {
  CHECK(texts("1for update") == std::vector<std::string>{"1", "for", "update"});
  CHECK(texts("1e") == std::vector<std::string>{"1", "e"});
  CHECK(texts(".5 a") == std::vector<std::string>{".5", "a"});
}

TEST_CASE("lexer: strings and escapes") {
  CHECK(texts("'it''s' x") == std::vector<std::string>{"'it''s'", "x"});
  // E-strings: backslash escapes the quote (PostgreSQL only).
  CHECK(texts("E'\\'' x") == std::vector<std::string>{"E'\\''", "x"});
  CHECK(texts("e'\\\\' x") == std::vector<std::string>{"e'\\\\'", "x"});
  // A plain string ends at the quote even after a backslash (standard_conforming_strings).
  CHECK(texts("'a\\' x") == std::vector<std::string>{"'a\\'", "x"});
  const Lexed off =
      lex("'a\\' x'", Dialect::postgresql, sql::LexerOptions{.standard_conforming_strings = false});
  CHECK(off.texts == std::vector<std::string>{"'a\\' x'"});
  // SQLite has no E-strings: E is an identifier, then a string.
  CHECK(texts("E'\\' x", Dialect::sqlite3) == std::vector<std::string>{"E", "'\\'", "x"});
  CHECK(texts("X'00ff' B'01' N'n'") == std::vector<std::string>{"X'00ff'", "B'01'", "N'n'"});
}

TEST_CASE("lexer: backslash flag on plain strings") {
  sql::Lexer lexer("'a\\b' E'c\\d'", Dialect::postgresql);
  const sql::Token plain = lexer.next();
  const sql::Token escaped = lexer.next();
  CHECK((plain.flags & sql::Token::kBackslashInPlainString) != 0);
  CHECK((escaped.flags & sql::Token::kBackslashInPlainString) == 0);
  CHECK((escaped.flags & sql::Token::kEscapeString) != 0);
}

TEST_CASE("lexer: quoted identifiers") {
  CHECK(texts("\"a\"\"b\" c") == std::vector<std::string>{"\"a\"\"b\"", "c"});
  CHECK(texts("\"for update\"") == std::vector<std::string>{"\"for update\""});
  CHECK(texts("[for update] `a``b`", Dialect::sqlite3) ==
        std::vector<std::string>{"[for update]", "`a``b`"});
  // In PostgreSQL [ is an array subscript.
  CHECK(lex("a[1]").kinds == std::vector<TokenKind>{TokenKind::word, TokenKind::lbracket,
                                                    TokenKind::number, TokenKind::rbracket});
}

TEST_CASE("lexer: dollar quotes") {
  CHECK(texts("$$ a ' b $$ c") == std::vector<std::string>{"$$ a ' b $$", "c"});
  CHECK(texts("$fn$ $$ x $fn$ y") == std::vector<std::string>{"$fn$ $$ x $fn$", "y"});
  CHECK(texts("$a$ $A$ $a$") ==
        std::vector<std::string>{"$a$ $A$ $a$"});  // tags are case sensitive
  CHECK(lex("$1$$ x $$").kinds ==
        std::vector<TokenKind>{TokenKind::placeholder, TokenKind::dollar_string});
  // '$' continues an identifier: a$$ is one word, not the start of a dollar quote.
  CHECK(texts("a$$; b") == std::vector<std::string>{"a$$", ";", "b"});
  CHECK(lex("$x$ never closed").error == sql::LexError::unterminated_dollar_quote);
  // SQLite: $name is a parameter.
  CHECK(lex("$name", Dialect::sqlite3).kinds == std::vector<TokenKind>{TokenKind::placeholder});
}

TEST_CASE("lexer: comments, nested in PostgreSQL only") {
  CHECK(texts("/* /* */ INSERT */ SELECT 1") == std::vector<std::string>{"SELECT", "1"});
  CHECK(texts("/* /* */ INSERT */ SELECT 1", Dialect::sqlite3) ==
        std::vector<std::string>{"INSERT", "*/", "SELECT", "1"});
  CHECK(texts("a -- c\nb") == std::vector<std::string>{"a", "b"});
  CHECK(texts("a -- c\rb") == std::vector<std::string>{"a", "b"});  // PostgreSQL: \r ends it
  CHECK(texts("a -- c\rb", Dialect::sqlite3) == std::vector<std::string>{"a"});  // SQLite: only \n
  // An operator stops where a comment starts.
  CHECK(texts("a*--x\nb") == std::vector<std::string>{"a", "*", "b"});
  CHECK(texts("a+/*x*/b") == std::vector<std::string>{"a", "+", "b"});
  const Lexed kept =
      lex("a /* c */ b -- d", Dialect::postgresql, sql::LexerOptions{.keep_comments = true});
  CHECK(kept.texts == std::vector<std::string>{"a", "/* c */", "b", "-- d"});
  CHECK(kept.kinds[1] == TokenKind::comment);
}

TEST_CASE("lexer: unterminated constructs and NUL are error tokens") {
  CHECK(lex("SELECT 'abc").error == sql::LexError::unterminated_string);
  CHECK(lex("SELECT E'abc\\'").error == sql::LexError::unterminated_string);
  CHECK(lex("SELECT \"abc").error == sql::LexError::unterminated_quoted_identifier);
  CHECK(lex("SELECT [abc", Dialect::sqlite3).error ==
        sql::LexError::unterminated_quoted_identifier);
  CHECK(lex("/* /* */ x").error == sql::LexError::unterminated_comment);
  CHECK(lex("/* /* */ x", Dialect::sqlite3).error == sql::LexError::none);
  CHECK(lex(std::string_view("SELECT 1\0 x", 11)).error == sql::LexError::nul_byte);
  // The error token runs to the end of input; the lexer then reports end.
  sql::Lexer lexer("'abc", Dialect::postgresql);
  CHECK(lexer.next().kind == TokenKind::error);
  CHECK(lexer.next().kind == TokenKind::end);
  CHECK(lexer.next().kind == TokenKind::end);
}

TEST_CASE("lexer: placeholders") {
  CHECK(lex("? ?12 :name $3").kinds == std::vector<TokenKind>(4, TokenKind::placeholder));
  CHECK(lex("@p", Dialect::sqlite3).kinds == std::vector<TokenKind>{TokenKind::placeholder});
  CHECK(lex("@p", Dialect::postgresql).kinds ==
        std::vector<TokenKind>{TokenKind::op, TokenKind::word});
  CHECK(lex("a ?| b").kinds == std::vector<TokenKind>{TokenKind::word, TokenKind::placeholder,
                                                      TokenKind::op, TokenKind::word});
}

TEST_CASE("lexer: offsets point into the input") {
  const std::string text = "  SELECT  x";
  sql::Lexer lexer(text, Dialect::postgresql);
  const sql::Token a = lexer.next();
  const sql::Token b = lexer.next();
  CHECK(lexer.offset_of(a) == 2);
  CHECK(lexer.offset_of(b) == 10);
}

TEST_CASE("iequals_ascii folds ASCII only") {
  CHECK(sql::iequals_ascii("SeLeCt", "select"));
  CHECK_FALSE(sql::iequals_ascii("selec", "select"));
  CHECK_FALSE(sql::iequals_ascii("\xC4\xB0nsert", "insert"));  // Turkish dotted capital I
  CHECK(sql::to_lower_ascii('I') == 'i');
  CHECK(sql::to_lower_ascii('\xC4') == '\xC4');
}

TEST_CASE("rewrite_question_placeholders") {
  int count = -1;
  CHECK(sql::rewrite_question_placeholders("age > ? AND name = ?", 1, count) ==
        "age > $1 AND name = $2");
  CHECK(count == 2);
  CHECK(sql::rewrite_question_placeholders("a = ?", 3, count) == "a = $3");
  CHECK(count == 1);
  CHECK(sql::rewrite_question_placeholders("no placeholders", 1, count) == "no placeholders");
  CHECK(count == 0);
  CHECK(sql::rewrite_question_placeholders("", 1, count).empty());
  CHECK(count == 0);

  SUBCASE("strings, comments, quoted identifiers and dollar quotes are left alone") {
    const std::string in =
        "x = ? AND y = '?' AND \"?\" = ? -- ?\n AND z = E'\\'?' /* ? /* ? */ */ AND $$?$$ = ?";
    CHECK(
        sql::rewrite_question_placeholders(in, 1, count) ==
        "x = $1 AND y = '?' AND \"?\" = $2 -- ?\n AND z = E'\\'?' /* ? /* ? */ */ AND $$?$$ = $3");
    CHECK(count == 3);
  }
  SUBCASE("adjacent and operator-like question marks are all placeholders, as in Rails") {
    CHECK(sql::rewrite_question_placeholders("a=?,b=?", 1, count) == "a=$1,b=$2");
    CHECK(sql::rewrite_question_placeholders("data ?| array['a']", 1, count) ==
          "data $1| array['a']");
    CHECK(count == 1);
  }
  SUBCASE("dialect-aware: SQLite does not nest comments and keeps ?NNN") {
    CHECK(sql::rewrite_question_placeholders("/* /* */ ? */ ?1", 1, count, Dialect::sqlite3) ==
          "/* /* */ $1 */ ?1");
    CHECK(count == 1);
    CHECK(sql::rewrite_question_placeholders("a = `?` AND b = [?] AND c = ?", 1, count,
                                             Dialect::sqlite3) == "a = `?` AND b = [?] AND c = $1");
  }
  SUBCASE("text after an unterminated string is not rewritten") {
    CHECK(sql::rewrite_question_placeholders("a = ? AND b = 'x ?", 1, count) ==
          "a = $1 AND b = 'x ?");
    CHECK(count == 1);
  }
}
