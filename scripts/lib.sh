# shellcheck shell=bash
# Shared helpers for switchyard's bash scripts (scripts/install-deps, scripts/pg-cluster, .ci/run).
# Source it; it defines functions and variables only and changes no shell options.

SY_SCRIPTS_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
# shellcheck disable=SC2034 # for the scripts that source this file
SY_REPO_ROOT="$(cd "$SY_SCRIPTS_DIR/.." && pwd)"
SY_PROG="${SY_PROG:-$(basename "$0")}"

# Messages go to stderr so that stdout stays machine-readable (`pg-cluster env`).
sy_log() { printf '%s: %s\n' "$SY_PROG" "$*" >&2; }
sy_warn() { printf '%s: warning: %s\n' "$SY_PROG" "$*" >&2; }
sy_die() {
  printf '%s: error: %s\n' "$SY_PROG" "$*" >&2
  exit 1
}

# Milliseconds since the epoch (for timings printed by the scripts).
sy_now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo $((t / 1000))
}

# Seconds with one decimal between a start (from sy_now_ms) and now.
sy_elapsed() {
  local ms=$(($(sy_now_ms) - $1))
  printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100))
}

sy_is_root() { [[ $(id -u) -eq 0 ]]; }

# SY_TRACE=1: trace every command with a timestamp (for finding where time goes).
if [[ -n ${SY_TRACE:-} ]]; then
  PS4='+ ${EPOCHREALTIME} ${FUNCNAME[0]:-main}:${LINENO} '
  set -x
fi
