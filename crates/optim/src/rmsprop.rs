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
        let init = self.init_state();
        self.core.step(init, |state, _, theta, grad| {
            let square_avg = state.square_avg.data_mut();
            let mut grad_avg = state.grad_avg.as_mut().map(|a| a.data_mut());
            let mut buf = state.momentum_buffer.as_mut().map(|b| b.data_mut());
            for i in 0..theta.len() {
                let mut g = terms::direction(grad[i], c.maximize);
                if c.weight_decay != 0.0 {
                    g = terms::l2(g, theta[i], wd);
                }
                square_avg[i] = square_avg[i] * alpha + one_minus_alpha * g * g;
                let avg = match &mut grad_avg {
                    Some(ga) => {
                        ga[i] = terms::lerp(ga[i], g, one_minus_alpha);
                        (square_avg[i] + -ga[i] * ga[i]).sqrt() + eps
                    }
                    None => square_avg[i].sqrt() + eps,
                };
                match &mut buf {
                    Some(buf) => {
                        buf[i] = buf[i] * mu + g / avg;
                        theta[i] += -lr * buf[i];
                    }
                    None => theta[i] += -lr * g / avg,
                }
            }
        })
    }
}

impl_optimizer!(RmsProp);
