// switchyard: everything public in one include.
//
//   #include <switchyard/switchyard.hpp>
//   namespace sy = switchyard;
#pragma once

#include "switchyard/config/database_config.hpp"
#include "switchyard/config/database_configurations.hpp"
#include "switchyard/config/database_url.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/connection/connection_handler.hpp"
#include "switchyard/connection/connection_pool.hpp"
#include "switchyard/context/connection_class.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/context/context_snapshot.hpp"
#include "switchyard/http/database_selector.hpp"
#include "switchyard/http/shard_selector.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/instrument/log_subscriber.hpp"
#include "switchyard/instrument/notifications.hpp"
#include "switchyard/migrate/database_tasks.hpp"
#include "switchyard/model.hpp"
#include "switchyard/result.hpp"
#include "switchyard/routing/proxy.hpp"
#include "switchyard/sql/dialect.hpp"
#include "switchyard/sql/query.hpp"
#include "switchyard/sql/statement_classifier.hpp"
#include "switchyard/sync/outbox.hpp"
#include "switchyard/sync/table_sync.hpp"
#include "switchyard/value.hpp"
