#!/usr/bin/env bash
# Footprint report (issue #6): builds the firmware images of examples/footprint for
# thumbv7em-none-eabihf (opt-level "z", fat LTO, one codegen unit, panic = "abort") -- an
# empty baseline, each algorithm alone, every algorithm together, and quorum election with
# each protection (checksum; authentication with a stand-in MAC; the built-in CMAC-AES-128,
# also with `--cfg aes_compact`), and a multi-group node (`MultiGroupNode<'static, 8>` with
# storage for 64 groups) plain, checksummed and authenticated -- measures them with
# arm-none-eabi-size, and prints two Markdown tables (engines, multi-group nodes), also
# written to benches/results/footprint.md.
#
#   flash = .vector_table + .text + .rodata + .data (the initial values of .data are
#           stored in flash too)
#   RAM   = .data + .bss + .uninit (statics only: the stack is not counted)
#
# The engine's cost is the difference against the baseline. size_of::<Engine<N>>() is read
# on the target from the size of a symbol in a second image (src/bin/sizes.rs); for the
# multi-group builds, the node's fixed size and the caller's storage per group.
#
# Budgets (engines only; none is set for multi-group nodes): one algorithm <= 8 KiB of flash over the baseline, all of them <= 24 KiB, an
# Engine<16> <= 1 KiB of RAM. A missed budget is reported as MISS and does not fail the
# script; a failed build does. The linker map of each image is left in
# examples/footprint/target/footprint/<build>.map for analysis.
#
# Then examples/footprint/attribute.py attributes the .text of the bully, quorum and all
# images to crates and modules and writes benches/results/footprint-attribution.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
crate="$root/examples/footprint"
report="$root/benches/results/footprint.md"
target=thumbv7em-none-eabihf
out="$crate/target/footprint"

for tool in arm-none-eabi-size arm-none-eabi-nm arm-none-eabi-objdump arm-none-eabi-addr2line python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "footprint: $tool not found (apt-get install binutils-arm-none-eabi python3)" >&2
        exit 1
    fi
done
if ! rustup target list --installed | grep -qx "$target"; then
    echo "footprint: the $target target is not installed (rustup target add $target)" >&2
    exit 1
fi

ALGORITHMS=(bully next-in-line candidates invitation ring quorum)
ALL="$(IFS=,; echo "${ALGORITHMS[*]}")"
# quorum+<protection>: the protection's feature beside quorum's. A `+aes_compact` suffix
# builds with `--cfg aes_compact` (the aes crate's smaller, slower AES), appended to the
# crate's target rustflags through `--config` (RUSTFLAGS would replace them and drop the
# linker script); it comes last so the other builds do not recompile for it.
PROTECTED=(quorum+checksum quorum+authentication quorum+cmac quorum+cmac+aes_compact)
# One MultiGroupNode<'static, 8> (5 nodes, storage for 64 groups of 3), plain and protected.
MULTIGROUP=(multigroup multigroup+checksum multigroup+authentication)
MULTIGROUP_GROUPS=64
BUILDS=(baseline "${ALGORITHMS[@]}" all "${MULTIGROUP[@]}" "${PROTECTED[@]}")
FLASH_BUDGET_ONE=$((8 * 1024))
FLASH_BUDGET_ALL=$((24 * 1024))
RAM_BUDGET_16=1024

features_of() {
    case "$1" in
        baseline) echo "" ;;
        all) echo "$ALL" ;;
        *) echo "${1%+aes_compact}" | tr + , ;;
    esac
}

# Extra cargo arguments of a build.
cargo_args_of() {
    case "$1" in
        *+aes_compact) echo "--config=target.$target.rustflags=[\"--cfg\",\"aes_compact\"]" ;;
        *) echo "" ;;
    esac
}

# The size of one section of an ELF (0 if it has none).
section() {
    arm-none-eabi-size -A -d "$1" | awk -v name="$2" '$1 == name {print $2; found = 1} END {if (!found) print 0}'
}

# The bytes of compiler-builtins routines in an ELF (memcpy, memmove, memset, 64-bit
# shifts...): code the engine pulls in that most firmware links already.
builtins() {
    arm-none-eabi-nm --print-size --radix=d --demangle "$1" |
        awk '$3 ~ /^[tT]$/ && ($4 ~ /^compiler_builtins::/ || $4 ~ /^__aeabi_/) {s += $2} END {print s + 0}'
}

