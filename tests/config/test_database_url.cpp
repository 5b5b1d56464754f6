// Database URL parsing: parts, decoding, IPv6, sqlite3 forms, query typing, errors.
#include "config_test_helpers.hpp"
#include "switchyard/config/database_url.hpp"

using namespace switchyard;
using namespace switchyard::test;

TEST_SUITE("database url") {

TEST_CASE("a full postgresql URL") {
  auto s = parse_database_url("postgresql://alice:s3cret@db.example.com:6543/app_prod?sslmode=require&pool=10");
  CHECK(s["adapter"] == "postgresql");
  CHECK(s["username"] == "alice");
  CHECK(s["password"] == "s3cret");
  CHECK(s["host"] == "db.example.com");
  CHECK(s["port"] == 6543);
  CHECK(s["database"] == "app_prod");
  CHECK(s["sslmode"] == "require");
  CHECK(s["pool"] == 10);
  CHECK(s["pool"].is_number_integer());
}

TEST_CASE("postgres:// and postgresql_proxy:// schemes") {
  CHECK(parse_database_url("postgres://h/d")["adapter"] == "postgresql");
  CHECK(parse_database_url("postgresql_proxy://h/d")["adapter"] == "postgresql_proxy");
}

TEST_CASE("percent-decoding of user, password, host and database") {
  auto s = parse_database_url("postgresql://us%40er:p%40ss%2Fw%3Ard@%2Fvar%2Frun%2Fpostgresql/my%20db");
  CHECK(s["username"] == "us@er");
  CHECK(s["password"] == "p@ss/w:rd");
  CHECK(s["host"] == "/var/run/postgresql");
  CHECK(s["database"] == "my db");
}

TEST_CASE("query values decode + as space and %XX") {
  auto s = parse_database_url("postgresql://h/d?application_name=my+app%21&options=-c%20x%3Dy");
  CHECK(s["application_name"] == "my app!");
  CHECK(s["options"] == "-c x=y");
}

TEST_CASE("IPv6 hosts with and without a port") {
  auto a = parse_database_url("postgresql://[::1]:5433/d");
  CHECK(a["host"] == "::1");
  CHECK(a["port"] == 5433);
  auto b = parse_database_url("postgresql://u@[fe80::1%25eth0]/d");
  CHECK(b["host"] == "fe80::1%eth0");
  CHECK_FALSE(b.contains("port"));
}

TEST_CASE("missing parts are simply absent") {
  auto host_only = parse_database_url("postgresql://localhost");
  CHECK(host_only["host"] == "localhost");
  CHECK_FALSE(host_only.contains("database"));
  CHECK_FALSE(host_only.contains("username"));
  auto db_only = parse_database_url("postgresql:///app");
  CHECK_FALSE(db_only.contains("host"));
  CHECK(db_only["database"] == "app");
  auto user_no_password = parse_database_url("postgresql://bob@h/d");
  CHECK(user_no_password["username"] == "bob");
  CHECK_FALSE(user_no_password.contains("password"));
  auto empty_port = parse_database_url("postgresql://h:/d");
  CHECK_FALSE(empty_port.contains("port"));
}

TEST_CASE("a password containing an unencoded @ uses the last @ of the authority") {
  auto s = parse_database_url("postgresql://u:p@ss@h/d");
  CHECK(s["password"] == "p@ss");
  CHECK(s["host"] == "h");
}

TEST_CASE("sqlite3 URL forms") {
  CHECK(parse_database_url("sqlite3:db/development.sqlite3")["database"] == "db/development.sqlite3");
  CHECK(parse_database_url("sqlite3:///var/lib/app.sqlite3")["database"] == "/var/lib/app.sqlite3");
  auto memory = parse_database_url("sqlite3::memory:");
  CHECK(memory["adapter"] == "sqlite3");
  CHECK(memory["database"] == ":memory:");
  auto with_query = parse_database_url("sqlite3:db/x.sqlite3?timeout=2000&journal_mode=wal");
  CHECK(with_query["timeout"] == 2000);
  CHECK(with_query["journal_mode"] == "wal");
}

TEST_CASE("query parameters are typed by the known-settings table") {
  auto s = parse_database_url("postgresql://h/d?replica=true&database_tasks=false&schema_dump=false"
                              "&checkout_timeout=2.5&prepared_statements=false&statement_timeout=5000");
  CHECK(s["replica"] == true);
  CHECK(s["database_tasks"] == false);
  CHECK(s["schema_dump"] == false);
  CHECK(s["checkout_timeout"] == doctest::Approx(2.5));
  CHECK(s["prepared_statements"] == false);
  CHECK(s["statement_timeout"] == 5000);
  auto file = parse_database_url("postgresql://h/d?schema_dump=animals.sql");
  CHECK(file["schema_dump"] == "animals.sql");
}

TEST_CASE("URL parts win over query parameters of the same name") {
  auto s = parse_database_url("postgresql://real.host/d?host=query.host");
  CHECK(s["host"] == "real.host");
}

TEST_CASE("bad URLs are ConfigurationErrors naming the problem and the place") {
  auto port = error_of([] { parse_database_url("postgresql://h:99999/d", "DATABASE_URL"); });
  CHECK(port.find("DATABASE_URL: invalid database URL: invalid port") != std::string::npos);
  CHECK(error_of([] { parse_database_url("postgresql://h:abc/d"); }).find("invalid port") != std::string::npos);
  CHECK(error_of([] { parse_database_url("mysql2://h/d"); }).find("unsupported scheme 'mysql2'") != std::string::npos);
  CHECK(error_of([] { parse_database_url("just-a-name"); }).find("expected adapter://") != std::string::npos);
  CHECK(error_of([] { parse_database_url("postgresql://[::1/d"); }).find("unterminated '['") != std::string::npos);
  CHECK(error_of([] { parse_database_url("postgresql://h/d%zz"); }).find("percent-encoding in the database name") != std::string::npos);
  CHECK(error_of([] { parse_database_url("sqlite3://host/x"); }).find("sqlite3 URLs have no host") != std::string::npos);
  CHECK(error_of([] { parse_database_url("postgresql://h/d?pool"); }).find("'pool' has no value") != std::string::npos);
  CHECK(error_of([] { parse_database_url("postgresql://h/d#frag"); }).find("'#'") != std::string::npos);
  CHECK(error_of([] { parse_database_url("postgresql:h"); }).find("expected postgresql://") != std::string::npos);
}

TEST_CASE("an unknown query parameter is caught by validation with a suggestion") {
  auto message = error_of([] { yaml("development:\n  pool: 2\n  url: postgresql://h/d?sslmod=require\n"); });
  CHECK(message.find("config/database.yml:3:3: environment 'development', database 'primary', key 'sslmod' "
                     "(from url): unknown setting 'sslmod' (did you mean 'sslmode'?)") != std::string::npos);
}

TEST_CASE("a bad url setting names file, environment, database and key 'url'") {
  auto message = error_of([] { yaml("development:\n  animals:\n    url: postgresql://h:port/d\n"); });
  CHECK(message.find("config/database.yml:3:5: environment 'development', database 'animals', key 'url'") !=
        std::string::npos);
  CHECK(message.find("invalid port") != std::string::npos);
}

TEST_CASE("redact_database_url hides userinfo passwords and password parameters") {
  CHECK(redact_database_url("postgresql://u:hunter2@h/d") == "postgresql://u:[FILTERED]@h/d");
  CHECK(redact_database_url("postgresql://u@h/d") == "postgresql://u@h/d");
  CHECK(redact_database_url("postgresql://h/d?user=u&password=hunter2&sslmode=require") ==
        "postgresql://h/d?user=u&password=[FILTERED]&sslmode=require");
  // Malformed: over-redact rather than leak.
  auto odd = redact_database_url("postgresql://u:hun/ter2@h/d");
  CHECK(odd.find("hun") == std::string::npos);
  CHECK(odd.find("ter2") == std::string::npos);
}

TEST_CASE("looks_like_database_url") {
  CHECK(looks_like_database_url("postgresql://h"));
  CHECK(looks_like_database_url("sqlite3::memory:"));
  CHECK_FALSE(looks_like_database_url("db/dev.sqlite3"));
  CHECK_FALSE(looks_like_database_url(""));
}

}  // TEST_SUITE
