// The framework-agnostic request/response seen by the HTTP selectors. An adapter (see
// httplib_adapter.hpp) fills a Request from its framework's request and copies the Response's
// headers (Set-Cookie) onto its framework's response; the application itself keeps using its
// framework's own types.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::http {

struct Request {
  std::string method{};  // "GET", "POST", ...
  std::string path{};
  // Header lookup (case-insensitive in every adapter); may be empty.
  std::function<std::optional<std::string>(std::string_view)> header{};
  // Cookies sent with the request (name -> value).
  std::map<std::string, std::string> cookies{};

  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> header_value(std::string_view name) const;
};

struct Cookie {
  std::string name{};
  std::string value{};
  std::string path = "/";
  std::optional<std::chrono::seconds> max_age{};  // nullopt: a session cookie
  bool http_only = true;
  bool secure = false;
  std::string same_site = "Lax";

  // The Set-Cookie header value.
  std::string to_header() const;
};

// What the selectors add to the response.
struct Response {
  std::vector<std::pair<std::string, std::string>> headers{};
  void set_cookie(const Cookie& cookie) { headers.emplace_back("Set-Cookie", cookie.to_header()); }
};

// "a=1; b=2" -> {a: 1, b: 2}. Malformed pairs are skipped; the first of duplicate names wins.
std::map<std::string, std::string> parse_cookie_header(std::string_view header);

// The rest of the request: the next middleware, then the application.
using Next = std::function<void()>;
// A selector as a middleware: runs `next` inside whatever scope it chooses.
using Middleware = std::function<void(const Request&, Response&, const Next&)>;

// Runs `app` inside `chain` (the first middleware is the outermost).
void run_chain(const std::vector<Middleware>& chain, const Request& request, Response& response,
               const Next& app);

}  // namespace switchyard::http
