#!/bin/sh
# Builds the C firmware for QEMU's mps2-an386 (Cortex-M4F).
#
#   build.sh <libbellwether.a> <output dir>
#
# The library is the C API built for the target:
#   cargo rustc -p bellwether-ffi --release --target thumbv7em-none-eabihf --crate-type staticlib
# (it lands in target/thumbv7em-none-eabihf/release/libbellwether.a). Writes
# <output dir>/firmware-c.elf and its map; run it with
#   qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
#       -semihosting-config enable=on,target=native -kernel <output dir>/firmware-c.elf
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 <libbellwether.a> <output dir>" >&2
    exit 2
fi
library=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
include=$here/../../include
CC=${CC_ARM:-arm-none-eabi-gcc}

if [ ! -f "$library" ]; then
    echo "$0: $library not found" >&2
    exit 2
fi
mkdir -p "$out"

ARCH="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
CFLAGS="-std=c99 -Wall -Wextra -Wpedantic -Werror -Os -g -ffunction-sections -fdata-sections"

for source in startup main; do
    # shellcheck disable=SC2086 # ARCH and CFLAGS are word lists
    "$CC" $ARCH $CFLAGS -I "$include" -c "$here/$source.c" -o "$out/$source.o"
done
# --specs=rdimon.specs: newlib with librdimon, so printf and exit() go through semihosting.
# -nostartfiles: startup.c is the reset handler, not newlib's crt0.
# shellcheck disable=SC2086
"$CC" $ARCH --specs=rdimon.specs -nostartfiles -T "$here/mps2-an386.ld" \
    -Wl,--gc-sections -Wl,-z,noexecstack -Wl,-Map="$out/firmware-c.map" \
    "$out/startup.o" "$out/main.o" "$library" -o "$out/firmware-c.elf"
echo "$out/firmware-c.elf"
