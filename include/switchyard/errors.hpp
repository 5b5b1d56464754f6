// The exception hierarchy. Names follow ActiveRecord's where Rails has one, so a Rails developer
// recognises each failure; messages follow rails-multidb-spec §1.13 where Rails defines them.
#pragma once

#include <stdexcept>
#include <string>

namespace switchyard {

// Root of everything switchyard throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A malformed or inconsistent configuration. The message names the file, environment, database and
// key at fault, and never contains a password.
class ConfigurationError : public Error {
 public:
  using Error::Error;
};

// A database name that is not configured, or a config without an adapter.
class AdapterNotSpecified : public ConfigurationError {
 public:
  using ConfigurationError::ConfigurationError;
};

// No pool at (connection name, role, shard), or a connection that cannot be made.
class ConnectionNotEstablished : public Error {
 public:
  using Error::Error;
};

// The pool had no free connection within checkout_timeout.
class ConnectionTimeoutError : public ConnectionNotEstablished {
 public:
  using ConnectionNotEstablished::ConnectionNotEstablished;
};

// A write refused before it was sent, because writes are prevented here.
class ReadOnlyError : public Error {
 public:
  using Error::Error;
};

// The database rejected a statement. `sqlstate()` is the five-character SQLSTATE where the
// backend reports one (PostgreSQL), or a SQLite result-code name.
class StatementInvalid : public Error {
 public:
  StatementInvalid(const std::string& message, std::string sqlstate)
      : Error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// The connection was lost while a statement ran (SQLSTATE class 08, server shutdown, ...).
class ConnectionFailed : public StatementInvalid {
 public:
  using StatementInvalid::StatementInvalid;
};

// Misuse of the API that Rails reports as NotImplementedError / ArgumentError.
class NotImplementedError : public Error {
 public:
  using Error::Error;
};
class ArgumentError : public Error {
 public:
  using Error::Error;
};

}  // namespace switchyard
