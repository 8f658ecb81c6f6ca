//! Jacobians, Hessians and forward mode (`autograd::functional`), on a small network:
//!
//! 1. a 2-3-1 tanh network fits XOR-like points by gradient descent, its 13 parameters held in
//!    one vector θ so that its loss is a function `L(θ)`;
//! 2. the Hessian of the loss at the trained θ (`hessian`: forward over reverse), symmetric to
//!    rounding;
//! 3. its largest eigenvalues by power iteration through Hessian-vector products (`hvp`, which
//!    never forms the matrix), against the eigenvalues of the explicit matrix (Jacobi's method);
//! 4. a Jacobian-vector product of the network's outputs (`jvp`, forward mode) against central
//!    finite differences with shrinking steps: the error falls as ε² until rounding takes over;
//! 5. the Jacobian of the outputs with respect to θ, by rows (`jacrev`) and by columns
//!    (`jacfwd`).
//!
//! Run with `cargo run --release --example 05_jacobians`.

use chainrule::autograd::functional::{hessian, hvp, jacfwd, jacrev, jvp};
use chainrule::autograd::{grad, GradOptions, Result, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Eight points in the plane and their ±1 labels (XOR of the signs).
const POINTS: [[f64; 2]; 8] =
    [[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0], [0.5, 0.8], [-0.7, -0.4], [0.9, -0.3], [-0.2, 0.6]];
const LABELS: [f64; 8] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
/// The parameters in θ: W1 [3, 2], b1 [3], w2 [3], b2 [1].
const PARAMS: usize = 13;

/// The network's outputs on the eight points, `w2·tanh(W1·x + b1) + b2`, from θ.
fn outputs<'t>(theta: &Var<'t, f64>) -> Result<Var<'t, f64>> {
    let w1 = theta.narrow(0, 0, 6)?.reshape([3, 2])?;
    let b1 = theta.narrow(0, 6, 3)?;
    let w2 = theta.narrow(0, 9, 3)?.reshape([1, 3])?;
    let b2 = theta.narrow(0, 12, 1)?;
    let x = theta.constant(Tensor::from_vec(POINTS.concat(), [8, 2])?);
    let hidden = x.linear(&w1, Some(&b1))?.tanh();
    hidden.linear(&w2, Some(&b2))?.reshape([8])
}

/// The mean logistic loss `mean log(1 + e^(−y·f(x)))`.
fn loss<'t>(theta: &Var<'t, f64>) -> Result<Var<'t, f64>> {
    let labels = theta.constant(Tensor::vector(&LABELS));
    Ok(labels.neg().mul(&outputs(theta)?)?.softplus().mean())
}

