//! Validation splits: [`Dataset::random_split`] and [`Dataset::stratified_split`].
//!
//! Both hold out a seeded random share of the samples, so a validation set is a fair sample of
//! the training data whatever order the file stores it in. Keras's `validation_split` instead
//! takes the *last* part of the data unshuffled, which silently skews the validation set when the
//! file is sorted (by class, by writer, by date); [`Dataset::split_at`] remains for that.
//!
//! The held-out count is `round(fraction · N)`, rounding halves away from zero (`f64::round`):
//! 0.2 of 8,000 holds out 1,600, 0.25 of 10 holds out 3 (2.5 rounds up). Both sides keep the
//! dataset's order among their samples (the [`DataLoader`](super::DataLoader) reshuffles
//! anyway), so the split is the *set* of held-out samples, fixed by the seed.
//!
//! The random stream is `rand`'s `StdRng` keyed by the seed and a tag of its own, so a split and
//! a loader given the same seed do not draw the same permutation.

use super::Dataset;
use crate::{Error, Result};
use autograd::Float;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

impl<T: Float> Dataset<T> {
    /// Splits off a random `fraction` of the samples: returns `(rest, held_out)`, where
    /// `held_out` holds `round(fraction · N)` samples (halves round up) chosen by a random
    /// permutation fixed by `seed`, and `rest` holds the others. Each side keeps the dataset's
    /// order. Unlike Keras's `validation_split`, which takes the last part unshuffled, the
    /// held-out samples come from anywhere in the dataset.
    ///
    /// Fails if the dataset is empty, if `fraction` is not strictly between 0 and 1 (or is
    /// NaN), or if either side would be empty (0.01 of 10 samples rounds to 0).
    ///
    /// ```
    /// use autograd::Tensor;
    /// use train::data::Dataset;
    ///
    /// let data = Dataset::new(Tensor::<f32>::from_fn([10, 1], |i| i as f32), vec![0; 10], 1)?;
    /// let (train, val) = data.random_split(0.2, 42)?;
    /// assert_eq!((train.len(), val.len()), (8, 2));
    /// let mut all: Vec<f32> = train.images().to_vec();
    /// all.extend(val.images().to_vec());
    /// all.sort_by(f32::total_cmp);
    /// assert_eq!(all, (0..10).map(|i| i as f32).collect::<Vec<_>>()); // nothing lost, nothing twice
    /// assert_eq!(data.random_split(0.2, 42)?.1.images().to_vec(), val.images().to_vec()); // seeded
    /// # Ok::<(), train::Error>(())
    /// ```
    pub fn random_split(&self, fraction: f64, seed: u64) -> Result<(Dataset<T>, Dataset<T>)> {
        const OP: &str = "Dataset::random_split";
        let held_out = held_out_count(OP, self.len(), fraction)?;
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut split_rng(seed));
        let mut chosen = vec![false; self.len()];
        order[..held_out].iter().for_each(|&i| chosen[i] = true);
        Ok(self.partition(&chosen))
    }

    /// Like [`Dataset::random_split`], but each class is split in the same proportion, so the
    /// held-out part has the dataset's class balance. Returns `(rest, held_out)`.
    ///
    /// Rounding: class `c` with `n_c` samples has an exact share `fraction · n_c`; each class
    /// first gets the floor of its share, and the samples still missing to reach the total
    /// `round(fraction · N)` go one each to the classes with the largest fractional parts
    /// (ties to the lower class index). So the total is exactly what [`Dataset::random_split`]
    /// holds out, and every class holds out the floor or the ceiling of its share. Within a
    /// class, the held-out samples are chosen by a permutation fixed by `seed`.
    ///
    /// Fails as [`Dataset::random_split`] does.
    ///
    /// ```
    /// use autograd::Tensor;
    /// use train::data::Dataset;
    ///
    /// // 6 samples of class 0, 4 of class 1.
    /// let labels = vec![0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
    /// let data = Dataset::new(Tensor::<f32>::zeros([10, 1]), labels, 2)?;
    /// let (train, val) = data.stratified_split(0.5, 7)?;
    /// assert_eq!(val.class_counts(), vec![3, 2]);
    /// assert_eq!(train.class_counts(), vec![3, 2]);
    /// # Ok::<(), train::Error>(())
    /// ```
    pub fn stratified_split(&self, fraction: f64, seed: u64) -> Result<(Dataset<T>, Dataset<T>)> {
        const OP: &str = "Dataset::stratified_split";
        let total = held_out_count(OP, self.len(), fraction)?;
        let counts = self.class_counts();
        let quotas = largest_remainder_quotas(&counts, fraction, total);
        let mut by_class: Vec<Vec<usize>> = counts.iter().map(|&n| Vec::with_capacity(n)).collect();
        self.labels().iter().enumerate().for_each(|(i, &label)| by_class[label].push(i));
        let mut rng = split_rng(seed);
        let mut chosen = vec![false; self.len()];
        for (members, quota) in by_class.iter_mut().zip(quotas) {
            members.shuffle(&mut rng);
            members[..quota].iter().for_each(|&i| chosen[i] = true);
        }
        Ok(self.partition(&chosen))
    }

    /// `(samples not chosen, samples chosen)`, each in the dataset's order.
    fn partition(&self, chosen: &[bool]) -> (Dataset<T>, Dataset<T>) {
        let (held_out, rest): (Vec<usize>, Vec<usize>) = (0..self.len()).partition(|&i| chosen[i]);
        (self.gather(&rest), self.gather(&held_out))
    }
}

