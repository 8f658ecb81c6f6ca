//! The MNIST MLP, 784-256-128-10 with ReLU: training (cross-entropy, plain SGD with lr 0.01,
//! shuffled mini-batches) and inference (no tape, eval mode), on the 10,000 bundled digits.
//!
//! Training throughput counts whole epochs: batching, forward, backward and update, after one
//! untimed epoch. Its records also carry each epoch's mean loss (which the PyTorch peer must
//! match, as it starts from the same weights and sees the same batches), the peak resident set
//! of the process and the resident set after each epoch (growth would be a leak).

use crate::memory::{peak_rss_mib, rss_mib};
use crate::record::Record;
use crate::{Settings, SEED};
use chainrule::autograd::{Tape, Tensor};
use chainrule::nn::{cross_entropy, Checkpoint, LinearConfig, Module, Reduction, Relu, Sequential};
use chainrule::optim::{Optimizer, Sgd, SgdConfig};
use chainrule::train::data::{DataLoader, Dataset};
use rand::{rngs::StdRng, SeedableRng};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

/// The learning rate of plain SGD.
pub const LR: f64 = 0.01;

/// The bundled digits, grey levels scaled to [0, 1], one image per row of a `[10000, 784]`
/// tensor.
pub fn digits() -> Result<Dataset, Box<dyn Error>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist-10k");
    let images = format!("{dir}/images-idx3-ubyte.gz");
    Ok(Dataset::from_idx(images, format!("{dir}/labels-idx1-ubyte.gz"), 10)?)
}

/// The network with its default initialization (He-uniform weights, zero biases) from
/// [`SEED`]: the same bits on every call.
pub fn model() -> Result<Sequential<f32>, Box<dyn Error>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    Ok(Sequential::new()
        .push(LinearConfig::new(784, 256).init(&mut rng)?)
        .push(Relu)
        .push(LinearConfig::new(256, 128).init(&mut rng)?)
        .push(Relu)
        .push(LinearConfig::new(128, 10).init(&mut rng)?))
}

/// Trains for one untimed and `settings.epochs` timed epochs; prints samples/s, peak RSS and
/// RSS growth.
pub fn train(settings: &Settings) -> Result<(), Box<dyn Error>> {
    let digits = digits()?;
    let model = model()?;
    let rss_after_load = rss_mib();
    let mut sgd = Sgd::new(model.named_parameters(), SgdConfig { lr: LR, ..Default::default() })?;
    let loader = DataLoader::new(&digits, settings.batch)?.shuffle(SEED);
    let mut tape = Tape::new();
    let (mut seconds, mut losses, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for epoch in 0..=settings.epochs {
        let start = Instant::now();
        let mut loss_sum = 0.0;
        for batch in loader.epoch(epoch as u64) {
            let x = tape.constant(batch.images);
            let loss = cross_entropy(&model.forward(&x)?, &batch.labels, Reduction::Mean)?;
            loss.backward()?;
            loss_sum += f64::from(loss.item()) * batch.labels.len() as f64;
            sgd.step()?;
            tape.clear();
        }
        seconds.push(start.elapsed().as_secs_f64());
        losses.push(loss_sum / digits.len() as f64);
        rss.push(rss_mib());
    }
    let timed = &seconds[1..];
    let samples = (settings.epochs * digits.len()) as f64;
    let per_epoch: Vec<f64> = timed.iter().map(|s| digits.len() as f64 / s).collect();
    Record::new(settings, "mlp-train", "samples_per_s", samples / timed.iter().sum::<f64>())
        .with("batch", settings.batch)
        .with("per_epoch", per_epoch)
        .with("loss_per_epoch", losses)
        .print();
    report_memory(settings, rss_after_load, &rss);
    Ok(())
}

/// Peak RSS (with the resident set once the data and model are loaded, to tell loading from
/// training) and the growth of the resident set from the end of the untimed epoch to the end of
/// the last.
fn report_memory(settings: &Settings, rss_after_load: Option<f64>, rss_after_epoch: &[Option<f64>]) {
    let (Some(peak), Some(Some(first)), Some(Some(last))) =
        (peak_rss_mib(), rss_after_epoch.first(), rss_after_epoch.last())
    else {
        eprintln!("no /proc/self/status here: memory figures skipped");
        return;
    };
    let after_epoch: Vec<f64> = rss_after_epoch.iter().flatten().copied().collect();
    Record::new(settings, "mlp-train", "peak_rss_mib", peak)
        .with("batch", settings.batch)
        .with("rss_after_load_mib", rss_after_load)
        .print();
    Record::new(settings, "mlp-train", "rss_growth_mib", last - first)
        .with("batch", settings.batch)
        .with("rss_after_epoch_mib", after_epoch)
        .print();
}

/// Classifies the digits in order, batch by batch, without recording a tape, in eval mode:
/// one untimed pass and `settings.epochs` timed ones. The checksum (the sum of all logits of a
/// pass) must match the PyTorch peer's.
pub fn infer(settings: &Settings) -> Result<(), Box<dyn Error>> {
    let digits = digits()?;
    let model = model()?;
    model.eval();
    let loader = DataLoader::new(&digits, settings.batch)?;
    let mut tape = Tape::new();
    let mut checksum = 0.0;
    let mut seconds = Vec::new();
    for _pass in 0..=settings.epochs {
        let start = Instant::now();
        checksum = 0.0;
        for batch in loader.epoch(0) {
            let logits = tape.no_grad(|| model.forward(&tape.constant(batch.images)))?;
            checksum += logits.value().data().iter().map(|&v| f64::from(v)).sum::<f64>();
            tape.clear();
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    let timed = &seconds[1..];
    let samples = (settings.epochs * digits.len()) as f64;
    let per_pass: Vec<f64> = timed.iter().map(|s| digits.len() as f64 / s).collect();
    Record::new(settings, "mlp-infer", "samples_per_s", samples / timed.iter().sum::<f64>())
        .with("batch", settings.batch)
        .with("per_pass", per_pass)
        .with("logit_sum", checksum)
        .print();
    Ok(())
}

/// The initial weights under PyTorch's `state_dict` names of the same `nn.Sequential`
/// (`"0.weight"`, …), and the sample order of epochs 0 to `epochs` in section `"order"`
/// (`"order.epoch0"`, …; indices stored as `f32`, exact below 2²⁴).
pub fn write_fixture(path: &Path, epochs: usize) -> Result<(), Box<dyn Error>> {
    let digits = digits()?;
    let mut fixture = Checkpoint::from_module(&model()?);
    let loader = DataLoader::new(&digits, 1)?.shuffle(SEED);
    let orders = (0..=epochs).map(|epoch| {
        let order: Vec<f32> = loader.order(epoch as u64).into_iter().map(|i| i as f32).collect();
        let n = order.len();
        (format!("epoch{epoch}"), Tensor::from_vec(order, [n]).expect("a vector of its own length"))
    });
    fixture.insert_section("order", orders.collect::<Vec<_>>())?;
    fixture.set_metadata("lr", LR.to_string());
    fixture.save(path)?;
    Ok(())
}
