#!/usr/bin/python3
"""Corpus generator for the explainer: samples alert contexts (SPEC section 1), renders prompts (section 2), finds
the knowledge-base entry (section 3) and writes targets (section 4) with a random text template of that entry.

Also fixes the split: ~15 % of the (assetType, signal, pattern) triples are held out for evaluation; every knowledge-
base entry reachable from a held-out triple stays reachable from the training triples (checked on the sampled
corpus too), and (knowledge base v2) each held-out triple's (asset type, signal family, pattern group) cell is shown
in training by another triple (has_sibling), so evaluation tests generalisation to unseen combinations, not recall. The plant simulator's
asset/signal pairs (pump-1, motor-1, compressor-1) are never held out: the shipped model is trained on them.

  nice -n 10 /usr/bin/python3 generate_corpus.py            # writes data/eval_cases.jsonl, data/split.json,
                                                            # data/corpus_sample.txt (first 200 training examples)
The training script imports this module and regenerates the same corpus in memory (same seeds).
"""
import argparse
import itertools
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import explainer_lib as L  # noqa: E402

DATA = os.path.join(HERE, "data")

# which signals each asset type has (the gateway's plant simulator uses the first ones)
ASSET_SIGNALS = {
    "pump": ["bearing_temperature", "vibration", "current", "discharge_pressure", "suction_pressure", "flow", "speed"],
    "motor": ["winding_temperature", "vibration", "current", "bearing_temperature", "speed"],
    "compressor": ["discharge_temperature", "discharge_pressure", "current", "suction_pressure", "vibration",
                   "oil_pressure", "oil_temperature", "bearing_temperature"],
    "fan": ["vibration", "bearing_temperature", "current", "speed", "flow"],
    "conveyor": ["current", "speed", "vibration", "bearing_temperature"],
    "gearbox": ["vibration", "bearing_temperature", "oil_temperature", "oil_pressure"],
}
SIMULATOR = {("pump", s) for s in ["bearing_temperature", "vibration", "current", "discharge_pressure"]} | \
            {("motor", s) for s in ["winding_temperature", "vibration", "current"]} | \
            {("compressor", s) for s in ["discharge_temperature", "discharge_pressure", "current"]}
SIM_IDS = {"pump": "pump-1", "motor": "motor-1", "compressor": "compressor-1"}

# baseline range (lo, hi) and sigma as (kind, lo, hi): "abs" absolute, "rel" fraction of the baseline
RANGES = {
    "vibration": ((1.2, 4.5), ("rel", 0.06, 0.14)),
    "bearing_temperature": ((42, 72), ("abs", 0.8, 2.0)),
    "winding_temperature": ((65, 110), ("abs", 1.5, 3.0)),
    "discharge_temperature": ((75, 110), ("abs", 1.5, 3.0)),
    "discharge_pressure": ((3.0, 12.0), ("rel", 0.015, 0.04)),
    "suction_pressure": ((0.4, 2.5), ("rel", 0.03, 0.06)),
    "flow": ((20, 250), ("rel", 0.02, 0.05)),
    "current": ((10, 160), ("rel", 0.02, 0.05)),
    "speed": ((900, 2980), ("rel", 0.002, 0.008)),
    "oil_pressure": ((1.8, 4.5), ("rel", 0.02, 0.05)),
    "oil_temperature": ((45, 75), ("abs", 0.8, 2.0)),
}
ASSET_RANGES = {("compressor", "discharge_pressure"): (6.0, 10.5), ("compressor", "suction_pressure"): (0.9, 1.05),
                ("fan", "flow"): (2000, 25000), ("fan", "speed"): (600, 1480), ("conveyor", "speed"): (900, 1480),
                ("pump", "speed"): (1450, 2980), ("motor", "current"): (8, 120), ("fan", "current"): (6, 60)}

