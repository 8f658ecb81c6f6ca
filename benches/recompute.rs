//! What recomputation (gradient checkpointing, `autograd::recompute`) saves and costs on a deep
//! MLP: 32 layers of 1024 ReLU units, a batch of 256, f32, one training step (forward pass, loss,
//! backward pass filling the parameters' gradient buffers), plain and with every `k` layers one
//! recomputed segment.
//!
//! Memory is measured with a counting allocator (exact, independent of the load), relative to
//! what was allocated before the step (the weights; the gradient buffers are cleared before each
//! step): what is held when the forward pass is done, which is what the tape keeps for the
//! backward pass, and the peak during the step, which also counts the step's gradients (128 MiB
//! of weight gradients, needed with or without recomputation). Also the process's peak resident
//! set (`VmHWM`, reset before each step through `/proc/self/clear_refs`, Linux only). Time is the median of
//! the steps of each variant, the variants interleaved so that a change in the machine's load
//! touches them alike. The allocator keeps memory a step freed for the next, so the peak RSS of
//! a variant measured after another is at least that one's: compare it across variants run one
//! per process (`--only`). Each variant's gradients are checked against the plain step's, bit
//! for bit.
//!
//! ```text
//! cargo bench --bench recompute             # 3 steps per variant, interleaved
//! cargo bench --bench recompute -- 5        # 5 steps per variant
//! cargo bench --bench recompute -- --only 4 # one variant in this process (0 is plain)
//! ```

use chainrule::autograd::{recompute, Parameter, Result, Tape, Tensor, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const LAYERS: usize = 32;
const WIDTH: usize = 1024;
const BATCH: usize = 256;
/// Layers per recomputed segment; 0 is the plain step.
const SEGMENTS: [usize; 4] = [0, 8, 4, 1];

/// The system allocator, counting the bytes allocated now and their peak.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = ALLOCATED.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        q
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

type Layer = (Parameter<f32>, Parameter<f32>);

fn relu_layers<'t>(layers: &[Layer], x: &Var<'t, f32>) -> Result<Var<'t, f32>> {
    let tape = x.tape();
    layers.iter().try_fold(x.clone(), |h, (w, b)| Ok(h.linear(&tape.param(w), Some(&tape.param(b)))?.relu()))
}

/// One training step, `per_segment` layers per recomputed segment (0: none). Returns the bytes
/// allocated when the forward pass is done: what the tape holds for the backward pass.
fn step(net: &[Layer], x: &Tensor<f32>, per_segment: usize) -> Result<usize> {
    let tape = Tape::new();
    let mut h = tape.constant(x.clone());
    if per_segment == 0 {
        h = relu_layers(net, &h)?;
    } else {
        for segment in net.chunks(per_segment) {
            let segment = segment.to_vec();
            h = recompute(&[&h], move |xs| relu_layers(&segment, &xs[0]))?;
        }
    }
    let loss = h.powf(2.0).sum().mul_scalar(1.0 / (BATCH * WIDTH) as f32);
    let after_forward = ALLOCATED.load(Ordering::Relaxed);
    loss.backward()?;
    Ok(after_forward)
}

