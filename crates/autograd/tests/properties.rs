//! Property tests over random shapes and values: broadcasting and its adjoint, shape ops that
//! undo each other, softmax invariants, and gradient checks of random compositions.

use autograd::{checkable, grad, grad_with, gradcheck, GradOptions, GradcheckOptions, Shape, Tape, Tensor, Var};
use proptest::prelude::*;
use rand::{rngs::StdRng, SeedableRng};

/// A shape of rank 0 to 4 with small dimensions.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..4, 0..=4)
}

/// A shape and a second shape that broadcasts with it (some axes set to 1, some leading axes dropped).
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape().prop_flat_map(|a| {
        let rank = a.len();
        (Just(a), prop::collection::vec(any::<bool>(), rank), 0..=rank).prop_map(|(a, ones, drop)| {
            let b: Vec<usize> = a.iter().zip(&ones).map(|(&d, &one)| if one { 1 } else { d }).skip(drop).collect();
            (a, b)
        })
    })
}

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_uniform(shape, -2.0, 2.0, &mut StdRng::seed_from_u64(seed))
}

fn dot(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    a.data().iter().zip(b.data()).map(|(x, y)| x * y).sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// ⟨broadcast(x), y⟩ = ⟨x, sum_to(y)⟩: sum_to is broadcast's adjoint, which is what makes
    /// gradients of broadcast operands right.
    #[test]
    fn sum_to_is_the_adjoint_of_broadcast((big, small) in broadcast_pair(), seed in any::<u64>()) {
        let tape = Tape::<f64>::new();
        let x = tape.constant(random(&small, seed));
        let y = tape.constant(random(&big, seed ^ 1));
        let bx = x.broadcast_to(big.as_slice()).unwrap();
        let sy = y.sum_to(small.as_slice()).unwrap();
        let (lhs, rhs) = (dot(bx.value(), y.value()), dot(x.value(), sy.value()));
        prop_assert!((lhs - rhs).abs() <= 1e-12 * (1.0 + lhs.abs()), "{lhs} vs {rhs}");
    }

    /// The gradient of a broadcasting product reaches each operand in its own shape, and equals
    /// the other operand summed over the broadcast axes.
    #[test]
    fn broadcast_gradients_have_their_inputs_shapes((big, small) in broadcast_pair(), seed in any::<u64>()) {
        let tape = Tape::<f64>::new();
        let a = tape.var(random(&big, seed));
        let b = tape.var(random(&small, seed ^ 7));
        let y = a.mul(&b).unwrap().sum();
        let [da, db] = grad(&[&y], &[&a, &b]).unwrap().try_into().unwrap();
        prop_assert_eq!(da.shape(), a.shape());
        prop_assert_eq!(db.shape(), b.shape());
        prop_assert!(da.value().max_abs_diff(b.broadcast_to(big.as_slice()).unwrap().value()) < 1e-12);
        let expected = a.sum_to(small.as_slice()).unwrap();
        prop_assert!(db.value().max_abs_diff(expected.value()) < 1e-12);
    }

    /// Binary ops over any broadcastable pair of shapes pass a full finite-difference check.
    #[test]
    fn broadcasting_composites_pass_gradcheck((big, small) in broadcast_pair(), seed in any::<u64>()) {
        let inputs = [random(&big, seed), random(&small, seed ^ 3).map(|v| v.abs() + 0.5)];
        let report = gradcheck(
            |v: &[Var<'_, f64>]| v[0].mul(&v[1])?.tanh().div(&v[1])?.sub(&v[0].sigmoid()),
            &inputs,
            &GradcheckOptions::default(),
        );
        prop_assert!(report.is_ok(), "{}", report.unwrap_err());
    }

    /// permute then the inverse permutation, and reshape then reshape back, are identities on
    /// values and on gradients.
    #[test]
    fn shape_ops_round_trip(dims in shape(), seed in any::<u64>()) {
        let tape = Tape::<f64>::new();
        let x = tape.var(random(&dims, seed));
        let rank = dims.len();
        let order: Vec<usize> = (0..rank).rev().collect(); // reversal is its own inverse
        let back = x.permute(&order).unwrap().permute(&order).unwrap();
        prop_assert_eq!(back.value(), x.value());
        let flat = x.reshape([x.numel()]).unwrap().reshape(Shape::from(dims.clone())).unwrap();
        prop_assert_eq!(flat.value(), x.value());
        let w = tape.constant(random(&dims, seed ^ 5));
        let y = back.mul(&w).unwrap().add(&flat).unwrap().sum();
        let [dx] = grad(&[&y], &[&x]).unwrap().try_into().unwrap();
        prop_assert!(dx.value().max_abs_diff(&w.value().map(|v| v + 1.0)) < 1e-12);
    }

    /// Softmax rows sum to 1, and each row of its Jacobian sums to 0 (shifting all logits
    /// changes nothing), along any axis.
    #[test]
    fn softmax_rows_sum_to_one_and_jacobian_rows_to_zero(dims in prop::collection::vec(1usize..5, 1..=3), seed in any::<u64>(), axis_pick in any::<prop::sample::Index>()) {
        let axis = axis_pick.index(dims.len());
        let tape = Tape::<f64>::new();
        let x = tape.var(random(&dims, seed));
        let s = x.softmax(axis).unwrap();
        let sums = s.sum_axes(&[axis], false).unwrap();
        prop_assert!(sums.value().data().iter().all(|v| (v - 1.0).abs() < 1e-12));
        // Jᵀ·1 = ∂(Σ softmax)/∂x = 0 for every logit.
        let ones = Tensor::ones(s.shape().clone());
        let [g] = grad_with(&[&s], Some(&[ones]), &[&x], GradOptions::default()).unwrap().try_into().unwrap();
        prop_assert!(g.value().data().iter().all(|v| v.abs() < 1e-12), "{:?}", g.value());
    }

    /// log_softmax equals log(softmax) and logsumexp equals log(Σ exp), for moderate logits.
    #[test]
    fn fused_ops_match_their_compositions(dims in prop::collection::vec(1usize..5, 1..=3), seed in any::<u64>(), axis_pick in any::<prop::sample::Index>()) {
        let axis = axis_pick.index(dims.len());
        let tape = Tape::<f64>::new();
        let x = tape.var(random(&dims, seed));
        let fused = x.log_softmax(axis).unwrap();
        let composed = x.softmax(axis).unwrap().log();
        prop_assert!(fused.value().max_abs_diff(composed.value()) < 1e-12);
        let lse = x.logsumexp(axis, true).unwrap();
        let by_hand = x.exp().sum_axes(&[axis], true).unwrap().log();
        prop_assert!(lse.value().max_abs_diff(by_hand.value()) < 1e-12);
    }

    /// The fast (random-direction) gradient check agrees with the full one on random shapes.
    #[test]
    fn fast_mode_agrees_on_random_shapes(dims in shape(), seed in any::<u64>()) {
        let inputs = [random(&dims, seed)];
        let f = checkable(|v| Ok(v[0].sin().mul(&v[0].exp())?.sum()));
        prop_assert!(gradcheck(f, &inputs, &GradcheckOptions::default()).is_ok());
        prop_assert!(gradcheck(f, &inputs, &GradcheckOptions::default().fast(3).with_seed(seed)).is_ok());
    }
}
