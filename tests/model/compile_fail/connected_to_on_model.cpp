// expect: calling `connected_to` is only allowed on ActiveRecord::Base or abstract classes
#include "common.hpp"

int main() {
  Dog::connected_to({.role = sy::reading}, [] {});
}
