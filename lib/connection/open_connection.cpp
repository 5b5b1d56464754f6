#include "switchyard/connection/connection.hpp"

namespace switchyard {

std::unique_ptr<Connection> open_postgresql_connection(const DatabaseConfig&, ConnectionIdentity);
std::unique_ptr<Connection> open_sqlite3_connection(const DatabaseConfig&, ConnectionIdentity);

std::unique_ptr<Connection> open_connection(const DatabaseConfig& config,
                                            ConnectionIdentity identity) {
  if (sql::dialect_for_adapter(config.adapter()) == sql::Dialect::postgresql)
    return open_postgresql_connection(config, std::move(identity));
  return open_sqlite3_connection(config, std::move(identity));
}

}  // namespace switchyard
