//! The GEMM candidates at the shapes of chainrule's MNIST MLP (784-256-128-10: the forward
//! product of each layer, dX of layers 2-3 and dW of every layer, with the transposes the tape
//! uses) and of one deep-narrow layer (64³, three layouts): µs per call, best of 15 samples,
//! per shape and summed per training step. The candidates must agree to 1e-4 (checked).
//!
//! usage: gemm-choice [THREADS] [SHAPE-FILTER]; `BITS=1` prints a hash of each result, to see
//! whether a thread count changes the bits.

use std::time::Instant;

#[cfg(feature = "openblas")]
mod openblas {
    extern "C" {
        #[allow(clippy::too_many_arguments)]
        pub fn cblas_sgemm(
            layout: i32,
            ta: i32,
            tb: i32,
            m: i32,
            n: i32,
            k: i32,
            alpha: f32,
            a: *const f32,
            lda: i32,
            b: *const f32,
            ldb: i32,
            beta: f32,
            c: *mut f32,
            ldc: i32,
        );
        pub fn openblas_set_num_threads(n: i32);
    }
    pub const ROW_MAJOR: i32 = 101;
    pub const NO_TRANS: i32 = 111;
    pub const TRANS: i32 = 112;
}

/// `C (m×n) = A (m×k) · B (k×n)`, where A is stored transposed (k×m) if `ta`, B if `tb`.
#[derive(Clone, Copy)]
struct Product {
    name: &'static str,
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
}

fn products() -> Vec<Product> {
    let mut all = Vec::new();
    for batch in [32usize, 128, 512] {
        let p = |what: &str, m, k, n, ta, tb| {
            let name: &'static str = Box::leak(format!("B{batch} {what}").into_boxed_str());
            Product { name, m, k, n, ta, tb }
        };
        all.push(p("L1 fwd x·W1ᵀ", batch, 784, 256, false, true));
        all.push(p("L1 dW1=Gᵀx", 256, batch, 784, true, false));
        all.push(p("L2 fwd", batch, 256, 128, false, true));
        all.push(p("L2 dX=G·W2", batch, 128, 256, false, false));
        all.push(p("L2 dW2", 128, batch, 256, true, false));
        all.push(p("L3 fwd", batch, 128, 10, false, true));
        all.push(p("L3 dX", batch, 10, 128, false, false));
        all.push(p("L3 dW3", 10, batch, 128, true, false));
    }
    all.push(Product { name: "64 fwd x·Wᵀ", m: 64, k: 64, n: 64, ta: false, tb: true });
    all.push(Product { name: "64 dX=G·W", m: 64, k: 64, n: 64, ta: false, tb: false });
    all.push(Product { name: "64 dW=Gᵀx", m: 64, k: 64, n: 64, ta: true, tb: false });
    all
}