DIRS = {"spike": [("up", 0.8), ("down", 0.2)], "drift": [("up", 0.65), ("down", 0.35)],
        "level_shift": [("up", 0.6), ("down", 0.4)], "threshold": [("up", 0.7), ("down", 0.3)],
        "stuck": [("flat", 1.0)], "oscillation": [("flat", 0.7), ("up", 0.15), ("down", 0.15)]}
DEV = {"spike": [("low", .1), ("medium", .45), ("high", .45)], "drift": [("low", .3), ("medium", .45), ("high", .25)],
       "level_shift": [("low", .15), ("medium", .45), ("high", .4)],
       "threshold": [("low", .25), ("medium", .4), ("high", .35)], "stuck": [("low", 1.0)],
       "oscillation": [("low", .5), ("medium", .4), ("high", .1)]}
DUR = {"spike": [("short", .85), ("medium", .15)], "drift": [("medium", .5), ("long", .5)],
       "level_shift": [("short", .25), ("medium", .45), ("long", .3)],
       "threshold": [("short", .3), ("medium", .4), ("long", .3)], "stuck": [("medium", .4), ("long", .6)],
       "oscillation": [("short", .15), ("medium", .6), ("long", .25)]}
NO_BASELINE = {"threshold": 0.25, "stuck": 0.2}

# generator-only sentences appended to the entry's text (the knowledge base's texts stay entry-specific)
RUL_TEXTS = ["Estimated remaining useful life: {rul} cycles.", "The remaining useful life estimate is {rul} cycles.",
             "About {rul} cycles of useful life remain."]
OTHERS_TEXTS = ["{others} deviate at the same time.", "At the same time {others} changed."]


def pick(rng, weighted):
    r, acc = rng.random(), 0.0
    for v, w in weighted:
        acc += w
        if r < acc:
            return v
    return weighted[-1][0]


def round_sig(x, sig=4):
    if x == 0:
        return 0.0
    import math
    return round(x, max(0, sig - 1 - int(math.floor(math.log10(abs(x))))))


def all_triples():
    return [(a, s, p) for a, sigs in ASSET_SIGNALS.items() for s in sigs for p in L.PATTERNS]


def with_entries_for(kb, a, s, p):
    out = []
    for e in kb["entries"]:
        if e["with"] and ("*" in e["asset_types"] or a in e["asset_types"]) and \
                ("*" in e["signals"] or s in e["signals"]) and ("*" in e["patterns"] or p in e["patterns"]) and \
                all(w.split(":")[0] in ASSET_SIGNALS[a] and w.split(":")[0] != s for w in e["with"]):
            out.append(e)
    return out


