#include "source_document.hpp"

#include "lexical.hpp"
#include "location.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>
#include <vector>

namespace switchyard::detail {
namespace {

using ordered_json = nlohmann::ordered_json;

// Aliases may point at an enclosing node; without a bound, `a: &x [*x]` recurses forever.
constexpr int kMaxDepth = 64;

std::optional<std::int64_t> parse_int(const std::string& s, int base) {
  std::int64_t v = 0;
  const char* begin = s.data();
  if (!s.empty() && s[0] == '+') ++begin;
  auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// YAML 1.2 core schema resolution of a plain (unquoted) scalar found at `where`.
ordered_json resolve_plain(const std::string& s, const Location& where) {
  static const std::set<std::string> nulls = {"", "~", "null", "Null", "NULL"};
  if (nulls.count(s)) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (is_decimal_integer(s))
    if (auto v = parse_int(s, 10)) return *v;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
    if (auto v = parse_int(s.substr(2), s[1] == 'x' ? 16 : 8)) return *v;
  if (is_decimal_number(s)) {
    if (auto d = parse_decimal(s)) return *d;
    fail(where, "YAML number out of range");  // the value is not repeated: it may be a secret
  }
  return s;
}

class YamlReader {
 public:
  YamlReader(const std::string& source, SourceMarks& marks) : source_(source), marks_(marks) {}

  ordered_json convert(const YAML::Node& node, const std::string& path, int depth) {
    if (depth > kMaxDepth) fail(at(node), "YAML nesting is too deep (an alias refers to itself?)");
    switch (node.Type()) {
      case YAML::NodeType::Map: return convert_map(node, path, depth);
      case YAML::NodeType::Sequence: return convert_sequence(node, path, depth);
      case YAML::NodeType::Scalar: return convert_scalar(node);
      default: return nullptr;
    }
  }

 private:
  Location at(const YAML::Node& node) const {
    return Location{source_, "", "", "", "", node.Mark().line + 1, node.Mark().column + 1};
  }

  static bool is_merge_key(const YAML::Node& key) {
    return key.IsScalar() && key.Scalar() == "<<" && key.Tag() != "!";  // quoted "<<" is a key
  }

  ordered_json convert_map(const YAML::Node& node, const std::string& path, int depth) {
    ordered_json out = ordered_json::object();
    std::vector<YAML::Node> merges;
    for (const auto& pair : node) {
      // Copies: yaml-cpp's iterators hand out temporaries, so references to them dangle.
      const YAML::Node key = pair.first;
      const YAML::Node value = pair.second;
      if (is_merge_key(key)) {
        merges.push_back(value);
        continue;
      }
      if (!key.IsScalar()) fail(at(key), "mapping keys must be plain strings");
      const std::string name = key.Scalar();
      if (out.contains(name)) fail(at(key), "duplicate key '" + name + "'");
      marks_.at.emplace(path + "/" + name, std::pair{key.Mark().line + 1, key.Mark().column + 1});
      out[name] = convert(value, path + "/" + name, depth + 1);
    }
    for (const auto& merge : merges) apply_merge(out, merge, path, depth);
    return out;
  }

  // `<<: *a` or `<<: [*a, *b]`: keys already present (explicit, or from an earlier map) win.
  void apply_merge(ordered_json& out, const YAML::Node& merge, const std::string& path, int depth) {
    std::vector<YAML::Node> sources;
    if (merge.IsMap()) sources.push_back(merge);
    if (merge.IsSequence())
      for (const auto& item : merge) sources.push_back(item);
    if (sources.empty()) fail(at(merge), "merge key '<<' needs a mapping or a list of mappings");
    for (const auto& source : sources) {
      if (!source.IsMap()) fail(at(source), "merge key '<<' needs a mapping or a list of mappings");
      // Through convert(), whose depth limit stops a merge that includes itself (found by
      // fuzz_config_yaml: the recursion overflowed the stack).
      auto merged = convert(source, path, depth + 1);  // must outlive the loop below
      for (auto& [key, value] : merged.items())
        if (!out.contains(key)) out[key] = value;
    }
  }

  ordered_json convert_sequence(const YAML::Node& node, const std::string& path, int depth) {
    ordered_json out = ordered_json::array();
    std::size_t i = 0;
    for (const auto& item : node) out.push_back(convert(item, path + "/" + std::to_string(i++), depth + 1));
    return out;
  }

  ordered_json convert_scalar(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    if (tag == "?") return resolve_plain(node.Scalar(), at(node));
    if (tag == "tag:yaml.org,2002:str" || tag == "!") return node.Scalar();
    if (tag.rfind("tag:yaml.org,2002:", 0) == 0) return resolve_plain(node.Scalar(), at(node));
    fail(at(node), "unsupported YAML tag '" + tag + "'");
  }

  const std::string& source_;
  SourceMarks& marks_;
};

// nlohmann's messages end with "; last read: '<text>'", which could be part of a password.
std::string safe_json_reason(const std::string& what) {
  auto start = what.find("syntax error");
  std::string reason = start == std::string::npos ? "invalid JSON" : what.substr(start);
  auto cut = reason.find("; last read");
  return cut == std::string::npos ? reason : reason.substr(0, cut);
}

std::pair<int, int> line_column(std::string_view text, std::size_t byte) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  return {line, column};
}

}  // namespace

SourceDocument read_yaml(std::string_view text, const std::string& source) {
  SourceDocument doc;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    fail(Location{source, "", "", "", "", e.mark.line + 1, e.mark.column + 1},
         "YAML syntax error: " + e.msg);
  }
  YamlReader reader(source, doc.marks);
  doc.tree = reader.convert(root, "", 0);
  return doc;
}

SourceDocument read_json(std::string_view text, const std::string& source) {
  SourceDocument doc;
  // Keys seen per open object, to refuse duplicates (the parser would keep the last silently).
  std::vector<std::set<std::string>> open;
  auto check = [&](int, ordered_json::parse_event_t event, ordered_json& parsed) {
    if (event == ordered_json::parse_event_t::object_start) open.emplace_back();
    if (event == ordered_json::parse_event_t::object_end && !open.empty()) open.pop_back();
    if (event == ordered_json::parse_event_t::key && !open.empty()) {
      auto key = parsed.get<std::string>();
      if (!open.back().insert(key).second)
        fail(Location{source, "", "", "", "", 0, 0}, "duplicate key '" + key + "'");
    }
    return true;
  };
  try {
    doc.tree = ordered_json::parse(text.begin(), text.end(), check);
  } catch (const ordered_json::parse_error& e) {
    auto [line, column] = line_column(text, e.byte);
    fail(Location{source, "", "", "", "", line, column}, "JSON " + safe_json_reason(e.what()));
  } catch (const ordered_json::exception&) {
    // out_of_range.406, a number beyond double (1e999): the parser gives no position.
    fail(Location{source, "", "", "", "", 0, 0}, "JSON number out of range");
  }
  return doc;
}

}  // namespace switchyard::detail