fn main() -> Result<()> {
    // 1. Train.
    let mut rng = StdRng::seed_from_u64(3);
    let mut theta = Tensor::rand_normal([PARAMS], 0.0, 0.8, &mut rng);
    for step in 0..=400 {
        let tape = Tape::<f64>::new();
        let t = tape.var(theta.clone());
        let l = loss(&t)?;
        let [g] = grad(&[&l], &[&t])?.try_into().expect("one input");
        if step % 100 == 0 {
            println!("step {step:4}: loss {:.6}", l.item());
        }
        let data = theta.data().iter().zip(g.value().data()).map(|(w, g)| w - 0.5 * g).collect();
        theta = Tensor::from_vec(data, [PARAMS])?;
    }

    // 2. The Hessian of the loss at θ: 13 forward walks through the recorded gradient.
    let tape = Tape::<f64>::new();
    let at = tape.constant(theta.clone());
    let h = hessian(|t| loss(&t[0]), &[&at], GradOptions::default())?.remove(0).remove(0);
    let h: Vec<Vec<f64>> = h.value().data().chunks(PARAMS).map(<[f64]>::to_vec).collect();
    let asymmetry = (0..PARAMS).flat_map(|i| (0..PARAMS).map(move |j| (i, j))).map(|(i, j)| (h[i][j] - h[j][i]).abs());
    println!("\nHessian of the loss: {PARAMS}×{PARAMS}, largest |H − Hᵀ| entry {:.1e}", asymmetry.fold(0.0, f64::max));

    // 3. Its largest eigenvalues by power iteration on v ↦ H·v, deflating each one found.
    let mut found: Vec<(f64, Vec<f64>)> = Vec::new();
    for _ in 0..3 {
        let mut v: Vec<f64> = Tensor::<f64>::rand_normal([PARAMS], 0.0, 1.0, &mut rng).to_vec();
        let mut lambda = 0.0;
        for _ in 0..500 {
            normalize(&mut v);
            let direction = tape.constant(Tensor::vector(&v));
            let (_, hv) = hvp(|t| loss(&t[0]), &[&at], &[&direction], GradOptions::default())?;
            let mut w = hv[0].value().to_vec();
            for (mu, u) in &found {
                let along = dot(u, &v);
                w.iter_mut().zip(u).for_each(|(w, u)| *w -= mu * along * u);
            }
            lambda = dot(&v, &w);
            v = w;
        }
        normalize(&mut v);
        found.push((lambda, v));
    }
    let mut exact = jacobi_eigenvalues(h);
    exact.sort_by(|a, b| b.abs().total_cmp(&a.abs()));
    println!(
        "largest eigenvalues, power iteration through hvp: {:?}",
        found.iter().map(|(l, _)| round(*l)).collect::<Vec<_>>()
    );
    println!(
        "largest eigenvalues of the explicit Hessian:       {:?}",
        exact[..3].iter().map(|&l| round(l)).collect::<Vec<_>>()
    );

    // 4. A Jacobian-vector product against finite differences.
    let v = Tensor::<f64>::rand_normal([PARAMS], 0.0, 1.0, &mut rng);
    let (_, jv) = jvp(|t| outputs(&t[0]), &[&at], &[&tape.constant(v.clone())], GradOptions::default())?;
    let jv = jv[0].value().to_vec();
    println!(
        "\nJ·v of the 8 outputs along a random v (forward mode): {:?}",
        jv.iter().map(|&x| round(x)).collect::<Vec<_>>()
    );
    println!("    ε      max |J·v − (f(θ + εv) − f(θ − εv)) / 2ε|");
    for k in 1..=9 {
        let eps = 10f64.powi(-k);
        let at_shift = |s: f64| -> Result<Vec<f64>> {
            let shifted = theta.data().iter().zip(v.data()).map(|(t, v)| t + s * eps * v).collect();
            let tape = Tape::<f64>::new();
            Ok(outputs(&tape.constant(Tensor::from_vec(shifted, [PARAMS])?))?.value().to_vec())
        };
        let (plus, minus) = (at_shift(1.0)?, at_shift(-1.0)?);
        let err = jv.iter().zip(plus.iter().zip(&minus)).map(|(j, (p, m))| (j - (p - m) / (2.0 * eps)).abs());
        println!("  1e-{k}   {:.2e}", err.fold(0.0, f64::max));
    }

    // 5. The whole Jacobian of the outputs, 8×13, both ways.
    let by_rows = jacrev(|t| outputs(&t[0]), &[&at], GradOptions::default())?.remove(0).remove(0);
    let by_columns = jacfwd(|t| outputs(&t[0]), &[&at], GradOptions::default())?.remove(0).remove(0);
    println!(
        "\nJacobian of the outputs, {:?}: by rows (8 reverse walks) and by columns (13 forward walks) differ by at most {:.1e}",
        by_rows.dims(),
        by_rows.value().max_abs_diff(by_columns.value())
    );
    Ok(())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

fn normalize(v: &mut [f64]) {
    let norm = dot(v, v).sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The eigenvalues of a symmetric matrix by cyclic Jacobi rotations.
fn jacobi_eigenvalues(mut a: Vec<Vec<f64>>) -> Vec<f64> {
    let n = a.len();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .filter(|(i, j)| i != j)
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let (c, s) = (1.0 / (t * t + 1.0).sqrt(), t / (t * t + 1.0).sqrt());
                // A ← Jᵀ·A·J for the rotation J in the (p, q) plane: columns, then rows.
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for (k, (apk, aqk)) in row_p.into_iter().zip(row_q).enumerate() {
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
            }
        }
    }
    (0..n).map(|i| a[i][i]).collect()
}
