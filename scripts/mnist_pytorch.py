#!/usr/bin/env python3
"""PyTorch twin of examples/mnist.rs, for quoting the comparison.

The same data (data/mnist-10k: first 8,000 digits to train, last 2,000 to test, pixels / 255),
the same stratified validation split (--val-fraction of each class of the training digits held
out, chosen at random), the same 784-256-128-10 ReLU MLP with He/Kaiming-uniform weights (gain
sqrt 2, fan in) and zero biases, optional dropout after each hidden layer (--dropout) and L2
penalty on the weight matrices (--l2, the penalty l2/2 * sum w^2), cross-entropy (mean over the
batch), the same mini-batch loop (a fresh shuffle every epoch, the last batch smaller), the same
augmentation (each digit shifted by its own random offset of up to --shift pixels, zero fill),
the same per-epoch cosine schedule, the same early stopping (Keras's rule on the validation
loss, --patience, the best epoch's weights restored) and the same flags and defaults. One CPU
thread, as the Rust example. Prints one line per epoch, the test accuracy of the final weights
and training samples per second (augmentation included, validation excluded).

    python3 scripts/mnist_pytorch.py                       # the defaults of examples/mnist.rs
    python3 scripts/mnist_pytorch.py --shift 0 --schedule constant --patience off --epochs 10
    python3 scripts/mnist_pytorch.py --optimizer adam --lr 1e-3 --dropout 0.2
    python3 scripts/mnist_pytorch.py --init pytorch        # PyTorch's own nn.Linear init

The seeds of the two programs draw different numbers (PyTorch's Mersenne twister vs the
ChaCha stream of rand), so accuracies agree to within run-to-run noise, not digit for digit.
"""

import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
from torch import nn

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist-10k")


