#!/usr/bin/python3
"""Train the remaining-useful-life (RUL) model on NASA C-MAPSS FD001 and export it as TorchScript.

Run with Debian's python (/usr/bin/python3, python3-torch 1.13), after llm-bundle/training/setup.sh.
See llm-bundle/training/README.md for the layout, the input/output contract and the results.

Outputs
  --out DIR     (model artifacts that ship, default llm-bundle/model-bundles/rul-cmapss-fd001/src/main/resources/model)
                  rul-fd001-fp32.pt, rul-fd001-int8.pt   TorchScript (traced on CPU)
                  normalisation.json                     feature order, z-score mean/std, window, RUL cap
                  model.json                             descriptor: contract, sha256, metrics, seed, command
                  golden.json                            a few raw windows with expected outputs (for Java tests)
  --report DIR  (training record, not shipped, default llm-bundle/training/rul/results)
                  train.log, loss.png, metrics.json
  --tiny        smoke configuration for CI (< 1 min); writes to llm-bundle/training/rul/build/tiny/ (git-ignored)
                unless --out/--report are given.
"""
import argparse
import copy
import datetime
import hashlib
import json
import math
import os
import platform
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
LLM_BUNDLE = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_OUT = os.path.join(LLM_BUNDLE, "model-bundles", "rul-cmapss-fd001", "src", "main", "resources", "model")
DEFAULT_REPORT = os.path.join(HERE, "results")
TINY_OUT = os.path.join(HERE, "build", "tiny", "model")  # --tiny never overwrites the shipped model
TINY_REPORT = os.path.join(HERE, "build", "tiny", "report")
DEFAULT_DATA = "/work/shared/cmapss/train_FD001.txt"

COLUMNS = ["unit", "cycle", "setting1", "setting2", "setting3"] + ["sensor%d" % i for i in range(1, 22)]
CANDIDATES = COLUMNS[2:]  # settings and sensors; unit/cycle are never features
MODEL_ID = "rul-cmapss-fd001"
MODEL_VERSION = "1.0.0"
FP32_NAME = "rul-fd001-fp32.pt"
INT8_NAME = "rul-fd001-int8.pt"


# ----------------------------------------------------------------------------------------------- logging
class Log:
    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8") if path else None

    def __call__(self, *args):
        line = " ".join(str(a) for a in args)
        print(line, flush=True)
        if self.f:
            self.f.write(line + "\n")
            self.f.flush()


# ----------------------------------------------------------------------------------------------- data
def load_fd001(path):
    data = np.loadtxt(path, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != len(COLUMNS):
        raise SystemExit("unexpected shape %s in %s" % (data.shape, path))
    units = {}
    for u in np.unique(data[:, 0]).astype(int):
        rows = data[data[:, 0] == u]
        rows = rows[np.argsort(rows[:, 1])]
        if not np.array_equal(rows[:, 1], np.arange(1, len(rows) + 1)):
            raise SystemExit("unit %d: cycles are not 1..n" % u)
        units[int(u)] = rows
    return units


def split_units(unit_ids, seed, n_val, n_tune):
    """Fixed seeded permutation of engine ids -> (fit, tune, val). tune + fit are the 'training engines'."""
    perm = np.random.RandomState(seed).permutation(sorted(unit_ids))
    val = sorted(int(u) for u in perm[:n_val])
    tune = sorted(int(u) for u in perm[n_val:n_val + n_tune])
    fit = sorted(int(u) for u in perm[n_val + n_tune:])
    return fit, tune, val


def rul_target(n_cycles, cap):
    """Piecewise-linear RUL for cycles 1..n of a run-to-failure trajectory: min(n - cycle, cap); 0 at the last cycle."""
    return np.minimum(np.arange(n_cycles - 1, -1, -1, dtype=np.float64), cap)


def window_at(x, t, window):
    """History window ending at (1-based) cycle t; short histories padded at the start by repeating row 0."""
    start = t - window
    if start >= 0:
        return x[start:t]
    pad = np.repeat(x[:1], -start, axis=0)
    return np.concatenate([pad, x[:t]], axis=0)


def all_windows(xs, window):
    """xs: normalised [n, f] array of one unit -> [n, window, f], window i ends at cycle i+1."""
    n = len(xs)
    padded = np.concatenate([np.repeat(xs[:1], window - 1, axis=0), xs], axis=0)
    idx = np.arange(n)[:, None] + np.arange(window)[None, :]
    return padded[idx]


# ----------------------------------------------------------------------------------------------- models
class GRURegressor(nn.Module):
    def __init__(self, n_features, hidden=64, layers=2, head=32, cap=125.0):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, head), nn.ReLU(), nn.Linear(head, 1))
        self.cap = float(cap)

    def forward(self, x):  # x [B, W, F] -> [B] (scaled by cap: output 1.0 == cap cycles)
        out, _ = self.gru(x)
        return self.head(out[:, -1, :]).squeeze(-1)


