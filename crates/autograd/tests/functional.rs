//! The functional transforms (`autograd::functional`): Jacobians and Hessians against PyTorch
//! (`torch.func.jacrev`, `torch.autograd.functional.hessian`, fixtures made by
//! `scripts/functional_fixtures.py`) and against central finite differences; forward mode
//! against reverse mode; nesting (the Hessian of a gradient penalty, a third derivative, the
//! gradient of a Hessian-vector product); custom ops in forward mode; errors.

use autograd::functional::{hessian, hvp, jacfwd, jacobian, jacrev, jvp, vjp, Blocks};
use autograd::{grad_with, CustomOp, Error, GradOptions, Result, Tape, Tensor, Var};
use std::collections::BTreeMap;
use std::sync::Arc;

// --- The fixtures -------------------------------------------------------------------------

#[derive(Default)]
struct Case {
    inputs: Vec<Tensor<f64>>,
    /// `(kind, a, b) → block`, kind `jacobian` (output, input) or `hessian` (input, input).
    blocks: BTreeMap<(String, usize, usize), Tensor<f64>>,
}

fn fixtures() -> BTreeMap<String, Case> {
    let text = include_str!("fixtures/functional.txt");
    let mut cases: BTreeMap<String, Case> = BTreeMap::new();
    let mut current = String::new();
    let tensor = |dims: &str, values: &[&str]| {
        let dims: Vec<usize> = if dims == "-" { vec![] } else { dims.split(',').map(|d| d.parse().unwrap()).collect() };
        let data: Vec<f64> = values.iter().map(|v| v.parse().unwrap()).collect();
        Tensor::from_vec(data, dims).unwrap()
    };
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let words: Vec<&str> = line.split(' ').collect();
        match words[0] {
            "case" => {
                current = words[1].to_string();
                cases.entry(current.clone()).or_default();
            }
            "input" => {
                let case = cases.get_mut(&current).unwrap();
                assert_eq!(words[1].parse::<usize>().unwrap(), case.inputs.len());
                case.inputs.push(tensor(words[2], &words[3..]));
            }
            kind => {
                let key = (kind.to_string(), words[1].parse().unwrap(), words[2].parse().unwrap());
                cases.get_mut(&current).unwrap().blocks.insert(key, tensor(words[3], &words[4..]));
            }
        }
    }
    cases
}

/// The fixtures' functions, written with chainrule's ops.
fn function<'t>(name: &str, x: &[Var<'t, f64>]) -> Result<Vec<Var<'t, f64>>> {
    let tape = x[0].tape();
    let column = |v: &Var<'t, f64>| v.unsqueeze(1);
    Ok(match name {
        "mlp" => {
            let hidden = x[1].matmul(&column(&x[0])?)?.squeeze(1)?.add(&x[2])?.tanh();
            vec![x[3].matmul(&column(&hidden)?)?.squeeze(1)?]
        }
        "log_softmax_rows" => vec![x[0].log_softmax(1)?],
        "two_outputs" => vec![x[0].mul(&x[1])?, x[0].exp().add(&x[1])?.sum()],
        "logistic_loss" => {
            let data = [0.5, -1.0, 2.0, 1.5, 0.3, -0.7, -1.2, 0.8, 0.1, 0.9, -0.4, 1.1];
            let features = tape.constant(Tensor::from_vec(data.to_vec(), [4, 3])?);
            let labels = tape.constant(Tensor::vector(&[1.0, -1.0, 1.0, -1.0]));
            let margin = features.matmul(&column(&x[0])?)?.squeeze(1)?.add(&x[1])?;
            vec![labels.neg().mul(&margin)?.softplus().mean()]
        }
        "mixed" => vec![x[0].sin().mul(&x[0].powf(2.0))?.sum().add(&x[0].logsumexp(1, false)?.sum())?],
        "gradient_penalty" => {
            let at = tape.var(Tensor::vector(&[0.3, -0.8, 1.1]));
            let out = x[0].matmul(&column(&at)?)?.tanh().sum();
            let [gx] = grad_with(&[&out], None, &[&at], GradOptions::create_graph())?.try_into().unwrap();
            vec![gx.powf(2.0).sum()]
        }
        other => panic!("no function {other}"),
    })
}

#[track_caller]
fn assert_close(actual: &Tensor<f64>, expected: &Tensor<f64>, tol: f64, what: &str) {
    assert_eq!(actual.dims(), expected.dims(), "{what}: shapes");
    for (k, (a, e)) in actual.data().iter().zip(expected.data()).enumerate() {
        assert!((a - e).abs() <= tol * (1.0 + e.abs()), "{what}, element {k}: {a} vs {e}");
    }
}