# The size of a symbol (the target's size_of), from nm.
symbol_size() {
    arm-none-eabi-nm --print-size --radix=d "$1" | awk -v name="$2" '$4 == name {print $2 + 0}'
}

mkdir -p "$out"
cd "$crate"
declare -A FLASH RAM BUILTINS SIZE8 SIZE16 SIZE32 NODE_SIZE GROUP_SIZE
for build in "${BUILDS[@]}"; do
    features="$(features_of "$build")"
    # shellcheck disable=SC2207 # one word or none
    args=($(cargo_args_of "$build"))
    echo "footprint: building $build${features:+ (features $features)}${args[*]:+ ${args[*]}}" >&2
    cargo rustc "${args[@]}" --release --quiet --bin footprint --features "$features" \
        -- -C "link-arg=-Map=$out/$build.map"
    cp "target/$target/release/footprint" "$out/$build.elf"
    elf="$out/$build.elf"
    data="$(section "$elf" .data)"
    FLASH[$build]=$(($(section "$elf" .vector_table) + $(section "$elf" .text) \
        + $(section "$elf" .rodata) + data))
    RAM[$build]=$((data + $(section "$elf" .bss) + $(section "$elf" .uninit)))
    BUILTINS[$build]=$(builtins "$elf")
    if [ "$build" != baseline ]; then
        cargo build "${args[@]}" --release --quiet --bin sizes --features "$features"
        cp "target/$target/release/sizes" "$out/$build-sizes.elf"
        if [[ "$build" == multigroup* ]]; then
            for symbol in NODE GROUP; do
                size="$(symbol_size "$out/$build-sizes.elf" "MULTIGROUP_${symbol}_SIZE")"
                if [ -z "$size" ]; then
                    echo "footprint: no MULTIGROUP_${symbol}_SIZE symbol in the $build sizes image" >&2
                    exit 1
                fi
                declare "${symbol}_SIZE[$build]=$size"
            done
            continue
        fi
        for n in 8 16 32; do
            size="$(symbol_size "$out/$build-sizes.elf" "ENGINE_SIZE_$n")"
            if [ -z "$size" ]; then
                echo "footprint: no ENGINE_SIZE_$n symbol in the $build sizes image" >&2
                exit 1
            fi
            declare "SIZE$n[$build]=$size"
        done
    fi
done

kib() {
    awk -v b="$1" 'BEGIN {printf "%.1f KiB", b / 1024}'
}

