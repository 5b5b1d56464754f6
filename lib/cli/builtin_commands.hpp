// Registration of the commands defined in lib/cli (db:* tasks, generate). Called by the runner so
// they exist even when a static link drops unreferenced registration objects.
#pragma once

#include "switchyard/cli/command.hpp"

namespace switchyard::cli::detail {

void register_builtin_commands();  // idempotent
// Registers unless a command of that name exists: an application's own registration wins.
void register_default_command(CommandInfo info);
void register_db_commands();
void register_generate_command();

}  // namespace switchyard::cli::detail