def sample_context(kb, rng, triple, targeted=False):
    a, s, p = triple
    direction = pick(rng, DIRS[p])
    others = {}
    cands = [x for x in ASSET_SIGNALS[a] if x != s]
    wents = [e for e in with_entries_for(kb, a, s, p) if e["direction"] in ("any", direction)] if targeted else []
    if wents:
        e = rng.choice(wents)
        for w in e["with"]:
            k, d = w.split(":")
            others[k] = d
        if rng.random() < 0.2:
            k = rng.choice(cands)
            others.setdefault(k, "up" if rng.random() < 0.6 else "down")
    else:
        n = pick(rng, [(0, 0.5), (1, 0.32), (2, 0.18)])
        for k in rng.sample(cands, min(n, len(cands))):
            others[k] = "up" if rng.random() < 0.6 else "down"
    lo, hi = ASSET_RANGES.get((a, s), RANGES[s][0])
    base = rng.uniform(lo, hi)
    kind, slo, shi = RANGES[s][1]
    sigma = rng.uniform(slo, shi) * (base if kind == "rel" else 1.0)
    devb = pick(rng, DEV[p])
    dur = pick(rng, DUR[p])
    durs = {"short": rng.uniform(5, 59), "medium": rng.uniform(60, 1799), "long": rng.uniform(1800, 86400)}[dur]
    baseline_known = not (devb == "low" and rng.random() < NO_BASELINE.get(p, 0.1))
    if p == "stuck":
        dev = rng.uniform(-0.8, 0.8)
    else:
        mag = {"low": rng.uniform(0.5, 2.95), "medium": rng.uniform(3.05, 5.95), "high": rng.uniform(6.05, 14)}[devb]
        sign = {"up": 1, "down": -1}.get(direction, rng.choice([1, -1]))
        dev = sign * mag
    value = base + dev * sigma
    if s in ("speed", "flow", "current") and value <= 0:
        value = base * 0.05
    if p == "drift":
        slope = (value - base) / max(1.0, durs / 60.0)
    elif p == "stuck":
        slope = 0.0
    else:
        slope = rng.uniform(-0.05, 0.05) * sigma
    ctx = {"assetType": a,
           "assetId": SIM_IDS[a] if (a, s) in SIMULATOR and rng.random() < 0.5 else "%s-%d" % (a, rng.randint(1, 12)),
           "signal": s, "unit": kb["signals"][s]["unit"], "pattern": p, "direction": direction,
           "value": round_sig(value), "baseline": round_sig(base) if baseline_known else None,
           "deviation": round(dev, 2) if baseline_known else 0.0, "slopePerMin": round_sig(slope, 3),
           "durationS": round(durs, 1), "others": {k: others[k] for k in sorted(others)}}
    if rng.random() < 0.25:
        ctx["rulCycles"] = round(rng.uniform(3, 250), 1)
    return ctx


def render_target(kb, rng, ctx):
    """-> (target string, entry). The text is a random template of the entry whose slots the model can know are
    present (L.safe_slots), plus a remaining-life sentence when rul is known and an others sentence when others
    are present but the chosen template does not mention them."""
    exp, e = L.expected_of(kb, ctx)
    ok = L.safe_slots(ctx)
    texts = [t for t in e["texts"] if L.slots_in(t) <= ok]
    text = rng.choice(texts)
    if ctx.get("others") and "{others}" not in text:
        text += " " + rng.choice(OTHERS_TEXTS)
    if ctx.get("rulCycles") is not None:
        text += " " + rng.choice(RUL_TEXTS)
    return L.target_of(exp["cause"], exp["action"], exp["urgency"], text), e


def reachable_entries(kb, triple, rng, n=300):
    got = set()
    for i in range(n):
        got.add(L.match_entry(kb, sample_context(kb, rng, triple, targeted=(i % 2 == 0)))["id"])
    return got


def has_sibling(kb, t, train):
    """Knowledge base v2: a held-out (asset type, signal, pattern) triple is answered from its (asset type, signal
    family, pattern group) cell, so that cell must be shown in training by another triple: the same signal with
    another pattern of the group, or (for a one-pattern group such as stuck) another signal of the same family."""
    a, s, p = t
    grp = kb["pattern_groups"][L.group_of(kb, p)]
    if len(grp) > 1:
        return any((a, s, q) in train for q in grp if q != p)
    fam = L.family_of(kb, s)
    return any((a, x, p) in train for x in ASSET_SIGNALS[a] if x != s and L.family_of(kb, x) == fam)


def make_split(kb, seed=7, frac=0.15):
    rng = random.Random(seed)
    triples = all_triples()
    reach = {t: reachable_entries(kb, t, random.Random("%s|%s|%s" % t)) for t in triples}
    cands = [t for t in triples if (t[0], t[1]) not in SIMULATOR]
    rng.shuffle(cands)
    target = round(frac * len(triples))
    held = []
    for t in cands:
        if len(held) >= target:
            break
        train = [x for x in triples if x not in held and x != t]
        covered = set().union(*(reach[x] for x in train))
        if reach[t] <= covered and all(has_sibling(kb, h, set(train)) for h in held + [t]):
            held.append(t)
    held_set = set(held)
    train = [t for t in triples if t not in held_set]
    return sorted(train), sorted(held), reach


