#include "app_fixture.hpp"
