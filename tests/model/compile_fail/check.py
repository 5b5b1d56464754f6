#!/usr/bin/env python3
"""Compile-failure check: compiles SOURCE (syntax only) and expects the compiler to fail with the
text given on the source's `// expect: ...` line (or, with no such line, to succeed).

usage: check.py SOURCE COMPILER [ARGS...]
"""
import subprocess
import sys


def main() -> int:
    source, command = sys.argv[1], sys.argv[2:]
    expect = None
    with open(source, encoding="utf-8") as f:
        for line in f:
            if line.startswith("// expect: "):
                expect = line[len("// expect: "):].strip()
                break
    result = subprocess.run(command + ["-fsyntax-only", source], capture_output=True, text=True)
    if expect is None:
        if result.returncode != 0:
            print(f"{source}: expected to compile, but:\n{result.stderr}")
            return 1
        print(f"{source}: compiles")
        return 0
    if result.returncode == 0:
        print(f"{source}: expected a compile error containing {expect!r}, but it compiled")
        return 1
    # clang quotes a static_assert message as a string literal (\"id\"), g++ prints it as is.
    if expect not in result.stderr and expect not in result.stderr.replace('\\"', '"'):
        print(f"{source}: compile error does not contain {expect!r}:\n{result.stderr[-4000:]}")
        return 1
    print(f"{source}: fails as expected ({expect})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