def build_corpus(kb, train_triples, n, seed, reach=None, balance=0.5):
    """n training examples. With probability `balance` an entry is chosen uniformly first and a context that
    matches it is sampled from a training triple that reaches it (so rare failure modes are not drowned by the
    catch-all and the generic pattern entries); otherwise the context is sampled from a uniform training triple."""
    rng = random.Random(seed)
    by_entry = {}
    if reach:
        for t in train_triples:
            for eid in reach[t]:
                by_entry.setdefault(eid, []).append(t)
    eids = sorted(by_entry)
    out = []
    for i in range(n):
        ctx = None
        if eids and rng.random() < balance:
            eid = eids[rng.randrange(len(eids))]
            ts = by_entry[eid]
            for _ in range(40):
                c = sample_context(kb, rng, ts[rng.randrange(len(ts))], targeted=rng.random() < 0.7)
                if L.match_entry(kb, c)["id"] == eid:
                    ctx = c
                    break
        if ctx is None:
            t = train_triples[rng.randrange(len(train_triples))]
            ctx = sample_context(kb, rng, t, targeted=rng.random() < 0.35)
        target, e = render_target(kb, rng, ctx)
        out.append((L.prompt_of(ctx, kb), target, e["id"]))
    return out


def build_eval(kb, held, n, seed, keep_catchall=0.4):
    """n cases cycling over the held-out triples; catch-all cases are kept with probability keep_catchall."""
    rng = random.Random(seed)
    cases = []
    i = 0
    while len(cases) < n:
        t = held[i % len(held)]
        i += 1
        ctx = sample_context(kb, rng, t, targeted=rng.random() < 0.5)
        exp, e = L.expected_of(kb, ctx)
        if e is kb["entries"][-1] and rng.random() > keep_catchall:
            continue
        cases.append({"id": "e-%04d" % (len(cases) + 1), "context": ctx, "expected": exp})
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split-seed", type=int, default=7)
    ap.add_argument("--eval-seed", type=int, default=2024)
    ap.add_argument("--eval-cases", type=int, default=500)
    ap.add_argument("--corpus-seed", type=int, default=0)
    ap.add_argument("--out", default=DATA)
    args = ap.parse_args(argv)
    kb = L.load_kb()
    train, held, reach = make_split(kb, args.split_seed)
    cases = build_eval(kb, held, args.eval_cases, args.eval_seed)
    corpus = build_corpus(kb, train, 20000, args.corpus_seed, reach)
    seen = {c[2] for c in corpus}
    missing = sorted({c["expected"]["cause"] for c in cases
                      if L.match_entry(kb, c["context"])["id"] not in seen})
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "eval_cases.jsonl"), "w") as f:
        for c in cases:
            f.write(json.dumps(c) + "\n")
    with open(os.path.join(args.out, "split.json"), "w") as f:
        json.dump({"split_seed": args.split_seed, "eval_seed": args.eval_seed, "n_triples": len(train) + len(held),
                   "heldout_triples": [list(t) for t in held], "train_triples": [list(t) for t in train],
                   "asset_signals": ASSET_SIGNALS, "simulator_pairs_never_held_out": sorted(map(list, SIMULATOR))},
                  f, indent=1)
    with open(os.path.join(args.out, "corpus_sample.txt"), "w") as f:
        for p, t, _ in corpus[:200]:
            f.write(p + t + "\n")
    ents = {}
    for c in cases:
        i = L.match_entry(kb, c["context"])["id"]
        ents[i] = ents.get(i, 0) + 1
    print("triples: %d train, %d held out: %s" % (len(train), len(held), held))
    print("eval cases: %d, entries: %s" % (len(cases), ents))
    print("corpus entries covered: %d of %d" % (len(seen), len(kb["entries"])))
    if missing:
        raise SystemExit("eval causes not in training corpus: %s" % missing)


if __name__ == "__main__":
    main()
