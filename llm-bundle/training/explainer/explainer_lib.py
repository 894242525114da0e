"""Shared pieces of the explainer pipeline, implemented exactly as SPEC.md describes them.

- knowledge base: load, validate, match (section 3)
- context -> prompt (section 2), slot availability (section 4), target rendering (section 4)
- byte-level BPE tokenizer: train, encode, decode, save/load (section 5)
- decoder-only transformer with the KV-cache forward signature (section 6)
- scoring of raw generations against expected cause/action and the hallucination rule (section 8)
"""
import json
import math
import os
import re
from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
KB_PATH = os.path.join(HERE, "knowledge", "failure_modes.json")

SLOTS = ["{asset}", "{signal}", "{type}", "{value}", "{unit}", "{baseline}", "{delta}", "{dev}", "{duration}",
         "{slope}", "{rul}", "{others}"]
SPECIAL = ["<pad>", "<s>", "</s>", "<sep>"] + SLOTS
PAD, BOS, EOS, SEP = 0, 1, 2, 3
PATTERNS = ["spike", "drift", "level_shift", "stuck", "oscillation", "threshold"]
URGENCIES = ["low", "medium", "high"]


# ----------------------------------------------------------------------------------------------- knowledge base
def load_kb(path=KB_PATH):
    with open(path, encoding="utf-8") as f:
        kb = json.load(f)
    validate_kb(kb)
    return kb


def forbidden_words(kb):
    """Signal words and asset-type names: none may appear literally in a cause, action or text."""
    return [s["words"] for s in kb["signals"].values()] + list(kb["asset_types"])


def word_re(words):
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)


def validate_kb(kb):
    errors = []
    src_ids = {s["id"] for s in kb["sources"]}
    bad_words = word_re(forbidden_words(kb) + ["current", "flow"])
    last = kb["entries"][-1]
    if not (last["asset_types"] == ["*"] and last["signals"] == ["*"] and last["patterns"] == ["*"]
            and last["direction"] == "any" and not last["with"]):
        errors.append("last entry is not a catch-all")
    ids = set()
    for e in kb["entries"]:
        if e["id"] in ids:
            errors.append("duplicate id " + e["id"])
        ids.add(e["id"])
        for t in e["asset_types"]:
            if t != "*" and t not in kb["asset_types"]:
                errors.append("%s: unknown asset type %s" % (e["id"], t))
        for s in e["signals"]:
            if s != "*" and s not in kb["signals"]:
                errors.append("%s: unknown signal %s" % (e["id"], s))
        for p in e["patterns"]:
            if p != "*" and p not in PATTERNS:
                errors.append("%s: unknown pattern %s" % (e["id"], p))
        if e["direction"] not in ("up", "down", "flat", "any"):
            errors.append("%s: bad direction" % e["id"])
        for w in e["with"]:
            s, d = w.split(":")
            if s not in kb["signals"] or d not in ("up", "down"):
                errors.append("%s: bad with %s" % (e["id"], w))
        if e["urgency"] not in URGENCIES:
            errors.append("%s: bad urgency" % e["id"])
        for s in e["sources"]:
            if s not in src_ids:
                errors.append("%s: unknown source %s" % (e["id"], s))
        if not 3 <= len(e["texts"]) <= 6:
            errors.append("%s: %d texts" % (e["id"], len(e["texts"])))
        for field in [e["cause"], e["action"]] + e["texts"]:
            if re.search(r"[0-9]", field):
                errors.append("%s: digit in %r" % (e["id"], field))
            m = bad_words.search(re.sub(r"\{[a-z]+\}", " ", field))
            if m:
                errors.append("%s: forbidden word %r in %r" % (e["id"], m.group(0), field))
            if "|" in field:
                errors.append("%s: '|' in %r" % (e["id"], field))
        for t in e["texts"]:
            for s in re.findall(r"\{[a-z]+\}", t):
                if s not in SLOTS:
                    errors.append("%s: unknown slot %s" % (e["id"], s))
        # at least one text must be usable for every context the entry can match
        minimal = {"{asset}", "{signal}", "{type}", "{value}", "{unit}", "{duration}"}
        if e["with"]:
            minimal.add("{others}")
        if e["patterns"] == ["drift"]:
            minimal.add("{slope}")
        if not any(set(re.findall(r"\{[a-z]+\}", t)) <= minimal for t in e["texts"]):
            errors.append("%s: no text usable without baseline/dev/rul" % e["id"])
    # version 2: every signal has a family, the pattern groups partition the patterns, and every entry's pattern
    # list is a union of whole groups (so the answer never depends on the pattern within its group)
    groups = kb.get("pattern_groups") or {}
    flat = [p for ps in groups.values() for p in ps]
    if sorted(flat) != sorted(PATTERNS):
        errors.append("pattern_groups must partition the patterns %s, got %s" % (PATTERNS, groups))
    for name, s in kb["signals"].items():
        if not s.get("family") or not re.fullmatch(r"[a-z_]+", s["family"]):
            errors.append("signal %s: missing or bad family" % name)
    for e in kb["entries"]:
        if e["patterns"] != ["*"]:
            for g, ps in groups.items():
                inside = [p for p in ps if p in e["patterns"]]
                if inside and len(inside) != len(ps):
                    errors.append("%s: patterns %s split group %s %s" % (e["id"], e["patterns"], g, ps))
    if errors:
        raise SystemExit("knowledge base invalid:\n  " + "\n  ".join(errors))


