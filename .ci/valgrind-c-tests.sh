#!/usr/bin/env bash
# Runs the C API's C programs under valgrind's memcheck, against the release library (the
# one that ships: no std, panic = "abort", whole-program optimised), without suppressions:
#
# - the C test suite (tests/c), built as ffi/tests/c_api.rs builds it (gcc, -std=c99 -Wall
#   -Wextra -Wpedantic -Werror -g, every tests/c/*.c but the header_*.c checks) but without
#   sanitizers, which do not mix with valgrind;
# - examples/c/minimal.c, the README's program;
# - examples/c/udp_node.c, one quorum node alone on a loopback port: it elects itself,
#   persists its term and vote to a state file, then exits when its standard input closes;
#   then once more, restored from that file; and in multi-group mode (--groups), alone
#   with 50 groups, each of which it must lead.
#
# Each program is linked with libbellwether.a and nothing else. Any memcheck error, any
# definite or possible leak, a failed scenario or a non-zero exit fails the script.
#
# Needs gcc, valgrind and cargo; Linux only.
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
rm -rf "$out_dir"
mkdir -p "$out_dir"

cargo build --release -p bellwether-ffi
library="$target_dir/release/libbellwether.a"

CFLAGS=(-std=c99 -Wall -Wextra -Wpedantic -Werror -g -O0 -I include)
VALGRIND=(valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,possible
    --track-origins=yes --quiet)

sources=()
for source in tests/c/*.c; do
    case "$(basename "$source")" in
        header_*) ;;
        *) sources+=("$source") ;;
    esac
done

gcc "${CFLAGS[@]}" -I tests/c "${sources[@]}" "$library" -o "$out_dir/c_tests"
gcc "${CFLAGS[@]}" examples/c/minimal.c "$library" -o "$out_dir/minimal"
gcc "${CFLAGS[@]}" examples/c/udp_node.c "$library" -o "$out_dir/udp_node"

start=$SECONDS
echo "valgrind-c-tests: tests/c"
"${VALGRIND[@]}" "$out_dir/c_tests" >"$out_dir/c_tests.log" || {
    grep -E "^FAILED|check failed" "$out_dir/c_tests.log" >&2 || true
    echo "valgrind-c-tests: tests/c failed under valgrind" >&2
    exit 1
}
grep -q "all scenarios passed" "$out_dir/c_tests.log"

echo "valgrind-c-tests: examples/c/minimal.c"
"${VALGRIND[@]}" "$out_dir/minimal"

# One quorum node alone: it leads within two election timeouts (2 x 500 ms). Its standard
# input stays open for three seconds, then closes, and the node exits 0.
run_udp_node() {
    local port=$((20000 + RANDOM % 20000))
    (sleep 3) | "${VALGRIND[@]}" "$out_dir/udp_node" --algorithm quorum --id 1 \
        --peer "1=127.0.0.1:$port" --state-dir "$out_dir" --exit-on-stdin-eof \
        >"$out_dir/udp_node.log"
    grep -q "^became-leader" "$out_dir/udp_node.log" || {
        cat "$out_dir/udp_node.log" >&2
        echo "valgrind-c-tests: udp_node did not lead" >&2
        exit 1
    }
}
echo "valgrind-c-tests: examples/c/udp_node.c, a fresh node"
run_udp_node
echo "valgrind-c-tests: examples/c/udp_node.c, restored from its state file"
run_udp_node
grep -q "^restored term" "$out_dir/udp_node.log"

# Multi-group mode, one node alone: it leads its 50 groups of one after the election
# timeout (1 s, plus the preference delays); stdin closes after four seconds.
echo "valgrind-c-tests: examples/c/udp_node.c --groups 50"
port=$((20000 + RANDOM % 20000))
(sleep 4) | "${VALGRIND[@]}" "$out_dir/udp_node" --groups 50 --id 1 \
    --peer "1=127.0.0.1:$port" --exit-on-stdin-eof >"$out_dir/udp_node_multi.log"
grep -q "^groups held 50 with-leader 50 leading 50 " "$out_dir/udp_node_multi.log" || {
    cat "$out_dir/udp_node_multi.log" >&2
    echo "valgrind-c-tests: udp_node --groups did not lead every group" >&2
    exit 1
}

echo "valgrind-c-tests: passed in $((SECONDS - start)) s (no memcheck error, no leak)"
