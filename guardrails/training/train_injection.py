"""Train the injection classifier's weights (guardrails/injection_weights.json) offline.

Run: .venv/bin/python -m guardrails.training.train_injection

Data: guardrails/training/injection_train.jsonl (multilingual hostile and benign texts written for
training) plus the shipped corpora tests/guardrails_text/corpus/injection_hostile.jsonl and
injection_benign.jsonl, plus the *dev* half of the paraphrase grammar
(tests/guardrails_text/paraphrase_grammar.py: 300 hostile, 300 benign paraphrases in the words of
its dev half), so the weights know the cancel / authority / action / disclosure classes the aim gate
reads. The held-out files (`*_holdout*.jsonl`), the blind corpora and the grammar's held-out and
fresh halves are never read here: they are the evaluation. A grammar row weighs GRAMMAR_WEIGHT of a
written one. The model is an L2-regularised logistic regression over `injection_features.features`,
fitted by full-batch Adam with numpy (deterministic, seconds on 2 cores). The decision
threshold is chosen on 5-fold out-of-fold probabilities: the lowest threshold whose out-of-fold
false-positive rate on benign texts stays at or under 1%.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from guardrails.injection_features import features
from tests.guardrails_text.paraphrase_grammar import generate

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "guardrails" / "training" / "injection_train.jsonl"
CORPUS = ROOT / "tests" / "guardrails_text" / "corpus"
OUT = ROOT / "guardrails" / "injection_weights.json"
L2 = 0.001
L2_HASHED = 0.005
EPOCHS = 400
RATE = 0.05
MAX_OOF_FPR = 0.01
N_OWN = [0]
N_GRAMMAR_FROM = [0]
GRAMMAR_WEIGHT = 0.3
"""Weight of one grammar paraphrase against one written text: 600 generated English rows would otherwise
outvote the 226 multilingual and structural texts, and the model would forget the other languages."""


def load() -> tuple[list[str], list[int]]:
    texts: list[str] = []
    labels: list[int] = []
    for line in TRAIN.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(row["text"])
            labels.append(int(row["label"]))
    N_OWN[0] = len(texts)
    for name, label in (("injection_hostile.jsonl", 1), ("injection_benign.jsonl", 0)):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
                labels.append(label)
    N_GRAMMAR_FROM[0] = len(texts)
    for sample in generate(fresh=False):
        if sample.half == "dev":  # never "heldout" or "fresh": those measure the result
            texts.append(sample.text)
            labels.append(int(sample.hostile))
    return texts, labels


def fit(
    rows: list[dict[str, float]], y: np.ndarray, vocab: dict[str, int], source_w: np.ndarray
) -> tuple[np.ndarray, float]:
    """Weighted logistic regression by Adam; hashed words are regularised harder than named features."""
    x = np.zeros((len(rows), len(vocab)), dtype=np.float64)
    for i, row in enumerate(rows):
        for name, value in row.items():
            j = vocab.get(name)
            if j is not None:
                x[i, j] = value
    l2 = np.array([L2_HASHED if name.startswith("h:") else L2 for name in sorted(vocab, key=vocab.__getitem__)])
    pos = (y * source_w).sum() / source_w.sum()
    sample_w = source_w * np.where(y == 1, 0.5 / pos, 0.5 / (1 - pos)) * len(y) / source_w.sum()  # balance
    w = np.zeros(len(vocab) + 1)  # the last entry is the bias
    xb = np.hstack([x, np.ones((len(rows), 1))])
    l2 = np.append(l2, 0.0)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t in range(1, EPOCHS + 1):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ ((p - y) * sample_w) / len(y) + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= RATE * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w[:-1], float(w[-1])


def predict(rows: list[dict[str, float]], w: np.ndarray, b: float, vocab: dict[str, int]) -> np.ndarray:
    out = []
    for row in rows:
        z = b + sum(w[vocab[n]] * v for n, v in row.items() if n in vocab)
        out.append(1 / (1 + np.exp(-z)))
    return np.array(out)


def main() -> None:
    texts, labels = load()
    rows = [features(t) for t in texts]
    y = np.array(labels, dtype=np.float64)
    source_w = np.where(np.arange(len(y)) >= N_GRAMMAR_FROM[0], GRAMMAR_WEIGHT, 1.0)
    vocab = {name: i for i, name in enumerate(sorted({n for r in rows for n in r}))}
    # Out-of-fold probabilities choose the threshold: probabilities on texts the fold never saw.
    order = list(range(len(rows)))
    random.Random(14).shuffle(order)
    oof = np.zeros(len(rows))
    for k in range(5):
        test = order[k::5]
        train = [i for i in order if i not in set(test)]
        w, b = fit([rows[i] for i in train], y[train], vocab, source_w[train])
        oof[test] = predict([rows[i] for i in test], w, b, vocab)
    benign = np.sort(oof[y == 0])
    threshold = float(max(0.5, benign[int(np.ceil(len(benign) * (1 - MAX_OOF_FPR))) - 1] + 1e-3))
    recall = float((oof[y == 1] >= threshold).mean())
    own = np.arange(len(y)) < N_OWN[0]
    own_recall = float((oof[own & (y == 1)] >= threshold).mean())
    print(f"out-of-fold recall on the multilingual/structural training texts: {own_recall:.3f}")
    fpr = float((oof[y == 0] >= threshold).mean())
    w, b = fit(rows, y, vocab, source_w)
    weights = {name: round(float(w[i]), 4) for name, i in vocab.items() if abs(w[i]) >= 0.002}
    OUT.write_text(json.dumps({
        "about": "logistic regression over guardrails/injection_features.py; trained by "
                 "guardrails/training/train_injection.py",
        "samples": {"hostile": int(y.sum()), "benign": int(len(y) - y.sum())},
        "out_of_fold": {"recall": round(recall, 3), "fpr": round(fpr, 3)},
        "threshold": round(threshold, 3),
        "bias": round(float(b), 4),
        "weights": dict(sorted(weights.items())),
    }, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(y)} texts ({int(y.sum())} hostile); {len(weights)} weights; threshold {threshold:.3f}; "
          f"out-of-fold recall {recall:.3f} fpr {fpr:.3f}")


if __name__ == "__main__":
    main()
