// PostgreSQL WAL positions and the read-your-writes token built from them.
//
// A token says "this logical session wrote to database D, whose cluster is S on timeline T, and
// the commit is at or before LSN L": a replica may serve the session's reads once it has
// replayed L. Tokens from another cluster or timeline (a failover happened) are meaningless and
// are dropped. Tokens travel between processes as strings (export_token / import_token).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::routing {

using Lsn = std::uint64_t;

// "16/B374D848" -> 0x16B374D848; nullopt for anything else.
std::optional<Lsn> parse_lsn(std::string_view text);
// 0x16B374D848 -> "16/B374D848" (PostgreSQL's own format).
std::string format_lsn(Lsn lsn);

struct WalToken {
  std::uint64_t system_identifier = 0;  // 0: unknown
  std::uint32_t timeline = 0;           // 0: unknown
  Lsn lsn = 0;                          // 0: no WAL position (time stickiness only)
  std::int64_t written_at_ms = 0;       // Unix ms of the last write (time-window stickiness)

  bool empty() const noexcept { return lsn == 0 && written_at_ms == 0; }
  // Max of both; a token of another cluster or timeline replaces this one (it is newer news).
  void merge(const WalToken& other);
};

// Per database config name.
using TokenSet = std::map<std::string, WalToken, std::less<>>;

// "sy1;animals=7311234:1:0/3000148:1700000000000;..." plus ".<hmac>" when a secret is set.
std::string serialize_tokens(const TokenSet& tokens, std::string_view secret = {});
// nullopt when malformed or when the signature does not verify (with a secret set).
std::optional<TokenSet> parse_tokens(std::string_view text, std::string_view secret = {});

}  // namespace switchyard::routing
