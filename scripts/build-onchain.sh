#!/usr/bin/env bash
# Builds the certificate registry contract (onchain/) as a CosmWasm .wasm, with Debian's Rust
# toolchain for the web (rustc-web, cargo-web, rust-web-src) and lld-16's wasm-ld: the rustup
# toolchains here have no wasm32 standard library, so std is rebuilt from rust-web-src. Then
# binaryen's wasm-opt -Oz (as CosmWasm's own optimizer does): rustc's smallest code is still
# over 800 KiB.
#
#   scripts/build-onchain.sh            # prints the .wasm's path on its last line
#
# Installs the Debian packages when missing (apt-get; through sudo when not root). The build has
# a target directory of its own (target/onchain-wasm) so that it never invalidates the host
# build's cache, and refuses a .wasm over wasmd's default limit of 800 KiB.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(rustc-web cargo-web rust-web-src lld-16 binaryen)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-onchain: installing ${missing[*]}" >&2
  as_root=""
  if [ "$(id -u)" != 0 ]; then as_root="sudo"; fi
  $as_root apt-get update -qq >&2
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# Debian's cargo and rustc by full path: rustup's proxies come first on PATH.
export RUSTC=/usr/bin/rustc
unset RUSTC_WRAPPER RUSTUP_TOOLCHAIN
export RUSTC_BOOTSTRAP=1
# target-cpu=mvp keeps reference-types and multi-value off (CosmWasm refuses them); getrandom
# arrives through halo2_gadgets' rand and has no source of randomness in a contract (the
# verifier draws none). --allow-undefined: the contract's imports (db_read, ed25519_verify, ...)
# are cosmwasm-std's `extern "C"` functions without a wasm import module, which this rustc no
# longer lets the linker leave undefined by itself; the VM provides them.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='-C target-cpu=mvp -C linker=wasm-ld-16 -C link-arg=--allow-undefined --cfg getrandom_backend="unsupported"'
export CARGO_TARGET_DIR="$PWD/target/onchain-wasm"

nice /usr/bin/cargo build --locked -q \
  -Z build-std=std,panic_abort \
  --target wasm32-unknown-unknown \
  --profile contract \
  -p zkmargin-onchain --lib >&2

raw="$CARGO_TARGET_DIR/wasm32-unknown-unknown/contract/zkmargin_onchain.wasm"
wasm="$CARGO_TARGET_DIR/zkmargin_onchain.wasm"
# Only when rustc's output changed (the tests run this script every time).
if [ ! -f "$wasm" ] || [ "$raw" -nt "$wasm" ]; then
  echo "build-onchain: wasm-opt -Oz $(stat -c %s "$raw") bytes" >&2
  nice wasm-opt -Oz --mvp-features "$raw" -o "$wasm.tmp"
  mv "$wasm.tmp" "$wasm"
fi
size=$(stat -c %s "$wasm")
limit=$((800 * 1024))
echo "build-onchain: $wasm: $size bytes ($((size / 1024)) KiB; limit $((limit / 1024)) KiB)" >&2
if [ "$size" -gt "$limit" ]; then
  echo "build-onchain: the contract is over wasmd's 800 KiB limit" >&2
  exit 1
fi
echo "$wasm"
