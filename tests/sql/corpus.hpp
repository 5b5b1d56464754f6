// Loads tests/sql/corpus.tsv (path from SY_SQL_CORPUS) for the corpus and mutation tests.
#pragma once

#include <switchyard/sql/dialect.hpp>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::test {

struct CorpusCase {
  int line = 0;
  sql::Dialect dialect = sql::Dialect::postgresql;
  std::string route;   // "replica", "primary" or "all"
  std::string reason;  // expected prefix of Classification::reason
  std::string sql;
};

// \n \r \t \0 \xHH and \\ are escapes; any other backslash stays as it is.
inline std::string unescape_corpus_sql(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    const char d = i + 1 < field.size() ? field[i + 1] : '\0';
    if (c != '\\') {
      out += c;
      continue;
    }
    switch (d) {
      case 'n':
        out += '\n';
        ++i;
        break;
      case 'r':
        out += '\r';
        ++i;
        break;
      case 't':
        out += '\t';
        ++i;
        break;
      case '0':
        out += '\0';
        ++i;
        break;
      case '\\':
        out += '\\';
        ++i;
        break;
      case 'x':
        if (i + 3 < field.size()) {
          out += static_cast<char>(std::stoi(field.substr(i + 2, 2), nullptr, 16));
          i += 3;
          break;
        }
        out += c;
        break;
      default:
        out += c;
        break;
    }
  }
  return out;
}

inline std::vector<CorpusCase> load_corpus() {
  const char* path = std::getenv("SY_SQL_CORPUS");
  if (path == nullptr) throw std::runtime_error("SY_SQL_CORPUS is not set");
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot open corpus ") + path);
  std::vector<CorpusCase> cases;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::size_t a = line.find('\t');
    std::size_t b = a == std::string::npos ? a : line.find('\t', a + 1);
    std::size_t c = b == std::string::npos ? b : line.find('\t', b + 1);
    if (c == std::string::npos) {
      throw std::runtime_error("corpus line " + std::to_string(number) + ": expected 4 columns");
    }
    CorpusCase k;
    k.line = number;
    k.dialect = sql::dialect_for_adapter(line.substr(0, a));
    k.route = line.substr(a + 1, b - a - 1);
    k.reason = line.substr(b + 1, c - b - 1);
    k.sql = unescape_corpus_sql(line.substr(c + 1));
    if (k.route != "replica" && k.route != "primary" && k.route != "all") {
      throw std::runtime_error("corpus line " + std::to_string(number) + ": bad route " + k.route);
    }
    cases.push_back(std::move(k));
  }
  return cases;
}

}  // namespace switchyard::test
