// cpp-httplib adapter (Debian libcpp-httplib-dev): wraps a handler so each request runs inside the
// selectors. Header-only: include it only where <httplib.h> is available.
//
//   sy::http::DatabaseSelector db({.resolver = sy::http::ResolverKind::wal_position,
//                                  .cookie = {.secret = secret}});
//   server.Get("/dogs", sy::http::with_selectors({db.middleware()}, list_dogs));
#pragma once

#include <httplib.h>

#include <exception>
#include <utility>
#include <vector>

#include "switchyard/http/request.hpp"

namespace switchyard::http {

inline Request from_httplib(const httplib::Request& req) {
  Request out;
  out.method = req.method;
  out.path = req.path;
  out.header = [&req](std::string_view name) -> std::optional<std::string> {
    std::string key(name);
    if (!req.has_header(key.c_str())) return std::nullopt;
    return req.get_header_value(key.c_str());
  };
  if (req.has_header("Cookie")) out.cookies = parse_cookie_header(req.get_header_value("Cookie"));
  return out;
}

inline void apply(const Response& from, httplib::Response& to) {
  for (const auto& [name, value] : from.headers) to.set_header(name.c_str(), value);
}

// The returned handler runs `handler` inside `chain` (first = outermost). Set-Cookie headers from
// the selectors reach the response also when the handler throws (the exception then continues to
// httplib's exception handler).
inline httplib::Server::Handler with_selectors(std::vector<Middleware> chain,
                                               httplib::Server::Handler handler) {
  return [chain = std::move(chain), handler = std::move(handler)](const httplib::Request& req,
                                                                  httplib::Response& res) {
    Request request = from_httplib(req);
    Response response;
    try {
      run_chain(chain, request, response, [&] { handler(req, res); });
    } catch (...) {
      apply(response, res);
      throw;
    }
    apply(response, res);
  };
}

}  // namespace switchyard::http
