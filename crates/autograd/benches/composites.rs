//! Primitive or composite? For each op that could be composed from others without changing its
//! conventions at kinks, forward + backward time of the primitive and of the composition, on
//! one element (per-op overhead), 4,096 and 262,144 elements, `f32`, best of 20 alternating
//! rounds. A primitive stays one while its composition is slower.
//!
//! Run with `cargo bench -p chainrule-autograd --bench composites`. The compositions:
//! `sub(a, b) = a + (−1·b)`, `minimum(a, b) = −maximum(−a, −b)`, `min_axes(a) = −max_axes(−a)`,
//! `cos(a) = sin(a + π/2)` (which also rounds differently), and
//! `leaky_relu(a) = where(a > 0, a, s·a)`. (`neg` measured the same as `−1·a` and is now that
//! composite.)

use autograd::{Tape, Tensor, Var};
use std::hint::black_box;
use std::time::Instant;

type F = dyn for<'t> Fn(&Var<'t, f32>, &Var<'t, f32>) -> Var<'t, f32>;

fn bench(name: &str, n: usize, reps: usize, prim: &F, comp: &F) {
    let a = Tensor::from_fn([n], |i| ((i * 7 % 13) as f32 - 6.0) * 0.37);
    let b = Tensor::from_fn([n], |i| ((i * 5 % 11) as f32 - 5.0) * 0.41);
    let run = |f: &F| {
        let tape = Tape::<f32>::new();
        let (x, y) = (tape.var(a.clone()), tape.var(b.clone()));
        let out = f(&x, &y).sum();
        out.backward().unwrap();
        black_box(x.grad());
    };
    let mut best = [f64::INFINITY; 2];
    for round in 0..20 {
        // Alternate which goes first, so neither profits from the other's warm allocator.
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let f: &F = if k == 0 { prim } else { comp };
            let start = Instant::now();
            for _ in 0..reps {
                run(f);
            }
            best[k] = best[k].min(start.elapsed().as_nanos() as f64 / reps as f64);
        }
    }
    println!(
        "{name:<12} n = {n:<7} primitive {:>11.1} ns  composite {:>11.1} ns  ratio {:.2}",
        best[0],
        best[1],
        best[1] / best[0]
    );
}

fn main() {
    for (n, reps) in [(1usize, 5000usize), (4096, 500), (262144, 10)] {
        bench("sub", n, reps, &|a, b| a.sub(b).unwrap(), &|a, b| a.add(&b.mul_scalar(-1.0)).unwrap());
        bench("minimum", n, reps, &|a, b| a.minimum(b).unwrap(), &|a, b| a.neg().maximum(&b.neg()).unwrap().neg());
        bench("min_axes", n, reps, &|a, _| a.min_axes(&[0], false).unwrap(), &|a, _| {
            a.neg().max_axes(&[0], false).unwrap().neg()
        });
        bench("cos", n, reps, &|a, _| a.cos(), &|a, _| a.add_scalar(std::f32::consts::FRAC_PI_2).sin());
        bench("leaky_relu", n, reps, &|a, _| a.leaky_relu(0.1), &|a, _| {
            Var::where_(&a.gt(&a.scalar(0.0)).unwrap(), a, &a.mul_scalar(0.1)).unwrap()
        });
    }
}
