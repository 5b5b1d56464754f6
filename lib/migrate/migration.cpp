#include "switchyard/migrate/migration.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>

namespace switchyard::migrate {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::map<std::int64_t, Migration>> migrations;
  MigrationFn seed;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MigrationError("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool first_line_opts_out(const std::string& text) {
  auto end = text.find('\n');
  std::string line = text.substr(0, end);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  static const std::regex marker(R"(^\s*--\s*switchyard:no_transaction\s*$)");
  return std::regex_match(line, marker);
}

}  // namespace

std::string Migration::class_name() const { return camelize(name); }
std::string Migration::display_name() const { return humanize(name); }

void register_migration(std::string database, std::int64_t version, std::string name,
                        MigrationFn up, MigrationFn down, bool transactional) {
  if (version <= 0) throw ArgumentError("register_migration: the version must be positive");
  if (!up) throw ArgumentError("register_migration: " + name + " needs an up function");
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto& db = r.migrations[database];
  if (db.count(version))
    throw ArgumentError("register_migration: version " + std::to_string(version) +
                        " is already registered for database '" + database + "'");
  Migration m;
  m.version = version;
  m.name = underscore(name);
  m.database = database;
  m.up_fn = std::move(up);
  m.down_fn = std::move(down);
  m.up_transactional = m.down_transactional = transactional;
  db.emplace(version, std::move(m));
}

std::vector<Migration> registered_migrations(const std::string& database) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<Migration> out;
  auto it = r.migrations.find(database);
  if (it != r.migrations.end())
    for (const auto& [version, m] : it->second) out.push_back(m);
  return out;
}

void clear_registered_migrations() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.migrations.clear();
}

void register_seed(MigrationFn seed) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.seed = std::move(seed);
}

const MigrationFn& registered_seed() { return registry().seed; }

void clear_registered_seed() { register_seed({}); }

