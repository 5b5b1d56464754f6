// The check every SQL fragment a caller hands the query builder passes (a WHERE condition, an
// ORDER BY / SELECT / GROUP BY expression, a SET assignment): it must stay one expression inside
// the statement the builder renders, whatever text it holds.
#pragma once

#include <string_view>

namespace switchyard::sql {

// Throws ArgumentError naming `method` when `fragment` could end the statement (';'), comment out
// the rest of it ('--', '/*'), leave a string, quoted identifier or comment open, hold a NUL byte,
// or close a parenthesis it did not open (breaking out of the one a WHERE fragment is wrapped in).
// Lexed as both dialects: the builder does not know yet where the query will run. The fragment
// itself is not quoted in the message (it may hold data).
void check_fragment(std::string_view fragment, std::string_view method);

}  // namespace switchyard::sql
