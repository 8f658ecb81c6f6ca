//! Checkpoints: bit-exact round trips in f32 and f64, sections for extra state, atomic writes,
//! errors (never panics) naming the parameter or file for mismatched and corrupt files, and a
//! file written by Python's `safetensors` package.

mod common;

use autograd::{Float, Tensor};
use common::temp_dir;
use nn::{Checkpoint, Error, LinearConfig, Module, Relu, Sequential, Tanh};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::Value;
use std::any::Any;

fn mlp<T: Float>(seed: u64, sizes: [usize; 3]) -> Sequential<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(LinearConfig::new(sizes[0], sizes[1]).init(&mut rng).unwrap())
        .push(Relu)
        .push(LinearConfig::new(sizes[1], sizes[2]).init(&mut rng).unwrap())
}

/// The values' bit patterns, read without converting (`f32 → f64` would quiet a signalling NaN
/// and hide a changed bit).
fn bits<T: Float>(t: &Tensor<T>) -> Vec<u64> {
    let bits = |v: &dyn Any| match (v.downcast_ref::<f32>(), v.downcast_ref::<f64>()) {
        (Some(v), _) => u64::from(v.to_bits()),
        (_, Some(v)) => v.to_bits(),
        _ => unreachable!("Float is f32 or f64"),
    };
    t.data().iter().map(|v| bits(v)).collect()
}

fn assert_same_bits<T: Float>(a: &Sequential<T>, b: &Sequential<T>) {
    for ((name, p), (_, q)) in a.named_parameters().iter().zip(b.named_parameters().iter()) {
        assert_eq!(bits(&p.value()), bits(&q.value()), "{name}");
        assert_eq!(p.value().shape(), q.value().shape(), "{name}");
    }
}

#[test]
fn save_load_round_trip_is_bit_exact() {
    let dir = temp_dir("round-trip");
    let path = dir.join("model.safetensors");
    let saved = mlp::<f32>(1, [5, 7, 3]);
    // Awkward values survive too: a subnormal, −0, a signalling NaN with a payload.
    let signalling_nan = f32::from_bits(0x7fa0_0001);
    saved.parameters()[1].set_value(
        Tensor::from_vec(vec![f32::MIN_POSITIVE, -0.0, 1e-45, f32::MAX, 1.0 / 3.0, signalling_nan, 0.1], [7]).unwrap(),
    );
    nn::checkpoint::save(&saved, &path).unwrap();
    let loaded = mlp::<f32>(2, [5, 7, 3]);
    nn::checkpoint::load(&loaded, &path).unwrap();
    assert_same_bits(&saved, &loaded);

    let saved64 = mlp::<f64>(3, [4, 6, 2]);
    nn::checkpoint::save(&saved64, dir.join("model64.safetensors")).unwrap();
    let loaded64 = mlp::<f64>(4, [4, 6, 2]);
    nn::checkpoint::load(&loaded64, dir.join("model64.safetensors")).unwrap();
    assert_same_bits(&saved64, &loaded64);
    // No temporary files are left behind.
    let mut files: Vec<String> =
        std::fs::read_dir(&*dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["model.safetensors", "model64.safetensors"]);
}

#[test]
fn extra_state_travels_in_sections() {
    let dir = temp_dir("sections");
    let path = dir.join("ckpt.safetensors");
    let model = mlp::<f32>(5, [3, 4, 2]);
    let mut ckpt = Checkpoint::from_module(&model);
    let momentum: Vec<(String, Tensor<f32>)> =
        model.named_parameters().iter().map(|(n, p)| (format!("{n}.momentum"), p.value().map(|v| v * 0.5))).collect();
    ckpt.insert_section("optim", momentum.clone()).unwrap();
    ckpt.set_metadata("optim.step", "30");
    ckpt.set_metadata("epoch", "2");
    ckpt.save(&path).unwrap();

    let loaded = Checkpoint::<f32>::load(&path).unwrap();
    assert_eq!(loaded.sections(), ["optim"]);
    assert_eq!(loaded.metadata("optim.step"), Some("30"));
    assert_eq!(loaded.metadata("epoch"), Some("2"));
    let optim = loaded.section("optim");
    assert_eq!(optim.len(), 4);
    for (name, t) in &momentum {
        assert_eq!(&optim[name], t, "{name}");
    }
    // The model restores strictly, ignoring the declared section.
    let fresh = mlp::<f32>(6, [3, 4, 2]);
    loaded.restore_module(&fresh).unwrap();
    assert_same_bits(&model, &fresh);
    let (e, line) = (ckpt.insert_section("bad.name", Vec::new()).unwrap_err(), line!());
    assert!(e.to_string().contains(&format!("(at {}:{line}:", file!())), "{e}");
    assert!(ckpt.insert_section("", Vec::new()).is_err());
}

