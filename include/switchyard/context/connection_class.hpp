// A connection class: the runtime descriptor of Base, of an abstract class that declared
// `connects_to`, or of a model (which inherits its connection class). Rails' "owner" of pools.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace switchyard {

inline constexpr const char* writing = "writing";
inline constexpr const char* reading = "reading";

// Role -> database config name for one shard. `writing` and `reading` are the usual roles; any
// other role name goes in `roles` (seed 000 uses a `planetscale_primary` role).
struct Roles {
  std::string writing{};
  std::string reading{};
  std::map<std::string, std::string> roles{};

  std::map<std::string, std::string> all() const;  // every non-empty role
};

// What connects_to declared, shards in declaration order (the first is the default shard).
struct ConnectsTo {
  std::vector<std::pair<std::string, Roles>> shards;
  bool sharded = false;  // declared with shards: rather than database:
};

// `connects_to({.writing = "animals", .reading = "animals_replica"})`
ConnectsTo connects_to(Roles database);
// `connects_to_shards({{"default", {.writing = "a"}}, {"shard_two", {.writing = "b"}}})`
ConnectsTo connects_to_shards(std::vector<std::pair<std::string, Roles>> shards);

class ConnectionClass {
 public:
  // The base class: connection name "primary", uses the primary database config.
  static ConnectionClass& base();

  // `parent` is the class it inherits from (base() for direct children). Registers by name;
  // throws ArgumentError for a second class with the same name.
  ConnectionClass(std::string name, const ConnectionClass* parent, bool abstract,
                  std::optional<ConnectsTo> connects_to = std::nullopt);
  ~ConnectionClass();
  ConnectionClass(const ConnectionClass&) = delete;
  ConnectionClass& operator=(const ConnectionClass&) = delete;

  const std::string& name() const noexcept { return name_; }
  const ConnectionClass* parent() const noexcept { return parent_; }
  bool abstract() const noexcept { return abstract_; }
  bool is_base() const noexcept { return parent_ == nullptr; }
  // Declared connects_to (Rails' connection_class?), or is the base.
  bool is_connection_class() const noexcept { return connects_to_.has_value() || is_base(); }
  const std::optional<ConnectsTo>& connects_to() const noexcept { return connects_to_; }

  // The nearest class up the chain that owns pools (Rails' connection_class_for_self).
  const ConnectionClass& connection_class_for_self() const;
  // The pool owner name: the connection class's name ("primary" for the base).
  const std::string& connection_specification_name() const {
    return connection_class_for_self().name();
  }
  // The first shard declared, else "default".
  std::string default_shard() const;
  // The database config name for (role, shard), if declared. The base maps writing -> the
  // primary config (resolved by the caller).
  std::optional<std::string> database_for(const std::string& role, const std::string& shard) const;

  static const ConnectionClass* find(const std::string& name);
  // Every registered class (any order).
  static std::vector<const ConnectionClass*> all();

 private:
  std::string name_;
  const ConnectionClass* parent_;
  bool abstract_;
  std::optional<ConnectsTo> connects_to_;
};

}  // namespace switchyard