/// `round(fraction · samples)`, after checking that the dataset is not empty, that the fraction
/// lies in (0, 1) and that neither side of the split is empty.
fn held_out_count(op: &'static str, samples: usize, fraction: f64) -> Result<usize> {
    if samples == 0 {
        return Err(Error::EmptyDataset { op });
    }
    // Written so that NaN fails too.
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(Error::SplitFraction { op, fraction });
    }
    let held_out = (fraction * samples as f64).round() as usize;
    if held_out == 0 || held_out == samples {
        return Err(Error::EmptySplit { op, fraction, samples, held_out });
    }
    Ok(held_out)
}

/// Per-class held-out counts summing to `total` (Hamilton's largest-remainder method): floors
/// of the exact shares, then one more for the classes with the largest remainders.
fn largest_remainder_quotas(counts: &[usize], fraction: f64, total: usize) -> Vec<usize> {
    let shares: Vec<f64> = counts.iter().map(|&n| fraction * n as f64).collect();
    let mut quotas: Vec<usize> = shares.iter().zip(counts).map(|(s, &n)| (s.floor() as usize).min(n)).collect();
    let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
    // Stable sort: equal remainders keep class order.
    by_remainder.sort_by(|&a, &b| (shares[b] - shares[b].floor()).total_cmp(&(shares[a] - shares[a].floor())));
    // Σ floor ≤ fraction · N ≤ Σ ceil, so the missing samples never exceed the classes with a
    // positive remainder; the checks guard the ends of that range against float rounding.
    let mut missing = total.saturating_sub(quotas.iter().sum());
    for c in by_remainder {
        if missing == 0 {
            break;
        }
        if quotas[c] < counts[c] {
            quotas[c] += 1;
            missing -= 1;
        }
    }
    quotas
}

/// The split's random stream: `StdRng` keyed by the seed and the tag `"split"`, which keeps it
/// apart from the loader's streams (keyed by seed and epoch).
fn split_rng(seed: u64) -> StdRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[16..21].copy_from_slice(b"split");
    StdRng::from_seed(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_follow_the_largest_remainders_and_sum_to_the_total() {
        // Shares 0.3·[5, 3, 2] = [1.5, 0.9, 0.6]; floors [1, 0, 0]; total round(3.0) = 3: the two
        // largest remainders (0.9, 0.6) get one each.
        assert_eq!(largest_remainder_quotas(&[5, 3, 2], 0.3, 3), vec![1, 1, 1]);
        // Equal remainders: the lower class index first.
        assert_eq!(largest_remainder_quotas(&[1, 1, 1], 0.5, 2), vec![1, 1, 0]);
        // An absent class gets nothing.
        assert_eq!(largest_remainder_quotas(&[4, 0, 6], 0.5, 5), vec![2, 0, 3]);
    }
}
