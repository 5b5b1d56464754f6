// A fast SQL tokenizer over std::string_view, for the statement classifier and for placeholder
// rewriting. It never allocates: tokens are views into the input. It knows exactly as much SQL
// as is needed to find token boundaries the way the server does (strings, quoted identifiers,
// dollar quotes, comments), because a classifier that splits tokens differently from the server
// can be fooled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "switchyard/sql/dialect.hpp"

namespace switchyard::sql {

enum class TokenKind : std::uint8_t {
  word,               // keyword or unquoted identifier (bytes >= 0x80 count as letters)
  quoted_identifier,  // "..." ("" escapes); SQLite also `...` and [...]
  string,             // '...' ('' escapes), E'...' (PostgreSQL backslash escapes), B'', X'', N''
  dollar_string,      // $$...$$ or $tag$...$tag$ (PostgreSQL)
  number,
  placeholder,  // $1, ?, ?1, :name; SQLite also @name and $name
  op,           // a run of operator characters: + - * / < > = ~ ! @ # % ^ & |
  lparen,
  rparen,
  lbracket,
  rbracket,
  comma,
  dot,
  semicolon,
  colon,
  double_colon,  // PostgreSQL cast
  comment,       // only produced when LexerOptions::keep_comments is set
  other,         // a byte no rule claims, e.g. a stray '\' or '{'
  error,         // an unterminated construct or a NUL byte; see Token::error
  end,           // end of input (returned again on every further call)
};

enum class LexError : std::uint8_t {
  none,
  unterminated_string,
  unterminated_quoted_identifier,
  unterminated_comment,
  unterminated_dollar_quote,
  nul_byte,  // drivers stop at NUL, so text after it is not what the server sees
};

struct Token {
  // Set on string tokens: a plain '...' string contains a backslash. Its extent would differ if
  // the server had standard_conforming_strings off.
  static constexpr std::uint8_t kBackslashInPlainString = 1;
  // Set on string tokens that use backslash escapes (E'...').
  static constexpr std::uint8_t kEscapeString = 2;

  TokenKind kind = TokenKind::end;
  LexError error = LexError::none;
  std::uint8_t flags = 0;
  std::string_view text;  // the token's bytes, delimiters and prefixes included
};

struct LexerOptions {
  bool keep_comments = false;
  // PostgreSQL only: with this off, backslashes escape in plain '...' strings too (the server
  // setting of the same name). It is on by default on every supported server.
  bool standard_conforming_strings = true;
};

class Lexer {
 public:
  Lexer(std::string_view sql, Dialect dialect, LexerOptions options = {}) noexcept
      : sql_(sql), dialect_(dialect), options_(options) {}

  // The next token; TokenKind::end once the input is exhausted. After an error token the lexer
  // is at the end of input.
  Token next() noexcept;

  // Byte offset of `token` in the input.
  std::size_t offset_of(const Token& token) const noexcept {
    return static_cast<std::size_t>(token.text.data() - sql_.data());
  }

 private:
  // The implementation is lib/sql/lexer_core.hpp, shared with the statement classifier.
  std::string_view sql_;
  Dialect dialect_;
  LexerOptions options_;
  std::size_t pos_ = 0;
};

std::string_view to_string(TokenKind kind) noexcept;

// ASCII-only case folding: keywords must not depend on the locale (Turkish dotless i).
constexpr char to_lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}
// True when `text` equals `lower` ignoring ASCII case; `lower` must be lower case.
bool iequals_ascii(std::string_view text, std::string_view lower) noexcept;

// Rewrites each `?` outside strings, comments, quoted identifiers and dollar quotes into `$N`,
// numbering from `first_index`; `count` receives how many were rewritten. As in Rails, every
// bare `?` is a placeholder: PostgreSQL's jsonb operators `?`, `?|` and `?&` cannot be written
// through this API (use jsonb_exists, jsonb_exists_any, jsonb_exists_all instead). Numbered
// `?NNN` and text after an unterminated string or comment are left unchanged.
std::string rewrite_question_placeholders(std::string_view sql, int first_index, int& count);
std::string rewrite_question_placeholders(std::string_view sql, int first_index, int& count,
                                          Dialect dialect);

}  // namespace switchyard::sql
