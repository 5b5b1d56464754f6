// switchyard: everything public in one include.
//
//   #include <switchyard/switchyard.hpp>
//   namespace sy = switchyard;
//
// Not included (they need more than the library's own dependencies, include them yourself):
// switchyard/http/httplib_adapter.hpp (cpp-httplib) and switchyard/instrument/test_helpers.hpp
// (for test suites).
#pragma once

#include "switchyard/cli/cli.hpp"
#include "switchyard/cli/command.hpp"
#include "switchyard/cli/generators.hpp"
#include "switchyard/config/connection_params.hpp"
#include "switchyard/config/database_config.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/config/database_url.hpp"
#include "switchyard/config/known_settings.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/context/connection_class.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/context/context_snapshot.hpp"
#include "switchyard/context/wal_position.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/http/database_selector.hpp"
#include "switchyard/http/request.hpp"
#include "switchyard/http/shard_selector.hpp"
#include "switchyard/http/signed_cookie.hpp"
#include "switchyard/instrument/log_subscriber.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/migrate/database_tasks.hpp"
#include "switchyard/migrate/migration.hpp"
#include "switchyard/migrate/migrator.hpp"
#include "switchyard/migrate/schema_dumper.hpp"
#include "switchyard/model.hpp"
#include "switchyard/result.hpp"
#include "switchyard/routing/decision.hpp"
#include "switchyard/routing/lsn.hpp"
#include "switchyard/routing/proxy.hpp"
#include "switchyard/routing/replica_set.hpp"
#include "switchyard/routing/route_explain.hpp"
#include "switchyard/sql/dialect.hpp"
#include "switchyard/sql/lexer.hpp"
#include "switchyard/sql/query.hpp"
#include "switchyard/sql/statement_classifier.hpp"
#include "switchyard/sync/backfill.hpp"
#include "switchyard/sync/commands.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/table_sync.hpp"
#include "switchyard/sync/verify.hpp"
#include "switchyard/sync/worker.hpp"
#include "switchyard/value.hpp"
