//! Cosine annealing: [`CosineAnnealingLr`] (one long cosine) and
//! [`CosineAnnealingWarmRestarts`] (SGDR: cosines that restart).

use super::{apply, named, save_base_lrs, LrScheduler, Reader, ScheduleState};
use crate::error::{self, Result, Site};
use crate::Optimizer;
use autograd::Float;
use std::f64::consts::PI;

/// Cosine annealing (Loshchilov & Hutter's SGDR without restarts), PyTorch's
/// `CosineAnnealingLR`: from η₀ down to η_min over `t_max` epochs,
/// η_e = η_min + ½(η₀ − η_min)(1 + cos(π·e / t_max)), and back up over the next `t_max`
/// epochs (the cosine continues; it does not restart).
///
/// Computed recursively as PyTorch does, η_e = η_min + (η_{e−1} − η_min)·(1 + cos(πe/T)) /
/// (1 + cos(π(e−1)/T)), so a rate changed by hand mid-run is followed from where it is. Each
/// parameter group follows its own cosine from its own rate η₀.
#[derive(Clone, Debug)]
pub struct CosineAnnealingLr {
    t_max: usize,
    eta_min: f64,
    base_lrs: Vec<f64>,
    last_epoch: usize,
}

impl CosineAnnealingLr {
    /// Anneals every group from its current rate to `eta_min` over `t_max` epochs; fails if
    /// `t_max` is 0 or `eta_min` is negative or not finite.
    #[track_caller]
    pub fn new<T: Float>(optimizer: &(impl Optimizer<T> + ?Sized), t_max: usize, eta_min: f64) -> Result<Self> {
        let site = Site::caller();
        error::check("CosineAnnealingLR", "T_max", t_max as f64, t_max >= 1, ">= 1", site)?;
        error::non_negative("CosineAnnealingLR", "eta_min", eta_min, site)?;
        Ok(CosineAnnealingLr { t_max, eta_min, base_lrs: optimizer.group_lrs(), last_epoch: 0 })
    }
}

impl LrScheduler for CosineAnnealingLr {
    fn name(&self) -> &'static str {
        "CosineAnnealingLR"
    }
    fn advance(&mut self) -> Result<()> {
        self.last_epoch += 1;
        Ok(())
    }
    fn group_lr(&self, group: usize, current: f64) -> f64 {
        let (e, t) = (self.last_epoch as f64, self.t_max as f64);
        let period = 2 * self.t_max as i64;
        if (self.last_epoch as i64 - 1 - self.t_max as i64).rem_euclid(period) == 0 {
            // The trough: the ratio below would be 0/0.
            current + (self.base_lrs[group] - self.eta_min) * (1.0 - (PI / t).cos()) / 2.0
        } else {
            (1.0 + (PI * e / t).cos()) / (1.0 + (PI * (e - 1.0) / t).cos()) * (current - self.eta_min) + self.eta_min
        }
    }
    fn groups(&self) -> Option<usize> {
        Some(self.base_lrs.len())
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        let mut state = named([("last_epoch", self.last_epoch as f64)]);
        save_base_lrs(&mut state, &self.base_lrs);
        state
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let last_epoch = r.count("last_epoch")?;
        let base_lrs = r.base_lrs(self.base_lrs.len())?;
        r.finish()?;
        (self.last_epoch, self.base_lrs) = (last_epoch, base_lrs);
        Ok(())
    }
}

/// Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017), PyTorch's
/// `CosineAnnealingWarmRestarts`: each group's rate follows
/// η = η_min + ½(η₀ − η_min)(1 + cos(π·T_cur / T_i)), where T_cur counts the epochs since the
/// last restart and the i-th cycle lasts T_i = T_0·T_multⁱ epochs; at the end of a cycle the
/// rate jumps back to η₀.
///
/// [`step`](LrScheduler::step) advances one epoch. [`step_at`](Self::step_at) sets the
/// (fractional) epoch directly, PyTorch's `scheduler.step(epoch + i / iters)` for updating the
/// rate after every batch.
#[derive(Clone, Debug)]
pub struct CosineAnnealingWarmRestarts {
    t_0: usize,
    t_mult: usize,
    eta_min: f64,
    base_lrs: Vec<f64>,
    /// Epochs since the last restart (fractional after [`step_at`](Self::step_at)).
    t_cur: f64,
    /// The current cycle's length.
    t_i: usize,
    last_epoch: usize,
}