#[test]
fn overwriting_replaces_the_file_atomically() {
    let dir = temp_dir("overwrite");
    let path = dir.join("m.safetensors");
    let first = mlp::<f32>(7, [2, 3, 1]);
    nn::checkpoint::save(&first, &path).unwrap();
    let second = mlp::<f32>(8, [2, 3, 1]);
    nn::checkpoint::save(&second, &path).unwrap();
    let loaded = mlp::<f32>(9, [2, 3, 1]);
    nn::checkpoint::load(&loaded, &path).unwrap();
    assert_same_bits(&second, &loaded);
    // A save that cannot complete (the directory is gone) is an error and leaves nothing.
    let missing = dir.join("no-such-dir").join("m.safetensors");
    let e = nn::checkpoint::save(&first, &missing).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("no-such-dir"), "{e}");
}

fn load_err<T: Float>(model: &Sequential<T>, path: &std::path::Path) -> Error {
    let before: Vec<Tensor<T>> = model.parameters().iter().map(|p| p.value()).collect();
    let e = nn::checkpoint::load(model, path).unwrap_err();
    let after: Vec<Tensor<T>> = model.parameters().iter().map(|p| p.value()).collect();
    assert_eq!(before, after, "a failed load leaves the model unchanged");
    e
}

#[test]
fn mismatched_checkpoints_are_errors_naming_the_parameter() {
    let dir = temp_dir("mismatch");
    let path = dir.join("m.safetensors");
    nn::checkpoint::save(&mlp::<f32>(1, [3, 4, 2]), &path).unwrap();

    // A different shape.
    let e = load_err(&mlp::<f32>(2, [3, 5, 2]), &path);
    assert!(matches!(&e, Error::ParameterShape { name, .. } if name == "0.weight"), "{e:?}");
    assert!(
        e.to_string().contains("parameter \"0.weight\" has shape [5, 3] in the model but [4, 3] in the file"),
        "{e}"
    );

    // A model with a parameter the file lacks.
    let bigger =
        mlp::<f32>(3, [3, 4, 2]).push(Tanh).push(LinearConfig::new(2, 2).init(&mut StdRng::seed_from_u64(0)).unwrap());
    let e = load_err(&bigger, &path);
    assert!(matches!(&e, Error::MissingTensor { name, .. } if name == "4.weight"), "{e:?}");

    // A file with a tensor the model lacks.
    let smaller = Sequential::<f32>::new().push(LinearConfig::new(3, 4).init(&mut StdRng::seed_from_u64(0)).unwrap());
    let e = load_err(&smaller, &path);
    assert!(matches!(&e, Error::UnexpectedTensor { name, .. } if name == "2.bias"), "{e:?}");

    // A different dtype.
    let e = load_err(&mlp::<f64>(4, [3, 4, 2]), &path);
    assert!(matches!(&e, Error::Dtype { expected: "F64", .. }), "{e:?}");
    assert!(e.to_string().contains("has dtype F32, expected F64"), "{e}");
    assert!(e.to_string().contains(&path.display().to_string()), "the error names the file: {e}");
}

#[test]
fn corrupt_files_are_errors_not_panics() {
    let dir = temp_dir("corrupt");
    let good = dir.join("good.safetensors");
    nn::checkpoint::save(&mlp::<f32>(1, [3, 4, 2]), &good).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let model = mlp::<f32>(2, [3, 4, 2]);

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated header length", bytes[..4].to_vec()),
        ("truncated header", bytes[..20].to_vec()),
        ("truncated data", bytes[..bytes.len() - 3].to_vec()),
        ("trailing bytes", [bytes.as_slice(), &[0, 0, 0, 0]].concat()),
        ("not safetensors", b"this is a text file, not a checkpoint".to_vec()),
        ("huge header length", [u64::MAX.to_le_bytes().as_slice(), &bytes[8..]].concat()),
    ];
    // Not JSON where the header should be.
    let mut bad_json = bytes.clone();
    bad_json[8] = b'x';
    cases.push(("bad header", bad_json));
    for (what, content) in cases {
        let path = dir.join(format!("{}.safetensors", what.replace(' ', "-")));
        std::fs::write(&path, content).unwrap();
        let e = load_err(&model, &path);
        assert!(matches!(e, Error::CorruptCheckpoint { .. }), "{what}: {e:?}");
        assert!(e.to_string().contains(&path.display().to_string()), "{what}: the error names the file: {e}");
    }
    let e = load_err(&model, &dir.join("absent.safetensors"));
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
}

