// Internal: the lexer's one implementation, inline so that the statement classifier's token loop
// compiles it in place (an out-of-line call per token, returning the token through memory, was a
// third of the classifier's time). Lexer::next() runs the same code: there is exactly one
// tokenizer, so the classifier cannot split tokens differently from the public lexer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "switchyard/sql/lexer.hpp"

namespace switchyard::sql::detail {

// One table lookup per byte instead of a chain of comparisons.
enum CharClass : std::uint8_t {
  kSpace = 1,
  kDigit = 2,
  kIdentStart = 4,  // letters, '_', and bytes >= 0x80 (PostgreSQL and SQLite both allow them)
  kDollar = 8,      // '$' continues an identifier in both dialects, never starts one
  kOperator = 16,
};

constexpr std::array<std::uint8_t, 256> make_char_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c : {' ', '\t', '\n', '\r', '\f', '\v'}) t[c] = kSpace;
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kIdentStart;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kIdentStart;
  for (int c = 0x80; c <= 0xFF; ++c) t[c] = kIdentStart;
  t['_'] = kIdentStart;
  t['$'] = kDollar;
  for (char c : std::string_view("+-*/<>=~!@#%^&|")) t[static_cast<unsigned char>(c)] = kOperator;
  return t;
}
inline constexpr std::array<std::uint8_t, 256> kCharClasses = make_char_classes();

constexpr std::uint8_t char_class(char c) noexcept {
  return kCharClasses[static_cast<unsigned char>(c)];
}
constexpr bool is_space(char c) noexcept {
  return char_class(c) & kSpace;
}
constexpr bool is_digit(char c) noexcept {
  return char_class(c) & kDigit;
}
constexpr bool is_ident_start(char c) noexcept {
  return char_class(c) & kIdentStart;
}
constexpr bool is_ident_cont(char c) noexcept {
  return char_class(c) & (kIdentStart | kDigit | kDollar);
}
constexpr bool is_operator_char(char c) noexcept {
  return char_class(c) & kOperator;
}

class LexCore {
 public:
  LexCore(std::string_view sql, Dialect dialect, LexerOptions options, std::size_t pos) noexcept
      : sql_(sql), dialect_(dialect), options_(options), pos_(pos) {}

  std::size_t pos() const noexcept { return pos_; }

  // See Lexer::next(). Forced inline: the token then lives in registers, not in memory.
  [[gnu::always_inline]] Token next() noexcept {
    const char* const data = sql_.data();
    const std::size_t size = sql_.size();
    for (;;) {
      while (pos_ < size && is_space(data[pos_])) ++pos_;
      if (pos_ >= size) return Token{TokenKind::end, LexError::none, 0, sql_.substr(pos_)};
      const char c = data[pos_];
      if ((c != '-' && c != '/') || !starts_comment(pos_)) break;
      const Token token = c == '-' ? lex_line_comment(pos_) : lex_block_comment(pos_);
      if (token.kind == TokenKind::error || options_.keep_comments) return token;
    }
    const std::size_t start = pos_;
    const char c = data[pos_];
    // The common tokens first: words, quoted identifiers and punctuation.
    if (is_ident_start(c)) return lex_word(start);
    switch (c) {
      case '"':
        return lex_quoted_identifier(start, '"');
      case '(':
        return single(TokenKind::lparen, start);
      case ')':
        return single(TokenKind::rparen, start);
      case ',':
        return single(TokenKind::comma, start);
      case '.':
        if (is_digit(peek(pos_ + 1))) return lex_number(start);
        return single(TokenKind::dot, start);
      case '$':
        return lex_dollar(start);
      case ';':
        return single(TokenKind::semicolon, start);
      default:
        break;
    }
    if (is_operator_char(c) && c != '@') return lex_operator(start);
    if (is_digit(c)) return lex_number(start);
    return lex_other(start, c);
  }

 private:
  Token make(TokenKind kind, std::size_t start, LexError error = LexError::none,
             std::uint8_t flags = 0) const noexcept {
    return Token{kind, error, flags, std::string_view(sql_.data() + start, pos_ - start)};
  }
  Token single(TokenKind kind, std::size_t start) noexcept {
    ++pos_;
    return make(kind, start);
  }
  char peek(std::size_t at) const noexcept { return at < sql_.size() ? sql_[at] : '\0'; }
  bool starts_comment(std::size_t at) const noexcept {
    const char c = peek(at);
    const char d = peek(at + 1);
    return (c == '-' && d == '-') || (c == '/' && d == '*');
  }