/// Peak resident set since the last reset, in bytes, if the system says.
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak resident set to the current one (Linux 4.0 and later).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Measured {
    seconds: Vec<f64>,
    held_after_forward: usize,
    heap_above_start: usize,
    peak_rss: Option<usize>,
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn zero_grads(net: &[Layer]) {
    for (w, b) in net {
        w.zero_grad();
        b.zero_grad();
    }
}

fn weight_grads(net: &[Layer]) -> Vec<Vec<u32>> {
    net.iter().map(|(w, _)| w.grad().expect("a gradient").data().iter().map(|v| v.to_bits()).collect()).collect()
}

fn main() -> Result<()> {
    // Arguments: a number of steps; `--only K` measures one variant (0 is plain), so that its
    // peak RSS is not that of memory an earlier variant left with the allocator.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let only = args.iter().position(|a| a == "--only").map(|i| args[i + 1].parse::<usize>().expect("--only K"));
    let steps = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with('-') && (*i == 0 || args[i - 1] != "--only"))
        .map_or(3, |(_, a)| a.parse().expect("a number of steps"));
    let variants: Vec<usize> = match only {
        Some(k) => vec![k],
        None => SEGMENTS.to_vec(),
    };

    let mut rng = StdRng::seed_from_u64(0);
    let bound = (6.0 / WIDTH as f32).sqrt();
    let net: Vec<Layer> = (0..LAYERS)
        .map(|_| {
            let w = Tensor::from_fn([WIDTH, WIDTH], |_| rng.random_range(-bound..bound));
            (Parameter::new(w), Parameter::new(Tensor::zeros([WIDTH])))
        })
        .collect();
    let x = Tensor::from_fn([BATCH, WIDTH], |_| rng.random_range(-1.0f32..1.0));
    // The gradient buffers exist from the first step on: allocate them before measuring.
    step(&net, &x, variants[0])?;

    let mut measured: Vec<Measured> = variants
        .iter()
        .map(|_| Measured { seconds: Vec::new(), held_after_forward: 0, heap_above_start: 0, peak_rss: None })
        .collect();
    let mut grads: Vec<Vec<Vec<u32>>> = vec![Vec::new(); variants.len()];
    for _ in 0..steps {
        for ((m, &per_segment), g) in measured.iter_mut().zip(&variants).zip(&mut grads) {
            zero_grads(&net);
            let rss_reset = reset_peak_rss();
            let start = ALLOCATED.load(Ordering::Relaxed);
            PEAK.store(start, Ordering::Relaxed);
            let t = Instant::now();
            let after_forward = step(&net, &x, per_segment)?;
            m.seconds.push(t.elapsed().as_secs_f64());
            m.held_after_forward = m.held_after_forward.max(after_forward - start);
            m.heap_above_start = m.heap_above_start.max(PEAK.load(Ordering::Relaxed) - start);
            if rss_reset {
                m.peak_rss = m.peak_rss.max(peak_rss());
            }
            *g = weight_grads(&net);
        }
    }
    let plain = match variants.iter().position(|&k| k == 0) {
        Some(i) => grads[i].clone(),
        None => {
            zero_grads(&net);
            step(&net, &x, 0)?;
            weight_grads(&net)
        }
    };
    for (g, k) in grads.iter().zip(&variants) {
        assert!(*g == plain, "{k} layers per segment: the gradients differ from the plain step's");
    }

    println!("deep MLP: {LAYERS} layers of {WIDTH} (ReLU), batch {BATCH}, f32, one training step, {steps} steps each");
    println!(
        "{:<22} {:>15} {:>15} {:>14} {:>10} {:>9}",
        "variant", "held (MiB)", "heap peak (MiB)", "peak RSS (MiB)", "step (s)", "vs first"
    );
    let first = median(measured[0].seconds.clone());
    for (m, &per_segment) in measured.iter().zip(&variants) {
        let name = match per_segment {
            0 => "plain".to_string(),
            k => format!("recompute every {k}"),
        };
        let rss = m.peak_rss.map_or("n/a".to_string(), |b| format!("{:.0}", mib(b)));
        let t = median(m.seconds.clone());
        let (held, peak) = (mib(m.held_after_forward), mib(m.heap_above_start));
        println!("{name:<22} {held:>15.1} {peak:>15.1} {rss:>14} {t:>10.3} {:>8.2}x", t / first);
    }
    println!("held: bytes allocated after the forward pass above those before the step (what the tape keeps)");
    println!("heap peak: the most allocated during the step above that (the gradients of the step included)");
    println!("peak RSS: of the whole process; run one variant per process (--only K) to compare it across variants");
    println!("gradients: bit-identical to the plain step's in every variant");
    Ok(())
}
