// The message of the exception a block throws, for tests that assert on error texts.
#pragma once

#include <doctest/doctest.h>

#include <exception>
#include <functional>
#include <string>

namespace switchyard::test {

// The message of the E that `fn` throws; fails the test when it throws nothing or something else.
template <class E>
std::string error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("unexpected exception type: " << e.what());
    return {};
  }
  FAIL("expected an exception");
  return {};
}

}  // namespace switchyard::test
