// Errors of the model layer, named after ActiveRecord's.
#pragma once

#include <string>
#include <vector>

#include "switchyard/errors.hpp"

namespace switchyard {

// find() found no row: "Couldn't find Dog with 'id'=5".
class RecordNotFound : public Error {
 public:
  RecordNotFound(const std::string& message, std::string model = {}, std::string primary_key = {},
                 std::string id = {})
      : Error(message), model_(std::move(model)), primary_key_(std::move(primary_key)), id_(std::move(id)) {}
  const std::string& model() const noexcept { return model_; }
  const std::string& primary_key() const noexcept { return primary_key_; }
  const std::string& id() const noexcept { return id_; }

 private:
  std::string model_, primary_key_, id_;
};

// save_or_throw / create on an invalid record: "Validation failed: Name can't be blank".
class RecordInvalid : public Error {
 public:
  RecordInvalid(const std::string& message, std::vector<std::string> full_messages)
      : Error(message), full_messages_(std::move(full_messages)) {}
  const std::vector<std::string>& full_messages() const noexcept { return full_messages_; }

 private:
  std::vector<std::string> full_messages_;
};

// save_or_throw when a before_* callback halted: "Failed to save the record".
class RecordNotSaved : public Error {
 public:
  using Error::Error;
};

// destroy_or_throw when a before_destroy callback halted: "Failed to destroy Dog with id=1".
class RecordNotDestroyed : public Error {
 public:
  using Error::Error;
};

// assign_attributes with a key that is no field: "unknown attribute 'colour' for Dog."
class UnknownAttributeError : public Error {
 public:
  using Error::Error;
};

// A database value that cannot become the field's C++ type (text in an int field, an int32
// field given 2^40, unparsable timestamp or JSON). Names model, column and value.
class TypeMismatch : public Error {
 public:
  using Error::Error;
};

// last() on a relation ordered by raw SQL that cannot be reversed.
class IrreversibleOrderError : public Error {
 public:
  using Error::Error;
};

// Thrown inside a transaction block to roll back that block's level only; the `transaction` call
// that opened the level swallows it (Rails' ActiveRecord::Rollback). Not an Error on purpose: a
// catch (const switchyard::Error&) must not eat it.
struct Rollback {};

}  // namespace switchyard
