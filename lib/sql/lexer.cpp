#include "switchyard/sql/lexer.hpp"

#include <string>

#include "lexer_core.hpp"

namespace switchyard::sql {

bool iequals_ascii(std::string_view text, std::string_view lower) noexcept {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (to_lower_ascii(text[i]) != lower[i]) return false;
  }
  return true;
}

Token Lexer::next() noexcept {
  detail::LexCore core(sql_, dialect_, options_, pos_);
  const Token token = core.next();
  pos_ = core.pos();
  return token;
}

std::string_view to_string(TokenKind kind) noexcept {
  switch (kind) {
    case TokenKind::word:
      return "word";
    case TokenKind::quoted_identifier:
      return "quoted_identifier";
    case TokenKind::string:
      return "string";
    case TokenKind::dollar_string:
      return "dollar_string";
    case TokenKind::number:
      return "number";
    case TokenKind::placeholder:
      return "placeholder";
    case TokenKind::op:
      return "op";
    case TokenKind::lparen:
      return "lparen";
    case TokenKind::rparen:
      return "rparen";
    case TokenKind::lbracket:
      return "lbracket";
    case TokenKind::rbracket:
      return "rbracket";
    case TokenKind::comma:
      return "comma";
    case TokenKind::dot:
      return "dot";
    case TokenKind::semicolon:
      return "semicolon";
    case TokenKind::colon:
      return "colon";
    case TokenKind::double_colon:
      return "double_colon";
    case TokenKind::comment:
      return "comment";
    case TokenKind::other:
      return "other";
    case TokenKind::error:
      return "error";
    case TokenKind::end:
      return "end";
  }
  return "unknown";
}

std::string rewrite_question_placeholders(std::string_view sql, int first_index, int& count) {
  return rewrite_question_placeholders(sql, first_index, count, Dialect::postgresql);
}

std::string rewrite_question_placeholders(std::string_view sql, int first_index, int& count,
                                          Dialect dialect) {
  std::string out;
  out.reserve(sql.size() + 8);
  count = 0;
  Lexer lexer(sql, dialect, LexerOptions{.keep_comments = true});
  std::size_t copied = 0;  // input bytes already in `out`
  for (Token token = lexer.next(); token.kind != TokenKind::end; token = lexer.next()) {
    if (token.kind != TokenKind::placeholder || token.text != "?") continue;
    const std::size_t at = lexer.offset_of(token);
    out.append(sql.substr(copied, at - copied));
    out += '$';
    out += std::to_string(first_index + count);
    ++count;
    copied = at + 1;
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace switchyard::sql
