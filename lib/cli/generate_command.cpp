// `switchyard generate model|migration` (alias `g`).
#include <CLI/CLI.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <regex>

#include "builtin_commands.hpp"
#include "switchyard/cli/command.hpp"
#include "switchyard/cli/generators.hpp"
#include "switchyard/connection/connection.hpp"
#include "switchyard/migrate/migration.hpp"

namespace switchyard::cli::detail {
namespace {

namespace fs = std::filesystem;
namespace gen = generators;

std::string utc_timestamp() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

bool valid_class_name(const std::string& s) {
  static const std::regex pattern("^[A-Z][A-Za-z0-9]*$");
  return std::regex_match(s, pattern);
}

struct Target {
  DatabaseConfig config;
  sql::Dialect dialect;
  fs::path migrations_dir;
};

Target target_database(Context& ctx, const std::string& name) {
  const auto& all = ctx.configurations();
  std::optional<DatabaseConfig> config = name.empty() ? all.primary(ctx.env()) : all.find(ctx.env(), name, true);
  if (!config)
    throw UsageError("The `" + (name.empty() ? std::string("primary") : name) +
                     "` database is not configured for the `" + ctx.env() + "` environment.");
  if (config->replica())
    throw UsageError("'" + config->name() + "' is a replica: migrations are generated for the database it replicates");
  fs::path dir = config->migrations_paths().front();
  if (dir.is_relative()) dir = ctx.root() / dir;
  return {*config, sql::dialect_for_adapter(config->adapter()), dir.lexically_normal()};
}

std::string display(const fs::path& p) {
  std::error_code ec;
  auto rel = fs::relative(p, fs::current_path(), ec);
  return ec || rel.empty() || rel.string().rfind("..", 0) == 0 ? p.string() : rel.string();
}

void write_new(Context& ctx, const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw Error("cannot write " + path.string());
  ctx.out() << "      create  " << display(path) << "\n";
}

// Writes the .up.sql / .down.sql pair; returns the version used.
std::string write_migration(Context& ctx, const Target& t, const std::string& camel, const std::string& timestamp,
                            const gen::MigrationBodies& bodies) {
  auto snake = migrate::underscore(camel);
  std::int64_t version = std::stoll(timestamp.empty() ? utc_timestamp() : timestamp);
  auto existing = migrate::load_migrations(t.config.name(), {t.migrations_dir});
  for (const auto& m : existing)
    if (m.name == snake)
      throw Error("Another migration is already named " + snake + ": " +
                  (m.up_path ? m.up_path->string() : std::to_string(m.version)) + ". Use another name.");
  auto taken = [&](std::int64_t v) {
    return std::any_of(existing.begin(), existing.end(), [&](const auto& m) { return m.version == v; });
  };
  while (taken(version)) ++version;
  auto base = std::to_string(version) + "_" + snake;
  write_new(ctx, t.migrations_dir / (base + ".up.sql"), bodies.up);
  write_new(ctx, t.migrations_dir / (base + ".down.sql"), bodies.down);
  return std::to_string(version);
}

std::string join_args(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += " " + i;
  return out;
}

class GenerateCommand : public Command {
 public:
  void configure(CLI::App& app) override {
    app.require_subcommand(1);
    model_ = app.add_subcommand("model", "A model header in app/models/ and its CREATE TABLE migration");
    model_->add_option("name", model_name_, "Class name (CamelCase): Dog");
    model_->add_option("attributes", model_attributes_, "name:type[:index|:uniq], type! for NOT NULL");
    model_->add_option("-d,--database", database_, "Database of the model (default: the primary)");
    model_->add_option("-o,--output-dir", output_dir_, "Where the header goes (default: ROOT/app/models)");
    model_->add_option("--from-database", from_database_, "Read the columns from this database's live table");
    model_->add_option("--table", table_, "Table name (default: the plural of the class name)");
    model_->add_option("--timestamp", timestamp_, "Migration version to use (default: now, UTC)");
    model_->add_flag("--skip-migration", skip_migration_, "Write only the model header");
    model_->add_flag("-f,--force", force_, "Overwrite an existing model header");

    migration_ = app.add_subcommand("migration", "A migration pair with the DDL its name implies");
    migration_->add_option("name", migration_name_, "CamelCase: CreateDogs, AddBreedToDogs, RemoveAgeFromDogs, DropCats")
        ->required();
    migration_->add_option("attributes", migration_attributes_, "name:type[:index|:uniq], type! for NOT NULL");
    migration_->add_option("-d,--database", database_, "Database (default: the primary)");
    migration_->add_option("--timestamp", timestamp_, "Migration version to use (default: now, UTC)");
  }

  int run(Context& ctx) override {
    if (!timestamp_.empty() &&
        (timestamp_.size() > 18 || timestamp_.find_first_not_of("0123456789") != std::string::npos))
      throw UsageError("--timestamp takes digits (YYYYMMDDHHMMSS)");
    if (migration_->parsed()) return run_migration(ctx);
    return run_model(ctx);
  }

