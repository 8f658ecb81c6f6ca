//! Binary cross-entropy with logits, with PyTorch's `weight` and `pos_weight`.

use super::{broadcasts_to, check_same_shape, reduce, Reduction};
use crate::{Error, Result};
use autograd::{Float, Site, Tensor, Var};

/// Binary cross-entropy of logits against targets in [0, 1] of the same shape, elementwise:
/// `l = −y·log σ(x) − (1 − y)·log(1 − σ(x)) = softplus(x) − x·y`.
/// [`BceWithLogitsLoss`] adds `weight` and `pos_weight`.
///
/// softplus(x) = log(1 + eˣ) is autograd's stable `softplus` (no overflow for large x, no
/// precision lost for very negative x), whose derivative is exactly σ(x) everywhere,
/// including x = 0, so ∂l/∂x = σ(x) − y.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{binary_cross_entropy_with_logits, Reduction};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::vector(&[0.0, 800.0, -800.0]));
/// let y = tape.constant(Tensor::vector(&[1.0, 1.0, 0.0]));
/// let loss = binary_cross_entropy_with_logits(&x, &y, Reduction::Sum).unwrap();
/// assert!((loss.item() - std::f64::consts::LN_2).abs() < 1e-15);
/// loss.backward().unwrap();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![-0.5, 0.0, 0.0]); // σ(x) − y
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits<'t, T: Float>(
    logits: &Var<'t, T>,
    targets: &Var<'t, T>,
    reduction: Reduction,
) -> Result<Var<'t, T>> {
    BceWithLogitsLoss { reduction, ..BceWithLogitsLoss::default() }.forward(logits, targets)
}

/// Binary cross-entropy with logits and PyTorch's options (`torch.nn.BCEWithLogitsLoss`):
///
/// `l = w·[(1 − y)·x + (1 + (p − 1)·y)·softplus(−x)] = w·[−p·y·log σ(x) − (1 − y)·log(1 − σ(x))]`
///
/// where `w` is [`weight`](BceWithLogitsLoss::weight) and `p`
/// [`pos_weight`](BceWithLogitsLoss::pos_weight), both 1 by default. `Mean` divides by the
/// number of elements, with or without weights, as PyTorch (unlike the class losses' weighted
/// mean). `Default` is the plain loss with `Mean`.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{BceWithLogitsLoss, Reduction};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::zeros([2, 3]));
/// let y = tape.constant(Tensor::ones([2, 3]));
/// // Positives of class 2 count three times: 3·log 2 each, log 2 for the others.
/// let pos_weight = Some(Tensor::vector(&[1.0, 1.0, 3.0]));
/// let loss = BceWithLogitsLoss { pos_weight, reduction: Reduction::Sum, ..Default::default() };
/// let l = loss.forward(&x, &y).unwrap();
/// assert!((l.item() - 2.0 * (1.0 + 1.0 + 3.0) * std::f64::consts::LN_2).abs() < 1e-14);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BceWithLogitsLoss<T: Float = f32> {
    /// A weight per element, of any shape that broadcasts to the input's (PyTorch's `weight`):
    /// `[C]` weighs classes, `[N, 1]` samples. `None`: all 1.
    pub weight: Option<Tensor<T>>,
    /// The weight of the positive term `−y·log σ(x)`, of any shape that broadcasts to the
    /// input's, usually `[C]` with one weight per class (PyTorch's `pos_weight`): above 1 it
    /// raises recall, below 1 precision. `None`: all 1.
    pub pos_weight: Option<Tensor<T>>,
    /// How the elementwise losses combine.
    pub reduction: Reduction,
}

impl<T: Float> Default for BceWithLogitsLoss<T> {
    fn default() -> Self {
        BceWithLogitsLoss { weight: None, pos_weight: None, reduction: Reduction::Mean }
    }
}

impl<T: Float> BceWithLogitsLoss<T> {
    /// The loss of logits against targets of the same shape. Fails if the shapes differ or a
    /// weight does not broadcast to the input's shape or is not finite.
    #[track_caller]
    pub fn forward<'t>(&self, logits: &Var<'t, T>, targets: &Var<'t, T>) -> Result<Var<'t, T>> {
        let site = Site::caller();
        const LOSS: &str = "binary_cross_entropy_with_logits";
        check_same_shape(LOSS, logits, targets, site)?;
        for (name, w) in [("weight", &self.weight), ("pos_weight", &self.pos_weight)] {
            if let Some(w) = w {
                check_weight(LOSS, name, w, logits, site)?;
            }
        }
        let losses = match &self.pos_weight {
            // softplus(x) − x·y: the plain form, one op fewer.
            None => logits.softplus().sub(&logits.mul(targets)?)?,
            // (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), as PyTorch computes it.
            Some(p) => {
                let p_minus_one = logits.constant(p.map(|v| v - T::ONE));
                let negative_part = logits.sub(&logits.mul(targets)?)?;
                let positive_scale = targets.mul(&p_minus_one)?.add_scalar(T::ONE);
                negative_part.add(&positive_scale.mul(&logits.neg().softplus())?)?
            }
        };
        let losses = match &self.weight {
            Some(w) => losses.mul(&logits.constant(w.clone()))?,
            None => losses,
        };
        Ok(reduce(losses, self.reduction))
    }
}

fn check_weight<T: Float>(loss: &'static str, name: &str, w: &Tensor<T>, input: &Var<'_, T>, site: Site) -> Result<()> {
    if !broadcasts_to(w.dims(), input.dims()) {
        let msg = format!("{name} of shape {} does not broadcast to the input's shape {}", w.shape(), input.shape());
        return Err(Error::config_at(loss, msg, site));
    }
    if let Some(v) = w.data().iter().find(|v| !v.is_finite()) {
        return Err(Error::config_at(loss, format!("{name} must be finite, got {}", v.to_f64()), site));
    }
    Ok(())
}