fn constants<'t>(tape: &'t Tape<f64>, xs: &[Tensor<f64>]) -> Vec<Var<'t, f64>> {
    xs.iter().map(|x| tape.constant(x.clone())).collect()
}

fn check_blocks(blocks: &Blocks<'_, f64>, case: &Case, kind: &str, name: &str, how: &str) {
    let mut compared = 0;
    for ((k, a, b), expected) in &case.blocks {
        if k == kind {
            assert_close(blocks[*a][*b].value(), expected, 1e-12, &format!("{name}: {how} block ({a}, {b})"));
            compared += 1;
        }
    }
    assert!(compared > 0, "{name}: no {kind} blocks");
    assert_eq!(compared, blocks.iter().map(Vec::len).sum::<usize>(), "{name}: every block has a reference");
}

#[test]
fn jacobians_match_pytorch_by_rows_by_columns_and_by_choice() {
    let cases = fixtures();
    for name in ["mlp", "log_softmax_rows", "two_outputs"] {
        let case = &cases[name];
        let tape = Tape::<f64>::new();
        let x = constants(&tape, &case.inputs);
        let options = GradOptions::default();
        check_blocks(&jacrev(|x| function(name, x), &x, options).unwrap(), case, "jacobian", name, "jacrev");
        check_blocks(&jacfwd(|x| function(name, x), &x, options).unwrap(), case, "jacobian", name, "jacfwd");
        check_blocks(&jacobian(|x| function(name, x), &x, options).unwrap(), case, "jacobian", name, "jacobian");
    }
}

#[test]
fn hessians_match_pytorch() {
    let cases = fixtures();
    for name in ["logistic_loss", "mixed", "gradient_penalty"] {
        let case = &cases[name];
        let tape = Tape::<f64>::new();
        let x = constants(&tape, &case.inputs);
        let h = hessian(|x| function(name, x), &x, GradOptions::default()).unwrap();
        check_blocks(&h, case, "hessian", name, "hessian");
        // Each Hessian-vector product with a unit vector is a column of the Hessian.
        for (j, xj) in case.inputs.iter().enumerate() {
            for e in 0..xj.numel() {
                let v: Vec<Var<'_, f64>> = case
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(i, xi)| {
                        let mut t = Tensor::zeros(xi.shape().clone());
                        if i == j {
                            t.data_mut()[e] = 1.0;
                        }
                        tape.constant(t)
                    })
                    .collect();
                let (_, hv) = hvp(|x| function(name, x), &x, &v, GradOptions::default()).unwrap();
                for (i, hv) in hv.iter().enumerate() {
                    let block = &case.blocks[&("hessian".to_string(), i, j)];
                    let rows = hv.numel();
                    let column: Vec<f64> = (0..rows).map(|r| block.data()[r * xj.numel() + e]).collect();
                    assert_close(hv.value(), &Tensor::from_vec(column, hv.shape().clone()).unwrap(), 1e-12, name);
                }
            }
        }
    }
}

// --- Finite differences -------------------------------------------------------------------

/// `(f(x + εv) − f(x − εv)) / 2ε` for every output.
fn directional_difference(name: &str, x: &[Tensor<f64>], v: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    let eps = 1e-6;
    let at = |sign: f64| {
        let tape = Tape::<f64>::new();
        let moved: Vec<Tensor<f64>> = x
            .iter()
            .zip(v)
            .map(|(x, v)| {
                let data = x.data().iter().zip(v.data()).map(|(a, b)| a + sign * eps * b).collect();
                Tensor::from_vec(data, x.shape().clone()).unwrap()
            })
            .collect();
        let vars = constants(&tape, &moved);
        function(name, &vars).unwrap().iter().map(|y| y.value().clone()).collect::<Vec<_>>()
    };
    let (plus, minus) = (at(1.0), at(-1.0));
    plus.iter()
        .zip(&minus)
        .map(|(p, m)| {
            let data = p.data().iter().zip(m.data()).map(|(a, b)| (a - b) / (2.0 * eps)).collect();
            Tensor::from_vec(data, p.shape().clone()).unwrap()
        })
        .collect()
}