 private:
  int run_migration(Context& ctx) {
    if (!valid_class_name(migration_name_)) throw UsageError("'" + migration_name_ + "' is not a CamelCase name");
    auto attributes = gen::parse_attributes(migration_attributes_);
    auto t = target_database(ctx, database_);
    write_migration(ctx, t, migration_name_, timestamp_, gen::migration_bodies(migration_name_, attributes, t.dialect));
    return 0;
  }

  int run_model(Context& ctx) {
    if (from_database_.empty() && model_name_.empty()) throw UsageError("generate model needs a class name");
    if (!model_name_.empty() && !valid_class_name(model_name_))
      throw UsageError("'" + model_name_ + "' is not a CamelCase class name");
    const auto& all = ctx.configurations();
    std::string database = database_.empty() ? from_database_ : database_;
    if (database.empty()) database = all.primary(ctx.env()) ? all.primary(ctx.env())->name() : "primary";
    if (!all.find(ctx.env(), database, true))
      throw UsageError("The `" + database + "` database is not configured for the `" + ctx.env() + "` environment.");

    gen::ModelSpec spec;
    std::vector<std::string> command = {"switchyard", "generate", "model"};
    if (!from_database_.empty()) {
      if (table_.empty()) throw UsageError("--from-database needs --table");
      spec.table = table_;
      spec.class_name = model_name_.empty() ? migrate::camelize(gen::singularize(table_)) : model_name_;
      if (!model_attributes_.empty()) throw UsageError("--from-database reads the columns: give no attributes");
      auto config = all.find(ctx.env(), from_database_, true);
      if (!config) throw UsageError("The `" + from_database_ + "` database is not configured for the `" + ctx.env() + "` environment.");
      auto conn = open_connection(*config, ConnectionIdentity{.connection_name = "switchyard:generate",
                                                              .role = config->replica() ? "reading" : "writing",
                                                              .shard = "default",
                                                              .database = config->name(),
                                                              .node = {}});
      spec.columns = gen::read_columns(*conn, table_);
      command.insert(command.end(), {spec.class_name, "--from-database", from_database_, "--table", table_});
    } else {
      auto attributes = gen::parse_attributes(model_attributes_);
      spec.class_name = model_name_;
      spec.table = table_.empty() ? gen::pluralize(migrate::underscore(model_name_)) : table_;
      spec.columns = gen::columns_from_attributes(attributes);
      command.push_back(model_name_);
      command.insert(command.end(), model_attributes_.begin(), model_attributes_.end());
      if (!skip_migration_) {
        auto t = target_database(ctx, database);
        auto camel = "Create" + migrate::camelize(spec.table);
        write_migration(ctx, t, camel, timestamp_,
                        {gen::create_table_sql(spec.table, attributes, t.dialect), "DROP TABLE " +
                                                                                      sql::quote_identifier(spec.table) + ";\n"});
      }
    }
    if (!database_.empty() || !from_database_.empty()) command.insert(command.end(), {"--database", database});
    spec.database = database;
    spec.connection_class = gen::connection_class_name(database);
    spec.connection_header = migrate::underscore(spec.connection_class) + ".hpp";
    spec.command = join_args(command).substr(1);

    fs::path dir = output_dir_.empty() ? ctx.root() / "app" / "models" : fs::path(output_dir_);
    auto record_header = dir / spec.connection_header;
    if (fs::exists(record_header)) {
      ctx.out() << "       exist  " << display(record_header) << "\n";
    } else {
      std::string reading;
      if (auto r = all.find(ctx.env(), database + "_replica", true); r && r->replica()) reading = r->name();
      write_new(ctx, record_header, gen::render_connection_class(spec.connection_class, database, reading));
    }
    auto header = dir / (migrate::underscore(spec.class_name) + ".hpp");
    if (fs::exists(header) && !force_)
      throw Error(header.string() + " already exists (pass --force to overwrite it)");
    write_new(ctx, header, gen::render_model(spec));
    return 0;
  }

  CLI::App* model_ = nullptr;
  CLI::App* migration_ = nullptr;
  std::string model_name_, migration_name_, database_, output_dir_, from_database_, table_, timestamp_;
  std::vector<std::string> model_attributes_, migration_attributes_;
  bool skip_migration_ = false;
  bool force_ = false;
};

}  // namespace

void register_generate_command() {
  register_default_command(CommandInfo{.name = "generate",
                                       .description = "Generate a model or a migration (alias: g)",
                                       .factory = [] { return std::make_unique<GenerateCommand>(); },
                                       .takes_database = false,
                                       .settings = {},
                                       .aliases = {"g"},
                                       .group = "Generators"});
}

}  // namespace switchyard::cli::detail