impl CosineAnnealingWarmRestarts {
    /// Anneals every group from its current rate to `eta_min` over `t_0` epochs, then restarts
    /// with cycles `t_mult` times longer each time; fails if `t_0` or `t_mult` is 0 or `eta_min`
    /// is negative or not finite (PyTorch's checks, plus the last).
    #[track_caller]
    pub fn new<T: Float>(
        optimizer: &(impl Optimizer<T> + ?Sized),
        t_0: usize,
        t_mult: usize,
        eta_min: f64,
    ) -> Result<Self> {
        const NAME: &str = "CosineAnnealingWarmRestarts";
        let site = Site::caller();
        error::check(NAME, "T_0", t_0 as f64, t_0 >= 1, ">= 1", site)?;
        error::check(NAME, "T_mult", t_mult as f64, t_mult >= 1, ">= 1", site)?;
        error::non_negative(NAME, "eta_min", eta_min, site)?;
        let base_lrs = optimizer.group_lrs();
        Ok(CosineAnnealingWarmRestarts { t_0, t_mult, eta_min, base_lrs, t_cur: 0.0, t_i: t_0, last_epoch: 0 })
    }

    /// Sets the schedule to (fractional) epoch `epoch` and every group's rate to the rate
    /// there, returning group 0's: PyTorch's `step(epoch)`. Calling it with
    /// `epoch + batch / batches` after every batch anneals within the epoch. Fails, changing
    /// nothing, on a negative or non-finite epoch or a group count other than the optimizer's
    /// at construction.
    #[track_caller]
    pub fn step_at<T: Float>(&mut self, epoch: f64, optimizer: &mut (impl Optimizer<T> + ?Sized)) -> Result<f64> {
        let site = Site::caller();
        error::non_negative(self.name(), "epoch", epoch, site)?;
        let got = optimizer.group_count();
        if got != self.base_lrs.len() {
            let (owner, expected) = (self.name(), self.base_lrs.len());
            return Err(crate::Error::GroupCount { owner, expected, got, site });
        }
        let t_0 = self.t_0 as f64;
        if epoch >= t_0 {
            if self.t_mult == 1 {
                self.t_cur = epoch % t_0;
            } else {
                // PyTorch's formula, in the same floating-point steps.
                let m = self.t_mult as f64;
                let n = ((epoch / t_0 * (m - 1.0) + 1.0).ln() / m.ln()) as i32;
                self.t_cur = epoch - t_0 * (m.powi(n) - 1.0) / (m - 1.0);
                self.t_i = self.t_0 * self.t_mult.pow(n as u32);
            }
        } else {
            self.t_i = self.t_0;
            self.t_cur = epoch;
        }
        self.last_epoch = epoch.floor() as usize;
        apply(self, optimizer)
    }
}

impl LrScheduler for CosineAnnealingWarmRestarts {
    fn name(&self) -> &'static str {
        "CosineAnnealingWarmRestarts"
    }
    fn advance(&mut self) -> Result<()> {
        self.last_epoch += 1;
        self.t_cur += 1.0;
        if self.t_cur >= self.t_i as f64 {
            self.t_cur %= self.t_i as f64;
            self.t_i *= self.t_mult;
        }
        Ok(())
    }
    fn group_lr(&self, group: usize, _current: f64) -> f64 {
        let cosine = 1.0 + (PI * self.t_cur / self.t_i as f64).cos();
        self.eta_min + (self.base_lrs[group] - self.eta_min) * cosine / 2.0
    }
    fn groups(&self) -> Option<usize> {
        Some(self.base_lrs.len())
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        let mut state =
            named([("last_epoch", self.last_epoch as f64), ("T_cur", self.t_cur), ("T_i", self.t_i as f64)]);
        save_base_lrs(&mut state, &self.base_lrs);
        state
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let last_epoch = r.count("last_epoch")?;
        let t_cur = r.number("T_cur", |v| v.is_finite() && v >= 0.0, "an epoch count (finite and >= 0)")?;
        let length = |v: f64| v >= 1.0 && v.fract() == 0.0 && v < 2f64.powi(53);
        let t_i = r.number("T_i", length, "a cycle length (a whole number >= 1)")? as usize;
        let base_lrs = r.base_lrs(self.base_lrs.len())?;
        r.finish()?;
        (self.last_epoch, self.t_cur, self.t_i, self.base_lrs) = (last_epoch, t_cur, t_i, base_lrs);
        Ok(())
    }
}
