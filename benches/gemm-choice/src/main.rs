//! f32 GEMM throughput of `matrixmultiply` and `gemm` through their strided APIs, for the
//! layouts chainrule's matmul and its backward use (A·B and Aᵀ·B), best of repeated runs.

use std::time::Instant;

fn best_gflops(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    let reps = if n <= 256 { 200 } else if n <= 512 { 40 } else { 8 };
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    2.0 * (n * n * n) as f64 / best / 1e9
}

fn main() {
    println!("{:>5} {:>14} {:>14} {:>14} {:>14} {:>14}", "n", "mm A·B", "mm Aᵀ·B", "gemm1 A·B", "gemm1 Aᵀ·B", "gemm2 A·B");
    for n in [128usize, 256, 512, 1024] {
        let a: Vec<f32> = (0..n * n).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..n * n).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut c = vec![0f32; n * n];
        let s = n as isize;
        let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        // SAFETY (all calls): n×n buffers, C distinct from A and B.
        let mm_nn = best_gflops(n, || unsafe { matrixmultiply::sgemm(n, n, n, 1.0, pa, s, 1, pb, s, 1, 0.0, pc, s, 1) });
        let mm_tn = best_gflops(n, || unsafe { matrixmultiply::sgemm(n, n, n, 1.0, pa, 1, s, pb, s, 1, 0.0, pc, s, 1) });
        let g = |par: gemm::Parallelism, ta: bool| {
            let (lcs, lrs) = if ta { (s, 1) } else { (1, s) };
            best_gflops(n, move || unsafe {
                gemm::gemm(n, n, n, pc, 1, s, false, pa, lcs, lrs, pb, 1, s, 0.0, 1.0, false, false, false, par)
            })
        };
        let (g1_nn, g1_tn, g2_nn) = (g(gemm::Parallelism::None, false), g(gemm::Parallelism::None, true), g(gemm::Parallelism::Rayon(2), false));
        println!("{n:>5} {mm_nn:>14.1} {mm_tn:>14.1} {g1_nn:>14.1} {g1_tn:>14.1} {g2_nn:>14.1}");
    }
}
