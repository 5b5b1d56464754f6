// The errors collection of a record (ActiveModel::Errors): what failed validation, per attribute.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchyard {

class Errors {
 public:
  struct Entry {
    std::string attribute;  // a column name, or "base" for the record as a whole
    std::string message;    // "can't be blank"
  };

  void add(std::string attribute, std::string message);
  void clear() noexcept { entries_.clear(); }
  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  bool include(std::string_view attribute) const;
  // The messages for one attribute, in the order they were added.
  std::vector<std::string> on(std::string_view attribute) const;
  // "Name can't be blank" (the attribute humanized, then the message); "base" messages alone.
  std::vector<std::string> full_messages() const;
  std::string full_message(const Entry& entry) const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace switchyard
