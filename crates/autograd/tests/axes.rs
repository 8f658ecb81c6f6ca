//! Every op that takes an axis reads a negative one from the back (`-1` is the last), as
//! PyTorch's `dim`, and rejects one out of range with an error naming the op, the axis and the
//! shape. Each op is called with each axis written both ways, and the results must be equal.

use autograd::{Indices, Result, Tape, Tensor, Var};

type Op = for<'a, 't> fn(&'a Var<'t, f64>, i32) -> Result<Var<'t, f64>>;

/// `(name, op applied along one axis)`: every public method taking an axis or axes.
fn ops() -> Vec<(&'static str, Op)> {
    vec![
        ("softmax", |x, a| x.softmax(a)),
        ("log_softmax", |x, a| x.log_softmax(a)),
        ("logsumexp", |x, a| x.logsumexp(a, false)),
        ("sum_axes", |x, a| x.sum_axes(a, true)),
        ("mean_axes", |x, a| x.mean_axes(&[a], false)),
        ("max_axes", |x, a| x.max_axes(a, false)),
        ("min_axes", |x, a| x.min_axes(&[a], true)),
        ("narrow", |x, a| x.narrow(a, 1, 1)),
        ("pad", |x, a| x.pad(a, 1, 2)),
        ("concat", |x, a| Var::concat(&[x, x], a)),
        ("squeeze", |x, a| x.narrow(a, 0, 1)?.squeeze(a)),
        ("flatten", |x, a| x.flatten(a, -1)),
        ("transpose", |x, a| x.transpose(a, -1)),
        ("permute", |x, a| {
            x.permute(&match a {
                0 | -3 => [1, a, 2],
                1 | -2 => [2, 0, a],
                _ => [a, 1, 0],
            })
        }),
        ("index_select", |x, a| x.index_select(a, &[1, 0, 1])),
        ("index_add", |x, a| x.index_add(a, &[1, 0], &x.narrow(a, 0, 2)?)),
        ("gather", |x, a| x.gather(a, &ones(x))),
        ("scatter_add", |x, a| x.scatter_add(a, &ones(x), x)),
        ("argmax", |x, a| x.gather(a, &x.argmax(a, true)?)),
        ("argmin", |x, a| x.gather(a, &x.argmin(a, true)?)),
        ("topk", |x, a| Ok(x.topk(2, a, false)?.0)),
    ]
}

/// Position 1 at every element of `x`'s shape: an index for `gather` and `scatter_add` along
/// any axis of the test's `[2, 3, 4]`.
fn ones(x: &Var<'_, f64>) -> Indices {
    Indices::new(vec![1; x.value().numel()], x.shape().clone()).unwrap()
}

#[test]
fn negative_axes_count_from_the_back() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_fn([2, 3, 4], |i| (i as f64 * 0.37).sin()));
    for (name, op) in ops() {
        for axis in 0..3 {
            let from_front = op(&x, axis).unwrap_or_else(|e| panic!("{name}({axis}): {e}"));
            let from_back = op(&x, axis - 3).unwrap_or_else(|e| panic!("{name}({}): {e}", axis - 3));
            assert_eq!(from_front.dims(), from_back.dims(), "{name}({axis}) and {name}({})", axis - 3);
            assert_eq!(from_front.value().to_vec(), from_back.value().to_vec(), "{name}({axis})");
        }
        for axis in [3, -4] {
            let e = op(&x, axis).expect_err(name).to_string();
            let expected = format!("axis {axis} out of range for shape [2, 3, 4]");
            assert!(e.contains(&expected), "{name}({axis}): {e}");
        }
    }
}

#[test]
fn inserting_an_axis_counts_the_places_from_the_back() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros([2, 3]));
    for (axis, dims) in [(-1, [2, 3, 1]), (-2, [2, 1, 3]), (-3, [1, 2, 3])] {
        assert_eq!(x.unsqueeze(axis).unwrap().dims(), &dims);
    }
    assert_eq!(Var::stack(&[&x, &x], -1).unwrap().dims(), &[2, 3, 2]);
    let e = x.unsqueeze(-4).unwrap_err().to_string();
    assert!(
        e.contains("axis -4 out of range for inserting into shape [2, 3]: 0 to 2 from the front, or -3 to -1"),
        "{e}"
    );
}

#[test]
fn several_axes_mix_both_ways_of_counting() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_fn([2, 3, 4], |i| i as f64));
    let a = x.sum_axes(&[0, -1], false).unwrap();
    let b = x.sum_axes(&vec![2usize, 0], false).unwrap();
    assert_eq!(a.value().to_vec(), b.value().to_vec());
    assert_eq!(a.value().to_vec(), vec![60., 92., 124.]);
    let e = x.max_axes(&[2, -1], false).unwrap_err().to_string();
    assert!(e.starts_with("invalid argument to max_axes: axes 2 and -1 both name axis 2 of shape [2, 3, 4]"), "{e}");
    assert_eq!(x.mean_axes(&[-3, -2, -1], false).unwrap().item(), 11.5);
}