def match_entry(kb, ctx):
    """First entry in file order that matches the context (SPEC section 3)."""
    others = ctx.get("others") or {}
    for e in kb["entries"]:
        if "*" not in e["asset_types"] and ctx["assetType"] not in e["asset_types"]:
            continue
        if "*" not in e["signals"] and ctx["signal"] not in e["signals"]:
            continue
        if "*" not in e["patterns"] and ctx["pattern"] not in e["patterns"]:
            continue
        if e["direction"] != "any" and e["direction"] != ctx["direction"]:
            continue
        if any(others.get(w.split(":")[0]) != w.split(":")[1] for w in e["with"]):
            continue
        return e
    raise AssertionError("no entry matched (missing catch-all?)")


def dev_bucket(ctx):
    d = abs(ctx.get("deviation") or 0.0)
    return "low" if d < 3 else ("medium" if d < 6 else "high")


def dur_bucket(ctx):
    s = ctx["durationS"]
    return "short" if s < 60 else ("medium" if s < 1800 else "long")


def rul_bucket(ctx):
    r = ctx.get("rulCycles")
    if r is None:
        return "none"
    return "short" if r < 30 else ("medium" if r < 80 else "long")


def others_str(ctx):
    o = ctx.get("others") or {}
    return ",".join("%s:%s" % (k, o[k]) for k in sorted(o)) if o else "none"


def family_of(kb, signal):
    """The signal's family (knowledge base v2, SPEC section 3); "other" for a signal the knowledge base lacks."""
    s = kb["signals"].get(signal)
    return s["family"] if s else "other"


def group_of(kb, pattern):
    for g, ps in kb["pattern_groups"].items():
        if pattern in ps:
            return g
    raise KeyError(pattern)


def prompt_of(ctx, kb):
    """SPEC section 2 (prompt version 2: with the signal's family and the pattern's group)."""
    return "type=%s family=%s signal=%s group=%s pattern=%s dir=%s dev=%s dur=%s others=%s rul=%s\n" % (
        ctx["assetType"], family_of(kb, ctx["signal"]), ctx["signal"], group_of(kb, ctx["pattern"]), ctx["pattern"],
        ctx["direction"], dev_bucket(ctx), dur_bucket(ctx), others_str(ctx), rul_bucket(ctx))


