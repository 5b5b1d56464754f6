# shellcheck shell=bash
# The sanitizer builds shared by scripts/test-sanitizers and scripts/test-fuzz. Source it.
#
#   build-asan  clang 14, AddressSanitizer + UndefinedBehaviorSanitizer, -O1, and the libFuzzer
#               targets (-Dfuzz=true): the test suite and the fuzzers share one library build.
#   build-tsan  clang 14, ThreadSanitizer, -O1.
#
# -O1 rather than -O0: the instrumented suite runs several times faster for a little more compile
# time. Environment: SWITCHYARD_ASAN_BUILD_DIR, SWITCHYARD_TSAN_BUILD_DIR.

SY_ASAN_BUILD="${SWITCHYARD_ASAN_BUILD_DIR:-build-asan}"
SY_TSAN_BUILD="${SWITCHYARD_TSAN_BUILD_DIR:-build-tsan}"

# clang 14 is the version whose runtimes libclang-rt-14-dev provides (Debian 12's clang++).
sy_sanitizer_cxx() {
  if command -v clang++-14 >/dev/null; then echo clang++-14; else echo clang++; fi
}

# sy_sanitizer_setup DIR SANITIZE [MESON_ARGS...]: configures DIR once; later runs reuse it.
sy_sanitizer_setup() {
  local dir="$1" sanitize="$2"
  shift 2
  if [[ -f $dir/build.ninja ]]; then
    meson setup --reconfigure "$dir" >/dev/null  # picks up test folders added since
    return
  fi
  CXX="$(sy_sanitizer_cxx)" meson setup "$dir" -Doptimization=1 -Ddebug=true \
    -Db_sanitize="$sanitize" -Db_lundef=false -Dexamples=false \
    -Dcpp_args=-fno-omit-frame-pointer "$@" >/dev/null
}

sy_asan_setup() { sy_sanitizer_setup "$SY_ASAN_BUILD" address,undefined -Dfuzz=true; }
sy_tsan_setup() { sy_sanitizer_setup "$SY_TSAN_BUILD" thread; }

# sy_test_outputs DIR TEST... | DIR --except TEST...: the build outputs (paths relative to DIR)
# that the named tests (or all tests but those) run or depend on, so that only those are built
# (not the benchmarks, for one).
sy_test_outputs() {
  local dir="$1"
  shift
  python3 - "$dir" "$@" <<'PY'
import json, os, subprocess, sys
build, args = sys.argv[1], sys.argv[2:]
intro = lambda what: json.loads(subprocess.check_output(["meson", "introspect", build, what]))
tests = intro("--tests")
excluded = set(args[1:]) if args[:1] == ["--except"] else set()
names = {t["name"] for t in tests} - excluded if excluded else set(args)
targets = {t["id"]: t for t in intro("--targets")}
root = os.path.realpath(build)
outputs, found = set(), set()
for test in tests:
    if test["name"] not in names:
        continue
    found.add(test["name"])
    files = [test["cmd"][0]] + [f for d in test["depends"] for f in targets[d]["filename"]]
    outputs.update(os.path.relpath(f, root) for f in files if os.path.realpath(f).startswith(root + os.sep))
missing = names - found
if missing:
    sys.exit("no such test: " + " ".join(sorted(missing)))
print("\n".join(sorted(outputs)))
PY
}
