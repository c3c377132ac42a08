#!/usr/bin/env bash
# Checks the unsafe code (the C ABI on both sides, the scratch arena, the descriptor
# juggling) with a tool instead of by eye: the host's integration tests (real transcripts
# through the sparse-host binary and the wordcount plugin) and the plugin API's tests (the
# test kit drives components through the same ABI entry points) under AddressSanitizer.
#
# ASan needs the nightly toolchain (`-Zsanitizer=address`; no Miri or rust-src is needed).
# Without nightly, the plugin API's tests run under valgrind memcheck instead, which needs
# no special build. Either way a memory error fails the run.
#
#   bash .ci/sanitize.sh          # from the repository root
set -euo pipefail
cd "$(dirname "$0")/.."

target="$(rustc -vV | sed -n 's/^host: //p')"
if cargo +nightly --version >/dev/null 2>&1; then
  echo "sanitize: AddressSanitizer ($(cargo +nightly --version)), target $target"
  # The host must export the ASan runtime for the plugins it dlopens (built with ASan too).
  export RUSTFLAGS="-Zsanitizer=address -Clink-arg=-Wl,--export-dynamic"
  export RUSTDOCFLAGS="-Zsanitizer=address"
  export CARGO_TARGET_DIR="target/asan"
  export SPARSE_TEST_CARGO_TARGET="$target"
  # Leaks: plugins are never unloaded and hold their statics by design.
  export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
  cargo +nightly test --target "$target" -p sparse-host -p sparse-plugin-api -p wordcount --tests
else
  command -v valgrind >/dev/null || { echo "sanitize: neither nightly Rust nor valgrind is installed" >&2; exit 1; }
  echo "sanitize: no nightly toolchain; valgrind memcheck on the plugin API's tests"
  bins="$(cargo test -p sparse-plugin-api -p wordcount --tests --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p')"
  for b in $bins; do
    echo "sanitize: valgrind $b"
    valgrind --quiet --error-exitcode=99 --leak-check=no "$b" --test-threads=1 -q
  done
fi
