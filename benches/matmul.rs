//! Matrix multiply through the tape, forward + backward, against the raw GEMM crate doing the
//! same three products (C = A·B, ∂A = G·Bᵀ, ∂B = Aᵀ·G) on the same buffers layouts.
//!
//! Run with `cargo bench --bench matmul`. Reports GFLOP/s (best of repeated runs) and the ratio
//! tape / raw, both on one thread. The PyTorch side is `benches/peers/matmul.py`.

use chainrule::autograd::{grad_with, GradOptions, Tape, Tensor};
use rand::{rngs::StdRng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

fn best_seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    chainrule::autograd::set_num_threads(1).expect("one thread is a valid count");
    let mut rng = StdRng::seed_from_u64(0);
    for n in [512usize, 1024] {
        let reps = if n <= 512 { 60 } else { 12 };
        let a = Tensor::<f32>::rand_uniform([n, n], -1.0, 1.0, &mut rng);
        let b = Tensor::<f32>::rand_uniform([n, n], -1.0, 1.0, &mut rng);
        let seed = Tensor::<f32>::ones([n, n]);
        let flops = 3.0 * 2.0 * (n * n * n) as f64;

        let tape_s = best_seconds(reps, || {
            let tape = Tape::<f32>::new();
            let (va, vb) = (tape.var(a.clone()), tape.var(b.clone()));
            let c = va.matmul(&vb).unwrap();
            let grads =
                grad_with(&[&c], Some(std::slice::from_ref(&seed)), &[&va, &vb], GradOptions::default()).unwrap();
            black_box(grads);
        });

        let mut out = vec![vec![0f32; n * n]; 3];
        let (pa, pb, pg) = (a.data().as_ptr(), b.data().as_ptr(), seed.data().as_ptr());
        let s = n as isize;
        let raw_s = best_seconds(reps, || {
            let [c, da, db] = &mut out[..] else { unreachable!() };
            // SAFETY: n×n buffers; outputs distinct from inputs.
            unsafe {
                // gemm's argument order: m, n, k, dst with (column, row) strides, whether to read
                // dst, lhs and rhs with (column, row) strides, α for dst, β for the product.
                let one_thread = gemm::Parallelism::None;
                let (m, z) = (n, 0.0);
                gemm::gemm(
                    m,
                    n,
                    n,
                    c.as_mut_ptr(),
                    1,
                    s,
                    false,
                    pa,
                    1,
                    s,
                    pb,
                    1,
                    s,
                    z,
                    1.0,
                    false,
                    false,
                    false,
                    one_thread,
                );
                gemm::gemm(
                    m,
                    n,
                    n,
                    da.as_mut_ptr(),
                    1,
                    s,
                    false,
                    pg,
                    1,
                    s,
                    pb,
                    s,
                    1,
                    z,
                    1.0,
                    false,
                    false,
                    false,
                    one_thread,
                );
                gemm::gemm(
                    m,
                    n,
                    n,
                    db.as_mut_ptr(),
                    1,
                    s,
                    false,
                    pa,
                    s,
                    1,
                    pg,
                    1,
                    s,
                    z,
                    1.0,
                    false,
                    false,
                    false,
                    one_thread,
                );
            }
            black_box(&out);
        });
        let (tape_gf, raw_gf) = (flops / tape_s / 1e9, flops / raw_s / 1e9);
        println!(
            "matmul {n}x{n} f32, forward + backward: tape {tape_gf:.1} GFLOP/s, raw gemm {raw_gf:.1} GFLOP/s, tape/raw = {:.1}%",
            100.0 * tape_gf / raw_gf
        );
    }
}
