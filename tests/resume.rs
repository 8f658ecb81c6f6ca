//! Checkpoint and resume, end to end: training N steps, saving the model and the optimizer state
//! in one safetensors file, loading them in a fresh process and training M more steps gives
//! parameters bit-identical to N + M uninterrupted steps, for an optimizer with state (Adam) and
//! for SGD with momentum.
//!
//! The second half really runs in another process: the test starts this test binary again,
//! running only the ignored test `resume_child`, which sees nothing of the parent but the file.

use chainrule::autograd::{Tape, Tensor};
use chainrule::nn::{cross_entropy, Checkpoint, LinearConfig, Module, Reduction, Relu, Sequential, Tanh};
use chainrule::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use chainrule::train::data::{DataLoader, Dataset};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::Command;

const N: usize = 13; // steps before the checkpoint (not a whole number of epochs)
const M: usize = 11; // steps after it
const BATCH: usize = 16;

fn dataset() -> Dataset {
    let mut rng = StdRng::seed_from_u64(42);
    let images = Tensor::rand_normal([80, 12], 0.0, 1.0, &mut rng);
    let labels = (0..80).map(|_| rng.random_range(0..4)).collect();
    Dataset::new(images, labels, 4).expect("a valid dataset")
}

fn model(init_seed: u64) -> Sequential {
    let mut rng = StdRng::seed_from_u64(init_seed);
    Sequential::new()
        .push(LinearConfig::new(12, 16).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(16, 8).init(&mut rng).unwrap())
        .push(Tanh)
        .push(LinearConfig::new(8, 4).init(&mut rng).unwrap())
}

fn optimizer(kind: &str, model: &Sequential) -> Box<dyn Optimizer<f32>> {
    let params = model.named_parameters();
    match kind {
        "adam" => Box::new(Adam::new(params, AdamConfig { lr: 0.01, ..Default::default() }).unwrap()),
        "momentum" => Box::new(Sgd::new(params, SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() }).unwrap()),
        other => panic!("unknown optimizer {other}"),
    }
}

/// Trains global steps `from..to` (batches in the loader's seeded order, epoch after epoch).
fn train(model: &Sequential, opt: &mut dyn Optimizer<f32>, data: &Dataset, from: usize, to: usize) {
    let loader = DataLoader::new(data, BATCH).unwrap().shuffle(7);
    let per_epoch = loader.batches_per_epoch();
    let mut tape = Tape::new();
    for step in from..to {
        let batch = loader.epoch((step / per_epoch) as u64).nth(step % per_epoch).expect("a batch");
        {
            let logits = model.forward(&tape.constant(batch.images)).unwrap();
            cross_entropy(&logits, &batch.labels, Reduction::Mean).unwrap().backward().unwrap();
        }
        opt.step().unwrap();
        tape.clear();
    }
}

fn save(model: &Sequential, opt: &dyn Optimizer<f32>, path: &Path) {
    let mut ckpt = Checkpoint::from_module(model);
    ckpt.insert_section("optim", opt.state_dict()).unwrap();
    ckpt.save(path).unwrap();
}

fn parameters(model: &Sequential) -> Vec<(String, Vec<f32>)> {
    model.named_parameters().iter().map(|(name, p)| (name.clone(), p.value().to_vec())).collect()
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("chainrule-resume-{}-{name}", std::process::id()))
}

fn resume_in_a_fresh_process(kind: &str) {
    let data = dataset();
    let uninterrupted = model(1);
    let mut opt = optimizer(kind, &uninterrupted);
    train(&uninterrupted, &mut *opt, &data, 0, N + M);

    let first_half = model(1);
    let mut opt = optimizer(kind, &first_half);
    train(&first_half, &mut *opt, &data, 0, N);
    let (checkpoint, result) = (scratch(&format!("{kind}.safetensors")), scratch(&format!("{kind}.result")));
    save(&first_half, &*opt, &checkpoint);

    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "resume_child", "--ignored", "--quiet"])
        .env("CHAINRULE_RESUME", format!("{kind}|{}|{}", checkpoint.display(), result.display()))
        .status()
        .unwrap();
    assert!(status.success(), "the child process failed");
    let resumed = Checkpoint::<f32>::load(&result).unwrap();
    let _ = std::fs::remove_file(&checkpoint);
    let _ = std::fs::remove_file(&result);

    for (name, expected) in parameters(&uninterrupted) {
        let got = resumed.get(&name).unwrap_or_else(|| panic!("{name} missing")).to_vec();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&expected), "{kind}: {name} differs after resuming");
    }
    // And the run did move the parameters: the comparison is not between two untrained models.
    assert_ne!(parameters(&uninterrupted), parameters(&model(1)));
}

#[test]
fn adam_resumes_bit_identically_in_a_fresh_process() {
    resume_in_a_fresh_process("adam");
}

#[test]
fn sgd_with_momentum_resumes_bit_identically_in_a_fresh_process() {
    resume_in_a_fresh_process("momentum");
}

/// The second half, run by the tests above in a child process: a model initialized from a
/// different seed (so only the checkpoint can make it right), a fresh optimizer, the state
/// loaded from the file, M more steps, the parameters written back.
#[test]
#[ignore = "run by the resume tests in a child process"]
fn resume_child() {
    let job = std::env::var("CHAINRULE_RESUME").expect("started by a resume test");
    let [kind, checkpoint, result] = job.split('|').collect::<Vec<_>>().try_into().unwrap();
    let model = model(999);
    let mut opt = optimizer(kind, &model);
    let ckpt = Checkpoint::<f32>::load(checkpoint).unwrap();
    ckpt.restore_module(&model).unwrap();
    opt.load_state_dict(&ckpt.section("optim")).unwrap();
    train(&model, &mut *opt, &dataset(), N, N + M);
    Checkpoint::from_module(&model).save(result).unwrap();
}
