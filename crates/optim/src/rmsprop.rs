//! RMSProp (Hinton's lecture 6e; Graves 2013 for the centered form), as PyTorch's
//! `torch.optim.RMSprop`.

use crate::error::{self, Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
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
    core: Core<T, RmsPropState<T>, RmsPropConfig>,
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
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.square_avg = saved.buffer("square_avg")?;
        // Created at the first step with momentum, so present or not depending on when a
        // schedule turned the momentum on.
        self.momentum_buffer = saved.optional("momentum_buffer")?;
        if self.grad_avg.is_some() {
            self.grad_avg = Some(saved.buffer("grad_avg")?);
        }
        Ok(())
    }
}

impl Options for RmsPropConfig {
    const OPTIMIZER: &'static str = "RMSprop";
    const MOMENTUM: Option<&'static str> = Some("momentum");
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.momentum)
    }
    fn set_momentum(&mut self, momentum: f64) {
        self.momentum = momentum;
    }
    fn validate<T: Float>(&self, site: Site) -> Result<()> {
        const NAME: &str = RmsPropConfig::OPTIMIZER;
        error::non_negative_in::<T>(NAME, "lr", self.lr, site)?;
        error::check(NAME, "alpha", self.alpha, (0.0..=1.0).contains(&self.alpha), "in [0, 1]", site)?;
        error::non_negative_in::<T>(NAME, "eps", self.eps, site)?;
        error::non_negative_in::<T>(NAME, "weight_decay", self.weight_decay, site)?;
        error::non_negative_in::<T>(NAME, "momentum", self.momentum, site)
    }
}

impl<T: Float> RmsProp<T> {
    /// RMSProp over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: RmsPropConfig,
    ) -> Result<Self> {
        Ok(RmsProp { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&RmsPropConfig, &Tensor<T>) -> RmsPropState<T> {
        |c, value| {
            let zeros = || Tensor::zeros(value.shape().clone());
            RmsPropState { square_avg: zeros(), momentum_buffer: None, grad_avg: c.centered.then(zeros) }
        }
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, _, value, grad| {
            let (lr, wd, eps) = (T::from_f64(c.lr), T::from_f64(c.weight_decay), T::from_f64(c.eps));
            let (alpha, one_minus_alpha, mu) =
                (T::from_f64(c.alpha), T::from_f64(1.0 - c.alpha), T::from_f64(c.momentum));
            let (maximize, decay) = (c.maximize, c.weight_decay != 0.0);
            // The options are copied into locals and each combination of buffers gets its own
            // loop over zipped slices, so the loops see loop-invariant flags and no bounds checks
            // (as in sgd.rs). The arithmetic is PyTorch's, in PyTorch's order.
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
            if c.momentum > 0.0 && state.momentum_buffer.is_none() {
                // PyTorch creates it (as zeros) at the first step; here also when a schedule
                // turns the momentum on later.
                state.momentum_buffer = Some(Tensor::zeros(value.shape().clone()));
            }
            let momentum_buffer = if c.momentum > 0.0 { state.momentum_buffer.as_mut() } else { None };
            let slices = (value.data_mut(), grad.data(), state.square_avg.data_mut());
            match (state.grad_avg.as_mut(), momentum_buffer) {
                (None, None) => for_each_parameter_block(
                    slices,
                    #[inline(always)]
                    move |(theta, grad, square_avg)| {
                        for ((p, &g), v) in theta.iter_mut().zip(grad).zip(square_avg) {
                            let g = gradient(g, *p);
                            square(v, g);
                            *p += -lr * g / (v.sqrt() + eps);
                        }
                    },
                ),
                (Some(a), None) => {
                    let slices = (slices.0, slices.1, slices.2, a.data_mut());
                    for_each_parameter_block(
                        slices,
                        #[inline(always)]
                        move |(theta, grad, square_avg, grad_avg)| {
                            for (((p, &g), v), a) in theta.iter_mut().zip(grad).zip(square_avg).zip(grad_avg) {
                                let g = gradient(g, *p);
                                square(v, g);
                                *p += -lr * g / centered(*v, a, g);
                            }
                        },
                    )
                }
                (None, Some(b)) => {
                    let slices = (slices.0, slices.1, slices.2, b.data_mut());
                    for_each_parameter_block(
                        slices,
                        #[inline(always)]
                        move |(theta, grad, square_avg, momentum_buffer)| {
                            for (((p, &g), v), b) in theta.iter_mut().zip(grad).zip(square_avg).zip(momentum_buffer) {
                                let g = gradient(g, *p);
                                square(v, g);
                                *b = *b * mu + g / (v.sqrt() + eps);
                                *p += -lr * *b;
                            }
                        },
                    )
                }
                (Some(a), Some(b)) => {
                    let slices = (slices.0, slices.1, slices.2, a.data_mut(), b.data_mut());
                    for_each_parameter_block(
                        slices,
                        #[inline(always)]
                        move |(theta, grad, square_avg, grad_avg, momentum_buffer)| {
                            let lanes = theta.iter_mut().zip(grad).zip(square_avg).zip(grad_avg);
                            for ((((p, &g), v), a), b) in lanes.zip(momentum_buffer) {
                                let g = gradient(g, *p);
                                square(v, g);
                                *b = *b * mu + g / centered(*v, a, g);
                                *p += -lr * *b;
                            }
                        },
                    )
                }
            }
        })
    }
}

impl_optimizer!(RmsProp, RmsPropConfig);
