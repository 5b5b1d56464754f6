// `switchyard route explain`: how proxy mode would route SQL, with no database.
//
//   switchyard route explain --dialect postgresql < statements.jsonl   # {"sql": "..."} per line
//   switchyard route explain --dialect sqlite3 "SELECT ... FOR UPDATE"
//
// JSON lines in, one JSON object per line out: {"sql", "route", "reason", "kind", "pins_session",
// "replayed"}; a malformed line yields {"error": ...} and exit status 1 at the end. With SQL
// arguments, a readable explanation per statement (route, reason, kind, what would change it).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace switchyard::routing {

// argv excludes the program and the words "route explain". Returns the exit status.
int route_explain(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err);

}  // namespace switchyard::routing
