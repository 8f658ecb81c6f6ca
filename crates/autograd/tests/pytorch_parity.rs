//! The ops that follow PyTorch's calling conventions against PyTorch itself: `torch.matmul`'s
//! vector, broadcast and transposed cases; `gather`, `scatter_add`, `index_add` and
//! `index_select` with several indices per lane and repeats; reductions over several and
//! negative dims; `argmax`, `argmin` and `topk` with ties and NaN. Values and the gradients of
//! `sum(out · r)` for a fixed, not all-ones `r`, from `fixtures/parity.json`, which
//! `scripts/autograd_parity_fixtures.py` wrote (float64). Each group prints its largest
//! difference (`cargo test -p chainrule-autograd --release --test pytorch_parity -- --nocapture`).

use autograd::{Indices, Tape, Tensor, Var};
use serde_json::Value;

const TOL: f64 = 1e-12;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/parity.json")).expect("the fixture is JSON")
}

fn dims(v: &Value) -> Vec<usize> {
    v["shape"].as_array().expect("a shape").iter().map(|d| d.as_u64().expect("a dim") as usize).collect()
}

fn tensor(v: &Value) -> Tensor<f64> {
    let data = v["data"].as_array().expect("data").iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect();
    Tensor::from_vec(data, dims(v)).expect("data fills the shape")
}

fn indices(v: &Value) -> Indices {
    let data = v["data"].as_array().expect("data").iter().map(|x| x.as_u64().expect("an index") as usize).collect();
    Indices::new(data, dims(v)).expect("data fills the shape")
}

fn int(v: &Value) -> i64 {
    v.as_i64().expect("an integer")
}

/// The largest difference between two tensors of the same shape (NaN equal to NaN); panics,
/// naming `what`, if the shapes differ.
fn diff(what: &str, got: &Tensor<f64>, want: &Tensor<f64>) -> f64 {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    got.data()
        .iter()
        .zip(want.data())
        .map(|(&a, &b)| if a.is_nan() && b.is_nan() { 0.0 } else { (a - b).abs() })
        .fold(0.0, |m, d| if d.is_nan() { f64::INFINITY } else { m.max(d) })
}

/// Checks a group's largest difference against the tolerance and prints it.
fn report(group: &str, cases: usize, worst: f64) {
    println!("{group}: {cases} cases, largest difference from PyTorch {worst:.1e}");
    assert!(cases > 0, "{group}: no cases in the fixture");
    assert!(worst <= TOL, "{group}: largest difference {worst:e} > {TOL:e}");
}

