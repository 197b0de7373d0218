#!/usr/bin/env bash
# One-time (and idempotent) set-up for a fresh clone: npm packages, the wasm32
# target, and wasm-bindgen-cli at exactly the version Cargo.toml pins.
# Fast (< 1 s) when everything is already in place. One line per action.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { did=1; printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
trap 'printf "setup: error: failed at line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR
did=0
npm_hash() { { cat package.json; cat package-lock.json 2>/dev/null || true; } | cksum; }

command -v node >/dev/null || die "node not found (Node >= 20 is required)"
command -v cargo >/dev/null || die "cargo not found (install Rust with rustup)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node $(node --version) is too old; Node >= 20 is required"

# --- npm packages -------------------------------------------------------------
# The stamp records the hashes of package.json and package-lock.json that
# node_modules was installed from; any change reinstalls.
stamp=node_modules/.portal-migrate-setup
want=$(npm_hash)
if [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  :
else
  if [ -f package-lock.json ]; then
    say "npm ci (node_modules missing or stale)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  else
    say "npm install (no package-lock.json yet)"
    npm install --no-audit --no-fund --loglevel=error >/dev/null
    want=$(npm_hash)
  fi
  printf '%s\n' "$want" > "$stamp"
fi

# --- Rust toolchain and wasm32 target -----------------------------------------
# rust-toolchain.toml pins the channel; `rustup toolchain install` with no
# argument installs exactly that (with its targets and components).
if command -v rustup >/dev/null; then
  channel=$(sed -n 's/^[[:space:]]*channel[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' rust-toolchain.toml 2>/dev/null | head -n1)
  if [ -n "$channel" ] && ! rustup toolchain list | grep -q "^$channel"; then
    say "rustup toolchain install ($channel, from rust-toolchain.toml)"
    rustup toolchain install
  fi
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
else
  rustc --print target-libdir --target wasm32-unknown-unknown >/dev/null 2>&1 &&
    [ -d "$(rustc --print target-libdir --target wasm32-unknown-unknown)" ] ||
    die "no rustup and no wasm32-unknown-unknown target; install Rust with rustup"
fi

# --- wasm-bindgen-cli at the pinned version ------------------------------------
# Accepts `wasm-bindgen = "=0.2.130"` and `wasm-bindgen = { version = "=0.2.130", ... }`.
wbg=$(sed -n 's/^[[:space:]]*wasm-bindgen[[:space:]]*=.*"=\{0,1\}\([0-9][0-9.]*\)".*/\1/p' Cargo.toml | head -n1)
[ -n "$wbg" ] || die "cannot find the wasm-bindgen version in Cargo.toml (expected wasm-bindgen = \"=X.Y.Z\")"
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
have_runner=$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wbg" ] || [ "$have_runner" != "$wbg" ]; then
  say "cargo install wasm-bindgen-cli --version $wbg (have: ${have:-none}; takes 2-5 minutes)"
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

# --- chromium for the Custom UI browser tests ---------------------------------
# Debian's package, driven by playwright-core (which never downloads a browser).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "apt-get install chromium (the admin page's browser test)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    printf 'setup: note: chromium not found and cannot be installed here (not root / no apt-get); the browser tests will be skipped\n' >&2
  fi
fi

[ "$did" = 1 ] || say "up to date (node_modules, wasm32 target, wasm-bindgen $wbg)"