def read_idx(path, magic, rank):
    """The dims and bytes of an IDX file of unsigned bytes (gzipped or not)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    (found,) = struct.unpack(">I", raw[:4])
    assert found == magic, f"{path}: magic 0x{found:08x}, expected 0x{magic:08x}"
    dims = struct.unpack(">" + "I" * rank, raw[4 : 4 + 4 * rank])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank)
    assert data.size == np.prod(dims), f"{path}: {data.size} bytes for dims {dims}"
    return dims, data


def load_mnist():
    (n, rows, cols), pixels = read_idx(os.path.join(DATA, "images-idx3-ubyte.gz"), 0x803, 3)
    _, labels = read_idx(os.path.join(DATA, "labels-idx1-ubyte.gz"), 0x801, 1)
    # Same conversion as train::data::Dataset::from_idx: v / 255 in f64, rounded to f32.
    x = torch.from_numpy((pixels.reshape(n, rows * cols) / 255.0).astype(np.float32))
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def make_model(init, dropout):
    layers = []
    for inputs, outputs in [(784, 256), (256, 128)]:
        layers += [nn.Linear(inputs, outputs), nn.ReLU()] + ([nn.Dropout(dropout)] if dropout > 0 else [])
    model = nn.Sequential(*layers, nn.Linear(128, 10))
    if init == "kaiming":  # nn::LinearConfig::new's default
        for layer in model:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)
    return model


def random_shift(images, shift):
    """Each 28x28 image moved by its own offset (dy, dx) in [-shift, shift]^2, zero fill:
    out[r][c] = in[r - dy][c - dx], as train::data::random_shift."""
    if shift == 0:
        return images
    b = images.shape[0]
    padded = nn.functional.pad(images.view(b, 28, 28), (shift, shift, shift, shift))
    d = torch.randint(-shift, shift + 1, (b, 2))
    rows = torch.arange(28)[None, :] + shift - d[:, 0:1]
    cols = torch.arange(28)[None, :] + shift - d[:, 1:2]
    return padded[torch.arange(b)[:, None, None], rows[:, :, None], cols[:, None, :]].reshape(b, 784)


def make_optimizer(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "nesterov":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr)
    raise SystemExit(f"unknown optimizer {name!r}")


DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.01, "rmsprop": 1e-3, "adam": 1e-3, "adamw": 1e-3}


def evaluate(model, x, y, loss_fn):
    """Loss and accuracy in eval mode (dropout off), as train::evaluate; argmax takes the first
    maximum, train::metrics' tie rule."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
        result = loss_fn(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
    model.train()
    return result


def stratified_split(y, fraction, generator):
    """Indices (rest, held out): round(fraction * n_c) samples of each class c held out at random
    (train::Dataset::stratified_split's shares, not its random stream)."""
    held = []
    for c in range(10):
        members = (y == c).nonzero().flatten()
        order = members[torch.randperm(len(members), generator=generator)]
        held.append(order[: round(fraction * len(members))])
    held = torch.cat(held).sort().values
    mask = torch.ones(len(y), dtype=torch.bool)
    mask[held] = False
    return mask.nonzero().flatten(), held


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", default="momentum", choices=sorted(DEFAULT_LR))
    p.add_argument("--lr", type=float, default=None, help="default depends on the optimizer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shift", type=int, default=1)
    p.add_argument("--schedule", default="cosine", choices=["cosine", "constant"])
    p.add_argument("--init", default="kaiming", choices=["kaiming", "pytorch"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--patience", default="3", help="epochs without improvement of val_loss, or off")
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--l2", type=float, default=0.0)
    p.add_argument("--val-fraction", type=float, default=0.1)
    args = p.parse_args()
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    patience = None if args.patience == "off" else int(args.patience)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load_mnist()
    x_all, y_all, x_test, y_test = x[:8000], y[:8000], x[8000:], y[8000:]
    rest, held = stratified_split(y_all, args.val_fraction, torch.Generator().manual_seed(args.seed))
    x_train, y_train, x_val, y_val = x_all[rest], y_all[rest], x_all[held], y_all[held]

    model = make_model(args.init, args.dropout)
    weight_matrices = [p for p in model.parameters() if p.dim() == 2]
    opt = make_optimizer(args.optimizer, model.parameters(), lr)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs) if args.schedule == "cosine" else None
    loss_fn = nn.CrossEntropyLoss()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); {len(x_train)} train / {len(x_val)} "
        f"validation / {len(x_test)} test; {args.optimizer} lr {lr}, batch {args.batch_size}, up to {args.epochs} "
        f"epochs, seed {args.seed}, shift {args.shift}, {args.schedule} schedule, init {args.init}"
    )

    n = len(x_train)
    train_time, trained = 0.0, 0
    best, best_epoch, best_weights, wait = float("inf"), None, None, 0
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(n)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = order[i : i + args.batch_size]
            loss = loss_fn(model(random_shift(x_train[idx], args.shift)), y_train[idx])
            if args.l2 > 0:
                loss = loss + args.l2 / 2 * sum((w * w).sum() for w in weight_matrices)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        train_time += time.perf_counter() - start
        trained += n
        lr_used = opt.param_groups[0]["lr"]
        if cosine:
            cosine.step()
        val_loss, val_accuracy = evaluate(model, x_val, y_val, loss_fn)
        print(
            f"epoch {epoch:2}/{args.epochs}: loss {total / n:.4f}, val_loss {val_loss:.4f}, "
            f"val_accuracy {val_accuracy:.4f}, lr {lr_used:.4g}"
        )
        if patience is None:
            continue
        # Keras's EarlyStopping (train::EarlyStopping): min_delta 0, restore_best_weights.
        if best_weights is None:
            best_weights, best_epoch = {k: v.clone() for k, v in model.state_dict().items()}, epoch
        wait += 1
        if val_loss < best:
            best, best_epoch, wait = val_loss, epoch, 0
            best_weights = {k: v.clone() for k, v in model.state_dict().items()}
        elif wait >= patience and epoch > 1:
            print(f"stopped: val_loss has not improved for {wait} epochs (best {best} at epoch {best_epoch})")
            break
    if best_weights is not None:
        model.load_state_dict(best_weights)

    test_loss, test_accuracy = evaluate(model, x_test, y_test, loss_fn)
    kept = f"the weights of epoch {best_epoch}" if best_epoch else "the last epoch's weights"
    print(f"test accuracy: {test_accuracy:.2%} of {len(x_test)} digits ({kept}), loss {test_loss:.4f}")
    print(f"training: {trained / train_time:,.0f} samples/s ({train_time:.2f} s)")


if __name__ == "__main__":
    main()