#[test]
fn a_file_written_by_python_safetensors_loads_with_the_same_numbers() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{fixtures}/small_numpy.json")).unwrap()).unwrap();
    let model = mlp::<f32>(0, [3, 4, 2]);
    nn::checkpoint::load(&model, format!("{fixtures}/small_numpy.safetensors")).unwrap();
    for (name, p) in model.named_parameters() {
        let expected: Vec<u32> = serde_json::from_value(reference["param_bits"][&name].clone()).unwrap();
        let actual: Vec<u32> = p.value().data().iter().map(|v| v.to_bits()).collect();
        assert_eq!(actual, expected, "{name}: the same float32 values, bit for bit");
    }
    let input: Vec<u32> = serde_json::from_value(reference["input_bits"].clone()).unwrap();
    let expected: Vec<f64> = serde_json::from_value(reference["output"].clone()).unwrap();
    let tape = autograd::Tape::<f32>::new();
    let x = tape.constant(Tensor::from_vec(input.iter().map(|&v| f32::from_bits(v)).collect(), [5, 3]).unwrap());
    let y = model.forward(&x).unwrap();
    for (a, e) in y.value().data().iter().zip(&expected) {
        assert!((*a as f64 - e).abs() <= 1e-6 * e.abs().max(1.0), "output {a} vs numpy {e}");
    }
}

/// Saving over a file keeps its mode: a checkpoint made private stays private.
#[cfg(unix)]
#[test]
fn saving_over_a_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("mode");
    let path = dir.join("private.safetensors");
    nn::checkpoint::save(&mlp::<f32>(1, [2, 3, 1]), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let second = mlp::<f32>(2, [2, 3, 1]);
    nn::checkpoint::save(&second, &path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o600);
    let loaded = mlp::<f32>(3, [2, 3, 1]);
    nn::checkpoint::load(&loaded, &path).unwrap();
    assert_same_bits(&second, &loaded);
    // An unusual mode is kept as it is, not just "private or not".
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    nn::checkpoint::save(&mlp::<f32>(4, [2, 3, 1]), &path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o640);
}

/// Saving to a symbolic link writes the file it points to (through a chain of links, to another
/// directory) and leaves the link a link; the temporary file is made next to the target.
#[cfg(unix)]
#[test]
fn saving_through_a_symlink_writes_its_target() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = temp_dir("symlink");
    std::fs::create_dir(dir.join("store")).unwrap();
    std::fs::create_dir(dir.join("links")).unwrap();
    let target = dir.join("store").join("model.safetensors");
    nn::checkpoint::save(&mlp::<f32>(1, [2, 3, 1]), &target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    // links/latest → links/hop → ../store/model.safetensors (relative links, resolved from
    // each link's own directory).
    let hop = dir.join("links").join("hop");
    let latest = dir.join("links").join("latest");
    symlink("../store/model.safetensors", &hop).unwrap();
    symlink("hop", &latest).unwrap();

    let second = mlp::<f32>(2, [2, 3, 1]);
    nn::checkpoint::save(&second, &latest).unwrap();
    for link in [&latest, &hop] {
        assert!(
            std::fs::symlink_metadata(link).unwrap().file_type().is_symlink(),
            "{} is still a link",
            link.display()
        );
    }
    assert_eq!(std::fs::read_link(&latest).unwrap(), std::path::Path::new("hop"));
    let loaded = mlp::<f32>(3, [2, 3, 1]);
    nn::checkpoint::load(&loaded, &target).unwrap();
    assert_same_bits(&second, &loaded);
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o7777, 0o600);
    let names = |d: &str| {
        let mut n: Vec<String> =
            std::fs::read_dir(dir.join(d)).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        n.sort();
        n
    };
    assert_eq!(names("links"), ["hop", "latest"]);
    assert_eq!(names("store"), ["model.safetensors"]);

    // A dangling link: the save creates the file it names.
    let dangling = dir.join("links").join("next");
    symlink("../store/next.safetensors", &dangling).unwrap();
    nn::checkpoint::save(&second, &dangling).unwrap();
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    nn::checkpoint::load(&loaded, dir.join("store").join("next.safetensors")).unwrap();

    // A cycle of links is an error naming the path, not a hang.
    let (a, b) = (dir.join("links").join("a"), dir.join("links").join("b"));
    symlink("b", &a).unwrap();
    symlink("a", &b).unwrap();
    let e = nn::checkpoint::save(&second, &a).unwrap_err();
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("symbolic links"), "{e}");
}
