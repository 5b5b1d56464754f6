// Internal: the native handle (PGconn*, sqlite3*) behind a SOCI session.
#pragma once

#include <soci/soci.h>

namespace switchyard::detail {

// Exempt from UBSan's vptr check (the downcast and the member access): SOCI's backend libraries
// do not export their backends' typeinfo, so the check's reference to it would leave an
// undefined symbol and stop every sanitized binary at load. The type is known: the caller opened
// the session with Backend. Null when the session is closed.
template <typename Backend>
__attribute__((no_sanitize("vptr"))) auto soci_native_handle(const soci::session& session) {
  auto* backend = static_cast<Backend*>(const_cast<soci::session&>(session).get_backend());
  return backend ? backend->conn_ : nullptr;
}

}  // namespace switchyard::detail
