// The model layer in one include: connection classes, models, relations, validations,
// callbacks, transactions.
#pragma once

// g++ warns (-Wmissing-field-initializers, in -Wextra) about the base class left out of
// `Dog{.name = "Rex"}` / `Dog::create({.name = "Rex"})`, although C++20 defines it: the omitted
// base is value-initialized. Designated initializers are the intended way to build records, so
// including the model layer turns that one warning off for the rest of the translation unit.
// Define SWITCHYARD_KEEP_FIELD_INITIALIZER_WARNINGS before including to keep it. (clang does not
// warn here.)
#if defined(__GNUC__) && !defined(__clang__) && !defined(SWITCHYARD_KEEP_FIELD_INITIALIZER_WARNINGS)
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif

#include "switchyard/model/base.hpp"
#include "switchyard/model/callbacks.hpp"
#include "switchyard/model/errors.hpp"
#include "switchyard/model/field_traits.hpp"
#include "switchyard/model/fields.hpp"
#include "switchyard/model/model.hpp"
#include "switchyard/model/model_info.hpp"
#include "switchyard/model/persist.hpp"
#include "switchyard/model/relation.hpp"
#include "switchyard/model/transaction.hpp"
#include "switchyard/model/validations.hpp"
