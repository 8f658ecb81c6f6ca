//! Derivatives of derivatives. Backward rules are written with the same differentiable ops as
//! forward code, so asking for a gradient "with create_graph" records the backward pass on the
//! tape, and the gradient can be differentiated again:
//!
//! 1. tanh, tanh′ and tanh″ at a few points, against their closed forms;
//! 2. a Hessian-vector product H·v of f(w) = Σ log(1 + e^(x·w)) without forming H;
//! 3. a gradient penalty: a loss that contains the norm of a gradient, itself minimized by
//!    gradient descent.
//!
//! Run with `cargo run --example 04_higher_order`.

use chainrule::autograd::{grad, grad_with, GradOptions, Result, Tape, Tensor};

fn main() -> Result<()> {
    // 1. tanh and its first two derivatives, each from the one before.
    println!("   x      tanh x    tanh′ x (tape)  1 − tanh²   tanh″ x (tape)  −2 tanh (1 − tanh²)");
    for x0 in [-2.0, -0.5, 0.0, 0.5, 2.0] {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::scalar(x0));
        let y = x.tanh();
        let [dy] = grad_with(&[&y], None, &[&x], GradOptions::create_graph())?.try_into().unwrap();
        let [d2y] = grad(&[&dy], &[&x])?.try_into().unwrap();
        let t = f64::tanh(x0);
        println!(
            "{x0:5.1}  {:9.5}  {:14.8}  {:10.8}  {:14.8}  {:19.8}",
            y.item(),
            dy.item(),
            1.0 - t * t,
            d2y.item(),
            -2.0 * t * (1.0 - t * t)
        );
    }

    // 2. Hessian-vector product: ∇(∇f · v) = H v, two backward passes, no n×n matrix.
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, -1.0, 0.5, 0.0, 1.5], [3, 2])?);
    let w = tape.var(Tensor::from_vec(vec![0.3, -0.2], [2, 1])?);
    let f = x.matmul(&w)?.softplus().sum(); // Σ log(1 + e^(xᵢ·w))
    let [g] = grad_with(&[&f], None, &[&w], GradOptions::create_graph())?.try_into().unwrap();
    let v = tape.constant(Tensor::from_vec(vec![1.0, -1.0], [2, 1])?);
    let [hv] = grad(&[&(&g * &v).sum()], &[&w])?.try_into().unwrap();
    // The closed form: H = Σᵢ σ(zᵢ)(1 − σ(zᵢ)) xᵢ xᵢᵀ.
    let (xs, ws) = (x.value().data(), w.value().data());
    let mut expected = [0.0; 2];
    for row in xs.chunks(2) {
        let s = 1.0 / (1.0 + (-(row[0] * ws[0] + row[1] * ws[1])).exp());
        let xv = row[0] - row[1]; // xᵢ · v
        for (e, &xj) in expected.iter_mut().zip(row) {
            *e += s * (1.0 - s) * xj * xv;
        }
    }
    println!("\nH·v from the tape: {:?}\nH·v by hand:       {expected:?}", hv.value().to_vec());

    // 3. A gradient penalty: minimize L(a) = (a − 2)² + ‖∂(a·u)²/∂u‖² at u = 1, i.e.
    //    (a − 2)² + 4a⁴, whose gradient needs the derivative of a derivative.
    let mut a0 = 0.0;
    for _ in 0..200 {
        let tape = Tape::<f64>::new();
        let a = tape.var(Tensor::scalar(a0));
        let u = tape.var(Tensor::scalar(1.0));
        let inner = (&a * &u).powf(2.0);
        let [du] = grad_with(&[&inner], None, &[&u], GradOptions::create_graph())?.try_into().unwrap();
        let loss = (&a - 2.0).powf(2.0) + du.powf(2.0);
        let [da] = grad(&[&loss], &[&a])?.try_into().unwrap();
        a0 -= 0.01 * da.item();
    }
    // At the minimum 2(a − 2) + 16a³ = 0.
    println!(
        "\ngradient penalty: a = {a0:.6}, residual 2(a − 2) + 16a³ = {:.2e}",
        2.0 * (a0 - 2.0) + 16.0 * a0.powi(3)
    );
    Ok(())
}