std::string camelize(const std::string& snake) {
  std::string out;
  bool upper = true;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

std::string underscore(const std::string& camel) {
  std::string out;
  for (std::size_t i = 0; i < camel.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(camel[i]);
    if (std::isupper(c)) {
      bool prev_lower = i > 0 && (std::islower(static_cast<unsigned char>(camel[i - 1])) ||
                                  std::isdigit(static_cast<unsigned char>(camel[i - 1])));
      bool next_lower = i + 1 < camel.size() && std::islower(static_cast<unsigned char>(camel[i + 1]));
      bool prev_upper = i > 0 && std::isupper(static_cast<unsigned char>(camel[i - 1]));
      if (!out.empty() && out.back() != '_' && (prev_lower || (prev_upper && next_lower))) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else if (c == '-' || c == ' ') {
      if (!out.empty() && out.back() != '_') out += '_';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string humanize(const std::string& snake) {
  std::string out;
  for (char c : snake) out += c == '_' ? ' ' : c;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr))
    throw Error("SHA-256 failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string sha256_file(const std::filesystem::path& path) { return sha256_hex(read_bytes(path)); }

std::vector<Migration> load_migrations(const std::string& database,
                                       const std::vector<std::filesystem::path>& paths) {
  static const std::regex file_name(R"(^([0-9]+)_([A-Za-z0-9_]+)\.(up|down)\.sql$)");
  std::map<std::int64_t, Migration> found;
  std::map<std::int64_t, std::filesystem::path> down_only;
  for (const auto& dir : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      auto base = file.filename().string();
      if (base.size() < 8 || base.substr(base.size() - 4) != ".sql") continue;
      if (base.find(".up.sql") == std::string::npos && base.find(".down.sql") == std::string::npos) continue;
      std::smatch m;
      if (!std::regex_match(base, m, file_name))
        throw MigrationError(file.string() +
                             ": a migration file is named VERSION_snake_name.up.sql or .down.sql "
                             "(VERSION: digits)");
      if (m[1].length() > 18)
        throw MigrationError(file.string() + ": the version has more than 18 digits");
      std::int64_t version = std::stoll(m[1].str());
      std::string name = m[2].str();
      bool up = m[3] == "up";
      if (up) {
        auto it = found.find(version);
        if (it != found.end())
          throw DuplicateMigrationVersionError(
              "Multiple migrations have the version number " + std::to_string(version) + ": " +
              it->second.up_path->string() + " and " + file.string());
        auto text = read_bytes(file);
        Migration mig;
        mig.version = version;
        mig.name = name;
        mig.database = database;
        mig.up_path = file;
        mig.up_transactional = !first_line_opts_out(text);
        mig.checksum = sha256_hex(text);
        found.emplace(version, std::move(mig));
      } else {
        down_only[version] = file;
      }
    }
  }
  for (const auto& [version, file] : down_only) {
    auto it = found.find(version);
    auto base = file.filename().string();
    auto expected_name = base.substr(0, base.size() - std::string(".down.sql").size());
    if (it == found.end() ||
        it->second.up_path->filename().string() != expected_name + ".up.sql")
      throw MigrationError(file.string() + ": no matching " + expected_name + ".up.sql");
    it->second.down_path = file;
    it->second.down_transactional = !first_line_opts_out(read_bytes(file));
  }
  for (auto& m : registered_migrations(database)) {
    auto it = found.find(m.version);
    if (it != found.end())
      throw DuplicateMigrationVersionError(
          "Multiple migrations have the version number " + std::to_string(m.version) + ": " +
          it->second.up_path->string() + " and the C++ migration " + m.name);
    found.emplace(m.version, std::move(m));
  }
  std::vector<Migration> out;
  for (auto& [version, m] : found) out.push_back(std::move(m));
  return out;
}

std::vector<std::string> split_statements(std::string_view s) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    auto first = current.find_first_not_of(" \t\r\n");
    bool has_code = false;
    // A piece with only comments is not a statement.
    for (std::size_t i = first == std::string::npos ? current.size() : first; i < current.size();) {
      if (current.compare(i, 2, "--") == 0) {
        auto nl = current.find('\n', i);
        i = nl == std::string::npos ? current.size() : nl + 1;
      } else if (current.compare(i, 2, "/*") == 0) {
        auto e = current.find("*/", i + 2);
        i = e == std::string::npos ? current.size() : e + 2;
      } else if (std::isspace(static_cast<unsigned char>(current[i]))) {
        ++i;
      } else {
        has_code = true;
        break;
      }
    }
    if (has_code) out.push_back(current.substr(first));
    current.clear();
  };
  // Words of the statement so far, to spot CREATE ... TRIGGER ... BEGIN ... END (SQLite).
  int begin_depth = 0;
  bool in_trigger = false;
  std::string word;
  auto end_word = [&] {
    if (word.empty()) return;
    std::string w;
    for (char c : word) w += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (w == "TRIGGER") in_trigger = true;
    if (in_trigger && (w == "BEGIN" || w == "CASE")) ++begin_depth;
    if (in_trigger && w == "END" && begin_depth > 0) --begin_depth;
    word.clear();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      end_word();
      auto nl = s.find('\n', i);
      auto stop = nl == std::string_view::npos ? s.size() : nl + 1;
      current.append(s.substr(i, stop - i));
      i = stop;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      end_word();
      auto e = s.find("*/", i + 2);
      auto stop = e == std::string_view::npos ? s.size() : e + 2;
      current.append(s.substr(i, stop - i));
      i = stop;
    } else if (c == '\'' || c == '"' || c == '`') {
      end_word();
      auto j = i + 1;
      while (j < s.size()) {
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      auto stop = std::min(s.size(), j + 1);
      current.append(s.substr(i, stop - i));
      i = stop;
    } else if (c == '$' && word.empty()) {
      // Dollar quote: $tag$ ... $tag$ (tag: letters, digits, underscores; not $1).
      auto j = i + 1;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      bool is_quote = j < s.size() && s[j] == '$' &&
                      (j == i + 1 || !std::isdigit(static_cast<unsigned char>(s[i + 1])));
      if (is_quote) {
        auto tag = s.substr(i, j - i + 1);
        auto e = s.find(tag, j + 1);
        auto stop = e == std::string_view::npos ? s.size() : e + tag.size();
        current.append(s.substr(i, stop - i));
        i = stop;
      } else {
        current += c;
        ++i;
      }
    } else if (c == ';') {
      end_word();
      current += c;
      ++i;
      if (!(in_trigger && begin_depth > 0)) {
        flush();
        in_trigger = false;
        begin_depth = 0;
      }
    } else {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
        word += c;
      } else {
        end_word();
      }
      current += c;
      ++i;
    }
  }
  end_word();
  flush();
  return out;
}

}  // namespace switchyard::migrate