class CNNRegressor(nn.Module):
    def __init__(self, n_features, window, channels=32, head=64, cap=125.0):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_features, channels, 5, padding=2), nn.ReLU(),
            nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(),
            nn.Conv1d(channels, 16, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * window, head), nn.ReLU(), nn.Linear(head, 1))
        self.cap = float(cap)

    def forward(self, x):
        return self.head(self.conv(x.transpose(1, 2))).squeeze(-1)


class Exported(nn.Module):
    """What is traced: normalised window [B, W, F] float32 -> RUL in cycles [B] float32, clamped to [0, cap]."""

    def __init__(self, core, cap):
        super().__init__()
        self.core = core
        self.cap = float(cap)

    def forward(self, x):
        return torch.clamp(self.core(x) * self.cap, 0.0, self.cap)


def build_model(args, n_features):
    if args.arch == "gru":
        return GRURegressor(n_features, args.hidden, args.layers, args.head, args.cap)
    return CNNRegressor(n_features, args.window, args.hidden, args.head, args.cap)


# ----------------------------------------------------------------------------------------------- metrics
def phm08(pred, true):
    d = np.asarray(pred, dtype=np.float64) - np.asarray(true, dtype=np.float64)
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))


def metrics(pred, true):
    pred = np.asarray(pred, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    s = phm08(pred, true)
    return {"n": int(len(true)), "rmse": float(np.sqrt(np.mean((pred - true) ** 2))),
            "mae": float(np.mean(np.abs(pred - true))), "phm08": s, "phm08_mean": s / max(1, len(true))}


def predict(fn, x, batch=2048):
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(fn(torch.from_numpy(x[i:i + batch])).numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


# ----------------------------------------------------------------------------------------------- main
def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DEFAULT_DATA, help="C-MAPSS train_FD001.txt (read-only)")
    p.add_argument("--out", default=None,
                   help="model artifact folder (default: %s; with --tiny: %s)" % (DEFAULT_OUT, TINY_OUT))
    p.add_argument("--report", default=None,
                   help="folder for train.log, loss.png, metrics.json (default: %s; with --tiny: %s)"
                        % (DEFAULT_REPORT, TINY_REPORT))
    p.add_argument("--seed", type=int, default=42, help="training seed (init, shuffling)")
    p.add_argument("--split-seed", type=int, default=42, help="seed of the engine permutation")
    p.add_argument("--eval-seed", type=int, default=2008, help="seed of the random truncation points")
    p.add_argument("--n-val", type=int, default=20, help="held-out validation engines (never used in training)")
    p.add_argument("--n-tune", type=int, default=8,
                   help="training engines kept out of gradient steps, for early stopping / LR schedule")
    p.add_argument("--cuts", type=int, default=10, help="random truncation points per validation engine")
    p.add_argument("--arch", choices=["gru", "cnn"], default="gru")
    p.add_argument("--window", type=int, default=30)
    p.add_argument("--cap", type=float, default=125.0, help="RUL cap (piecewise-linear target)")
    p.add_argument("--min-std", type=float, default=0.01,
                   help="drop settings/sensors whose std on the training engines is below this (raw units)")
    p.add_argument("--hidden", type=int, default=32, help="GRU hidden size / CNN channels")
    p.add_argument("--layers", type=int, default=1, help="GRU layers")
    p.add_argument("--head", type=int, default=32, help="hidden units of the dense head")
    p.add_argument("--epochs", type=int, default=80, help="maximum epochs")
    p.add_argument("--patience", type=int, default=15, help="early stopping patience (epochs, on the tune engines)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--weight-decay", type=float, default=1e-5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--latency-runs", type=int, default=1000)
    p.add_argument("--default-artifact", choices=["auto", "fp32", "int8"], default="auto",
                   help="which artifact model.json names as default; auto: int8 if it is smaller and its "
                        "truncated-cut RMSE is within 0.3 cycles of fp32, else fp32")
    p.add_argument("--tiny", action="store_true",
                   help="smoke configuration (<1 min): 3 epochs, small model, 200 latency runs")
    a = p.parse_args(argv)
    if a.tiny:
        a.epochs, a.hidden, a.head, a.latency_runs, a.patience = 3, 16, 16, 200, 3
    a.out = a.out or (TINY_OUT if a.tiny else DEFAULT_OUT)
    a.report = a.report or (TINY_REPORT if a.tiny else DEFAULT_REPORT)
    return a


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.report, exist_ok=True)
    log = Log(os.path.join(args.report, "train.log"))
    command = "/usr/bin/python3 " + " ".join(shlex.quote(a) for a in
                                             [os.path.relpath(os.path.abspath(sys.argv[0]), os.path.dirname(LLM_BUNDLE))]
                                             + sys.argv[1:])

    # determinism
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    log("started", datetime.datetime.now().isoformat(timespec="seconds"), "|", command)
    log("torch", torch.__version__, "numpy", np.__version__, "python", platform.python_version(),
        "threads", torch.get_num_threads(), "quantized engines", torch.backends.quantized.supported_engines)
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    log("libblas.so.3 ->", blas, "" if "openblas" in blas else "(WARNING: not OpenBLAS, run setup.sh; slow)")

    # data, split
    units = load_fd001(args.data)
    fit_u, tune_u, val_u = split_units(list(units), args.split_seed, args.n_val, args.n_tune)
    log("engines: %d total; fit %d, tune %d (early stopping), validation %d (held out)"
        % (len(units), len(fit_u), len(tune_u), len(val_u)))
    log("tune units:", tune_u)
    log("validation units:", val_u)

    # features: drop (near-)constant columns, statistics on the fit engines only
    fit_rows = np.concatenate([units[u] for u in fit_u])
    stds = fit_rows[:, 2:].std(axis=0)
    keep = [i for i, s in enumerate(stds) if s >= args.min_std]
    features = [CANDIDATES[i] for i in keep]
    dropped = {CANDIDATES[i]: float(stds[i]) for i in range(len(CANDIDATES)) if i not in keep}
    log("dropped (std < %g): %s" % (args.min_std, ", ".join("%s(%.2g)" % kv for kv in dropped.items())))
    log("features (%d): %s" % (len(features), ", ".join(features)))
    cols = [2 + i for i in keep]
    mean = fit_rows[:, cols].mean(axis=0)
    std = fit_rows[:, cols].std(axis=0)

    def norm(u):
        return ((units[u][:, cols] - mean) / std).astype(np.float32)

    normalisation = {
        "model_id": MODEL_ID, "dataset": "C-MAPSS FD001",
        "method": "zscore", "formula": "x_norm = (x_raw - mean) / std",
        "features": features, "mean": [float(v) for v in mean], "std": [float(v) for v in std],
        "window": args.window, "padding": "repeat_first_row", "rul_cap": args.cap,
        "dropped": dropped, "computed_on_units": fit_u,
    }

    def windows_of(us):
        xs, ys = [], []
        for u in us:
            x = norm(u)
            xs.append(all_windows(x, args.window))
            ys.append(rul_target(len(x), args.cap))
        return np.concatenate(xs).astype(np.float32), np.concatenate(ys)

    x_fit, y_fit = windows_of(fit_u)
    x_tune, y_tune = windows_of(tune_u)
    x_val, y_val = windows_of(val_u)

    # truncated validation trajectories: each engine cut at `cuts` seeded random cycles in [1, n]
    rs = np.random.RandomState(args.eval_seed)
    cut_x, cut_y, cut_list = [], [], []
    for u in val_u:
        n = len(units[u])
        x = norm(u)
        for c in sorted(rs.randint(1, n + 1, size=args.cuts).tolist()):
            cut_x.append(window_at(x, c, args.window))
            cut_y.append(min(n - c, args.cap))
            cut_list.append([u, c, n])
    cut_x = np.stack(cut_x).astype(np.float32)
    cut_y = np.asarray(cut_y, dtype=np.float64)
    log("windows: fit %d, tune %d, validation %d; truncated validation cuts %d (%d per engine, eval seed %d)"
        % (len(x_fit), len(x_tune), len(x_val), len(cut_x), args.cuts, args.eval_seed))

    # model
    core = build_model(args, len(features))
    n_params = sum(p.numel() for p in core.parameters())
    log("model: %s, %d parameters: %s" % (args.arch, n_params, core))
    opt = torch.optim.Adam(core.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=max(1, args.patience // 3))
    xt = torch.from_numpy(x_fit)
    yt = torch.from_numpy((y_fit / args.cap).astype(np.float32))
    gen = torch.Generator().manual_seed(args.seed)
    loss_fn = nn.MSELoss()

    def eval_fn(x):
        core.eval()
        return predict(lambda b: torch.clamp(core(b) * args.cap, 0.0, args.cap), x)

    history, best, best_state, best_epoch, bad = [], math.inf, None, 0, 0
    t_train = time.time()
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        core.train()
        perm = torch.randperm(len(xt), generator=gen)
        tot, nb = 0.0, 0
        for i in range(0, len(perm), args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(core(xt[idx]), yt[idx])
            loss.backward()
            nn.utils.clip_grad_norm_(core.parameters(), 1.0)
            opt.step()
            tot += loss.item() * len(idx)
            nb += len(idx)
        train_rmse = math.sqrt(tot / nb) * args.cap
        tune_rmse = metrics(eval_fn(x_tune), y_tune)["rmse"]
        sched.step(tune_rmse)
        history.append({"epoch": epoch, "train_rmse": train_rmse, "tune_rmse": tune_rmse,
                        "lr": opt.param_groups[0]["lr"], "seconds": time.time() - t0})
        mark = ""
        if tune_rmse < best - 1e-4:
            best, best_epoch, bad, mark = tune_rmse, epoch, 0, " *"
            best_state = copy.deepcopy(core.state_dict())
        else:
            bad += 1
        log("epoch %3d/%d  train RMSE %7.3f  tune RMSE %7.3f  lr %.2e  %.1fs%s"
            % (epoch, args.epochs, train_rmse, tune_rmse, opt.param_groups[0]["lr"], time.time() - t0, mark))
        if bad >= args.patience:
            log("early stop: no tune improvement for %d epochs" % args.patience)
            break
    train_seconds = time.time() - t_train
    core.load_state_dict(best_state)
    core.eval()
    log("best epoch %d (tune RMSE %.3f); training took %.1f s" % (best_epoch, best, train_seconds))

    # loss curve
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4))
        ep = [h["epoch"] for h in history]
        ax.plot(ep, [h["train_rmse"] for h in history], label="train (fit engines)")
        ax.plot(ep, [h["tune_rmse"] for h in history], label="tune engines (early stopping)")
        ax.axvline(best_epoch, color="grey", ls="--", lw=0.8, label="best epoch %d" % best_epoch)
        ax.set_xlabel("epoch"); ax.set_ylabel("RMSE (cycles)"); ax.set_ylim(0, max(40, min(80, best * 3)))
        ax.set_title("RUL %s, FD001, seed %d" % (args.arch, args.seed)); ax.grid(alpha=0.3); ax.legend()
        fig.tight_layout(); fig.savefig(os.path.join(args.report, "loss.png"), dpi=100); plt.close(fig)
    except Exception as e:  # plotting is optional
        log("loss plot skipped:", e)

    # export: fp32 and dynamic int8, traced on CPU
    exp32 = Exported(core, args.cap).eval()
    qengine = "onednn" if "onednn" in torch.backends.quantized.supported_engines else \
        torch.backends.quantized.supported_engines[0]
    torch.backends.quantized.engine = qengine
    qtypes = {nn.Linear, nn.GRU} if args.arch == "gru" else {nn.Linear}
    exp8 = torch.quantization.quantize_dynamic(copy.deepcopy(exp32), qtypes, dtype=torch.qint8).eval()
    example = torch.from_numpy(cut_x[:1])
    paths = {"fp32": os.path.join(args.out, FP32_NAME), "int8": os.path.join(args.out, INT8_NAME)}
    with torch.no_grad():
        for kind, m in (("fp32", exp32), ("int8", exp8)):
            traced = torch.jit.trace(m, example, check_trace=False)
            traced.save(paths[kind])

    # evaluate the saved TorchScript files (what the gateway runs)
    results = {}
    torch.set_num_threads(1)
    for kind in ("fp32", "int8"):
        m = torch.jit.load(paths[kind], map_location="cpu").eval()
        with torch.no_grad():
            b1 = m(torch.from_numpy(cut_x[:1]))
            b5 = m(torch.from_numpy(cut_x[:5]))
            assert tuple(b1.shape) == (1,) and tuple(b5.shape) == (5,), (b1.shape, b5.shape)
            for _ in range(50):
                m(example)
            lat = []
            for _ in range(args.latency_runs):
                t0 = time.perf_counter()
                m(example)
                lat.append((time.perf_counter() - t0) * 1000.0)
        torch.set_num_threads(args.threads)
        r = {"file": os.path.basename(paths[kind]), "bytes": os.path.getsize(paths[kind]),
             "sha256": hashlib.sha256(open(paths[kind], "rb").read()).hexdigest(),
             "latency_ms_batch1_1thread": {"median": float(np.median(lat)), "p90": float(np.percentile(lat, 90)),
                                           "p99": float(np.percentile(lat, 99)), "runs": len(lat)},
             "validation_truncated": metrics(predict(m, cut_x), cut_y),
             "validation_truncated_below_cap": metrics(predict(m, cut_x[cut_y < args.cap]), cut_y[cut_y < args.cap]),
             "validation_all_windows": metrics(predict(m, x_val), y_val),
             "validation_failure_cycle": metrics(predict(m, np.stack([all_windows(norm(u), args.window)[-1]
                                                                     for u in val_u])), np.zeros(len(val_u))),
             "tune_all_windows": metrics(predict(m, x_tune), y_tune)}
        torch.set_num_threads(1)
        results[kind] = r
    torch.set_num_threads(args.threads)

    log("")
    log("%-5s %9s %11s %9s %11s %9s %9s %9s" % ("", "cut RMSE", "cut PHM08", "all RMSE", "all PHM08",
                                                 "size KB", "lat ms", "p99 ms"))
    for kind, r in results.items():
        log("%-5s %9.3f %11.1f %9.3f %11.1f %9.1f %9.3f %9.3f" % (
            kind, r["validation_truncated"]["rmse"], r["validation_truncated"]["phm08"],
            r["validation_all_windows"]["rmse"], r["validation_all_windows"]["phm08"], r["bytes"] / 1024,
            r["latency_ms_batch1_1thread"]["median"], r["latency_ms_batch1_1thread"]["p99"]))

    if args.default_artifact == "auto":
        f, q = results["fp32"], results["int8"]
        default = "int8" if (q["bytes"] < f["bytes"] and q["validation_truncated"]["rmse"]
                             <= f["validation_truncated"]["rmse"] + 0.3
                             and q["latency_ms_batch1_1thread"]["median"]
                             <= 1.2 * f["latency_ms_batch1_1thread"]["median"]) else "fp32"
    else:
        default = args.default_artifact
    log("(cut = %d truncated validation trajectories, %d of them with true RUL < cap: fp32 RMSE %.3f, int8 %.3f;"
        " all = %d windows; PHM08 is a sum)" % (len(cut_y), int((cut_y < args.cap).sum()),
                                               results["fp32"]["validation_truncated_below_cap"]["rmse"],
                                               results["int8"]["validation_truncated_below_cap"]["rmse"], len(y_val)))
    log("default artifact:", default)

    # golden vectors for the Java side: raw rows -> expected outputs of both artifacts
    golden = {"description": "raw feature rows of the last min(cycle, window) cycles (oldest first, before padding"
                             " and normalisation) of validation engines cut at `cycle`, with the outputs of both"
                             " artifacts; compare with tolerance (int8 varies slightly between libtorch builds)",
              "features": features, "cases": []}
    for j in [0, len(cut_list) // 3, 2 * len(cut_list) // 3, len(cut_list) - 1]:
        u, c, n = cut_list[j]
        raw = units[u][max(0, c - args.window):c][:, cols]
        golden["cases"].append({"unit": u, "cycle": c, "true_rul_capped": float(min(n - c, args.cap)),
                                "raw": raw.tolist(),
                                "expected_fp32": float(predict(torch.jit.load(paths["fp32"]), cut_x[j:j + 1])[0]),
                                "expected_int8": float(predict(torch.jit.load(paths["int8"]), cut_x[j:j + 1])[0])})
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    with open(os.path.join(args.out, "normalisation.json"), "w") as f:
        json.dump(normalisation, f, indent=2)

    total_seconds = time.time() - t_start
    descriptor = {
        "id": MODEL_ID, "version": MODEL_VERSION + ("-tiny" if args.tiny else ""),
        "task": "remaining useful life (cycles) of a turbofan engine, C-MAPSS FD001",
        "format": "torchscript", "traced_with": "torch " + torch.__version__ + " (Debian python3-torch), CPU",
        "default_artifact": results[default]["file"],
        "artifacts": {k: {"file": r["file"], "bytes": r["bytes"], "sha256": r["sha256"],
                          "quantisation": "none" if k == "fp32" else
                          "dynamic int8 (torch.quantization.quantize_dynamic on %s, engine %s)"
                          % ("/".join(sorted(t.__name__ for t in qtypes)), qengine)}
                      for k, r in results.items()},
        "input": {"name": "x", "shape": ["batch", args.window, len(features)], "dtype": "float32",
                  "layout": "[batch, time (oldest first, last row = current cycle), feature]",
                  "features": features, "normalisation": "normalisation.json",
                  "padding": "fewer than %d cycles of history: repeat the first (oldest) row at the start"
                             % args.window},
        "output": {"shape": ["batch"], "dtype": "float32", "unit": "cycles",
                   "meaning": "remaining useful life after the last input cycle, clamped to [0, %g]" % args.cap},
        "window": args.window, "rul_cap": args.cap, "features": features,
        "normalisation_file": "normalisation.json", "golden_file": "golden.json",
        "architecture": {"arch": args.arch, "parameters": n_params, "hidden": args.hidden,
                         "layers": args.layers if args.arch == "gru" else None, "head": args.head},
        "training": {"seed": args.seed, "split_seed": args.split_seed, "eval_seed": args.eval_seed,
                     "fit_units": fit_u, "tune_units": tune_u, "validation_units": val_u,
                     "epochs_run": len(history), "best_epoch": best_epoch, "threads": args.threads,
                     "train_seconds": round(train_seconds, 1), "total_seconds": round(total_seconds, 1),
                     "command": command, "data": os.path.basename(args.data)},
        "validation": {k: {"truncated": r["validation_truncated"],
                           "truncated_below_cap": r["validation_truncated_below_cap"],
                           "all_windows": r["validation_all_windows"],
                           "latency_ms_batch1_1thread": r["latency_ms_batch1_1thread"]["median"]}
                       for k, r in results.items()},
        "validation_note": "held-out engines, never used for fitting, normalisation or early stopping; "
                           "'truncated' = each engine cut at %d seeded random cycles in [1, n], RUL at the cut "
                           "(capped) as in the official test set; 'all_windows' = every cycle" % args.cuts,
    }
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump(descriptor, f, indent=2)
    with open(os.path.join(args.report, "metrics.json"), "w") as f:
        json.dump({"results": results, "history": history, "cuts": cut_list, "default": default,
                   "descriptor": descriptor}, f, indent=1)
    log("wrote", ", ".join(sorted(os.listdir(args.out))), "to", args.out)
    log("total %.1f s" % total_seconds)


if __name__ == "__main__":
    main()
