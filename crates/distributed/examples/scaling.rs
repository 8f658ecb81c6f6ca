//! # Data-parallel scaling of the MNIST MLP: the measurements behind `docs/distributed.md`
//!
//! Trains the 784-256-128-10 ReLU network of `examples/mnist.rs` (SGD with momentum, f32) on
//! the vendored 8,000 training digits at a global batch of `--batch` samples, split over the
//! ranks of the world it is launched in, and reports from rank 0:
//!
//! - samples per second (global: every rank's samples count), best of `--rounds` rounds;
//! - per step: the compute (forward, backward, optimizer step) and the gradient averaging,
//!   split into the all-reduce calls and the copies into and out of the buckets;
//! - the all-reduce alone, on a message of the gradient's size and of one value, with the ranks
//!   lined up by a barrier first (so it is transfer time, not waiting for a slower rank).
//!
//! ```text
//! cargo build --release -p chainrule-distributed --features mpi --example scaling
//! mpirun -np 1 target/release/examples/scaling
//! mpirun -np 2 target/release/examples/scaling            # one thread per rank
//! mpirun -np 2 target/release/examples/scaling --batch 128
//! ```

use autograd::Tape;
use distributed::{Communicator, DataParallel, DataParallelConfig, DistributedSampler};
use nn::{cross_entropy, LinearConfig, Module, Reduction, Relu, Sequential};
use optim::{Optimizer, Sgd, SgdConfig};
use rand::{rngs::StdRng, SeedableRng};
use std::error::Error;
use std::time::Instant;
use train::data::Dataset;

fn main() {
    distributed::launch(run)
}

fn run(world: &dyn Communicator) -> Result<(), Box<dyn Error>> {
    let args = Args::parse(std::env::args().skip(1))?;
    let (ranks, rank) = (world.size(), world.rank());
    if args.batch % ranks != 0 {
        return Err(format!("--batch {} does not divide among {ranks} ranks", args.batch).into());
    }
    let batch = args.batch / ranks;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");
    let mnist: Dataset =
        Dataset::from_idx(format!("{dir}/images-idx3-ubyte.gz"), format!("{dir}/labels-idx1-ubyte.gz"), 10)?;
    let (train_set, _) = mnist.split_at(8_000)?;

    let mut rng = StdRng::seed_from_u64(0);
    let model = Sequential::<f32>::new()
        .push(LinearConfig::new(784, 256).init(&mut rng)?)
        .push(Relu)
        .push(LinearConfig::new(256, 128).init(&mut rng)?)
        .push(Relu)
        .push(LinearConfig::new(128, 10).init(&mut rng)?);
    let mut ddp = DataParallel::from_module(world, &model, DataParallelConfig::default())?;
    let config = SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() };
    let mut sgd = Sgd::new(model.named_parameters(), config)?;
    let sampler = DistributedSampler::for_world(train_set.len(), world)?.shuffle(0);
    let steps_per_epoch = sampler.num_samples() / batch;

    // Training rounds of one epoch each. Each step is timed in its parts: the machine may be
    // shared, and a rank that loses its core for a few milliseconds makes the other wait in
    // the all-reduce, so medians over the steps are reported beside the best round's mean.
    let mut tape = Tape::new();
    let (mut best_round, mut steps) = (0.0f64, Vec::new());
    for round in 0..args.rounds {
        world.barrier();
        let started = Instant::now();
        let shard = sampler.indices(round as u64);
        for step in 0..steps_per_epoch {
            let mine = &shard[step * batch..][..batch];
            let t0 = Instant::now();
            let (images, labels) = train_set.subset(mine)?.into_parts();
            let loss = cross_entropy(&model.forward(&tape.constant(images))?, &labels, Reduction::Mean)?;
            loss.backward()?;
            let t1 = Instant::now();
            let before = ddp.stats();
            ddp.average_gradients()?;
            let after = ddp.stats();
            let t2 = Instant::now();
            sgd.step()?;
            tape.clear();
            let t3 = Instant::now();
            steps.push(Step {
                compute: (t1 - t0 + (t3 - t2)).as_secs_f64(),
                averaging: (t2 - t1).as_secs_f64(),
                all_reduce: (after.all_reduce_time - before.all_reduce_time).as_secs_f64(),
                total: (t3 - t0).as_secs_f64(),
            });
        }
        world.barrier();
        best_round = best_round.max((steps_per_epoch * args.batch) as f64 / started.elapsed().as_secs_f64());
    }
    ddp.check_in_sync()?;
    let stats = ddp.stats();
    let median = |part: fn(&Step) -> f64| {
        let mut v: Vec<f64> = steps.iter().map(part).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let mean = |part: fn(&Step) -> f64| steps.iter().map(part).sum::<f64>() / steps.len() as f64;
    let mine = [
        median(|s| s.compute),
        median(|s| s.averaging),
        median(|s| s.all_reduce),
        median(|s| s.total),
        mean(|s| s.all_reduce),
    ];

    // Every rank's medians in one table on rank 0.
    let mut table = vec![0.0; 5 * ranks];
    table[5 * rank..5 * rank + 5].copy_from_slice(&mine);
    ddp.sum_across_ranks(&mut table);

    // The all-reduce alone: gradient-sized and one-value messages, ranks lined up first.
    let gradient = model.num_parameters();
    let big = time_all_reduce(world, gradient, args.repeats);
    let small = time_all_reduce(world, 1, 10 * args.repeats);

    if world.is_root() {
        let ms = |s: f64| format!("{:.3} ms", s * 1e3);
        println!(
            "{ranks} rank(s), global batch {} ({batch} per rank), {} steps per epoch, {} epochs",
            args.batch, steps_per_epoch, args.rounds
        );
        // The slowest rank's median step paces the job.
        let step = (0..ranks).map(|r| table[5 * r + 3]).fold(0.0, f64::max);
        println!(
            "  {:.0} samples/s (best epoch); {:.0} samples/s at the median step of {}",
            best_round,
            args.batch as f64 / step,
            ms(step)
        );
        for r in 0..ranks {
            let [compute, averaging, all_reduce, _, mean_all_reduce] = [0, 1, 2, 3, 4].map(|i| table[5 * r + i]);
            println!(
                "  rank {r}, medians per step: compute {}, gradient averaging {} of which all-reduce {} \
                 ({:.1} % of compute + averaging); mean all-reduce {}",
                ms(compute),
                ms(averaging),
                ms(all_reduce),
                100.0 * averaging / (compute + averaging),
                ms(mean_all_reduce),
            );
        }
        let per_step = |v: u64| v / stats.steps.max(1);
        println!(
            "  per step: {} all-reduce call(s), {} bytes per rank",
            per_step(stats.all_reduces),
            per_step(stats.bytes)
        );
        println!(
            "  all-reduce alone (ranks lined up), median: {} values ({} bytes) {:.1} µs, 1 value {:.1} µs",
            gradient,
            4 * gradient,
            big * 1e6,
            small * 1e6
        );
    }
    Ok(())
}