def urgency_of(entry, ctx):
    i = URGENCIES.index(entry["urgency"])
    if dev_bucket(ctx) == "high" or rul_bucket(ctx) == "short":
        i = min(i + 1, len(URGENCIES) - 1)
    return URGENCIES[i]


def expected_of(kb, ctx):
    e = match_entry(kb, ctx)
    return {"cause": e["cause"], "action": e["action"], "urgency": urgency_of(e, ctx)}, e


def present_slots(ctx):
    """Slots that the gateway can fill for this context (SPEC section 4) - used by the scorer."""
    s = {"{asset}", "{signal}", "{type}", "{value}", "{duration}"}
    if ctx.get("unit"):
        s.add("{unit}")
    if ctx.get("baseline") is not None:
        s |= {"{baseline}", "{delta}"}
    if (ctx.get("deviation") or 0) != 0:
        s.add("{dev}")
    if ctx["pattern"] == "drift":
        s.add("{slope}")
    if ctx.get("rulCycles") is not None:
        s.add("{rul}")
    if ctx.get("others"):
        s.add("{others}")
    return s


def safe_slots(ctx):
    """Slots the training targets use: only those whose presence the model can read off the prompt.
    {baseline}/{delta}/{dev} only when dev is medium/high (|deviation| >= 3 implies a baseline), {unit} always
    (every knowledge-base signal has a unit; the generator always sets it)."""
    s = {"{asset}", "{signal}", "{type}", "{value}", "{unit}", "{duration}"}
    if dev_bucket(ctx) != "low":
        s |= {"{baseline}", "{delta}", "{dev}"}
    if ctx["pattern"] == "drift":
        s.add("{slope}")
    if rul_bucket(ctx) != "none":
        s.add("{rul}")
    if ctx.get("others"):
        s.add("{others}")
    return s


def slots_in(text):
    return set(re.findall(r"\{[a-z]+\}", text))


def target_of(cause, action, urgency, text):
    return "cause: %s | action: %s | urgency: %s | %s" % (cause, action, urgency, text)


def parse_output(out):
    parts = out.split(" | ", 3)
    r = {"cause": None, "action": None, "urgency": None, "text": ""}
    for key, p in zip(("cause", "action", "urgency"), parts[:3]):
        if p.startswith(key + ":"):
            r[key] = p[len(key) + 1:].strip()
    if len(parts) == 4:
        r["text"] = parts[3]
    return r


class Scorer:
    """Section 8 scoring on the raw output (before slot filling). The hallucination checks are applied to the
    whole output (cause, action and text), which is stricter than checking the text alone: the knowledge base's
    causes and actions contain no signal words, asset types or digits (validate_kb)."""

    def __init__(self, kb):
        self.kb = kb
        self.sig_words = {k: v["words"] for k, v in kb["signals"].items()}
        self.types = list(kb["asset_types"])

    def hallucinations(self, out, ctx):
        reasons = []
        for s in slots_in(out):
            if s not in present_slots(ctx):
                reasons.append("slot " + s)
        if re.search(r"[0-9]", out):
            reasons.append("digit")
        allowed = {ctx["signal"]} | set((ctx.get("others") or {}).keys())
        bare = re.sub(r"\{[a-z]+\}", " ", out)
        for sig, words in self.sig_words.items():
            if sig not in allowed and re.search(r"\b" + re.escape(words) + r"\b", bare, re.IGNORECASE):
                reasons.append("signal " + sig)
        for t in self.types:
            if t != ctx["assetType"] and re.search(r"\b" + re.escape(t) + r"\b", bare, re.IGNORECASE):
                reasons.append("type " + t)
        return reasons

    def score(self, out, ctx, expected):
        p = parse_output(out)
        h = self.hallucinations(out, ctx)
        return {"cause_ok": p["cause"] == expected["cause"].strip(), "action_ok": p["action"] == expected["action"].strip(),
                "urgency_ok": p["urgency"] == expected["urgency"], "hallucination": bool(h), "reasons": h}


