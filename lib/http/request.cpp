#include "switchyard/http/request.hpp"

namespace switchyard::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> Request::cookie(std::string_view name) const {
  auto it = cookies.find(std::string(name));
  if (it == cookies.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::header_value(std::string_view name) const {
  if (!header) return std::nullopt;
  return header(name);
}

std::string Cookie::to_header() const {
  std::string out = name + "=" + value;
  if (!path.empty()) out += "; Path=" + path;
  if (max_age) out += "; Max-Age=" + std::to_string(max_age->count());
  if (http_only) out += "; HttpOnly";
  if (secure) out += "; Secure";
  if (!same_site.empty()) out += "; SameSite=" + same_site;
  return out;
}

std::map<std::string, std::string> parse_cookie_header(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.emplace(std::string(trim(pair.substr(0, eq))), std::string(value));
  }
  return out;
}

void run_chain(const std::vector<Middleware>& chain, const Request& request, Response& response,
               const Next& app) {
  std::function<void(std::size_t)> step = [&](std::size_t i) {
    if (i == chain.size()) return app();
    chain[i](request, response, [&, i] { step(i + 1); });
  };
  step(0);
}

}  // namespace switchyard::http
