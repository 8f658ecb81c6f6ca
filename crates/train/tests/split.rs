//! Validation splits: each is a permutation of the dataset (nothing in both halves, nothing
//! lost), fixed by its seed, stratified by class when asked, and bad arguments are errors.

use autograd::Tensor;
use train::data::Dataset;
use train::Error;

/// `n` samples whose two features `[i, -i]` identify them, labelled by `label(i)`.
fn tagged(n: usize, classes: usize, label: impl Fn(usize) -> usize) -> Dataset<f64> {
    let images = Tensor::from_fn([n, 2], |k| if k % 2 == 0 { (k / 2) as f64 } else { -((k / 2) as f64) });
    Dataset::new(images, (0..n).map(label).collect(), classes).unwrap()
}

/// The sample ids in a split-off part, checking that each row is intact and keeps its label.
fn ids(part: &Dataset<f64>, label: impl Fn(usize) -> usize) -> Vec<usize> {
    let rows = part.images().to_vec();
    rows.chunks(2)
        .zip(part.labels())
        .map(|(row, &l)| {
            assert_eq!(row[1], -row[0], "a row was torn apart");
            let id = row[0] as usize;
            assert_eq!(l, label(id), "sample {id} lost its label");
            id
        })
        .collect()
}

/// Asserts that `(rest, held_out)` partition `0..n` with `expected_held_out` held out, each side
/// in increasing order, and returns the held-out ids.
fn assert_partition(
    (rest, held_out): &(Dataset<f64>, Dataset<f64>),
    n: usize,
    expected_held_out: usize,
    label: impl Fn(usize) -> usize + Copy,
) -> Vec<usize> {
    let (rest_ids, held_ids) = (ids(rest, label), ids(held_out, label));
    assert_eq!(held_ids.len(), expected_held_out);
    assert!(rest_ids.windows(2).all(|w| w[0] < w[1]) && held_ids.windows(2).all(|w| w[0] < w[1]));
    let mut all: Vec<usize> = rest_ids.iter().chain(&held_ids).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>(), "a sample is in both halves or in neither");
    assert_eq!((rest.classes(), held_out.classes()), (3, 3));
    held_ids
}

fn by_three(i: usize) -> usize {
    i % 3
}

#[test]
fn random_split_is_a_permutation_with_the_rounded_count() {
    // round(fraction · N), halves away from zero.
    for (n, fraction, held_out) in [(100, 0.2, 20), (10, 0.25, 3), (10, 0.24, 2), (7, 0.5, 4), (2, 0.5, 1), (3, 0.5, 2)]
    {
        let data = tagged(n, 3, by_three);
        let split = data.random_split(fraction, 1).unwrap();
        assert_partition(&split, n, held_out, by_three);
    }
}

#[test]
fn random_split_is_fixed_by_its_seed() {
    let data = tagged(200, 3, by_three);
    let held = |seed| assert_partition(&data.random_split(0.3, seed).unwrap(), 200, 60, by_three);
    assert_eq!(held(5), held(5));
    assert_ne!(held(5), held(6));
    // Shuffled, not the last 30 % as Keras's validation_split takes (nor the first).
    assert_ne!(held(5), (140..200).collect::<Vec<_>>());
    assert_ne!(held(5), (0..60).collect::<Vec<_>>());
    // The images are the same bits on a second call, not only the same ids.
    let (a, b) = (data.random_split(0.3, 5).unwrap(), data.random_split(0.3, 5).unwrap());
    assert_eq!(a.1.images().to_vec(), b.1.images().to_vec());
    assert_eq!(a.0.images().to_vec(), b.0.images().to_vec());
}

#[test]
fn stratified_split_holds_out_the_same_share_of_every_class() {
    // 60 of class 0, 30 of class 1, 10 of class 2, interleaved.
    let label = |i: usize| match i % 10 {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    };
    let data = tagged(100, 3, label);
    for seed in 0..5 {
        let split = data.stratified_split(0.2, seed).unwrap();
        assert_partition(&split, 100, 20, label);
        assert_eq!(split.1.class_counts(), vec![12, 6, 2]);
        assert_eq!(split.0.class_counts(), vec![48, 24, 8]);
    }
    let held = |seed| assert_partition(&data.stratified_split(0.2, seed).unwrap(), 100, 20, label);
    assert_eq!(held(3), held(3));
    assert_ne!(held(3), held(4));
}

