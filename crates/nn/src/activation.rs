//! Activations, each as a function on [`Var`]s and as a [`Module`]. None has gradient code:
//! each is an autograd op or a composition of ops, so backward (and higher order) come from
//! the tape.
//!
//! | function | module | formula | derivative at the kink |
//! | --- | --- | --- | --- |
//! | [`sigmoid`] | [`Sigmoid`] | σ(x) = 1 / (1 + e⁻ˣ) | — |
//! | [`tanh`] | [`Tanh`] | tanh x | — |
//! | [`relu`] | [`Relu`] | max(0, x) | 0 at x = 0 |
//! | [`leaky_relu`] | [`LeakyRelu`] | max(0, x) + s·min(0, x) | s at x = 0 |
//! | [`prelu`] | [`PRelu`] | max(0, x) + a·min(0, x), `a` learned | a at x = 0 (∂/∂a = 0 there) |
//! | [`silu`] | [`Silu`] | x·σ(x) (also called swish) | — |
//! | [`mish`] | [`Mish`] | x·tanh(softplus(x)) | — |
//! | [`gelu`] | [`Gelu`] | x·Φ(x) = ½x(1 + erf(x/√2)) ([`GeluApproximation::None`], the default), or ½x(1 + tanh(√(2/π)(x + 0.044715x³))) ([`GeluApproximation::Tanh`]) | — |
//! | [`softmax`] | [`Softmax`] | eˣⁱ / Σⱼ eˣʲ along an axis | — |
//! | [`log_softmax`] | [`LogSoftmax`] | xᵢ − log Σⱼ eˣʲ along an axis | — |
//!
//! The conventions at x = 0 are PyTorch's. Maxout, which has its own linear pieces, is in
//! `maxout.rs`.
//!
//! Every function and every module's `forward` is `#[track_caller]`: the ops they record (and
//! any error) carry the caller's line, so a tape listing or an anomaly names the user's code.

use crate::{Error, Module, Result};
use autograd::{Axis, Float, Parameter, Site, Tensor, Var};

/// σ(x) = 1 / (1 + e⁻ˣ), elementwise.
#[track_caller]
pub fn sigmoid<'t, T: Float>(x: &Var<'t, T>) -> Var<'t, T> {
    x.sigmoid()
}

/// tanh x, elementwise.
#[track_caller]
pub fn tanh<'t, T: Float>(x: &Var<'t, T>) -> Var<'t, T> {
    x.tanh()
}

/// max(0, x), elementwise; the derivative at 0 is 0 (as PyTorch).
#[track_caller]
pub fn relu<'t, T: Float>(x: &Var<'t, T>) -> Var<'t, T> {
    x.relu()
}

/// Leaky ReLU: x for x > 0, `slope`·x otherwise (autograd's `leaky_relu`; the derivative at
/// 0 is `slope`, as PyTorch).
#[track_caller]
pub fn leaky_relu<'t, T: Float>(x: &Var<'t, T>, slope: f64) -> Var<'t, T> {
    x.leaky_relu(T::from_f64(slope))
}

/// Parametric ReLU: max(0, x) + a·min(0, x), where `a` is a tracked value: a scalar (one slope
/// shared by all units) or a vector with one slope per channel, the channel axis being axis 1
/// of `x` (as PyTorch; the last axis of `[N, C]`).
///
/// Composed from ops as `relu(x) + a·(x − relu(x))`, so the gradient reaches both `x` and `a`:
/// ∂/∂x = 1 if x > 0 else a (a at x = 0, as PyTorch, since ReLU′(0) = 0), and
/// ∂/∂a = min(0, x) = x − relu(x), exactly 0 for x ≥ 0.
#[track_caller]
pub fn prelu<'t, T: Float>(x: &Var<'t, T>, a: &Var<'t, T>) -> Result<Var<'t, T>> {
    let site = Site::caller();
    let a = match a.rank() {
        0 => a.clone(),
        1 => {
            let c = a.dims()[0];
            if x.rank() < 2 || x.dims()[1] != c {
                let expected = format!("[N, {c}, …]");
                return Err(Error::InputShape { layer: "PRelu", expected, got: x.shape().clone(), site });
            }
            // [C] → [C, 1, …, 1] so that it lines up with axis 1 when broadcast.
            let mut dims = vec![c];
            dims.resize(x.rank() - 1, 1);
            a.reshape(dims)?
        }
        _ => {
            let msg = format!("slope must be a scalar or a vector, got {}", a.shape());
            return Err(Error::config_at("PRelu", msg, site));
        }
    };
    let positive_part = x.relu();
    let negative_part = x.sub(&positive_part)?; // min(0, x)
    Ok(positive_part.add(&negative_part.mul(&a)?)?)
}

