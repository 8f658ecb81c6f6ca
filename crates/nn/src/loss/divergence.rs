//! Kullback–Leibler divergence with PyTorch's `kl_div` semantics.

use super::{check_same_shape, Reduction};
use crate::{Error, Result};
use autograd::{Float, Site, Var};

/// How [`kl_div`]'s elementwise terms combine: [`Reduction`]'s three, plus `BatchMean`.
///
/// PyTorch's caveat, which applies here too: `Mean` averages over every element, i.e. divides
/// the summed divergence by `N·C` for `[N, C]` inputs, which is not the KL divergence of
/// anything; `BatchMean` divides by the batch size `N` (the first axis), giving the mean over
/// samples of `KL(targetᵢ ‖ inputᵢ)`, the mathematical definition. PyTorch warns on `'mean'`
/// and has announced that it will behave as `'batchmean'`; `Mean` here is today's `'mean'`,
/// kept for parity. Use `BatchMean`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KlReduction {
    /// The elementwise terms, input-shaped.
    None,
    /// Their sum.
    Sum,
    /// Their mean over all elements (PyTorch's `'mean'`; see the caveat above).
    Mean,
    /// Their sum divided by the size of the first axis (PyTorch's `'batchmean'`), or the sum
    /// for a rank-0 input, as PyTorch.
    BatchMean,
}

impl From<Reduction> for KlReduction {
    fn from(r: Reduction) -> Self {
        match r {
            Reduction::None => KlReduction::None,
            Reduction::Sum => KlReduction::Sum,
            Reduction::Mean => KlReduction::Mean,
        }
    }
}

/// KL divergence with PyTorch's options (`torch.nn.KLDivLoss`): whether the target is given
/// as log-probabilities, and the reduction. No `Default`: PyTorch's default reduction,
/// `'mean'`, is the one it advises against (see [`KlReduction`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KlDivLoss {
    /// How the elementwise terms combine.
    pub reduction: KlReduction,
    /// Whether the target holds log-probabilities (PyTorch's `log_target`): then the term is
    /// `e^y·(y − x)`, which stays accurate for probabilities too small for the type.
    pub log_target: bool,
}

/// `KL(target ‖ exp(input))` elementwise, with `input` holding log-probabilities (typically
/// from [`log_softmax`](crate::log_softmax)) and `target` probabilities of the same shape,
/// as PyTorch's `kl_div`: `l = y·(log y − x)`, with `0·log 0 = 0` so a zero-probability
/// target contributes 0.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{kl_div, log_softmax, KlReduction};
/// let tape = Tape::<f64>::new();
/// let logits = tape.var(Tensor::from_vec(vec![1.0, 2.0, 0.5, 0.0, 0.0, 1.0], [2, 3]).unwrap());
/// let p = tape.constant(Tensor::from_vec(vec![0.2, 0.8, 0.0, 0.5, 0.25, 0.25], [2, 3]).unwrap());
/// let loss = kl_div(&log_softmax(&logits, 1).unwrap(), &p, KlReduction::BatchMean).unwrap();
/// assert!(loss.item() > 0.0); // the divergence of two different distributions
/// let same = kl_div(&p.add_scalar(1e-300).log(), &p, KlReduction::Sum).unwrap();
/// assert!(same.item().abs() < 1e-15); // KL(p ‖ p) = 0, zero entries included
/// ```
#[track_caller]
pub fn kl_div<'t, T: Float>(input: &Var<'t, T>, target: &Var<'t, T>, reduction: KlReduction) -> Result<Var<'t, T>> {
    KlDivLoss { reduction, log_target: false }.forward(input, target)
}

impl KlDivLoss {
    /// The divergence of log-probabilities `input` from `target` (probabilities, or
    /// log-probabilities with [`log_target`](KlDivLoss::log_target)), of the same shape.
    ///
    /// Conventions at the edge of the domain, each pinned by a test:
    /// - probability targets: `y = 0` contributes 0, and its derivative with respect to `y` is
    ///   taken as `−x` (the `0·log 0` part differentiates to 0; PyTorch gives NaN, the true
    ///   one-sided derivative is −∞). A negative target is an
    ///   [`Error::InvalidTarget`] (PyTorch returns NaN).
    /// - log-probability targets: `y = −∞` (probability 0) contributes 0 with zero
    ///   gradients, the limit of `e^y·(y − x)`; PyTorch computes `0·(−∞) = NaN` there. This is
    ///   a deliberate difference: a masked class's `log_softmax` is exactly −∞.
    #[track_caller]
    pub fn forward<'t, T: Float>(&self, input: &Var<'t, T>, target: &Var<'t, T>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        check_same_shape("kl_div", input, target, site)?;
        let terms = match self.log_target {
            false => {
                if let Some((i, v)) = target.value().data().iter().enumerate().find(|(_, v)| **v < T::ZERO) {
                    let msg = format!("targets are probabilities, got {} at flat index {i}", v.to_f64());
                    return Err(Error::InvalidTarget { loss: "kl_div", msg, site });
                }
                // y·(log y − x), with log evaluated at 1 where y = 0 so that neither the value
                // nor a derivative meets 0·log 0 (the unselected branch of a `where_` would
                // still give 0·∞ = NaN in the backward pass).
                let zero = target.eq(&target.scalar(T::ZERO))?;
                let safe = Var::where_(&zero, &target.scalar(T::ONE), target)?;
                target.mul(&safe.log().sub(input)?)?
            }
            true => {
                // e^y·(y − x), and exactly 0 (with no gradient) where y = −∞.
                let zero_prob = target.eq(&target.scalar(T::neg_infinity()))?;
                let safe = Var::where_(&zero_prob, &target.scalar(T::ZERO), target)?;
                let terms = safe.exp().mul(&safe.sub(input)?)?;
                Var::where_(&zero_prob, &target.scalar(T::ZERO), &terms)?
            }
        };
        Ok(match self.reduction {
            KlReduction::None => terms,
            KlReduction::Sum => terms.sum(),
            KlReduction::Mean => terms.mean(),
            KlReduction::BatchMean => match input.dims().first() {
                Some(&batch) => terms.sum().mul_scalar(T::ONE / T::from_usize(batch)),
                None => terms.sum(),
            },
        })
    }
}
