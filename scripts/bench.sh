#!/bin/sh
# Runs chainrule's benchmark suite against its PyTorch peer (and dfdx on the deep narrow net) and
# prints one JSON line per figure, then the ratio table. The suite (benches/suite) is built twice:
# with Cargo's default release profile, which is what a crate depending on chainrule gets, and
# with fat LTO.
#
#   scripts/bench.sh                          # every workload, 3 repeats
#   scripts/bench.sh --repeats 5 --only mlp-train
#   scripts/bench.sh --no-peer                # chainrule alone
#
# Flags go to `bench-suite run`; PYTHON picks the interpreter with torch (default python3).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$root/benches/suite/Cargo.toml"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/bench-suite}"
python=${PYTHON:-python3}

cargo build --quiet --release --manifest-path "$manifest"
cargo build --quiet --profile lto --manifest-path "$manifest"
# The dfdx peer of the deep narrow net; the suite runs without it if it does not build.
if cargo build --quiet --release --manifest-path "$root/benches/peers/dfdx/Cargo.toml"; then
    set -- --dfdx-binary "$CARGO_TARGET_DIR/release/dfdx-peer" "$@"
fi

torch=$("$python" -c 'import torch; print("PyTorch", torch.__version__)' 2>/dev/null || echo "no PyTorch")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "# $(rustc --version); $torch; $cpu, $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$CARGO_TARGET_DIR/release/bench-suite" run --python "$python" --lto-binary "$CARGO_TARGET_DIR/lto/bench-suite" "$@"
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