def fmt_num(x):
    """%.3g-like without exponent (display only; the Java side owns the real formatting)."""
    if x == 0:
        return "0"
    digits = max(0, 3 - 1 - int(math.floor(math.log10(abs(x)))))
    s = ("%." + str(digits) + "f") % round(x, digits)
    return s.rstrip("0").rstrip(".") if "." in s else s


def human_duration(s):
    if s < 60:
        return "%d s" % round(s)
    if s < 3600:
        return "%d min" % round(s / 60)
    return "%s h" % fmt_num(s / 3600)


def fill_slots(kb, text, ctx):
    """Illustration only (README examples): how the gateway fills the slots."""
    o = ctx.get("others") or {}
    v = {"{asset}": ctx["assetId"], "{signal}": kb["signals"][ctx["signal"]]["words"], "{type}": ctx["assetType"],
         "{value}": fmt_num(ctx["value"]), "{unit}": ctx.get("unit") or "", "{duration}": human_duration(ctx["durationS"]),
         "{others}": " and ".join(kb["signals"][k]["words"] for k in sorted(o))}
    if ctx.get("baseline") is not None:
        v["{baseline}"] = fmt_num(ctx["baseline"])
        v["{delta}"] = fmt_num(abs(ctx["value"] - ctx["baseline"]))
    v["{dev}"] = "%.1f" % abs(ctx.get("deviation") or 0)
    v["{slope}"] = fmt_num(abs(ctx.get("slopePerMin") or 0))
    if ctx.get("rulCycles") is not None:
        v["{rul}"] = str(int(round(ctx["rulCycles"])))
    for k, val in v.items():
        text = text.replace(k, val)
    return text


# ----------------------------------------------------------------------------------------------- tokenizer
_CHUNK = re.compile(r" [^ ]+|[^ ]+| ")
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in sorted(SPECIAL, key=len, reverse=True)) + ")")


def chunks(segment):
    return _CHUNK.findall(segment)


