//! Stochastic gradient descent with momentum, as PyTorch's `torch.optim.SGD`.

use crate::error::{self, Error, Result, Site};
use crate::optimizer::{impl_optimizer, Core, Options, ParamState, Saved};
use crate::terms;
use autograd::parallel::for_each_parameter_block;
use autograd::{Float, Parameter, Tensor};
use std::borrow::Borrow;

/// Options for [`Sgd`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate η (default 1e-3).
    pub lr: f64,
    /// Momentum μ (default 0: plain gradient descent).
    pub momentum: f64,
    /// Dampening τ of the gradient entering the momentum buffer (default 0; must lie in
    /// [0, 1], a check PyTorch does not make).
    pub dampening: f64,
    /// L2 weight decay λ, added to the gradient as λθ (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default false; needs μ > 0 and τ = 0).
    pub nesterov: bool,
    /// Maximize the objective instead of minimizing it (default false).
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    }
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.
///
/// The update, for each parameter θ at step t (PyTorch's, so trajectories match `torch.optim.SGD`):
/// ```text
/// g ← ∇L(θ)                       (−∇L(θ) if maximize)
/// g ← g + λ·θ                     weight decay λ
/// b ← g                           at t = 1            momentum μ > 0 only:
/// b ← μ·b + (1 − τ)·g             at t > 1            dampening τ
/// g ← g + μ·b  if nesterov,  else  g ← b
/// θ ← θ − η·g
/// ```
///
/// # Momentum as a velocity
/// Textbooks, and the introductory lecture whose claims `docs/lecture.md` measures, write
/// momentum as a velocity, with λ the momentum coefficient:
/// ```text
/// v ← λ·v − η·∇L(θ)
/// θ ← θ + v
/// ```
/// With τ = 0 this is PyTorch's rule with v = −η·b and μ = λ: substituting,
/// −η·b_t = λ·(−η·b_{t−1}) − η·g_t, which is b_t = λ·b_{t−1} + g_t. The trajectories are
/// identical as long as η is constant. They differ when η changes (a schedule): the velocity
/// keeps the step sizes it was built with and only new gradients see the new η, while
/// PyTorch's buffer is rescaled by the new η at once. (Sutskever et al. use the velocity form;
/// PyTorch documents the difference.)
///
/// ```
/// use autograd::{Parameter, Tape, Tensor};
/// use optim::{Optimizer, Sgd, SgdConfig};
///
/// let w = Parameter::new(Tensor::<f64>::scalar(1.0));
/// let mut opt = Sgd::new([("w", &w)], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap();
/// for _ in 0..3 {
///     let tape = Tape::new();
///     let x = tape.param(&w);
///     (0.5 * &(&x * &x)).backward().unwrap(); // L = w²/2, so ∇L = w
///     opt.step().unwrap();
/// }
/// assert!((w.value().item() - 0.486).abs() < 1e-12); // PyTorch: 0.9, 0.72, 0.486
/// ```
pub struct Sgd<T: Float> {
    core: Core<T, SgdState<T>, SgdConfig>,
}

/// The momentum buffer b, created at the first step with momentum (PyTorch's rule: when the
/// buffer is absent it starts as the gradient itself, so a group whose momentum a schedule turns
/// on later starts its buffer then).
struct SgdState<T: Float> {
    momentum_buffer: Option<Tensor<T>>,
}

impl<T: Float> ParamState<T> for SgdState<T> {
    fn save(&self) -> Vec<(&'static str, Tensor<T>)> {
        self.momentum_buffer.iter().map(|b| ("momentum_buffer", b.clone())).collect()
    }
    fn load(&mut self, saved: &mut Saved<'_, T>) -> Result<()> {
        self.momentum_buffer = saved.optional("momentum_buffer")?;
        Ok(())
    }
}

impl Options for SgdConfig {
    const OPTIMIZER: &'static str = "SGD";
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
        const NAME: &str = SgdConfig::OPTIMIZER;
        error::non_negative_in::<T>(NAME, "lr", self.lr, site)?;
        error::non_negative_in::<T>(NAME, "momentum", self.momentum, site)?;
        let dampening = self.dampening;
        error::check(NAME, "dampening", dampening, (0.0..=1.0).contains(&dampening), "in [0, 1]", site)?;
        error::non_negative_in::<T>(NAME, "weight_decay", self.weight_decay, site)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::Nesterov { momentum: self.momentum, dampening, site });
        }
        Ok(())
    }
}

impl<T: Float> Sgd<T> {
    /// SGD over named parameters (e.g. a model's `named_parameters()`), which form parameter
    /// group 0; fails on a bad hyper-parameter, an empty list or a duplicate.
    #[track_caller]
    pub fn new<K: Into<String>, P: Borrow<Parameter<T>>>(
        params: impl IntoIterator<Item = (K, P)>,
        config: SgdConfig,
    ) -> Result<Self> {
        Ok(Sgd { core: Core::new(params, config, Site::caller())? })
    }

    fn init_state() -> impl Fn(&SgdConfig, &Tensor<T>) -> SgdState<T> {
        |_, _| SgdState { momentum_buffer: None }
    }

    fn apply(&mut self, site: Site) -> Result<()> {
        self.core.step(site, Self::init_state(), |c, state, _, value, grad| {
            let (lr, wd, mu) = (T::from_f64(c.lr), T::from_f64(c.weight_decay), T::from_f64(c.momentum));
            let one_minus_dampening = T::from_f64(1.0 - c.dampening);
            let (maximize, decay, nesterov) = (c.maximize, c.weight_decay != 0.0, c.nesterov);
            // The options are copied into locals so the loops below see loop-invariant flags and
            // the plain case (no momentum, no decay) compiles to a vectorized θ ← θ − η·g.
            let gradient = move |g: T, theta: T| {
                let g = terms::direction(g, maximize);
                if decay {
                    terms::l2(g, theta, wd)
                } else {
                    g
                }
            };
            let shape = value.shape().clone();
            let (theta, grad) = (value.data_mut(), grad.data());
            if c.momentum == 0.0 {
                for_each_parameter_block(
                    (theta, grad),
                    #[inline(always)]
                    move |(theta, grad)| {
                        for (p, &g) in theta.iter_mut().zip(grad) {
                            *p -= lr * gradient(g, *p);
                        }
                    },
                );
                return;
            }
            let first = state.momentum_buffer.is_none();
            let buf = state.momentum_buffer.get_or_insert_with(|| Tensor::zeros(shape));
            for_each_parameter_block(
                (theta, grad, buf.data_mut()),
                #[inline(always)]
                move |(theta, grad, buf)| {
                    for ((p, &g), b) in theta.iter_mut().zip(grad).zip(buf) {
                        let g = gradient(g, *p);
                        *b = terms::momentum(*b, g, mu, one_minus_dampening, first);
                        *p -= lr * if nesterov { g + mu * *b } else { *b };
                    }
                },
            );
        })
    }
}

impl_optimizer!(Sgd, SgdConfig);
