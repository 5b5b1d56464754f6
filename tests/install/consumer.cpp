// Built outside the tree against the installed switchyard (headers, library, switchyard.pc).
#include <switchyard/connection/connection_handler.hpp>
#include <switchyard/instrument/log_subscriber.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  switchyard::DatabaseConfig config("development", "primary",
                                    {{"adapter", "sqlite3"}, {"database", argv[1]}}, "consumer");
  switchyard::ConnectionHandler handler;
  auto lease = handler.establish_connection(config)->lease();
  switchyard::instrument::LogSubscriber log(std::cout);
  lease->execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)");
  lease->execute("INSERT INTO t VALUES ($1)", {switchyard::Value{std::int64_t{42}}});
  auto v = lease->execute("SELECT sum(v) FROM t").scalar();
  std::cout << "sum=" << switchyard::to_text(v) << "\n";
  return 0;
}
