"""Retrieval benchmark for the document index: recall@1/@3 and MRR on a labelled question set, ingest throughput,
and query latency at a scaled index (default 10,000 chunks).

Owns the measurement only. Ingests ``corpus/demo`` into a fresh data folder, scores
``eval/retrieval_questions.yaml`` (overall, same-language, cross-lingual EN↔DE), then pads the index with
synthetic log chunks (a generated alarm log per asset-week) up to ``--scale`` chunks and times queries.

What counts as a hit: a passage whose file is the labelled ``source`` and whose locator contains the labelled
``locator`` (a section heading, or a log's date/asset), i.e. any chunk of the right section or log entry — or
one of the ``also`` pairs, for questions that another section answers just as well (the alarm table states
the same limit as the technical data). ``strict`` figures count only the first label.

    .venv/bin/python eval/bench_retrieval.py [--scale 10000] [--queries 200] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from tools.documents.index import demo_corpus_dir, forget_indexes, open_index  # noqa: E402
from tools.documents.search import search_documents  # noqa: E402


def relevant(passage_source: str, locator: str, item: dict[str, object], strict: bool = False) -> bool:
    sources = item["source"] if isinstance(item["source"], list) else [item["source"]]
    if passage_source in sources and str(item["locator"]) in locator:
        return True
    also = [] if strict else list(item.get("also") or [])  # type: ignore[call-overload]
    return any(passage_source == str(src) and str(loc) in locator for src, loc in also)


def score(settings: Settings, questions: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[int | None]] = {"all": [], "same-language": [], "cross-lingual": [], "all (strict)": []}
    misses = []
    for item in questions:
        result = search_documents(settings, str(item["q"]), k=10)
        ranks = [
            next(
                (
                    i
                    for i, p in enumerate(result.passages, start=1)
                    if relevant(p.citation.source, p.citation.locator, item, strict)
                ),
                None,
            )
            for strict in (False, True)
        ]
        rank = ranks[0]
        groups["all"].append(rank)
        groups["cross-lingual" if item.get("cross") else "same-language"].append(rank)
        groups["all (strict)"].append(ranks[1])
        if rank is None or rank > 3:
            top = result.passages[0].citation if result.passages else None
            misses.append(
                f"  rank {rank}: {item['q']}  → top: {top.source if top else '-'} {top.locator if top else ''}"
            )
    out = {}
    for name, ranks in groups.items():
        n = len(ranks) or 1
        out[name] = {
            "n": len(ranks),
            "recall@1": sum(1 for r in ranks if r == 1) / n,
            "recall@3": sum(1 for r in ranks if r and r <= 3) / n,
            "mrr": sum(1 / r for r in ranks if r) / n,
        }
    if misses:
        print("not in the top 3:")
        print("\n".join(misses))
    return out


def pad_index(settings: Settings, target: int, folder: Path) -> float:
    """Synthetic alarm logs until the index holds ``target`` chunks; returns chunks/s of that ingest."""
    idx = open_index(settings)
    rng = random.Random(7)
    codes = {"P": ["E-10", "E-11", "E-12", "E-14", "E-15"], "S": ["E-20", "E-21", "E-22"], "CV": ["E-30", "E-31"],
             "K": ["E-40", "E-42"], "T": ["E-50", "E-51"]}  # fmt: skip
    assets = [f"P-{n}" for n in (101, 102, 103, 104, 111, 211, 301, 302)] + [f"S-{n}" for n in range(1, 7)]
    assets += [f"CV-{n}" for n in range(1, 6)] + ["K-1", "K-2", "K-3", "T-101", "T-111", "T-211", "T-301"]
    week = 0
    t_total = 0.0
    added = 0
    while idx.count() < target:
        path = folder / f"synthetic_alarm_log_week{week:03d}.csv"
        lines = ["timestamp,asset,code,event,value,note"]
        for _ in range(400):
            a = rng.choice(assets)
            code = rng.choice(codes[a.split("-")[0]])
            note = rng.choice(["checked", "reset by operator", "maintenance informed", "no action"])
            lines.append(f"2025-{1 + week % 12:02d}-{1 + rng.randrange(28):02d} {rng.randrange(24):02d}:"
                         f"{rng.randrange(60):02d}:00,{a},{code},RAISED,{rng.uniform(1, 120):.2f},{note}")  # fmt: skip
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        report = idx.add([path])
        t_total += time.perf_counter() - t0
        added += report.chunks
        week += 1
    return added / t_total if t_total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="chunks in the index for the latency test")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "retrieval_questions.yaml")
    args = parser.parse_args()
    questions = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        data = args.data_dir or Path(tmp) / "data"
        forget_indexes()
        settings = Settings(data_dir=data)
        idx = open_index(settings)
        t0 = time.perf_counter()
        report = idx.add([demo_corpus_dir()])
        dt = time.perf_counter() - t0
        print(f"ingest demo corpus: {len(report.files)} files, {report.pages} pages, {report.chunks} chunks in "
              f"{dt:.1f} s → {report.pages / dt:.2f} pages/s, {report.chunks / dt:.1f} chunks/s "
              f"(includes loading the embedding model)")  # fmt: skip
        errors = [f for f in report.files if f.error]
        if errors:
            print("ingest errors:", errors)
        t0 = time.perf_counter()
        again = idx.add([demo_corpus_dir()])
        print(f"re-add unchanged corpus: {sum(f.status == 'unchanged' for f in again.files)} files unchanged in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")  # fmt: skip
        results = score(settings, questions)
        print(f"\nlabelled questions: {args.questions.relative_to(ROOT)}")
        for name, r in results.items():
            print(f"  {name:<15} n={r['n']:<3} recall@1={r['recall@1']:.3f} recall@3={r['recall@3']:.3f} "
                  f"MRR={r['mrr']:.3f}")  # fmt: skip
        if args.scale > idx.count():
            pad = Path(tmp) / "synthetic"
            pad.mkdir()
            rate = pad_index(settings, args.scale, pad)
            print(f"\nscaled index to {idx.count()} chunks (synthetic logs ingested at {rate:.1f} chunks/s)")
        qs = [str(q["q"]) for q in questions]
        search_documents(settings, qs[0])  # warm caches (code index over all chunks)
        lat = []
        for i in range(args.queries):
            t0 = time.perf_counter()
            # the asset/type filters every third query exercise the filtered paths as well
            asset = "P-102" if i % 3 == 1 else None
            doc_type = "alarm_log" if i % 3 == 2 else None
            search_documents(settings, qs[i % len(qs)], asset=asset, doc_type=doc_type, k=5)
            lat.append((time.perf_counter() - t0) * 1000)
        lat.sort()
        print(f"query latency at {idx.count()} chunks over {len(lat)} queries: median {statistics.median(lat):.1f} ms, "
              f"p95 {lat[int(0.95 * len(lat)) - 1]:.1f} ms, max {lat[-1]:.1f} ms")  # fmt: skip
        results_scaled = score(settings, questions)
        r = results_scaled["cross-lingual"]
        a = results_scaled["all"]
        print(f"at {idx.count()} chunks: all recall@1={a['recall@1']:.3f} recall@3={a['recall@3']:.3f} "
              f"MRR={a['mrr']:.3f}, cross-lingual recall@3={r['recall@3']:.3f}, "
              f"strict recall@3={results_scaled['all (strict)']['recall@3']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
