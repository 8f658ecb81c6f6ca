#!/usr/bin/env bash
# Data parallelism under a real `mpirun`: builds chainrule-distributed with its `mpi` feature,
# runs all of its tests (the MPI scenarios of crates/distributed/tests/mpi.rs included) and
# lints it. The plain `cargo test --workspace` needs no MPI and skips these.
#
# Needs an MPI library with its development files, and libclang (the `mpi` crate generates its
# bindings with bindgen). On Debian or Ubuntu, as root:
#   apt-get install -y openmpi-bin libopenmpi-dev libclang-dev
# With `--install`, this script runs that itself when `mpirun` or the headers are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--install" ]]; then
    if ! command -v mpirun >/dev/null || ! dpkg -s libopenmpi-dev libclang-dev >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openmpi-bin libopenmpi-dev libclang-dev
    fi
fi

cargo test --release -p chainrule-distributed --features mpi
cargo clippy --release -p chainrule-distributed --all-targets --features mpi -- -D warnings