/// Seconds per call: the best of 15 samples (the least disturbed on a shared machine).
fn seconds(mut f: impl FnMut(), flop: f64) -> f64 {
    let reps = ((2e8 / flop) as usize).clamp(20, 20_000);
    for _ in 0..reps / 10 + 3 {
        f();
    }
    let inner = (reps / 15).max(1);
    (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..inner {
                f();
            }
            start.elapsed().as_secs_f64() / inner as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let threads: usize = std::env::args().nth(1).map_or(1, |s| s.parse().expect("THREADS is a number"));
    let filter = std::env::args().nth(2);
    #[cfg(feature = "openblas")]
    // SAFETY: a plain setter of the library's thread count.
    unsafe {
        openblas::openblas_set_num_threads(threads as i32)
    };
    let parallelism = if threads == 1 { gemm::Parallelism::None } else { gemm::Parallelism::Rayon(threads) };
    let names = if cfg!(feature = "openblas") { "matrixmultiply, gemm, OpenBLAS" } else { "matrixmultiply, gemm" };
    println!(
        "# {threads} thread(s) (matrixmultiply: MATMUL_NUM_THREADS={:?}); gemm AVX-512 kernels (x86-v4): {}",
        std::env::var("MATMUL_NUM_THREADS").ok(),
        cfg!(feature = "x86-v4")
    );
    println!("{:<22} {:>5} {:>5} {:>5} | µs per call and GFLOP/s: {names}", "product", "m", "k", "n");
    let mut per_step = std::collections::BTreeMap::<String, Vec<f64>>::new();
    for product in products() {
        if filter.as_ref().is_some_and(|f| !product.name.contains(f.as_str())) {
            continue;
        }
        let Product { m, k, n, ta, tb, .. } = product;
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 + 3) % 11) as f32 * 0.1 - 0.5).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 + 1) % 13) as f32 * 0.1 - 0.6).collect();
        let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
        let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        // Each candidate writes C = A·B into `c` (m×n, row-major).
        // SAFETY (every call): A, B and C hold the sizes the strides describe; C is distinct.
        let candidates: Vec<Box<dyn Fn(&mut [f32])>> = vec![
            Box::new(move |c: &mut [f32]| unsafe {
                matrixmultiply::sgemm(m, k, n, 1.0, pa, rsa, csa, pb, rsb, csb, 0.0, c.as_mut_ptr(), n as isize, 1)
            }),
            Box::new(move |c: &mut [f32]| unsafe {
                let dst = c.as_mut_ptr();
                gemm::gemm(
                    m,
                    n,
                    k,
                    dst,
                    1,
                    n as isize,
                    false,
                    pa,
                    csa,
                    rsa,
                    pb,
                    csb,
                    rsb,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism,
                )
            }),
            #[cfg(feature = "openblas")]
            Box::new(move |c: &mut [f32]| unsafe {
                use openblas::*;
                let (lda, ldb) = (if ta { m } else { k } as i32, if tb { k } else { n } as i32);
                let (ta, tb) = (if ta { TRANS } else { NO_TRANS }, if tb { TRANS } else { NO_TRANS });
                let (mi, ni, ki) = (m as i32, n as i32, k as i32);
                cblas_sgemm(ROW_MAJOR, ta, tb, mi, ni, ki, 1.0, pa, lda, pb, ldb, 0.0, c.as_mut_ptr(), ni)
            }),
        ];
        let flop = 2.0 * (m * k * n) as f64;
        let mut c = vec![0f32; m * n];
        let times: Vec<f64> = candidates.iter().map(|run| seconds(|| run(&mut c), flop)).collect();
        let micros: Vec<String> = times.iter().map(|t| format!("{:>8.2}", t * 1e6)).collect();
        let rates: Vec<String> = times.iter().map(|t| format!("{:>6.1}", flop / t / 1e9)).collect();
        println!("{:<22} {m:>5} {k:>5} {n:>5} | {}   GFLOP/s {}", product.name, micros.join(" "), rates.join(" "));
        let results: Vec<Vec<f32>> = candidates
            .iter()
            .map(|run| {
                let mut c = vec![0f32; m * n];
                run(&mut c);
                c
            })
            .collect();
        for other in &results[1..] {
            let worst = results[0].iter().zip(other).map(|(x, y)| (x - y).abs() / (1.0 + x.abs())).fold(0f32, f32::max);
            assert!(worst < 1e-4, "{}: the candidates disagree by {worst}", product.name);
        }
        if std::env::var_os("BITS").is_some() {
            let hash = |v: &[f32]| {
                v.iter().fold(0u64, |h, x| h.wrapping_mul(0x100_0000_01b3).wrapping_add(u64::from(x.to_bits())))
            };
            let hashes: Vec<String> = results.iter().map(|r| format!("{:016x}", hash(r))).collect();
            println!("BITS {} {}", product.name, hashes.join(" "));
        }
        let step = product.name.split(' ').next().expect("names start with the step's tag").to_string();
        let totals = per_step.entry(step).or_insert_with(|| vec![0.0; times.len()]);
        totals.iter_mut().zip(&times).for_each(|(total, t)| *total += t);
    }
    for (step, totals) in per_step {
        let micros: Vec<String> = totals.iter().map(|t| format!("{:.1}", t * 1e6)).collect();
        println!("per step {step:<6} µs: {}", micros.join(", "));
    }
}
