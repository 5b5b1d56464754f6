// A small HTTP application behind the DatabaseSelector: GET /dogs reads (from the replica when the
// client has not just written), POST /dogs?name=Rex writes to the primary.
//
//   http_app                         SQLite files in ./http_app-data, time-window resolver
//   http_app --pg                    the test cluster from `scripts/pg-cluster env` (primary +
//                                    hot standby), WAL-position resolver
//   http_app --port 8080 --time      choose the port / force the time-window resolver
//
//   curl -c jar -b jar -d '' 'http://127.0.0.1:8080/dogs?name=Rex'
//   curl -c jar -b jar 'http://127.0.0.1:8080/dogs'
//
// At start it shows the two halves of role switching: a read in a reading scope, and a write in
// the same scope refused before it is sent.
#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "switchyard/config/database_configurations.hpp"
#include "switchyard/context/connection_handling.hpp"
#include "switchyard/errors.hpp"
#include "switchyard/http/database_selector.hpp"
#include "switchyard/http/httplib_adapter.hpp"
#include "switchyard/instrument/notifications.hpp"

namespace sy = switchyard;

namespace {

// The abstract connection class of the animals database.
const sy::ConnectionClass& animals() {
  static const sy::ConnectionClass c("AnimalsRecord", &sy::ConnectionClass::base(), true,
                                     sy::connects_to({.writing = "animals", .reading = "animals_replica"}));
  return c;
}

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

sy::DatabaseConfigurations configs(bool pg) {
  nlohmann::ordered_json dbs;
  if (pg) {
    auto server = [](const char* port_var, bool replica) {
      nlohmann::ordered_json c = {{"adapter", "postgresql"},
                                  {"host", env("SWITCHYARD_PG_HOST", "127.0.0.1")},
                                  {"port", std::stoi(env(port_var, "5432"))},
                                  {"database", env("SWITCHYARD_PG_DATABASE", "switchyard_test")},
                                  {"username", env("SWITCHYARD_PG_USER", "switchyard")},
                                  {"password", env("SWITCHYARD_PG_PASSWORD", "")}};
      if (replica) c["replica"] = true;
      return c;
    };
    dbs["animals"] = server("SWITCHYARD_PG_PRIMARY_PORT", false);
    dbs["animals_replica"] = server("SWITCHYARD_PG_REPLICA_PORT", true);
  } else {
    std::filesystem::create_directories("http_app-data");
    const std::string file = (std::filesystem::absolute("http_app-data") / "animals.sqlite3").string();
    dbs["animals"] = {{"adapter", "sqlite3"}, {"database", file}};
    dbs["animals_replica"] = {{"adapter", "sqlite3"}, {"database", file}, {"replica", true}};
  }
  return sy::DatabaseConfigurations(nlohmann::ordered_json{{"development", dbs}}, "<http_app>",
                                    "development");
}

}  // namespace

int main(int argc, char** argv) {
  bool pg = false, time_window = false;
  int port = 8080;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--pg") pg = true;
    else if (a == "--time") time_window = true;
    else if (a == "--port" && i + 1 < argc) port = std::stoi(argv[++i]);
    else {
      std::cerr << "usage: http_app [--pg] [--time] [--port N]\n";
      return 2;
    }
  }

  sy::establish(configs(pg), "development");
  sy::execute(animals(), "CREATE TABLE IF NOT EXISTS dogs (name text NOT NULL)");

  // The demo: a reading scope reads the replica and refuses a write before sending it.
  sy::connected_to(animals(), {.role = sy::reading}, [] {
    auto n = sy::execute(animals(), "SELECT count(*) FROM dogs").scalar();
    std::cout << "reading scope on " << sy::lease_connection(animals())->identity().database
              << ": " << std::get<std::int64_t>(n) << " dogs\n";
    try {
      sy::execute(animals(), "INSERT INTO dogs (name) VALUES ('Sneaky')");
    } catch (const sy::ReadOnlyError& e) {
      std::cout << "refused: " << e.what() << "\n";
    }
  });

  // Selector decisions, as they happen.
  sy::instrument::Subscription log(sy::instrument::EventSubscriber([](const sy::instrument::Event& e) {
    if (e.name.rfind("database_selector.", 0) == 0)
      std::cout << e.name << " " << e.payload.dump() << "\n";
  }));

  sy::http::DatabaseSelector selector(
      {.resolver = pg && !time_window ? sy::http::ResolverKind::wal_position
                                      : sy::http::ResolverKind::time_window,
       .cookie = {.secret = env("HTTP_APP_SECRET", "change-me-in-production-0123456789")}});
  const std::vector<sy::http::Middleware> chain{selector.middleware()};

  httplib::Server server;
  server.Get("/dogs", sy::http::with_selectors(chain, [](const httplib::Request&, httplib::Response& res) {
    auto rows = sy::execute(animals(), "SELECT name FROM dogs ORDER BY name");
    std::string body = "served by " + sy::lease_connection(animals())->identity().database + ":";
    for (std::size_t i = 0; i < rows.rows.size(); ++i) body += " " + std::get<std::string>(rows.at(i, "name"));
    res.set_content(body + "\n", "text/plain");
  }));
  server.Post("/dogs", sy::http::with_selectors(chain, [](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_param("name")) {
      res.status = 400;
      return res.set_content("name is required\n", "text/plain");
    }
    sy::execute(animals(), "INSERT INTO dogs (name) VALUES ($1)", {sy::Value{req.get_param_value("name")}});
    res.set_content("created\n", "text/plain");
  }));
  std::cout << "listening on http://127.0.0.1:" << port << " ("
            << (pg && !time_window ? "WAL-position" : "time-window") << " resolver)\n";
  return server.listen("127.0.0.1", port) ? 0 : 1;
}
