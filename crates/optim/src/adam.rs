//! Adam (Kingma & Ba 2015) with the AMSGrad variant (Reddi et al. 2018), as PyTorch's
//! `torch.optim.Adam`. The update kernel here is shared with [`AdamW`](crate::AdamW).

use crate::error::{self, Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`Adam`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Decay rates (β₁, β₂) of the first and second moment averages (default (0.9, 0.999)),
    /// each in [0, 1).
    pub betas: (f64, f64),
    /// ε added to the root of the second moment, for stability (default 1e-8).
    pub eps: f64,
    /// L2 weight decay λ, added to the gradient as λθ, so it passes through the moments
    /// (default 0; for decoupled decay use [`AdamW`](crate::AdamW)).
    pub weight_decay: f64,
    /// Normalize by the running maximum of the second moment (AMSGrad; default false).
    pub amsgrad: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false, maximize: false }
    }
}

/// Adam: momentum on the gradient (m) divided by the root of a moving average of its square (v),
/// both corrected for their zero start.
///
/// The update, for each parameter θ at step t = 1, 2, … (PyTorch's; m, v, v_max start at 0):
/// ```text
/// g ← ∇L(θ)                       (−∇L(θ) if maximize)
/// g ← g + λ·θ                     weight decay λ (coupled: it enters m and v)
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// m̂ ← m / (1 − β₁ᵗ),  v̂ ← v / (1 − β₂ᵗ)
/// θ ← θ − η·m̂ / (√v̂ + ε)
/// ```
/// With `amsgrad`, v_max ← max(v_max, v) and √v̂ becomes √v_max / √(1 − β₂ᵗ): as PyTorch's
/// code (not its documentation), the maximum is taken over the *uncorrected* v and divided by
/// the current step's correction.
pub struct Adam<T: Float> {
    core: Core<T, AdamState<T>, AdamConfig>,
}

/// m (`exp_avg`), v (`exp_avg_sq`) and, with AMSGrad, v_max (`max_exp_avg_sq`).
pub(crate) struct AdamState<T: Float> {
    exp_avg: Tensor<T>,
    exp_avg_sq: Tensor<T>,
    max_exp_avg_sq: Option<Tensor<T>>,
}

impl<T: Float> ParamState<T> for AdamState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        let mut out = vec![("exp_avg", self.exp_avg.clone()), ("exp_avg_sq", self.exp_avg_sq.clone())];
        out.extend(self.max_exp_avg_sq.iter().map(|v| ("max_exp_avg_sq", v.clone())));
        out
    }
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.exp_avg = saved.buffer("exp_avg")?;
        self.exp_avg_sq = saved.buffer("exp_avg_sq")?;
        if self.max_exp_avg_sq.is_some() {
            self.max_exp_avg_sq = Some(saved.buffer("max_exp_avg_sq")?);
        }
        Ok(())
    }
}

/// PyTorch's checks of the options every Adam-family optimizer has (in its order), plus no NaN
/// or ∞ and nothing that overflows `T`.
pub(crate) fn validate_moments<T: Float>(
    owner: &'static str,
    lr: f64,
    betas: (f64, f64),
    eps: f64,
    weight_decay: f64,
    site: Site,
) -> Result<()> {
    error::non_negative_in::<T>(owner, "lr", lr, site)?;
    error::non_negative_in::<T>(owner, "eps", eps, site)?;
    error::unit_interval(owner, "betas[0]", betas.0, site)?;
    error::unit_interval(owner, "betas[1]", betas.1, site)?;
    error::non_negative_in::<T>(owner, "weight_decay", weight_decay, site)
}

/// The options Adam and AdamW share, read from either's config.
#[derive(Clone, Copy)]
pub(crate) struct Hyper {
    pub(crate) lr: f64,
    pub(crate) betas: (f64, f64),
    pub(crate) eps: f64,
    pub(crate) weight_decay: f64,
    pub(crate) amsgrad: bool,
    pub(crate) maximize: bool,
    /// AdamW's decoupled weight decay instead of Adam's L2 term.
    pub(crate) decoupled: bool,
}

impl Hyper {
    pub(crate) fn validate<T: Float>(&self, owner: &'static str, site: Site) -> Result<()> {
        validate_moments::<T>(owner, self.lr, self.betas, self.eps, self.weight_decay, site)
    }

