#!/usr/bin/env bash
# Data parallelism under a real `mpirun`: builds chainrule-distributed with its `mpi` feature,
# runs all of its tests (the MPI scenarios of crates/distributed/tests/mpi.rs included), lints
# it, and trains one epoch of examples/mnist.rs on 2 ranks. The plain `cargo test --workspace`
# needs no MPI and skips these.
#
# Needs an MPI library with its development files, and libclang (the `mpi` crate generates its
# bindings with bindgen). On Debian or Ubuntu:
#   sudo apt-get install -y openmpi-bin libopenmpi-dev libclang-dev
# With `--install`, this script installs them itself when they are missing (apt-get, as root or
# through sudo without a password prompt).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(openmpi-bin libopenmpi-dev libclang-dev)

fail() {
    echo "test-mpi: $*" >&2
    exit 1
}

install_packages() {
    if command -v dpkg >/dev/null && dpkg -s "${packages[@]}" >/dev/null 2>&1; then
        return # all installed
    fi
    if ! command -v apt-get >/dev/null; then
        if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
            return # not Debian, but an MPI is there; bindgen will say if libclang is missing
        fi
        fail "no MPI found and no apt-get to install one: install OpenMPI or MPICH with its development files, and libclang"
    fi
    local run=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || fail "installing ${packages[*]} needs root, and sudo is not available"
        run=(sudo -n) # -n: fail rather than wait for a password no one will type
    fi
    echo "test-mpi: installing ${packages[*]}" >&2
    # A fresh machine's apt may be busy (unattended upgrades): wait for its lock.
    local apt=("${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q)
    "${apt[@]}" update
    "${apt[@]}" install "${packages[@]}"
}

case "${1:-}" in
    "") ;;
    --install) install_packages ;;
    *) fail "unknown argument ${1}; usage: scripts/test-mpi.sh [--install]" ;;
esac
command -v mpirun >/dev/null || fail "mpirun not found: install MPI (see the top of this script) or pass --install"

cargo test --release -p chainrule-distributed --features mpi
cargo clippy --release -p chainrule-distributed --all-targets --features mpi -- -D warnings

# The main job on 2 ranks, one epoch. OpenMPI refuses root (CI containers) and more ranks than
# cores unless told; MPICH ignores these variables.
cargo build --release --features mpi --example mnist
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
    mpirun -np 2 "${CARGO_TARGET_DIR:-target}/release/examples/mnist" --epochs 1 --out "$out/run" | tee "$out/log"
grep -q "on 2 ranks" "$out/log" || fail "examples/mnist did not report 2 ranks"
grep -q "^test accuracy" "$out/log" || fail "examples/mnist did not finish on 2 ranks"
[[ -f "$out/run/model.safetensors" ]] || fail "examples/mnist on 2 ranks wrote no model.safetensors"