class BPETokenizer:
    def __init__(self, merges, special=SPECIAL):
        self.special = list(special)
        self.sid = {s: i for i, s in enumerate(self.special)}
        self.nsp = len(self.special)
        self.merges = [tuple(m) for m in merges]
        # token id -> bytes
        self.bytes_of = {}
        for b in range(256):
            self.bytes_of[self.nsp + b] = bytes([b])
        self.ranks = {}
        self.pair_to_id = {}
        by_str = {bytes([b]).decode("latin-1"): self.nsp + b for b in range(256)}
        for k, (a, b) in enumerate(self.merges):
            ia, ib = by_str[a], by_str[b]
            nid = self.nsp + 256 + k
            self.ranks[(ia, ib)] = k
            self.pair_to_id[(ia, ib)] = nid
            self.bytes_of[nid] = self.bytes_of[ia] + self.bytes_of[ib]
            by_str[(a + b)] = nid
        self.vocab_size = self.nsp + 256 + len(self.merges)
        self._cache = {}

    def _encode_chunk(self, chunk):
        r = self._cache.get(chunk)
        if r is not None:
            return r
        ids = [self.nsp + b for b in chunk.encode("utf-8")]
        while len(ids) > 1:
            best, bi = None, -1
            for i in range(len(ids) - 1):
                rk = self.ranks.get((ids[i], ids[i + 1]))
                if rk is not None and (best is None or rk < best):
                    best, bi = rk, i
            if best is None:
                break
            ids = ids[:bi] + [self.pair_to_id[(ids[bi], ids[bi + 1])]] + ids[bi + 2:]
        self._cache[chunk] = ids
        return ids

    def encode(self, text):
        out = []
        for seg in _SPECIAL_RE.split(text):
            if not seg:
                continue
            if seg in self.sid:
                out.append(self.sid[seg])
            else:
                for c in chunks(seg):
                    out.extend(self._encode_chunk(c))
        return out

    def decode(self, ids):
        buf = b""
        for i in ids:
            if i < self.nsp:
                buf += self.special[i].encode("utf-8")
            else:
                buf += self.bytes_of[i]
        return buf.decode("utf-8", errors="replace")

    def sequence(self, prompt, target=None):
        ids = [BOS] + self.encode(prompt) + [SEP]
        if target is not None:
            ids = ids + self.encode(target) + [EOS]
        return ids

    def to_json(self):
        return {"type": "byte-bpe", "version": 1, "special": self.special,
                "merges": [[a, b] for a, b in self.merges]}

    @staticmethod
    def from_json(d):
        assert d["type"] == "byte-bpe" and d["version"] == 1
        return BPETokenizer([tuple(m) for m in d["merges"]], d["special"])

    @staticmethod
    def train(texts, vocab_size, special=SPECIAL, log=None):
        """Learn merges on the chunk frequencies of `texts` (special tokens split out first)."""
        freq = Counter()
        for t in texts:
            for seg in _SPECIAL_RE.split(t):
                if seg and seg not in special:
                    freq.update(chunks(seg))
        words = [[bytes([b]).decode("latin-1") for b in w.encode("utf-8")] for w in freq]
        counts = list(freq.values())
        merges = []
        n_merges = vocab_size - len(special) - 256
        pair_counts = Counter()
        where = {}
        for wi, w in enumerate(words):
            for i in range(len(w) - 1):
                p = (w[i], w[i + 1])
                pair_counts[p] += counts[wi]
                where.setdefault(p, set()).add(wi)
        for _ in range(n_merges):
            if not pair_counts:
                break
            # most frequent pair; ties broken by the pair's strings (deterministic)
            best = max(pair_counts.items(), key=lambda kv: (kv[1], tuple(-ord(c) for c in kv[0][0] + "\x00" + kv[0][1])))
            (a, b), c = best
            if c < 2:
                break
            merges.append((a, b))
            ab = a + b
            for wi in list(where.get((a, b), ())):
                w = words[wi]
                # remove old pair counts of this word
                for i in range(len(w) - 1):
                    p = (w[i], w[i + 1])
                    pair_counts[p] -= counts[wi]
                    if pair_counts[p] <= 0:
                        del pair_counts[p]
                    s = where.get(p)
                    if s is not None:
                        s.discard(wi)
                i, nw = 0, []
                while i < len(w):
                    if i < len(w) - 1 and w[i] == a and w[i + 1] == b:
                        nw.append(ab)
                        i += 2
                    else:
                        nw.append(w[i])
                        i += 1
                words[wi] = nw
                for i in range(len(nw) - 1):
                    p = (nw[i], nw[i + 1])
                    pair_counts[p] += counts[wi]
                    where.setdefault(p, set()).add(wi)
        if log:
            log("bpe: %d distinct chunks, %d merges learned" % (len(freq), len(merges)))
        return BPETokenizer(merges, special)


def tokenizer_selftest(tok, samples):
    """Round trip on the samples, on every special token, on odd bytes and unicode; and the chunk rules."""
    extra = ["  double  spaces   ", "tab\there\nnewline\n", "ünïcödé ✓ °C", "{asset}{signal} {unit}x{rul}",
             "".join(chr(i) for i in range(32, 127)), " leading", "trailing "]
    for s in list(samples) + extra:
        ids = tok.encode(s)
        assert tok.decode(ids) == s, (s, ids, tok.decode(ids))
        assert all(0 <= i < tok.vocab_size for i in ids)
    for i, sp in enumerate(tok.special):
        assert tok.encode(sp) == [i], sp
    assert chunks("a  b c ") == ["a", " ", " b", " c", " "], chunks("a  b c ")
    # merges only apply inside a chunk: merged tokens never contain a space after their first byte
    for i in range(tok.nsp + 256, tok.vocab_size):
        assert b" " not in tok.bytes_of[i][1:], tok.bytes_of[i]
    return True