#[test]
fn stratified_rounding_reaches_the_rounded_total_with_floors_or_ceilings() {
    // Class sizes 5, 3, 2 (sorted by class): shares 0.3 · [5, 3, 2] = [1.5, 0.9, 0.6], total
    // round(3.0) = 3. Floors [1, 0, 0]; the two largest remainders (classes 1 and 2) get one more.
    let label = |i: usize| match i {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    };
    let data = tagged(10, 3, label);
    let split = data.stratified_split(0.3, 9).unwrap();
    assert_partition(&split, 10, 3, label);
    assert_eq!(split.1.class_counts(), vec![1, 1, 1]);

    // Many classes, awkward sizes: the total is always round(fraction · N) and every class holds
    // out the floor or the ceiling of its share.
    let label = |i: usize| (i * i + 3 * i) % 7 % 3;
    let data = tagged(157, 3, label);
    for fraction in [0.05, 0.1, 0.33, 0.5, 0.77, 0.95] {
        let total = (fraction * 157.0f64).round() as usize;
        let split = data.stratified_split(fraction, 11).unwrap();
        assert_partition(&split, 157, total, label);
        for (count, held) in data.class_counts().into_iter().zip(split.1.class_counts()) {
            let share = fraction * count as f64;
            assert!(held == share.floor() as usize || held == share.ceil() as usize, "{held} of {count} at {fraction}");
        }
    }
}

#[test]
fn a_class_too_small_to_split_stays_on_one_side() {
    // Classes 1 and 2 have one sample each: their shares 0.5 · 1 tie, and the one sample left to
    // hold out goes to the lower class, so class 2 stays whole in the rest; the split succeeds.
    let data = tagged(4, 3, |i| [0, 0, 1, 2][i]);
    let (rest, held) = data.stratified_split(0.5, 0).unwrap();
    assert_eq!((held.class_counts(), rest.class_counts()), (vec![1, 1, 0], vec![1, 0, 1]));
}

#[test]
fn bad_fractions_and_empty_sides_are_errors_naming_the_problem() {
    let data = tagged(10, 3, by_three);
    for split in [Dataset::<f64>::random_split, Dataset::<f64>::stratified_split] {
        for fraction in [0.0, 1.0, -0.2, 1.5, f64::NAN, f64::INFINITY] {
            let err = split(&data, fraction, 0).unwrap_err();
            assert!(matches!(err, Error::SplitFraction { .. }), "{err}");
            assert!(err.to_string().contains(&format!("must be in (0, 1), got {fraction}")), "{err}");
        }
        for (fraction, held_out) in [(0.01, 0), (0.04, 0), (0.96, 10)] {
            let err = split(&data, fraction, 0).unwrap_err();
            assert!(matches!(err, Error::EmptySplit { samples: 10, held_out: h, .. } if h == held_out), "{err}");
            assert!(err.to_string().contains(&format!("{fraction} of 10 samples rounds to {held_out}")), "{err}");
        }
        let empty = Dataset::new(Tensor::<f64>::zeros([0, 2]), vec![], 3).unwrap();
        assert!(matches!(split(&empty, 0.2, 0).unwrap_err(), Error::EmptyDataset { .. }));
        let one = tagged(1, 3, by_three);
        assert!(matches!(split(&one, 0.5, 0).unwrap_err(), Error::EmptySplit { samples: 1, .. }));
    }
    assert_eq!(
        data.random_split(0.01, 0).unwrap_err().to_string(),
        "Dataset::random_split: holding out 0.01 of 10 samples rounds to 0, leaving one side empty; \
         each side needs at least one sample"
    );
    assert_eq!(
        data.stratified_split(1.0, 0).unwrap_err().to_string(),
        "Dataset::stratified_split: the fraction to hold out must be in (0, 1), got 1"
    );
}