  [[gnu::noinline]] Token lex_other(std::size_t start, char c) noexcept {
    const char d = peek(pos_ + 1);
    const bool pg = dialect_ == Dialect::postgresql;
    switch (c) {
      case '\0':
        pos_ = sql_.size();
        return make(TokenKind::error, start, LexError::nul_byte);
      case '\'':
        return lex_string(start, start, pg && !options_.standard_conforming_strings, 0);
      case '`':
        if (!pg) return lex_quoted_identifier(start, '`');
        return single(TokenKind::other, start);
      case '[':
        if (!pg) return lex_quoted_identifier(start, ']');
        return single(TokenKind::lbracket, start);
      case ']':
        return single(TokenKind::rbracket, start);
      case '?':
        ++pos_;
        while (is_digit(peek(pos_))) ++pos_;
        return make(TokenKind::placeholder, start);
      case ':':
        if (d == ':') {
          pos_ += 2;
          return make(TokenKind::double_colon, start);
        }
        if (is_ident_start(d)) {
          ++pos_;
          while (is_ident_cont(peek(pos_))) ++pos_;
          return make(TokenKind::placeholder, start);
        }
        return single(TokenKind::colon, start);
      case '@':
        if (!pg && is_ident_start(d)) {
          ++pos_;
          while (is_ident_cont(peek(pos_))) ++pos_;
          return make(TokenKind::placeholder, start);
        }
        return lex_operator(start);
      default:
        break;
    }
    if (is_digit(c)) return lex_number(start);
    if (is_operator_char(c)) return lex_operator(start);
    return single(TokenKind::other, start);
  }

  [[gnu::noinline]] Token lex_line_comment(std::size_t start) noexcept {
    // PostgreSQL ends a `--` comment at \n or \r; SQLite at \n. A lone \r inside a SQLite comment
    // is therefore still comment, which only ever hides more text, never less.
    const bool pg = dialect_ == Dialect::postgresql;
    while (pos_ < sql_.size() && sql_[pos_] != '\n' && !(pg && sql_[pos_] == '\r')) ++pos_;
    return make(TokenKind::comment, start);
  }

  [[gnu::noinline]] Token lex_block_comment(std::size_t start) noexcept {
    // PostgreSQL nests /* */ comments; SQLite ends the comment at the first */.
    const bool nests = dialect_ == Dialect::postgresql;
    pos_ += 2;
    int depth = 1;
    while (pos_ < sql_.size()) {
      const char c = sql_[pos_];
      const char d = peek(pos_ + 1);
      if (c == '*' && d == '/') {
        pos_ += 2;
        if (--depth == 0) return make(TokenKind::comment, start);
      } else if (nests && c == '/' && d == '*') {
        pos_ += 2;
        ++depth;
      } else {
        ++pos_;
      }
    }
    return make(TokenKind::error, start, LexError::unterminated_comment);
  }

  [[gnu::noinline]] Token lex_string(std::size_t start, std::size_t quote, bool backslash_escapes,
                                     std::uint8_t flags) noexcept {
    pos_ = quote + 1;
    while (pos_ < sql_.size()) {
      const char c = sql_[pos_];
      if (c == '\\') {
        if (backslash_escapes) {
          pos_ += 2;
          continue;
        }
        if (!(flags & Token::kEscapeString)) flags |= Token::kBackslashInPlainString;
      } else if (c == '\'') {
        if (peek(pos_ + 1) == '\'') {
          pos_ += 2;
          continue;
        }
        ++pos_;
        return make(TokenKind::string, start, LexError::none, flags);
      }
      ++pos_;
    }
    pos_ = sql_.size();
    return make(TokenKind::error, start, LexError::unterminated_string, flags);
  }