# ----------------------------------------------------------------------------------------------- model
class Block(nn.Module):
    def __init__(self, d_model: int, heads: int, ff: int):
        super().__init__()
        self.heads = heads
        self.head_dim = d_model // heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, ff)
        self.fc2 = nn.Linear(ff, d_model)
        self.act = nn.GELU()

    def forward(self, x, past_k, past_v):
        # x [B, T, D]; past_k/past_v [B, H, P, Dh]
        B, T, D = x.size(0), x.size(1), x.size(2)
        P = past_k.size(2)
        qkv = self.qkv(self.ln1(x)).view(B, T, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        if T > 1:
            qpos = torch.arange(T, device=x.device).unsqueeze(1) + P
            kpos = torch.arange(P + T, device=x.device).unsqueeze(0)
            att = att.masked_fill(kpos > qpos, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, D)
        x = x + self.proj(y)
        x = x + self.fc2(self.act(self.fc1(self.ln2(x))))
        return x, k, v


class Decoder(nn.Module):
    """Decoder-only transformer, pre-LN, learned positions, untied output head; every projection an nn.Linear."""

    def __init__(self, vocab_size: int, d_model: int, layers: int, heads: int, max_len: int, ff: int = 0):
        super().__init__()
        self.vocab_size = vocab_size
        self.d_model = d_model
        self.n_layers = layers
        self.heads = heads
        self.head_dim = d_model // heads
        self.max_len = max_len
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList([Block(d_model, heads, ff or 4 * d_model) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, tokens, cache):
        """tokens int64 [1, T] at positions P..P+T-1 (P = cache.size(4)); cache float32 [L, 2, 1, H, P, Dh].
        Returns (logits of the last token [1, V], cache [L, 2, 1, H, P+T, Dh])."""
        P = cache.size(4)
        T = tokens.size(1)
        pos = torch.arange(P, P + T, device=tokens.device)
        x = self.tok_emb(tokens) + self.pos_emb(pos).unsqueeze(0)
        new = []
        for i, blk in enumerate(self.blocks):
            x, k, v = blk(x, cache[i, 0], cache[i, 1])
            new.append(torch.stack([k, v]))
        logits = self.head(self.ln_f(x[:, -1, :]))
        return logits, torch.stack(new)

    def all_logits(self, tokens):
        """Training: tokens [B, T] -> logits [B, T, V] (causal, no cache)."""
        B, T = tokens.size(0), tokens.size(1)
        x = self.tok_emb(tokens) + self.pos_emb(torch.arange(T, device=tokens.device)).unsqueeze(0)
        empty = torch.zeros(B, self.heads, 0, self.head_dim, device=tokens.device)
        for blk in self.blocks:
            x, _, _ = blk(x, empty, empty)
        return self.head(self.ln_f(x))

    def empty_cache(self):
        return torch.zeros(self.n_layers, 2, 1, self.heads, 0, self.head_dim)


def greedy(module, prompt_ids, L, H, Dh, max_new=96, use_cache=True):
    """Greedy decoding with a TorchScript (or eager) module implementing the SPEC forward. Returns new ids
    (without </s>)."""
    out = []
    empty = torch.zeros(L, 2, 1, H, 0, Dh)
    with torch.no_grad():
        if use_cache:
            logits, cache = module(torch.tensor([prompt_ids], dtype=torch.long), empty)
            for _ in range(max_new):
                nxt = int(torch.argmax(logits[0]))
                if nxt == EOS:
                    break
                out.append(nxt)
                logits, cache = module(torch.tensor([[nxt]], dtype=torch.long), cache)
        else:
            seq = list(prompt_ids)
            for _ in range(max_new):
                logits, _ = module(torch.tensor([seq], dtype=torch.long), empty)
                nxt = int(torch.argmax(logits[0]))
                if nxt == EOS:
                    break
                out.append(nxt)
                seq.append(nxt)
    return out
