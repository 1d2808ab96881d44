#!/usr/bin/env bash
# Builds every image and copies the ELF to out/<target>/<name>.elf.
# usage: bash build-all.sh [target]   (default thumbv7em-none-eabihf)
set -euo pipefail
cd "$(dirname "$0")"
T=${1:-thumbv7em-none-eabihf}
mkdir -p out/$T
# name | features | extra rustc flags (aes_compact)
CONFIGS=(
  "baseline||"
  "cmac|cmac|"
  "cmac-compact|cmac|--cfg aes_compact"
  "hmac-sha256|hmac|"
  "hmac-sha256-compact|sha2-compact|"
  "blake2s|blake2s|"
  "blake2s-size-opt|blake2s-size-opt|"
  "crc32-table256|crc32|"
  "crc32-notable|crc32-notable|"
  "crc32-table16x256|crc32-t16|"
  "crc16-table256|crc16|"
  "crc16-notable|crc16-notable|"
  "baseline+subtle|cmp-subtle|"
  "baseline+xor|cmp-xor|"
  "cmac+subtle|cmac,cmp-subtle|"
  "cmac+xor|cmac,cmp-xor|"
  "cmac-compact+subtle|cmac,cmp-subtle|--cfg aes_compact"
  "hmac-sha256+subtle|hmac,cmp-subtle|"
  "hmac-sha256+xor|hmac,cmp-xor|"
  "blake2s+subtle|blake2s,cmp-subtle|"
  "blake2s+xor|blake2s,cmp-xor|"
)
for c in "${CONFIGS[@]}"; do
  IFS='|' read -r name feats extra <<<"$c"
  if [ -n "$extra" ]; then
    # RUSTFLAGS replaces target.*.rustflags from .cargo/config.toml, so repeat the link arg
    export RUSTFLAGS="-C link-arg=-Tlink.x $extra"; tdir=target-compact
  else
    unset RUSTFLAGS; tdir=target
  fi
  echo "== $T $name (features: ${feats:-none}) ${extra}"
  nice -n 10 cargo build --release --quiet --target "$T" --target-dir "$tdir" ${feats:+--features "$feats"}
  cp "$tdir/$T/release/fw" "out/$T/$name.elf"
done
