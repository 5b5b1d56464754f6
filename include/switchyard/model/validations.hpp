// Declarative validations, declared once per model in a static member function:
//
//   static void validations(sy::Validations<Dog>& v) {
//     v.presence(&Dog::name);
//     v.length(&Dog::name, {.maximum = 40});
//     v.numericality(&Dog::age, {.greater_than_or_equal_to = 0, .allow_nil = true});
//     v.validate([](const Dog& d, sy::Errors& e) { if (d.name == "Cat") e.add("name", "is a cat"); });
//   }
//
// Messages are Rails' ("can't be blank", "is too long (maximum is 40 characters)", ...).
#pragma once

#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "switchyard/model/field_traits.hpp"
#include "switchyard/model/validation_errors.hpp"

namespace switchyard {

struct LengthOptions {
  std::optional<std::size_t> minimum{};
  std::optional<std::size_t> maximum{};
  std::optional<std::size_t> is{};
  bool allow_nil = false;
};

struct NumericalityOptions {
  std::optional<double> greater_than{};
  std::optional<double> greater_than_or_equal_to{};
  std::optional<double> equal_to{};
  std::optional<double> less_than{};
  std::optional<double> less_than_or_equal_to{};
  std::optional<double> other_than{};
  bool only_integer = false;
  bool allow_nil = false;
};

namespace detail {

template <typename T, typename C, typename M>
const std::string& column_of(M C::*member);  // model_info.hpp

std::size_t utf8_length(std::string_view s);
std::string format_count(double d);
// Rails' messages for the length and numericality checks; each appends to `errors`.
void check_length(Errors& errors, const std::string& column, std::size_t length,
                  const LengthOptions& options);
void check_number(Errors& errors, const std::string& column, double value, bool integral,
                  const NumericalityOptions& options);
// A string is blank when empty or whitespace only (Rails' blank?).
bool blank_string(std::string_view s);

template <typename M>
bool is_blank(const M& v) {
  if constexpr (is_optional_v<M>) {
    return !v.has_value() || is_blank(*v);
  } else if constexpr (std::is_same_v<M, std::string>) {
    return blank_string(v);
  } else if constexpr (std::is_same_v<M, bool>) {
    return !v;  // Rails: false.blank? is true; validate booleans with a custom check instead
  } else if constexpr (std::is_same_v<M, nlohmann::json>) {
    return v.is_null() || (v.is_string() && blank_string(v.template get_ref<const std::string&>())) ||
           ((v.is_object() || v.is_array()) && v.empty());
  } else if constexpr (requires { v.time_since_epoch(); }) {
    return v.time_since_epoch().count() == 0;
  } else {
    return false;  // numbers are always present
  }
}

}  // namespace detail

template <typename T>
class Validations {
 public:
  using Validator = std::function<void(const T&, Errors&)>;

  template <typename C, typename M>
  Validations& presence(M C::*member) {
    static_assert(std::is_base_of_v<C, T>, "presence: member of another class");
    validators_.push_back([member](const T& record, Errors& errors) {
      if (detail::is_blank(record.*member))
        errors.add(detail::column_of<T>(member), "can't be blank");
    });
    return *this;
  }

  template <typename C, typename M>
  Validations& length(M C::*member, LengthOptions options) {
    static_assert(std::is_base_of_v<C, T>, "length: member of another class");
    static_assert(std::is_same_v<M, std::string> || std::is_same_v<M, std::optional<std::string>>,
                  "length validates std::string and std::optional<std::string> fields");
    validators_.push_back([member, options](const T& record, Errors& errors) {
      const M& v = record.*member;
      std::size_t n = 0;
      if constexpr (is_optional_v<M>) {
        if (!v) {
          if (options.allow_nil) return;
        } else {
          n = detail::utf8_length(*v);
        }
      } else {
        n = detail::utf8_length(v);
      }
      detail::check_length(errors, detail::column_of<T>(member), n, options);
    });
    return *this;
  }

  template <typename C, typename M>
  Validations& numericality(M C::*member, NumericalityOptions options = {}) {
    static_assert(std::is_base_of_v<C, T>, "numericality: member of another class");
    validators_.push_back([member, options](const T& record, Errors& errors) {
      check_numeric(record.*member, detail::column_of<T>(member), options, errors);
    });
    return *this;
  }

  // A custom check: any callable (const T&, Errors&), or a member function void (T::*)(Errors&) const.
  template <typename F>
  Validations& validate(F f) {
    if constexpr (std::is_member_function_pointer_v<F>) {
      validators_.push_back([f](const T& record, Errors& errors) { (record.*f)(errors); });
    } else {
      validators_.push_back(Validator(std::move(f)));
    }
    return *this;
  }

  void run(const T& record, Errors& errors) const {
    for (const auto& v : validators_) v(record, errors);
  }
  bool empty() const noexcept { return validators_.empty(); }

 private:
  template <typename M>
  static void check_numeric(const M& v, const std::string& column, const NumericalityOptions& o,
                            Errors& errors) {
    if constexpr (is_optional_v<M>) {
      if (!v) {
        if (!o.allow_nil) errors.add(column, "is not a number");
        return;
      }
      check_numeric(*v, column, o, errors);
    } else if constexpr (std::is_same_v<M, bool>) {
      static_assert(!std::is_same_v<M, bool>, "numericality does not apply to bool fields");
    } else if constexpr (std::is_arithmetic_v<M>) {
      detail::check_number(errors, column, static_cast<double>(v), std::is_integral_v<M>, o);
    } else if constexpr (std::is_same_v<M, std::string>) {
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d)) {
        errors.add(column, "is not a number");
        return;
      }
      detail::check_number(errors, column, d, v.find_first_of(".eE") == std::string::npos, o);
    } else {
      static_assert(std::is_arithmetic_v<M>, "numericality validates numbers and text");
    }
  }

  std::vector<Validator> validators_;
};

}  // namespace switchyard
