//! The 1cycle policy (Smith & Topin 2018), [`OneCycleLr`].

use super::{apply, named, LrScheduler, Reader, ScheduleState};
use crate::error::{self, Error, Result, Site};
use crate::Optimizer;
use autograd::Float;
use std::f64::consts::PI;

/// How [`OneCycleLr`] moves between the ends of a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anneal {
    /// Half a cosine: end + (start − end)·(1 + cos(π·pct))/2 (default).
    Cos,
    /// A straight line: start + (end − start)·pct.
    Linear,
}

impl Anneal {
    /// PyTorch's `_annealing_cos` and `_annealing_linear`, in the same floating-point steps.
    fn at(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

/// Options for [`OneCycleLr`]; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneCycleLrConfig {
    /// The fraction of the steps spent raising the rate (default 0.3).
    pub pct_start: f64,
    /// How the rate (and momentum) move within a phase (default [`Anneal::Cos`]).
    pub anneal_strategy: Anneal,
    /// Move the momentum (SGD's and RMSprop's `momentum`, the Adam family's β₁) opposite to the
    /// rate, between `max_momentum` and `base_momentum` (default true).
    pub cycle_momentum: bool,
    /// The momentum at the peak of the rate (default 0.85).
    pub base_momentum: f64,
    /// The momentum at the start and end of the cycle (default 0.95).
    pub max_momentum: f64,
    /// The starting rate is max_lr / div_factor (default 25).
    pub div_factor: f64,
    /// The final rate is the starting rate / final_div_factor (default 1e4).
    pub final_div_factor: f64,
    /// Three phases — up, back down to the starting rate, then down to the final rate — instead
    /// of two (up, then down to the final rate) (default false).
    pub three_phase: bool,
}

impl Default for OneCycleLrConfig {
    fn default() -> Self {
        OneCycleLrConfig {
            pct_start: 0.3,
            anneal_strategy: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

/// A rate level of a phase's ends.
#[derive(Clone, Copy, Debug)]
enum Level {
    Initial,
    Max,
    Min,
}

/// One phase: it ends at step `end` (fractional, as PyTorch computes it) and moves the rate
/// between two levels and the momentum between two values.
#[derive(Clone, Copy, Debug)]
struct Phase {
    end: f64,
    lr: (Level, Level),
    momentum: (f64, f64),
}

/// The 1cycle policy, PyTorch's `OneCycleLR`, stepped once per *batch*: each group's rate rises
/// from max_lr / div_factor to max_lr over the first `pct_start` of the `total_steps`, then
/// falls to max_lr / (div_factor · final_div_factor); the momentum moves the opposite way,
/// between `max_momentum` and `base_momentum`. With `three_phase`, the rate first returns to
/// its start, then falls to the final rate.
///
/// Construction sets every group's rate (and momentum) for step 0; each
/// [`step`](LrScheduler::step) moves to the next, up to `total_steps` steps, after which
/// stepping is an error ([`Error::ScheduleExhausted`]), as in PyTorch. Give `total_steps` as
/// PyTorch's `epochs * steps_per_epoch` when that is how you count.
///
/// Two deliberate differences from PyTorch:
/// - The cycle's rates are defined at steps 0 to `total_steps − 1`; PyTorch allows one more
///   step (the `total_steps`-th call, after the last batch) and extrapolates past the final rate
///   there: the rate rises again with cosine annealing and turns *negative* with linear
///   annealing. Here that last step keeps the final rate and momentum. (A loop that steps the
///   schedule after every batch never trains with that step's rate, so trajectories agree.)
/// - A `pct_start` that leaves a phase of zero length (so that PyTorch divides by zero at some
///   step) is an error at construction.
#[derive(Clone, Debug)]
pub struct OneCycleLr {
    total_steps: usize,
    anneal: Anneal,
    cycle_momentum: bool,
    /// Per group: the initial, maximum and final rates.
    lrs: Vec<[f64; 3]>,
    phases: Vec<Phase>,
    last_epoch: usize,
}

impl OneCycleLr {
    /// 1cycle over `total_steps` steps, peaking at `max_lr` for every parameter group; sets
    /// every group's rate and momentum for step 0. Fails, changing nothing, on a bad option, or
    /// with `cycle_momentum` on an optimizer without momentum or betas (Adagrad; PyTorch's
    /// rule), or on a momentum the optimizer rejects (β₁ ≥ 1 for Adam).
    #[track_caller]
    pub fn new<T: Float>(
        optimizer: &mut (impl Optimizer<T> + ?Sized),
        max_lr: f64,
        total_steps: usize,
        config: OneCycleLrConfig,
    ) -> Result<Self> {
        let max_lrs = vec![max_lr; optimizer.group_count()];
        Self::with_max_lrs(optimizer, &max_lrs, total_steps, config)
    }

    /// [`new`](Self::new) with a peak rate per parameter group (PyTorch's list `max_lr`); fails
    /// also if `max_lrs` does not have one rate per group.
    #[track_caller]
    pub fn with_max_lrs<T: Float>(
        optimizer: &mut (impl Optimizer<T> + ?Sized),
        max_lrs: &[f64],
        total_steps: usize,
        config: OneCycleLrConfig,
    ) -> Result<Self> {
        const NAME: &str = "OneCycleLR";
        let site = Site::caller();
        let c = config;
        error::check(NAME, "total_steps", total_steps as f64, total_steps >= 1, ">= 1", site)?;
        error::check(NAME, "pct_start", c.pct_start, (0.0..=1.0).contains(&c.pct_start), "in [0, 1]", site)?;
        let positive = |v: f64| v.is_finite() && v > 0.0;
        error::check(NAME, "div_factor", c.div_factor, positive(c.div_factor), "finite and > 0", site)?;
        let final_div = c.final_div_factor;
        error::check(NAME, "final_div_factor", final_div, positive(final_div), "finite and > 0", site)?;
        error::non_negative(NAME, "base_momentum", c.base_momentum, site)?;
        error::non_negative(NAME, "max_momentum", c.max_momentum, site)?;
        for &lr in max_lrs {
            error::non_negative(NAME, "max_lr", lr, site)?;
        }
        let groups = optimizer.group_count();
        if max_lrs.len() != groups {
            return Err(Error::GroupCount { owner: NAME, expected: max_lrs.len(), got: groups, site });
        }
        if c.cycle_momentum && optimizer.group_momentum(0).is_none() {
            return Err(Error::NoMomentum { owner: NAME, optimizer: "this optimizer", site });
        }

        let total = total_steps as f64;
        let (up, down) = ((c.max_momentum, c.base_momentum), (c.base_momentum, c.max_momentum));
        let phases = if c.three_phase {
            vec![
                Phase { end: c.pct_start * total - 1.0, lr: (Level::Initial, Level::Max), momentum: up },
                Phase { end: 2.0 * c.pct_start * total - 2.0, lr: (Level::Max, Level::Initial), momentum: down },
                Phase {
                    end: total - 1.0,
                    lr: (Level::Initial, Level::Min),
                    momentum: (c.max_momentum, c.max_momentum),
                },
            ]
        } else {
            vec![
                Phase { end: c.pct_start * total - 1.0, lr: (Level::Initial, Level::Max), momentum: up },
                Phase { end: total - 1.0, lr: (Level::Max, Level::Min), momentum: down },
            ]
        };
        // Steps 0..=total pick the first phase whose end they do not pass (the last phase takes
        // the rest); a picked phase of zero length divides by zero. Only the first phase (at
        // step 0) and the last (at step `total`) can be picked with zero length.
        let last = phases.len() - 1;
        let zero_first = phases[0].end == 0.0;
        let zero_last = phases[last].end == phases[last - 1].end && phases[last - 1].end < total;
        if zero_first || zero_last {
            let requirement = "such that every phase of the cycle spans at least one step";
            return Err(Error::InvalidHyperParameter {
                owner: NAME,
                name: "pct_start",
                value: c.pct_start,
                requirement,
                site,
            });
        }
        let lrs = max_lrs
            .iter()
            .map(|&max| {
                let initial = max / c.div_factor;
                [initial, max, initial / c.final_div_factor]
            })
            .collect();
        let schedule = OneCycleLr {
            total_steps,
            anneal: c.anneal_strategy,
            cycle_momentum: c.cycle_momentum,
            lrs,
            phases,
            last_epoch: 0,
        };

        // Set step 0's rates and momenta, after checking that the optimizer accepts both momenta
        // (the base one is reached later); on failure, put the old values back.
        let (old_lrs, old_momenta): (Vec<f64>, Vec<Option<f64>>) =
            (optimizer.group_lrs(), (0..groups).map(|g| optimizer.group_momentum(g)).collect());
        if let Err(e) = schedule.set_step_zero(optimizer, c.base_momentum) {
            for (g, (lr, momentum)) in old_lrs.into_iter().zip(old_momenta).enumerate() {
                // The values the optimizer held: valid.
                optimizer.set_group_lr(g, lr).expect("the old rate is valid");
                if let (true, Some(m)) = (c.cycle_momentum, momentum) {
                    optimizer.set_group_momentum(g, m).expect("the old momentum is valid");
                }
            }
            return Err(e);
        }
        Ok(schedule)
    }

    /// Sets every group's rate and momentum for step 0, after checking that the optimizer accepts
    /// the base momentum too (reached later).
    #[track_caller]
    fn set_step_zero<T: Float>(&self, optimizer: &mut (impl Optimizer<T> + ?Sized), base_momentum: f64) -> Result<()> {
        if self.cycle_momentum {
            for g in 0..self.lrs.len() {
                optimizer.set_group_momentum(g, base_momentum)?;
            }
        }
        apply(self, optimizer).map(drop)
    }

    /// The phase of step `step` and how far into it the step is (0 at its start, 1 at its end).
    /// Step `total_steps` is held at `total_steps − 1`, the end of the cycle.
    fn phase(&self, step: usize) -> (&Phase, f64) {
        let step = step.min(self.total_steps - 1) as f64;
        let mut start = 0.0;
        for (i, phase) in self.phases.iter().enumerate() {
            if step <= phase.end || i == self.phases.len() - 1 {
                return (phase, (step - start) / (phase.end - start));
            }
            start = phase.end;
        }
        unreachable!("the last phase takes every remaining step")
    }
}

impl LrScheduler for OneCycleLr {
    fn name(&self) -> &'static str {
        "OneCycleLR"
    }
    fn advance(&mut self) -> Result<()> {
        let step = self.last_epoch + 1;
        if step > self.total_steps {
            let (owner, total_steps, site) = (self.name(), self.total_steps, Site::caller());
            return Err(Error::ScheduleExhausted { owner, step, total_steps, site });
        }
        self.last_epoch = step;
        Ok(())
    }
    fn group_lr(&self, group: usize, _current: f64) -> f64 {
        let (phase, pct) = self.phase(self.last_epoch);
        let level = |l: Level| match l {
            Level::Initial => self.lrs[group][0],
            Level::Max => self.lrs[group][1],
            Level::Min => self.lrs[group][2],
        };
        self.anneal.at(level(phase.lr.0), level(phase.lr.1), pct)
    }
    fn group_momentum(&self, _group: usize) -> Option<f64> {
        let (phase, pct) = self.phase(self.last_epoch);
        self.cycle_momentum.then(|| self.anneal.at(phase.momentum.0, phase.momentum.1, pct))
    }
    fn groups(&self) -> Option<usize> {
        Some(self.lrs.len())
    }
    fn last_epoch(&self) -> usize {
        self.last_epoch
    }
    fn state_dict(&self) -> ScheduleState {
        named([("last_epoch", self.last_epoch as f64)])
    }
    #[track_caller]
    fn load_state_dict(&mut self, state: &ScheduleState) -> Result<()> {
        let mut r = Reader::new(self.name(), state, Site::caller());
        let within = |v: f64| v >= 0.0 && v.fract() == 0.0 && v <= self.total_steps as f64;
        let last_epoch = r.number("last_epoch", within, "a step count within total_steps")? as usize;
        r.finish()?;
        self.last_epoch = last_epoch;
        Ok(())
    }
}