/// `out`'s value against the fixture's, then the gradients of `sum(out · r)` against `grads`.
fn compare<'t>(what: &str, out: &Var<'t, f64>, case: &Value, out_key: &str, grads: &[(&Var<'t, f64>, &str)]) -> f64 {
    let mut worst = diff(&format!("{what} value"), out.value(), &tensor(&case[out_key]));
    let r = out.constant(tensor(&case["r"]));
    out.mul(&r).unwrap().sum().backward().unwrap();
    for (x, key) in grads {
        let g = x.grad().unwrap_or_else(|| Tensor::zeros(x.shape().clone()));
        worst = worst.max(diff(&format!("{what} {key}"), &g, &tensor(&case[*key])));
    }
    worst
}

#[test]
fn matmul_follows_torch_matmul() {
    let cases = fixture()["matmul"].as_array().unwrap().clone();
    let mut worst: f64 = 0.0;
    for (n, case) in cases.iter().enumerate() {
        let tape = Tape::new();
        let (a, b) = (tape.var(tensor(&case["a"])), tape.var(tensor(&case["b"])));
        let (ta, tb) = (case["transpose_a"].as_bool().unwrap(), case["transpose_b"].as_bool().unwrap());
        let what = format!("matmul case {n} ({:?} @ {:?}, transposed {ta} {tb})", a.dims(), b.dims());
        let out = a.matmul_t(&b, ta, tb).unwrap_or_else(|e| panic!("{what}: {e}"));
        worst = worst.max(compare(&what, &out, case, "out", &[(&a, "grad_a"), (&b, "grad_b")]));
    }
    report("matmul", cases.len(), worst);
}

#[test]
fn gather_scatter_add_and_index_add_follow_pytorch() {
    let fixture = fixture();
    let mut worst: f64 = 0.0;
    let cases = fixture["gather"].as_array().unwrap();
    for (n, case) in cases.iter().enumerate() {
        let tape = Tape::new();
        let x = tape.var(tensor(&case["x"]));
        let out = x.gather(int(&case["dim"]), &indices(&case["index"])).unwrap();
        worst = worst.max(compare(&format!("gather case {n}"), &out, case, "out", &[(&x, "grad_x")]));
    }
    report("gather", cases.len(), worst);

    let mut worst: f64 = 0.0;
    let cases = fixture["scatter_add"].as_array().unwrap();
    for (n, case) in cases.iter().enumerate() {
        let tape = Tape::new();
        let (x, src) = (tape.var(tensor(&case["x"])), tape.var(tensor(&case["src"])));
        let out = x.scatter_add(int(&case["dim"]), &indices(&case["index"]), &src).unwrap();
        let grads = [(&x, "grad_x"), (&src, "grad_src")];
        worst = worst.max(compare(&format!("scatter_add case {n}"), &out, case, "out", &grads));
    }
    report("scatter_add", cases.len(), worst);

    let mut worst: f64 = 0.0;
    let cases = fixture["index_add"].as_array().unwrap();
    for (n, case) in cases.iter().enumerate() {
        let index = indices(&case["index"]).to_vec();
        let tape = Tape::new();
        let (x, source) = (tape.var(tensor(&case["x"])), tape.var(tensor(&case["source"])));
        let out = x.index_add(int(&case["dim"]), &index, &source).unwrap();
        let grads = [(&x, "grad_x"), (&source, "grad_source")];
        worst = worst.max(compare(&format!("index_add case {n}"), &out, case, "out", &grads));
        // index_select, its adjoint, on the same index.
        let tape = Tape::new();
        let x = tape.var(tensor(&case["x"]));
        let out = x.index_select(int(&case["dim"]), &index).unwrap();
        let mut select = case.clone();
        select["r"] = case["select_r"].clone();
        worst =
            worst.max(compare(&format!("index_select case {n}"), &out, &select, "select", &[(&x, "select_grad_x")]));
    }
    report("index_add and index_select", cases.len(), worst);
}

#[test]
fn reductions_over_several_and_negative_dims_follow_pytorch() {
    let cases = fixture()["reductions"].as_array().unwrap().clone();
    let mut worst: f64 = 0.0;
    for (n, case) in cases.iter().enumerate() {
        let tape = Tape::new();
        let x = tape.var(tensor(&case["x"]));
        let dims: Vec<i64> = case["dims"].as_array().unwrap().iter().map(int).collect();
        let keepdim = case["keepdim"].as_bool().unwrap();
        let op = case["op"].as_str().unwrap();
        let out = match op {
            "logsumexp" => x.logsumexp(&dims, keepdim),
            "sum" => x.sum_axes(&dims, keepdim),
            "mean" => x.mean_axes(&dims, keepdim),
            "amax" => x.max_axes(&dims, keepdim),
            "amin" => x.min_axes(&dims, keepdim),
            "softmax" => x.softmax(dims[0]),
            "log_softmax" => x.log_softmax(dims[0]),
            other => panic!("case {n}: unknown op {other}"),
        }
        .unwrap();
        let what = format!("{op} case {n} over {dims:?} of {:?} (keepdim {keepdim})", x.dims());
        worst = worst.max(compare(&what, &out, case, "out", &[(&x, "grad_x")]));
    }
    report("reductions", cases.len(), worst);
}

#[test]
fn argmax_and_argmin_follow_pytorch_with_ties_and_nan() {
    let cases = fixture()["argmax"].as_array().unwrap().clone();
    for case in &cases {
        let x = tensor(&case["x"]);
        let (dim, keepdim) = (int(&case["dim"]), case["keepdim"].as_bool().unwrap());
        assert_eq!(x.argmax(dim, keepdim).unwrap(), indices(&case["argmax"]), "argmax of {x:?} along {dim}");
        assert_eq!(x.argmin(dim, keepdim).unwrap(), indices(&case["argmin"]), "argmin of {x:?} along {dim}");
        let tape = Tape::new();
        assert_eq!(tape.var(x.clone()).argmax(dim, keepdim).unwrap(), indices(&case["argmax"]));
    }
    println!("argmax and argmin: {} cases, all positions equal to PyTorch's", cases.len());
    assert!(cases.len() >= 10, "the fixture has the cases");
}

/// `positions` (of shape `[.., k, ..]` along `axis`) sorted within each lane: PyTorch's order for
/// `sorted=False` is unspecified, so unsorted cases compare the sets of positions.
fn sorted_lanes(positions: &Indices, axis: usize) -> Vec<usize> {
    let d = positions.dims();
    let (k, inner) = (d[axis], d[axis + 1..].iter().product::<usize>());
    let outer = d[..axis].iter().product::<usize>();
    let mut out = positions.to_vec();
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| (o * k + j) * inner + i;
            let mut lane: Vec<usize> = (0..k).map(|j| out[at(j)]).collect();
            lane.sort_unstable();
            for (j, p) in lane.into_iter().enumerate() {
                out[at(j)] = p;
            }
        }
    }
    out
}

