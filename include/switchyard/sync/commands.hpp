// The sync commands of the `switchyard` CLI (sync:install, sync:capture, sync:work, sync:status,
// sync:pause, sync:resume, sync:flush, sync:retry-dead, sync:backfill, sync:verify). The CLI's
// command registry dispatches "sync:*" here; applications may call it directly.
//
// Every command takes --config FILE (default config/database.json, else config/database.yml)
// and --env ENV (default SWITCHYARD_ENV or development); the table-level ones take --table T
// --from SOURCE --to TARGET [--key id] [--target-table T] [--replica NAME] [--where SQL]
// [--columns a,b] [--map src:dst,...]. `switchyard sync:help` lists all options.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace switchyard::sync {

// args[0] is the command ("sync:work"). Returns the process exit code: 0 success, 1 failure or
// (verify) differences found, 2 usage error.
int sync_main(std::vector<std::string> args, std::ostream& out, std::ostream& err);

// The commands this module provides, with one-line summaries, for the CLI's help.
std::vector<std::pair<std::string, std::string>> sync_command_summaries();

}  // namespace switchyard::sync
