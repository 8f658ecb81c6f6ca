//! Results do not depend on the number of threads, bit for bit: elementwise kernels and their
//! fused backward passes, sums over rows (bias gradients, totals) and matrix products above the
//! sizes where they are split across threads give the same bits on 1, 2 and 3 threads. The
//! inputs are large enough to be split (more than `parallel::PARALLEL_MIN` elements, products
//! above the GEMM threading threshold).

use autograd::parallel::PARALLEL_MIN;
use autograd::{set_num_threads, Float, Tape, Tensor, Var};
use std::sync::{Mutex, PoisonError};

/// The tests change the process-wide thread count: one at a time.
static THREAD_COUNT: Mutex<()> = Mutex::new(());

/// A deterministic tensor with values spread over [−3, 3).
fn spread<T: Float>(dims: &[usize], salt: usize) -> Tensor<T> {
    Tensor::from_fn(dims.to_vec(), |i| T::from_f64(((i * 7919 + salt * 104_729) % 6007) as f64 / 1001.0 - 3.0))
}

/// Runs `compute` with each thread count and asserts that the tensors it returns have the same
/// bits every time.
fn same_bits_on_any_thread_count<T: Float>(what: &str, compute: impl Fn() -> Vec<Tensor<T>>) {
    let _lock = THREAD_COUNT.lock().unwrap_or_else(PoisonError::into_inner);
    set_num_threads(1).unwrap();
    let one = compute();
    for threads in [2, 3] {
        set_num_threads(threads).unwrap();
        let many = compute();
        assert_eq!(one.len(), many.len());
        for (i, (a, b)) in one.iter().zip(&many).enumerate() {
            // PartialEq on tensors compares values; NaN never equals itself, so compare bits.
            let bits = |t: &Tensor<T>| t.data().iter().map(|v| v.to_f64().to_bits()).collect::<Vec<_>>();
            assert!(a.shape() == b.shape() && bits(a) == bits(b), "{what}: output {i} differs on {threads} threads");
        }
    }
    set_num_threads(1).unwrap();
}

/// Every unary elementwise op with a fused first-order backward, on 153,600 elements.
fn unary_ops<T: Float>() -> Vec<Tensor<T>> {
    let x0 = spread::<T>(&[512, 300], 1);
    assert!(x0.numel() > PARALLEL_MIN);
    let weights = spread::<T>(&[512, 300], 2);
    let tape = Tape::new();
    let x = tape.var(x0);
    let r = tape.constant(weights);
    let ops: Vec<(&str, Var<'_, T>)> = vec![
        ("sigmoid", x.sigmoid()),
        ("tanh", x.tanh()),
        ("exp", x.exp()),
        ("relu", x.relu()),
        ("powf 2", x.powf(T::from_f64(2.0))),
        ("abs", x.abs()),
        ("softplus", x.softplus()),
        ("sin", x.sin()),
    ];
    let mut outputs = Vec::new();
    let mut loss = x.sum();
    for (_, y) in &ops {
        outputs.push(y.value().clone());
        loss = loss.add(&y.mul(&r).unwrap().sum()).unwrap();
    }
    loss.backward().unwrap();
    outputs.push(x.grad().expect("x is a leaf in the loss"));
    outputs
}

#[test]
fn elementwise_ops_and_their_gradients() {
    same_bits_on_any_thread_count("unary ops, f32", unary_ops::<f32>);
    same_bits_on_any_thread_count("unary ops, f64", unary_ops::<f64>);
}

#[test]
fn binary_ops_and_their_gradients() {
    same_bits_on_any_thread_count("binary ops", || {
        let tape = Tape::<f32>::new();
        let a = tape.var(spread(&[400, 250], 3));
        let b = tape.var(spread::<f32>(&[400, 250], 4).map(|v| v.abs() + 0.5));
        let outputs = [a.add(&b), a.sub(&b), a.mul(&b), a.div(&b), a.maximum(&b)].map(|y| y.unwrap());
        let mut loss = tape.scalar(0.0);
        for (k, y) in outputs.iter().enumerate() {
            loss = loss.add(&y.mul_scalar(1.0 + k as f32).sum()).unwrap();
        }
        loss.backward().unwrap();
        let mut values: Vec<Tensor<f32>> = outputs.iter().map(|y| y.value().clone()).collect();
        values.extend([a.grad().unwrap(), b.grad().unwrap()]);
        values
    });
}

#[test]
fn sums_over_rows_and_totals() {
    same_bits_on_any_thread_count("sums", || {
        let tape = Tape::<f32>::new();
        // A bias gradient over 2,048 rows (several blocks of rows) and a total of 266,240 values.
        let g = tape.var(spread(&[2048, 130], 5));
        let bias = g.sum_to([130]).unwrap();
        let total = g.sum();
        let loss = bias.mul(&tape.constant(spread(&[130], 6))).unwrap().sum().add(&total).unwrap();
        loss.backward().unwrap();
        vec![bias.value().clone(), total.value().clone(), g.grad().unwrap()]
    });
}

#[test]
fn linear_layers_forward_and_backward() {
    same_bits_on_any_thread_count("linear 784 -> 256 at batch 512", || {
        let tape = Tape::<f32>::new();
        let x = tape.constant(spread::<f32>(&[512, 784], 7).map(|v| v / 3.0));
        let w = tape.var(spread::<f32>(&[256, 784], 8).map(|v| v / 100.0));
        let b = tape.var(spread(&[256], 9));
        let h = x.linear(&w, Some(&b)).unwrap().relu();
        let w2 = tape.var(spread::<f32>(&[10, 256], 10).map(|v| v / 30.0));
        let logits = h.linear(&w2, None).unwrap();
        let loss = logits.log_softmax(1).unwrap().sum();
        loss.backward().unwrap();
        vec![h.value().clone(), logits.value().clone(), w.grad().unwrap(), b.grad().unwrap(), w2.grad().unwrap()]
    });
}

/// Threaded products split the output into blocks of columns (more columns than rows) or of
/// rows (more rows), of sizes that divide nothing evenly here, with transposed operands too.
#[test]
fn products_split_by_columns_and_by_rows() {
    same_bits_on_any_thread_count("matmul in blocks", || {
        let tape = Tape::<f64>::new();
        let wide = (tape.var(spread(&[67, 517], 12)), tape.var(spread(&[517, 389], 13)));
        let tall = (tape.var(spread(&[301, 517], 14)), tape.var(spread(&[203, 517], 15)));
        let products = [
            wide.0.matmul(&wide.1).unwrap(),
            tall.0.matmul_t(&tall.1, false, true).unwrap(),
            wide.1.matmul_t(&wide.0, true, true).unwrap(),
        ];
        let loss = products.iter().map(|p| p.sum()).reduce(|a, b| a.add(&b).unwrap()).unwrap();
        loss.backward().unwrap();
        let mut values: Vec<Tensor<f64>> = products.iter().map(|p| p.value().clone()).collect();
        values.extend([&wide.0, &wide.1, &tall.0, &tall.1].map(|v| v.grad().unwrap()));
        values
    });
}

/// The sums are blocked (so that they need not depend on the thread count) but stay sums:
/// within rounding of the sum computed in f64.
#[test]
fn blocked_sums_are_sums() {
    let values = spread::<f32>(&[300_000], 11);
    let tape = Tape::<f32>::new();
    let total = tape.constant(values.clone()).sum().item();
    let exact: f64 = values.data().iter().map(|&v| f64::from(v)).sum();
    assert!((f64::from(total) - exact).abs() < 1e-6 * values.data().iter().map(|&v| f64::from(v.abs())).sum::<f64>());
}
