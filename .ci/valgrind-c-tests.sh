#!/usr/bin/env bash
# Runs the C test suite of the C API (tests/c) under valgrind's memcheck.
#
# The suite is built as ffi/tests/c_api.rs builds it (gcc, -std=c99 -Wall -Wextra -Wpedantic
# -Werror -g, every tests/c/*.c but the header_*.c checks), but without sanitizers, which
# do not mix with valgrind, and against the debug static library. Fails on any memcheck
# error, on a definite or possible leak, and on any failed scenario.
#
# Needs gcc, valgrind and cargo; Linux only (the system libraries below are Linux's).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in gcc valgrind cargo; do
    if ! command -v "$tool" >/dev/null; then
        echo "valgrind-c-tests: $tool is not installed" >&2
        exit 1
    fi
done

target_dir="${CARGO_TARGET_DIR:-target}"
out_dir="$target_dir/valgrind-c-tests"
mkdir -p "$out_dir"

cargo build -p bellwether-ffi

# The system libraries Rust's std needs when libbellwether.a is linked on Linux, as
# `cargo rustc -p bellwether-ffi --crate-type staticlib -- --print native-static-libs` says.
native_libs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)

sources=()
for source in tests/c/*.c; do
    case "$(basename "$source")" in
        header_*) ;;
        *) sources+=("$source") ;;
    esac
done

gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -g -O0 \
    -I include -I tests/c "${sources[@]}" \
    "$target_dir/debug/libbellwether.a" "${native_libs[@]}" \
    -o "$out_dir/c_tests"

start=$SECONDS
valgrind --error-exitcode=1 --leak-check=full --track-origins=yes "$out_dir/c_tests"
echo "valgrind-c-tests: passed in $((SECONDS - start)) s"