#[test]
fn topk_follows_pytorch() {
    let cases = fixture()["topk"].as_array().unwrap().clone();
    let (mut worst, mut with_positions): (f64, usize) = (0.0, 0);
    for (n, case) in cases.iter().enumerate() {
        let tape = Tape::new();
        let x = tape.var(tensor(&case["x"]));
        let (k, dim, largest) = (int(&case["k"]) as usize, int(&case["dim"]), case["largest"].as_bool().unwrap());
        let (sorted, distinct) = (case["sorted"].as_bool().unwrap(), case["distinct"].as_bool().unwrap());
        let what = format!("topk case {n}: k {k} along {dim} of {:?}, largest {largest}, sorted {sorted}", x.dims());
        let (values, positions) = x.topk(k, dim, largest).unwrap();
        let axis = if dim < 0 { (dim + x.rank() as i64) as usize } else { dim as usize };
        let want = indices(&case["indices"]);
        // Sorted, the values come in one order (ties have equal values); PyTorch's unsorted
        // order is unspecified, and ours is sorted.
        if sorted {
            worst = worst.max(diff(&what, values.value(), &tensor(&case["values"])));
        }
        if !distinct {
            continue; // PyTorch's order among ties is unspecified: the values are the comparison.
        }
        assert_eq!(sorted_lanes(&positions, axis), sorted_lanes(&want, axis), "{what}: the positions");
        if sorted {
            assert_eq!(positions, want, "{what}: the positions in order");
        }
        // The gradient of sum(values · r), r following PyTorch's positions: r placed at them in
        // x's shape, then read back at ours (the same set, so the same elements).
        let r = tape.constant(tensor(&case["r"]));
        let r_at_x = tape.constant(Tensor::zeros(x.shape().clone())).scatter_add(axis, &want, &r).unwrap();
        let r_ours = r_at_x.gather(axis, &positions).unwrap();
        values.mul(&r_ours).unwrap().sum().backward().unwrap();
        worst = worst.max(diff(&format!("{what}: gradient"), &x.grad().unwrap(), &tensor(&case["grad_x"])));
        with_positions += 1;
    }
    report("topk", cases.len(), worst);
    assert!(with_positions >= cases.len() / 2, "most cases compare positions and gradients");
}