/// Softmax along `axis` (negative counts from the back: `-1` is the last): eˣⁱ / Σⱼ eˣʲ
/// (autograd's fused op: computed with the maximum subtracted, so large logits do not overflow).
#[track_caller]
pub fn softmax<'t, T: Float>(x: &Var<'t, T>, axis: impl Into<Axis>) -> Result<Var<'t, T>> {
    Ok(x.softmax(axis)?)
}

/// Log-softmax along `axis` (negative counts from the back): xᵢ − log Σⱼ eˣʲ, stable for any
/// magnitude of `x` (autograd's fused op).
#[track_caller]
pub fn log_softmax<'t, T: Float>(x: &Var<'t, T>, axis: impl Into<Axis>) -> Result<Var<'t, T>> {
    Ok(x.log_softmax(axis)?)
}

/// SiLU (sigmoid-weighted linear unit, also called swish; Elfwing et al., 2018;
/// Ramachandran et al., 2017): x·σ(x), elementwise. Smooth; its derivative is
/// σ(x)·(1 + x·(1 − σ(x))), derived by the tape from the product.
///
/// ```
/// use autograd::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::vector(&[0.0, 2.0]));
/// let y = nn::silu(&x);
/// assert_eq!(y.value().at(&[0]), 0.0);
/// assert!((y.value().at(&[1]) - 2.0 / (1.0 + (-2.0f64).exp())).abs() < 1e-15);
/// y.sum().backward().unwrap();
/// assert_eq!(x.grad().unwrap().at(&[0]), 0.5); // σ(0)
/// ```
#[track_caller]
pub fn silu<'t, T: Float>(x: &Var<'t, T>) -> Var<'t, T> {
    x.mul(&x.sigmoid()).expect("x and a function of x: one tape, one shape")
}

/// Mish (Misra, 2019): x·tanh(softplus(x)), elementwise, with softplus(x) = log(1 + eˣ) computed
/// stably (autograd's `softplus`), so large |x| neither overflows nor loses the tail. Smooth.
#[track_caller]
pub fn mish<'t, T: Float>(x: &Var<'t, T>) -> Var<'t, T> {
    x.mul(&x.softplus().tanh()).expect("x and a function of x: one tape, one shape")
}

/// Which form of GELU to compute: PyTorch's `approximate` argument. The default is the exact
/// form, as in PyTorch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GeluApproximation {
    /// No approximation: x·Φ(x) with the standard normal CDF Φ(x) = ½(1 + erf(x/√2)), on
    /// autograd's `erf` primitive; PyTorch's default, `approximate='none'`.
    #[default]
    None,
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (Hendrycks & Gimpel, 2016), PyTorch's
    /// `approximate='tanh'`; within 4.8·10⁻⁴ of the exact GELU everywhere.
    Tanh,
}

/// GELU (Gaussian error linear unit; Hendrycks & Gimpel, 2016) in the form `approximate`
/// selects, elementwise. See [`GeluApproximation`]. Both forms are compositions, so the tape
/// derives their derivatives at every order; the exact one's is Φ(x) + x·φ(x), with φ the
/// standard normal density.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::GeluApproximation;
/// let tape = Tape::<f64>::new();
/// let x = tape.var(Tensor::vector(&[0.0, 1.0]));
/// let exact = nn::gelu(&x, GeluApproximation::None);
/// assert_eq!(exact.value().at(&[0]), 0.0);
/// assert!((exact.value().at(&[1]) - 0.8413447460685429).abs() < 1e-15); // PyTorch's values
/// let tanh = nn::gelu(&x, GeluApproximation::Tanh);
/// assert!((tanh.value().at(&[1]) - 0.8411919906082768).abs() < 1e-15);
/// ```
#[track_caller]
pub fn gelu<'t, T: Float>(x: &Var<'t, T>, approximate: GeluApproximation) -> Var<'t, T> {
    match approximate {
        GeluApproximation::None => {
            // ½·x·(1 + erf(x/√2)), as PyTorch computes it.
            let gate = x.mul_scalar(T::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf().add_scalar(T::ONE);
            x.mul(&gate).expect("x and a function of x: one tape, one shape").mul_scalar(T::from_f64(0.5))
        }
        GeluApproximation::Tanh => {
            // √(2/π)·(x + 0.044715·x³)
            let cubic = x.powf(T::from_f64(3.0)).mul_scalar(T::from_f64(0.044715));
            let inner = x.add(&cubic).expect("x and a function of x: one tape, one shape");
            let gate = inner.mul_scalar(T::from_f64((2.0 / std::f64::consts::PI).sqrt())).tanh().add_scalar(T::ONE);
            x.mul(&gate).expect("x and a function of x: one tape, one shape").mul_scalar(T::from_f64(0.5))
        }
    }
}