fn random_like(xs: &[Tensor<f64>], seed: u64) -> Vec<Tensor<f64>> {
    use rand::{rngs::StdRng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(seed);
    xs.iter().map(|x| Tensor::rand_normal(x.shape().clone(), 0.0, 1.0, &mut rng)).collect()
}

#[test]
fn jvp_and_vjp_agree_with_finite_differences() {
    let cases = fixtures();
    for (name, case) in &cases {
        let v = random_like(&case.inputs, 1);
        let numeric = directional_difference(name, &case.inputs, &v);
        let tape = Tape::<f64>::new();
        let x = constants(&tape, &case.inputs);
        let v_vars = constants(&tape, &v);
        let (ys, tangents) = jvp(|x| function(name, x), &x, &v_vars, GradOptions::default()).unwrap();
        for (t, n) in tangents.iter().zip(&numeric) {
            assert_close(t.value(), n, 1e-7, &format!("{name}: jvp"));
        }
        // ⟨u, J·v⟩ = ⟨Jᵀu, v⟩: the cotangents pulled back meet the tangents pushed forward.
        let u = random_like(&ys.iter().map(|y| y.value().clone()).collect::<Vec<_>>(), 2);
        let u_vars = constants(&tape, &u);
        let (_, pulled) = vjp(|x| function(name, x), &x, &u_vars, GradOptions::default()).unwrap();
        let dot = |a: &Tensor<f64>, b: &Tensor<f64>| a.data().iter().zip(b.data()).map(|(a, b)| a * b).sum::<f64>();
        let forward: f64 = u.iter().zip(&numeric).map(|(u, n)| dot(u, n)).sum();
        let reverse: f64 = pulled.iter().zip(&v).map(|(g, v)| dot(g.value(), v)).sum();
        assert!((forward - reverse).abs() <= 1e-7 * (1.0 + forward.abs()), "{name}: {forward} vs {reverse}");
    }
}

#[test]
fn hessian_vector_products_agree_with_finite_differences_of_the_gradient() {
    let cases = fixtures();
    let case = &cases["mixed"];
    let v = random_like(&case.inputs, 3);
    let gradient_at = |x: &Tensor<f64>| {
        let tape = Tape::<f64>::new();
        let x = tape.var(x.clone());
        let y = function("mixed", std::slice::from_ref(&x)).unwrap().remove(0);
        let [g] = grad_with(&[&y], None, &[&x], GradOptions::default()).unwrap().try_into().unwrap();
        g.value().clone()
    };
    let eps = 1e-6;
    let shifted = |s: f64| {
        let data = case.inputs[0].data().iter().zip(v[0].data()).map(|(a, b)| a + s * eps * b).collect();
        gradient_at(&Tensor::from_vec(data, case.inputs[0].shape().clone()).unwrap())
    };
    let (plus, minus) = (shifted(1.0), shifted(-1.0));
    let numeric: Vec<f64> = plus.data().iter().zip(minus.data()).map(|(a, b)| (a - b) / (2.0 * eps)).collect();
    let tape = Tape::<f64>::new();
    let x = constants(&tape, &case.inputs);
    let v_vars = constants(&tape, &v);
    let (_, hv) = hvp(|x| function("mixed", x), &x, &v_vars, GradOptions::default()).unwrap();
    assert_close(hv[0].value(), &Tensor::from_vec(numeric, hv[0].shape().clone()).unwrap(), 1e-7, "hvp");
}

// --- Nesting ------------------------------------------------------------------------------

#[test]
fn a_third_derivative_is_the_jacobian_of_a_hessian() {
    // f(x) = Σ tanh(xᵢ): f‴ = −2(1 − t²)(1 − 3t²) on the diagonal of a diagonal tensor.
    let points = [-1.3, 0.2, 0.9];
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::vector(&points));
    let third = jacobian(
        |x| Ok(hessian(|x| Ok(x[0].tanh().sum()), x, GradOptions::create_graph())?.remove(0).remove(0)),
        &[&x],
        GradOptions::default(),
    )
    .unwrap();
    let d3 = third[0][0].value();
    assert_eq!(d3.dims(), &[3, 3, 3]);
    for (i, point) in points.iter().enumerate() {
        for j in 0..3 {
            for k in 0..3 {
                let t = point.tanh();
                let expected = if i == j && j == k { -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t) } else { 0.0 };
                assert!((d3.at(&[i, j, k]) - expected).abs() < 1e-12, "({i}, {j}, {k})");
            }
        }
    }
}

/// `‖∂/∂x Σ tanh(W·x)‖²` at a fixed x, the gradient taken with `vjp`.
fn penalty<'t>(w: &[Var<'t, f64>]) -> Result<Var<'t, f64>> {
    let tape = w[0].tape();
    let at = tape.constant(Tensor::vector(&[0.3, -0.8, 1.1]));
    let w = w[0].clone();
    let one = tape.scalar(1.0);
    let (_, gx) =
        vjp(|x| Ok(w.matmul(&x[0].unsqueeze(1)?)?.tanh().sum()), &[&at], &[&one], GradOptions::create_graph())?;
    Ok(gx[0].powf(2.0).sum())
}