/// The parts of one training step, in seconds.
struct Step {
    compute: f64,
    averaging: f64,
    all_reduce: f64,
    total: f64,
}

/// The median time of one all-reduce of `n` f32 values, each call preceded by a barrier.
fn time_all_reduce(world: &dyn Communicator, n: usize, repeats: usize) -> f64 {
    let (send, mut recv) = (vec![1.0f32; n], vec![0.0f32; n]);
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            world.barrier();
            let t = Instant::now();
            world.all_reduce_sum_f32(&send, &mut recv);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    // The slowest rank's median: a step goes on only when every rank has its sum.
    let mut medians = vec![0.0; world.size()];
    medians[world.rank()] = times[times.len() / 2];
    let mine = medians.clone();
    world.all_reduce_sum_f64(&mine, &mut medians);
    medians.into_iter().fold(0.0, f64::max)
}

struct Args {
    batch: usize,
    rounds: usize,
    repeats: usize,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let usage = "usage: scaling [--batch 64] [--rounds 3] [--repeats 50]";
        let mut parsed = Args { batch: 64, rounds: 3, repeats: 50 };
        while let Some(flag) = args.next() {
            let value = args.next().ok_or(format!("{flag} needs a value\n{usage}"))?;
            let number = value.parse::<usize>().map_err(|e| format!("bad value {value:?} for {flag}: {e}"))?;
            match flag.as_str() {
                "--batch" => parsed.batch = number,
                "--rounds" => parsed.rounds = number,
                "--repeats" => parsed.repeats = number,
                _ => return Err(format!("unknown flag {flag}\n{usage}")),
            }
        }
        if parsed.batch == 0 || parsed.repeats == 0 {
            return Err(format!("--batch and --repeats must be at least 1\n{usage}"));
        }
        Ok(parsed)
    }
}