{
    echo "# Footprint on thumbv7em-none-eabihf (Cortex-M4F)"
    echo
    echo "Generated by \`.ci/footprint.sh\` from \`examples/footprint\` with $(rustc --version | cut -d' ' -f1-2):"
    echo "release profile with \`opt-level = \"z\"\`, fat LTO, one codegen unit, \`panic = \"abort\"\`."
    echo "Each image runs one \`Engine<16>\` (5 members configured) through the whole calling"
    echo "contract; \`all\` has every algorithm compiled in and picks one at run time. Flash is"
    echo "\`.vector_table + .text + .rodata + .data\`, RAM is \`.data + .bss + .uninit\` (the engine"
    echo "with its transmit buffer and 4 bytes of settings are statics, quorum adds 48 bytes"
    echo "standing for the two storage slots; the stack is not counted). − baseline is the"
    echo "engine's cost; of it, \"builtins\" is compiler-builtins' memcpy/memmove/memset (and"
    echo "64-bit shifts), which the empty baseline lacks but most firmware links anyway."
    echo "\`Engine<N>\` is \`size_of\` on the target. Budgets: one algorithm ≤ 8 KiB of flash, all ≤ 24 KiB,"
    echo "\`Engine<16>\` ≤ 1 KiB of RAM; MISS marks a budget missed. What costs the bytes, module"
    echo "by module: \`footprint-attribution.md\`, next to this file."
    echo
    echo "The \`quorum+\` rows run quorum election with a protection: \`checksum\` a CRC-32 on"
    echo "every message; \`authentication\` tags, freshness values and a replay window per peer,"
    echo "with a stand-in MAC that hands the bytes to a \"peripheral\" register, so the row counts"
    echo "the engine's envelope and replay code and **not the MAC itself** (a MAC the host"
    echo "supplies: a security module, an AES peripheral); \`cmac\` the built-in CMAC-AES-128"
    echo "(software AES from RustCrypto's \`aes\`), and \`+aes_compact\` the same built with"
    echo "\`--cfg aes_compact\` (smaller, slower AES). Their \`Engine<N>\` holds the replay"
    echo "windows; with \`cmac\` it is \`Engine<N, CmacKeys>\`, two expanded key slots included."
    echo "Budgets as for one algorithm."
    echo
    echo "| build | flash bytes | flash − baseline | of which builtins | RAM bytes | RAM − baseline | Engine<8> | Engine<16> | Engine<32> | within budget |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for build in "${BUILDS[@]}"; do
        [[ "$build" == multigroup* ]] && continue
        flash=${FLASH[$build]}
        ram=${RAM[$build]}
        if [ "$build" = baseline ]; then
            echo "| baseline | $flash | – | ${BUILTINS[baseline]} | $ram | – | – | – | – | – |"
            continue
        fi
        dflash=$((flash - FLASH[baseline]))
        dram=$((ram - RAM[baseline]))
        budget=$FLASH_BUDGET_ONE
        [ "$build" = all ] && budget=$FLASH_BUDGET_ALL
        verdict=()
        if [ "$dflash" -gt "$budget" ]; then
            verdict+=("MISS flash: $dflash B = $(kib "$dflash") > $(kib "$budget")")
        fi
        if [ "${SIZE16[$build]}" -gt "$RAM_BUDGET_16" ]; then
            verdict+=("MISS RAM: Engine<16> ${SIZE16[$build]} B > 1 KiB")
        fi
        if [ "${#verdict[@]}" -eq 0 ]; then
            status="yes"
        else
            status="$(IFS=';'; echo "${verdict[*]}" | sed 's/;/; /g')"
        fi
        dbuiltins=$((BUILTINS[$build] - BUILTINS[baseline]))
        echo "| $build | $flash | $dflash ($(kib "$dflash")) | $dbuiltins | $ram | $dram | ${SIZE8[$build]} | ${SIZE16[$build]} | ${SIZE32[$build]} | $status |"
    done
    echo
    echo "## Multi-group nodes"
    echo
    echo "The \`multigroup\` rows run one \`MultiGroupNode<'static, 8>\` (a node set of 5, up to 8)"
    echo "instead of an engine, with static storage for $MULTIGROUP_GROUPS groups of 3 members (a"
    echo "\`GroupSlot\` and 3 \`QueuedItem\`s per group; the node is a member of the groups that"
    echo "name it) and 256-byte datagrams, through the whole calling contract: \`handle_bytes\`,"
    echo "\`handle_timeout\`, \`poll_persist\`/\`confirm_persisted\` (records written to a stand-in"
    echo "storage register), \`poll_transmit\`, \`poll_event\`, \`poll_timeout\`. \`+checksum\`"
    echo "adds a CRC-32 to every datagram, \`+authentication\` tags, freshness values and a replay"
    echo "window per peer with the same stand-in MAC as above (the MAC itself not counted)."
    echo "**RAM includes the storage for all $MULTIGROUP_GROUPS groups** ($MULTIGROUP_GROUPS × the bytes per"
    echo "group, also shown on its own) and four 256-byte frame buffers (the baseline has three of"
    echo "88 bytes). \`MultiGroupNode<8>\` is the node's fixed part, \`size_of\` on the target; per"
    echo "group is \`size_of::<GroupSlot>() + 3 × size_of::<QueuedItem>()\`, the storage the caller"
    echo "provides for each group. No budget is set for these rows."
    echo
    echo "| build | flash bytes | flash − baseline | of which builtins | RAM bytes | RAM − baseline | MultiGroupNode<8> | bytes per group | storage for $MULTIGROUP_GROUPS groups |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for build in "${MULTIGROUP[@]}"; do
        flash=${FLASH[$build]}
        ram=${RAM[$build]}
        dflash=$((flash - FLASH[baseline]))
        dram=$((ram - RAM[baseline]))
        dbuiltins=$((BUILTINS[$build] - BUILTINS[baseline]))
        storage=$((MULTIGROUP_GROUPS * GROUP_SIZE[$build]))
        echo "| $build | $flash | $dflash ($(kib "$dflash")) | $dbuiltins | $ram | $dram | ${NODE_SIZE[$build]} | ${GROUP_SIZE[$build]} | $storage |"
    done
} | tee "$report"

echo "footprint: attributing .text to crates and modules (examples/footprint/attribute.py)" >&2
python3 "$crate/attribute.py" --write >/dev/null
echo "footprint: wrote ${report%/*}/footprint-attribution.md" >&2
