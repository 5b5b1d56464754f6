#include "switchyard/sql/fragment.hpp"

#include <string>

#include "switchyard/errors.hpp"
#include "switchyard/sql/lexer.hpp"

namespace switchyard::sql {
namespace {

// Why `fragment` cannot be one expression in `dialect`, or nullptr when it can.
const char* problem(std::string_view fragment, Dialect dialect) {
  Lexer lexer(fragment, dialect, LexerOptions{.keep_comments = true});
  int depth = 0;
  for (Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) {
    switch (t.kind) {
      case TokenKind::semicolon:
        return "contains ';'";
      case TokenKind::comment:
        return "contains a comment";
      case TokenKind::error:
        return t.error == LexError::nul_byte ? "contains a NUL byte"
                                             : "leaves a string, quoted identifier or comment open";
      case TokenKind::lparen:
        ++depth;
        break;
      case TokenKind::rparen:
        if (--depth < 0) return "closes a parenthesis it did not open";
        break;
      default:
        break;
    }
  }
  return depth == 0 ? nullptr : "leaves a parenthesis open";
}

}  // namespace

void check_fragment(std::string_view fragment, std::string_view method) {
  for (Dialect dialect : {Dialect::postgresql, Dialect::sqlite3}) {
    if (const char* why = problem(fragment, dialect))
      throw ArgumentError(std::string(method) + ": refused an SQL fragment that " + why +
                          " (a fragment must be a single expression; pass values as ? binds)");
  }
}

}  // namespace switchyard::sql