    pub(crate) fn init_state<T: Float>(&self, value: &Tensor<T>) -> AdamState<T> {
        let zeros = || Tensor::zeros(value.shape().clone());
        AdamState { exp_avg: zeros(), exp_avg_sq: zeros(), max_exp_avg_sq: self.amsgrad.then(zeros) }
    }

    /// One Adam/AdamW step of one parameter.
    pub(crate) fn update<T: Float>(&self, state: &mut AdamState<T>, t: u64, value: &mut Tensor<T>, grad: &Tensor<T>) {
        let h = *self;
        let (beta1, beta2) = h.betas;
        let (one_minus_beta1, beta2_t, one_minus_beta2) =
            (T::from_f64(1.0 - beta1), T::from_f64(beta2), T::from_f64(1.0 - beta2));
        let (eps, wd, decay) =
            (T::from_f64(h.eps), T::from_f64(h.weight_decay), T::from_f64(1.0 - h.lr * h.weight_decay));
        // Bias corrections in f64, as PyTorch computes them in Python floats.
        let bias_correction1 = 1.0 - beta1.powf(t as f64);
        let bias_correction2_sqrt = T::from_f64((1.0 - beta2.powf(t as f64)).powf(0.5));
        let step_size = T::from_f64(h.lr / bias_correction1);
        // One element's update up to the second moment; the invariant options are locals, and
        // the loops below zip the slices, so the update compiles without bounds checks.
        let (maximize, coupled, decoupled) =
            (h.maximize, h.weight_decay != 0.0 && !h.decoupled, h.weight_decay != 0.0 && h.decoupled);
        let moments = move |p: &mut T, g: T, m: &mut T, v: &mut T| {
            let mut g = terms::direction(g, maximize);
            if decoupled {
                *p = terms::decoupled_decay(*p, decay);
            } else if coupled {
                g = terms::l2(g, *p, wd);
            }
            *m = terms::lerp(*m, g, one_minus_beta1);
            *v = *v * beta2_t + one_minus_beta2 * g * g;
        };
        let descend = move |p: &mut T, m: T, second: T| {
            let denom = second.sqrt() / bias_correction2_sqrt + eps;
            *p += -step_size * m / denom;
        };
        let slices = (value.data_mut(), grad.data(), state.exp_avg.data_mut(), state.exp_avg_sq.data_mut());
        match state.max_exp_avg_sq.as_mut() {
            None => for_each_parameter_block(
                slices,
                #[inline(always)]
                move |(theta, grad, exp_avg, exp_avg_sq)| {
                    for (((p, &g), m), v) in theta.iter_mut().zip(grad).zip(exp_avg).zip(exp_avg_sq) {
                        moments(p, g, m, v);
                        descend(p, *m, *v);
                    }
                },
            ),
            Some(v_max) => {
                let slices = (slices.0, slices.1, slices.2, slices.3, v_max.data_mut());
                for_each_parameter_block(
                    slices,
                    #[inline(always)]
                    move |(theta, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)| {
                        let lanes = theta.iter_mut().zip(grad).zip(exp_avg).zip(exp_avg_sq);
                        for ((((p, &g), m), v), v_max) in lanes.zip(max_exp_avg_sq) {
                            moments(p, g, m, v);
                            *v_max = v_max.max(*v);
                            descend(p, *m, *v_max);
                        }
                    },
                )
            }
        }
    }
}

impl AdamConfig {
    fn hyper(&self) -> Hyper {
        let AdamConfig { lr, betas, eps, weight_decay, amsgrad, maximize } = *self;
        Hyper { lr, betas, eps, weight_decay, amsgrad, maximize, decoupled: false }
    }
}

impl Options for AdamConfig {
    const OPTIMIZER: &'static str = "Adam";
    const MOMENTUM: Option<&'static str> = Some("betas[0]");
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn momentum(&self) -> Option<f64> {
        Some(self.betas.0)
    }
    fn set_momentum(&mut self, beta1: f64) {
        self.betas.0 = beta1;
    }
    fn validate<T: Float>(&self, site: Site) -> Result<()> {
        self.hyper().validate::<T>(Self::OPTIMIZER, site)
    }
}

impl<T: Float> Adam<T> {
    /// Adam over named parameters, which form parameter group 0; fails on a bad
    /// hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: AdamConfig,
    ) -> Result<Self> {
        Ok(Adam { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&AdamConfig, &Tensor<T>) -> AdamState<T> {
        |c, value| c.hyper().init_state(value)
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, t, value, grad| c.hyper().update(state, t, value, grad))
    }
}

impl_optimizer!(Adam, AdamConfig);
