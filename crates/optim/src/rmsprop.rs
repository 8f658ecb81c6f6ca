//! RMSProp (Hinton's lecture 6e; Graves 2013 for the centered form), as PyTorch's
//! `torch.optim.RMSprop`.

use crate::error::{self, Result};
use crate::optimizer::{impl_optimizer, Core, Getter, ParamState};
use crate::terms;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`RmsProp`]; the defaults are PyTorch's (Keras differs: ρ = 0.9, ε = 1e-7 inside
/// the root).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate η (default 1e-2).
    pub lr: f64,
    /// Smoothing constant α of the moving averages (default 0.99; must lie in [0, 1], PyTorch
    /// checks only α ≥ 0).
    pub alpha: f64,
    /// ε added to the root of the average, for stability (default 1e-8).
    pub eps: f64,
    /// L2 weight decay λ, added to the gradient as λθ (default 0).
    pub weight_decay: f64,
    /// Momentum μ applied to the normalized step (default 0).
    pub momentum: f64,
    /// Normalize by an estimate of the gradient's variance instead of its second moment
    /// (default false).
    pub centered: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

/// RMSProp: divides the step by the root of a decaying average of squared gradients.
///
/// The update, for each parameter θ (PyTorch's; v, ḡ, b start at 0):
/// ```text
/// g ← ∇L(θ)                        (−∇L(θ) if maximize)
/// g ← g + λ·θ                      weight decay λ
/// v ← α·v + (1 − α)·g²
/// ṽ ← v                            or, if centered:  ḡ ← α·ḡ + (1 − α)·g;  ṽ ← v − ḡ²
/// d ← g / (√ṽ + ε)                 ε outside the root (TensorFlow puts it inside)
/// b ← μ·b + d;  θ ← θ − η·b         if momentum μ > 0
/// θ ← θ − η·d                      otherwise
/// ```
pub struct RmsProp<T: Float> {
    config: RmsPropConfig,
    core: Core<T, RmsPropState<T>>,
}

/// v (`square_avg`), b (`momentum_buffer`, with momentum) and ḡ (`grad_avg`, if centered).
struct RmsPropState<T: Float> {
    square_avg: Tensor<T>,
    momentum_buffer: Option<Tensor<T>>,
    grad_avg: Option<Tensor<T>>,
}

impl<T: Float> ParamState<T> for RmsPropState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        let mut out = vec![("square_avg", self.square_avg.clone())];
        out.extend(self.momentum_buffer.iter().map(|b| ("momentum_buffer", b.clone())));
        out.extend(self.grad_avg.iter().map(|a| ("grad_avg", a.clone())));
        out
    }
    fn load(&mut self, get: &mut Getter<'_, T>) -> Result<()> {
        self.square_avg = get("square_avg", &self.square_avg)?;
        if let Some(b) = &mut self.momentum_buffer {
            *b = get("momentum_buffer", b)?;
        }
        if let Some(a) = &mut self.grad_avg {
            *a = get("grad_avg", a)?;
        }
        Ok(())
    }
}

impl<T: Float> RmsProp<T> {
    /// RMSProp over named parameters; fails on a bad hyper-parameter, an empty list or a
    /// duplicate.
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: RmsPropConfig,
    ) -> Result<Self> {
        const NAME: &str = "RMSprop";
        error::check(NAME, "alpha", config.alpha, (0.0..=1.0).contains(&config.alpha), "in [0, 1]")?;
        error::non_negative(NAME, "eps", config.eps)?;
        error::non_negative(NAME, "weight_decay", config.weight_decay)?;
        error::non_negative(NAME, "momentum", config.momentum)?;
        Ok(RmsProp { config, core: Core::new(NAME, params, config.lr)? })
    }

    /// The options.
    pub fn config(&self) -> &RmsPropConfig {
        &self.config
    }

    fn init_state(&self) -> impl Fn(&Tensor<T>) -> RmsPropState<T> {
        let RmsPropConfig { momentum, centered, .. } = self.config;
        move |value| {
            let zeros = || Tensor::zeros(value.shape().clone());
            RmsPropState {
                square_avg: zeros(),
                momentum_buffer: (momentum > 0.0).then(zeros),
                grad_avg: centered.then(zeros),
            }
        }
    }

    fn apply(&mut self) -> Result<()> {
        let c = self.config;
        let (lr, wd, eps) = (T::from_f64(self.core.lr), T::from_f64(c.weight_decay), T::from_f64(c.eps));
        let (alpha, one_minus_alpha, mu) = (T::from_f64(c.alpha), T::from_f64(1.0 - c.alpha), T::from_f64(c.momentum));
        let (maximize, decay) = (c.maximize, c.weight_decay != 0.0);
        // The options are copied into locals and each combination of buffers gets its own loop
        // over zipped slices, so the loops see loop-invariant flags and no bounds checks (as in
        // sgd.rs). The arithmetic is PyTorch's, in PyTorch's order.
        let gradient = move |g: T, theta: T| {
            let g = terms::direction(g, maximize);
            if decay {
                terms::l2(g, theta, wd)
            } else {
                g
            }
        };
        // v ← α·v + (1 − α)·g²: `square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)`.
        let square = move |v: &mut T, g: T| *v = *v * alpha + one_minus_alpha * g * g;
        // ḡ ← α·ḡ + (1 − α)·g, then √(v − ḡ²) + ε.
        let centered = move |v: T, a: &mut T, g: T| {
            *a = terms::lerp(*a, g, one_minus_alpha);
            (v + -*a * *a).sqrt() + eps
        };
        let init = self.init_state();
        self.core.step(init, |state, _, theta, grad| {
            let lanes = theta.iter_mut().zip(grad).zip(state.square_avg.data_mut());
            match (state.grad_avg.as_mut(), state.momentum_buffer.as_mut()) {
                (None, None) => {
                    for ((p, &g), v) in lanes {
                        let g = gradient(g, *p);
                        square(v, g);
                        *p += -lr * g / (v.sqrt() + eps);
                    }
                }
                (Some(a), None) => {
                    for (((p, &g), v), a) in lanes.zip(a.data_mut()) {
                        let g = gradient(g, *p);
                        square(v, g);
                        *p += -lr * g / centered(*v, a, g);
                    }
                }
                (None, Some(b)) => {
                    for (((p, &g), v), b) in lanes.zip(b.data_mut()) {
                        let g = gradient(g, *p);
                        square(v, g);
                        *b = *b * mu + g / (v.sqrt() + eps);
                        *p += -lr * *b;
                    }
                }
                (Some(a), Some(b)) => {
                    for ((((p, &g), v), a), b) in lanes.zip(a.data_mut()).zip(b.data_mut()) {
                        let g = gradient(g, *p);
                        square(v, g);
                        *b = *b * mu + g / centered(*v, a, g);
                        *p += -lr * *b;
                    }
                }
            }
        })
    }
}

impl_optimizer!(RmsProp);