macro_rules! stateless_activation {
    ($(#[$doc:meta])* $name:ident, $f:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl<T: Float> Module<T> for $name {
            #[track_caller]
            fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
                Ok($f(x))
            }
        }
    };
}

stateless_activation!(
    /// [`sigmoid`] as a module.
    Sigmoid,
    sigmoid
);
stateless_activation!(
    /// [`tanh`] as a module.
    Tanh,
    tanh
);
stateless_activation!(
    /// [`relu`] as a module.
    Relu,
    relu
);
stateless_activation!(
    /// [`silu`] as a module.
    Silu,
    silu
);
stateless_activation!(
    /// [`mish`] as a module.
    Mish,
    mish
);

/// [`leaky_relu`] as a module.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu {
    /// The slope for negative inputs (PyTorch's default is 0.01).
    pub slope: f64,
}

impl Default for LeakyRelu {
    fn default() -> Self {
        LeakyRelu { slope: 0.01 }
    }
}

impl<T: Float> Module<T> for LeakyRelu {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(leaky_relu(x, self.slope))
    }

    fn describe(&self) -> String {
        format!("LeakyRelu({})", self.slope)
    }
}

/// [`gelu`] as a module; `Gelu::default()` is the exact form, as PyTorch's `nn.GELU()`.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{Gelu, GeluApproximation, Module};
/// assert_eq!(Gelu::default().approximate, GeluApproximation::None);
/// let act = Gelu { approximate: GeluApproximation::Tanh };
/// let tape = Tape::<f32>::new();
/// assert_eq!(act.forward(&tape.constant(Tensor::vector(&[0.0]))).unwrap().value().at(&[0]), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gelu {
    /// The form to compute (PyTorch's `approximate`).
    pub approximate: GeluApproximation,
}

impl<T: Float> Module<T> for Gelu {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(gelu(x, self.approximate))
    }

    fn describe(&self) -> String {
        format!("Gelu({:?})", self.approximate)
    }
}

/// [`softmax`] along an axis, as a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    /// The axis the probabilities sum to one along (1 or -1 for `[N, classes]`; negative counts
    /// from the back, as PyTorch's `dim`).
    pub axis: isize,
}

impl<T: Float> Module<T> for Softmax {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        softmax(x, self.axis)
    }
}

/// [`log_softmax`] along an axis, as a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSoftmax {
    /// The axis to normalize along (1 or -1 for `[N, classes]`; negative counts from the back).
    pub axis: isize,
}

impl<T: Float> Module<T> for LogSoftmax {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        log_softmax(x, self.axis)
    }
}

/// Parametric ReLU (He et al., 2015): max(0, x) + a·min(0, x) with a learnable slope `a`,
/// either one shared by all units or one per channel (axis 1 of the input).
///
/// Parameter: `"slope"`, of shape `[]` (shared) or `[channels]`. Being a scalar or a vector,
/// not a matrix, it is left out of [`crate::penalty::weight_matrices`], the usual selection for
/// weight decay, as the PReLU paper recommends.
///
/// ```
/// use autograd::{Tape, Tensor};
/// use nn::{Module, PRelu};
/// let act = PRelu::<f64>::shared(0.25);
/// let tape = Tape::new();
/// let y = act.forward(&tape.constant(Tensor::vector(&[-2.0, 3.0]))).unwrap();
/// assert_eq!(y.value().to_vec(), vec![-0.5, 3.0]);
/// y.sum().backward().unwrap();
/// assert_eq!(act.slope.grad().unwrap().item(), -2.0); // ∂/∂a = Σ min(0, x)
/// ```
#[derive(Clone, Debug)]
pub struct PRelu<T: Float = f32> {
    /// The slope(s) for negative inputs.
    pub slope: Parameter<T>,
}

impl<T: Float> PRelu<T> {
    /// One slope shared by every unit, starting at `init` (PyTorch uses 0.25).
    pub fn shared(init: f64) -> Self {
        PRelu { slope: Parameter::new(Tensor::scalar(T::from_f64(init))) }
    }

    /// One slope per channel (axis 1 of the input), each starting at `init`.
    #[track_caller]
    pub fn per_channel(channels: usize, init: f64) -> Result<Self> {
        if channels == 0 {
            return Err(Error::config("PRelu", "needs at least one channel"));
        }
        Ok(PRelu { slope: Parameter::new(Tensor::full([channels], T::from_f64(init))) })
    }
}

impl<T: Float> Module<T> for PRelu<T> {
    #[track_caller]
    fn forward<'t>(&self, x: &Var<'t, T>) -> Result<Var<'t, T>> {
        prelu(x, &x.tape().param(&self.slope))
    }

    fn visit_parameters(&self, visit: &mut dyn FnMut(&str, &Parameter<T>)) {
        visit("slope", &self.slope);
    }
}