#[test]
fn the_hessian_of_a_gradient_penalty_through_nested_transforms() {
    // The gradient penalty written with `vjp` instead of `grad_with`; its Hessian forward over
    // reverse and reverse over reverse: both against PyTorch.
    let cases = fixtures();
    let case = &cases["gradient_penalty"];
    let expected = &case.blocks[&("hessian".to_string(), 0, 0)];
    let tape = Tape::<f64>::new();
    let w = constants(&tape, &case.inputs);
    let h = hessian(penalty, &w, GradOptions::default()).unwrap();
    assert_close(h[0][0].value(), expected, 1e-12, "hessian (forward over reverse)");
    let by_rows = jacrev(
        |w| Ok(vjp(penalty, w, &[&w[0].scalar(1.0)], GradOptions::create_graph())?.1),
        &w,
        GradOptions::default(),
    )
    .unwrap();
    assert_close(by_rows[0][0].value(), expected, 1e-12, "hessian (reverse over reverse)");
}

#[test]
fn transforms_with_create_graph_can_be_differentiated_again() {
    // g(x) = ⟨H(x)·v, w⟩ for f = Σ xᵢ⁴: H = diag(12xᵢ²), so ∂g/∂xᵢ = 24xᵢvᵢwᵢ.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::vector(&[0.5, -1.0, 2.0]));
    let v = tape.constant(Tensor::vector(&[1.0, 2.0, -1.0]));
    let w = tape.constant(Tensor::vector(&[0.5, 0.25, 3.0]));
    let (_, hv) = hvp(|x| Ok(x[0].powf(4.0).sum()), &[&x], &[&v], GradOptions::create_graph()).unwrap();
    assert!(hv[0].is_tracked());
    let g = hv[0].mul(&w).unwrap().sum();
    g.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![24.0 * 0.5 * 0.5, -24.0 * 2.0 * 0.25, -24.0 * 2.0 * 3.0]);

    // Without create_graph the results are constants.
    let (_, hv) =
        hvp(|x| Ok(x[0].powf(4.0).sum()), &[&x], &[&tape.constant(Tensor::ones([3]))], GradOptions::default()).unwrap();
    assert!(!hv[0].is_tracked());

    // A tracked tangent: jvp is linear in it, and its derivative in it is the Jacobian.
    let t = tape.var(Tensor::vector(&[1.0, 1.0, 1.0]));
    let (_, dy) = jvp(|x| Ok(x[0].sin().sum()), &[&x], &[&t], GradOptions::create_graph()).unwrap();
    let [dt] = grad_with(&[&dy[0]], None, &[&t], GradOptions::default()).unwrap().try_into().unwrap();
    assert_eq!(dt.value().to_vec(), x.value().data().iter().map(|x| x.cos()).collect::<Vec<_>>());
}

#[test]
fn a_transform_of_tracked_values_counts_only_paths_through_its_arguments() {
    // f reads z = 2x from the enclosing computation, and gets x itself as its argument: the
    // Jacobian is that of f in its argument (3), not of the whole expression (3 + 2).
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::scalar(1.5));
    let z = x.mul_scalar(2.0);
    let j = jacobian(|a| a[0].mul_scalar(3.0).add(&z), &[&x], GradOptions::create_graph()).unwrap();
    assert_eq!(j[0][0].item(), 3.0);
    // And the results stay connected to what the point was computed from.
    let y = x.powf(2.0);
    let (_, dy) = jvp(|a| Ok(a[0].exp()), &[&y], &[&tape.scalar(1.0)], GradOptions::create_graph()).unwrap();
    let [d] = grad_with(&[&dy[0]], None, &[&x], GradOptions::default()).unwrap().try_into().unwrap();
    // d/dx e^(x²) = 2x·e^(x²)
    assert!((d.item() - 3.0 * 2.25f64.exp()).abs() < 1e-12);
}

// --- Custom ops -------------------------------------------------------------------------

/// y = x³ with a differentiable backward.
struct Cube;
impl CustomOp<f64> for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(inputs[0].map(|x| x * x * x))
    }
    fn backward<'t>(
        &self,
        inputs: &[Var<'t, f64>],
        _output: &Var<'t, f64>,
        grad: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        Ok(vec![Some(grad.mul(&inputs[0].powf(2.0).mul_scalar(3.0))?)])
    }
}

