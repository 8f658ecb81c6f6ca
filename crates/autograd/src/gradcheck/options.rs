//! [`GradcheckOptions`]: what a gradient check compares, and how.

/// Full Jacobian or random directions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every entry of the Jacobian: two evaluations per input element, one backward pass per
    /// output element.
    Full,
    /// `directions` random pairs of unit vectors `v` (over all checked input elements) and `u`
    /// (over all output elements): compares `⟨v, Jᵀu⟩` from one backward pass with the
    /// central difference of `⟨u, f(x + εv)⟩`, two evaluations per direction. For inputs too
    /// large for the full Jacobian; a wrong derivative is caught unless it happens to be
    /// orthogonal to every direction tried.
    Fast {
        /// How many direction pairs to try.
        directions: usize,
    },
}

/// What to do with an element whose finite difference straddles a kink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KinkPolicy {
    /// Do not compare it; list it in [`Report::kinks`](crate::Report::kinks).
    Report,
    /// Move the element by a random offset of 10–100·eps (either sign) and check it there,
    /// up to `attempts` times until `x ± ε` no longer straddles a kink; list it in
    /// [`Report::kinks`](crate::Report::kinks) with the offset used ([`Kink::resampled`](crate::Kink::resampled)). In fast mode the whole
    /// point moves, each element by its own offset.
    Resample {
        /// How many points to try before giving up (and only reporting the kink).
        attempts: usize,
    },
    /// No kink detection: compare every element, as other libraries do.
    Off,
}

/// Settings of a gradient check. The defaults are PyTorch's: `eps = 1e-6`, `atol = 1e-5`,
/// `rtol = 1e-3`, full Jacobian; an entry passes iff `|analytic − numeric| ≤ atol +
/// rtol·|numeric|`.
///
/// ```
/// use autograd::{GradcheckOptions, KinkPolicy, Mode};
/// let o = GradcheckOptions { atol: 1e-6, ..GradcheckOptions::default() }.fast(4).resample_kinks();
/// assert_eq!(o.mode, Mode::Fast { directions: 4 });
/// assert_eq!(o.kinks, KinkPolicy::Resample { attempts: 3 });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Step of the central difference `(f(x + eps) − f(x − eps)) / 2·eps`.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (relative to the numeric value).
    pub rtol: f64,
    /// Full Jacobian or random directions.
    pub mode: Mode,
    /// What to do at kinks.
    pub kinks: KinkPolicy,
    /// Seed of every random choice (fast-mode directions, `gradgradcheck`'s `u`, resampling
    /// offsets, [`OpCheck`](crate::OpCheck) inputs): a check is reproducible.
    pub seed: u64,
    /// Which inputs to differentiate (by position); `None` means all. The others enter the
    /// function as constants (PyTorch's `requires_grad = False`).
    pub wrt: Option<Vec<usize>>,
    /// At most this many rows in a failure table.
    pub max_rows: usize,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            mode: Mode::Full,
            kinks: KinkPolicy::Report,
            seed: 0,
            wrt: None,
            max_rows: 20,
        }
    }
}

impl GradcheckOptions {
    /// Fast mode with this many random direction pairs.
    pub fn fast(mut self, directions: usize) -> Self {
        self.mode = Mode::Fast { directions };
        self
    }

    /// Resample kinked elements (three attempts).
    pub fn resample_kinks(mut self) -> Self {
        self.kinks = KinkPolicy::Resample { attempts: 3 };
        self
    }

    /// These tolerances.
    pub fn with_tolerance(mut self, atol: f64, rtol: f64) -> Self {
        self.atol = atol;
        self.rtol = rtol;
        self
    }

    /// This finite-difference step.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// This seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Differentiate only these inputs.
    pub fn with_wrt(mut self, inputs: &[usize]) -> Self {
        self.wrt = Some(inputs.to_vec());
        self
    }

    pub(super) fn wrt_or_all(&self, n: usize) -> Vec<usize> {
        self.wrt.clone().unwrap_or_else(|| (0..n).collect())
    }
}