  Token lex_quoted_identifier(std::size_t start, char close) noexcept {
    // SQLite's [...] has no escape; the other forms double the closing character. A plain loop:
    // identifiers are short, and a memchr call costs more than it saves here.
    const bool doubles = close != ']';
    const char* const data = sql_.data();
    const std::size_t size = sql_.size();
    std::size_t at = start + 1;
    for (;;) {
      while (at < size && data[at] != close) ++at;
      if (at >= size) break;
      ++at;
      if (doubles && at < size && data[at] == close) {
        ++at;
        continue;
      }
      pos_ = at;
      return make(TokenKind::quoted_identifier, start);
    }
    pos_ = size;
    return make(TokenKind::error, start, LexError::unterminated_quoted_identifier);
  }

  Token lex_dollar(std::size_t start) noexcept {
    ++pos_;  // the '$'
    if (is_digit(peek(pos_))) {
      while (is_digit(peek(pos_))) ++pos_;
      return make(TokenKind::placeholder, start);
    }
    return lex_dollar_name(start);
  }

  // $name (SQLite) or a dollar quote (PostgreSQL); pos_ is after the '$'.
  [[gnu::noinline]] Token lex_dollar_name(std::size_t start) noexcept {
    if (dialect_ == Dialect::sqlite3) {
      // SQLite: $name is a (Tcl-style) parameter.
      if (!is_ident_start(peek(pos_))) return make(TokenKind::other, start);
      while (is_ident_cont(peek(pos_))) ++pos_;
      return make(TokenKind::placeholder, start);
    }
    // PostgreSQL dollar quote: $tag$ where tag is an identifier without '$', or empty.
    std::size_t tag_end = pos_;
    if (is_ident_start(peek(tag_end))) {
      ++tag_end;
      while (is_ident_start(peek(tag_end)) || is_digit(peek(tag_end))) ++tag_end;
    }
    if (peek(tag_end) != '$' || tag_end >= sql_.size()) return make(TokenKind::other, start);
    const std::string_view tag = sql_.substr(start, tag_end + 1 - start);
    const std::size_t close = sql_.find(tag, tag_end + 1);
    if (close == std::string_view::npos) {
      pos_ = sql_.size();
      return make(TokenKind::error, start, LexError::unterminated_dollar_quote);
    }
    pos_ = close + tag.size();
    return make(TokenKind::dollar_string, start);
  }

  Token lex_word(std::size_t start) noexcept {
    const char* const data = sql_.data();
    const std::size_t size = sql_.size();
    ++pos_;
    while (pos_ < size && is_ident_cont(data[pos_])) ++pos_;
    // A one-letter prefix glued to a quote makes a string: E'..' (escapes, PostgreSQL only),
    // B'..', X'..', N'..'. Longer words followed by a string are `type 'literal'` syntax.
    if (pos_ - start == 1 && peek(pos_) == '\'') {
      const char p = to_lower_ascii(data[start]);
      const bool pg = dialect_ == Dialect::postgresql;
      if (pg && p == 'e') return lex_string(start, pos_, true, Token::kEscapeString);
      if (p == 'b' || p == 'x' || p == 'n') {
        return lex_string(start, pos_, pg && !options_.standard_conforming_strings, 0);
      }
    }
    return make(TokenKind::word, start);
  }

  Token lex_number(std::size_t start) noexcept {
    // Decimal digits only, as PostgreSQL before 16 lexes them: `1for` is `1` then `for`.
    // Treating letters as part of the number would hide a keyword that an older server sees.
    while (is_digit(peek(pos_))) ++pos_;
    if (peek(pos_) == '.' && peek(pos_ + 1) != '.') {
      ++pos_;
      while (is_digit(peek(pos_))) ++pos_;
    }
    const char e = peek(pos_);
    if (e == 'e' || e == 'E') {
      std::size_t at = pos_ + 1;
      if (peek(at) == '+' || peek(at) == '-') ++at;
      if (is_digit(peek(at))) {
        pos_ = at;
        while (is_digit(peek(pos_))) ++pos_;
      }
    }
    return make(TokenKind::number, start);
  }

  Token lex_operator(std::size_t start) noexcept {
    // As in PostgreSQL, `--` and `/*` end an operator: `*--x` is `*` and a comment.
    ++pos_;
    while (pos_ < sql_.size() && is_operator_char(sql_[pos_]) && !starts_comment(pos_)) ++pos_;
    return make(TokenKind::op, start);
  }

  std::string_view sql_;
  Dialect dialect_;
  LexerOptions options_;
  std::size_t pos_;
};

}  // namespace switchyard::sql::detail