/// y = x³ with a backward computed on raw tensors (first order only).
struct RawCube;
impl CustomOp<f64> for RawCube {
    fn name(&self) -> &'static str {
        "raw_cube"
    }
    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>> {
        Ok(inputs[0].map(|x| x * x * x))
    }
    fn backward<'t>(
        &self,
        inputs: &[Var<'t, f64>],
        _output: &Var<'t, f64>,
        grad: &Var<'t, f64>,
    ) -> Result<Vec<Option<Var<'t, f64>>>> {
        let d: Vec<f64> =
            inputs[0].value().data().iter().zip(grad.value().data()).map(|(x, g)| 3.0 * x * x * g).collect();
        Ok(vec![Some(grad.constant(Tensor::from_vec(d, grad.shape().clone())?))])
    }
}

#[test]
fn custom_ops_go_forward_through_their_backward() {
    let op: Arc<dyn CustomOp<f64>> = Arc::new(Cube);
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::vector(&[0.5, -2.0]));
    let v = tape.constant(Tensor::vector(&[1.0, 3.0]));
    let (_, t) = jvp(|x| Var::apply_custom(&op, &[&x[0].sin()]), &[&x], &[&v], GradOptions::default()).unwrap();
    let expected: Vec<f64> =
        [(0.5f64, 1.0), (-2.0, 3.0)].iter().map(|&(x, v)| 3.0 * x.sin().powi(2) * x.cos() * v).collect();
    for (a, e) in t[0].value().data().iter().zip(&expected) {
        assert!((a - e).abs() < 1e-12, "{a} vs {e}");
    }
    // Second order through it, forward over reverse.
    let h = hessian(|x| Ok(Var::apply_custom(&op, &[&x[0]])?.sum()), &[&x], GradOptions::default()).unwrap();
    assert_eq!(h[0][0].value().to_vec(), vec![3.0, 0.0, 0.0, -12.0]);

    let raw: Arc<dyn CustomOp<f64>> = Arc::new(RawCube);
    let err =
        jvp(|x| Var::apply_custom(&raw, &[&x[0]]), &[&x], &[&tape.constant(Tensor::ones([2]))], GradOptions::default())
            .unwrap_err();
    assert!(matches!(err, Error::Custom { op: "raw_cube", .. }), "{err}");
    assert!(err.to_string().contains("written with Var ops"), "{err}");
}

// --- Errors -------------------------------------------------------------------------------

#[test]
fn wrong_tangents_non_scalar_hessians_and_empty_inputs_are_errors() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::vector(&[1.0, 2.0]));
    let options = GradOptions::default();
    let err = jvp(|x| Ok(x[0].exp()), &[&x], &[&tape.constant(Tensor::ones([3]))], options).unwrap_err();
    assert!(err.to_string().contains("tangent 0 has shape [3] but primal 0 has shape [2]"), "{err}");
    assert!(err.to_string().contains("functional.rs"), "names the caller: {err}");
    let err = jvp(|x| Ok(x[0].exp()), &[&x], &[] as &[Var<'_, f64>], options).unwrap_err();
    assert!(err.to_string().contains("0 tangents for 1 primals"), "{err}");
    let err = vjp(|x| Ok(x[0].exp()), &[&x], &[&tape.scalar(1.0)], options).unwrap_err();
    assert!(err.to_string().contains("cotangent 0 has shape [] but output 0 has shape [2]"), "{err}");
    let err = hessian(|x| Ok(x[0].exp()), &[&x], options).unwrap_err();
    assert!(err.to_string().contains("must return one scalar, got shape [2]"), "{err}");
    let err = jacobian(|x| Ok(x[0].exp()), &[] as &[Var<'_, f64>], options).unwrap_err();
    assert!(err.to_string().contains("no inputs"), "{err}");
    let other = Tape::<f64>::new();
    let err = jvp(|x| Ok(x[0].exp()), &[&x], &[&other.constant(Tensor::ones([2]))], options).unwrap_err();
    assert!(matches!(err, Error::TapeMismatch { .. }), "{err}");
}

#[test]
fn outputs_that_do_not_depend_on_the_inputs_have_zero_derivatives() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::vector(&[1.0, 2.0]));
    let c = tape.constant(Tensor::vector(&[5.0, 6.0, 7.0]));
    let j = jacobian(|_| Ok(c.clone()), &[&x], GradOptions::default()).unwrap();
    assert_eq!(j[0][0].dims(), &[3, 2]);
    assert!(j[0][0].value().data().iter().all(|&v| v == 0.0));
    let j = jacfwd(|x| Ok(vec![x[0].exp(), c.clone()]), &[&x], GradOptions::default()).unwrap();
    assert_eq!(j[1][0].value().to_vec(), vec![0.0; 6]);
}
