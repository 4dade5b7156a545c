"""Generate a large, valid story folder for benchmarks: deterministic for a given size and seed.

    python benchmarks/generate.py OUT_DIR --scenes 10000 [--files 100] [--seed 1]

Each scene has about 120 words of text (one conditional paragraph), three or four choices (some conditional,
some with effects) and a historical note, so 10,000 scenes come to about 12 MB of YAML. Every scene is
reachable and every path reaches one of the endings: scene i leads only to later scenes, never back in time,
so `dualpower check --strict` passes on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

WORDS = [
    "bread",
    "queue",
    "frost",
    "rifle",
    "leaflet",
    "tram",
    "snow",
    "barracks",
    "committee",
    "soviet",
    "duma",
    "factory",
    "whistle",
    "lathe",
    "crowd",
    "bridge",
    "neva",
    "nevsky",
    "banner",
    "shout",
    "cold",
    "tea",
    "tobacco",
    "boots",
    "mud",
    "smoke",
    "bayonet",
    "officer",
    "comrade",
    "speech",
    "vote",
    "paper",
    "ink",
    "stamp",
    "door",
    "window",
    "lamp",
    "street",
    "square",
    "palace",
    "river",
    "ice",
    "steam",
    "coal",
]
ROLES = ("red", "green", "blue")
START = dt.date(1917, 1, 1)


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randint(8, 14)) for _ in range(sentences))


def generate(out: Path, scenes: int, files: int = 100, seed: int = 1) -> Path:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    per_role = scenes // len(ROLES)
    roles_yaml = "\n".join(
        f"  {r}: {{name: {r.title()}, title: The {r} role, blurb: A generated role., start: {r}.s0}}"
        for r in ROLES
    )
    (out / "story.yaml").write_text(
        "title: Generated Story\nversion: 1\nroles:\n" + roles_yaml + "\nvariables:\n"
        "  bread: {type: int, start: 3, min: 0, max: 10, label: Bread, show: true}\n"
        "  trust: {type: int, start: 0, min: -5, max: 10, label: Trust, show: true}\n"
        "  marched: {type: bool, start: false}\n",
        encoding="utf-8",
    )
    chunks: dict[int, list[str]] = {}
    files_per_role = max(1, files // len(ROLES))
    for r in ROLES:
        n_endings = max(2, per_role // 50)
        body = per_role - n_endings
        for i in range(per_role):
            sid = f"{r}.s{i}" if i < body else f"{r}.end{i - body}"
            lines = [
                f"  - id: {sid}",
                f"    title: {sentence(rng, 3)[:-1]}",
                f"    date: {START + dt.timedelta(days=i * 300 // per_role)}",
                "    place: Petrograd",
                "    text:",
                f"      - {paragraph(rng, 5)}",
                "      - if: marched and bread > 2",
                f"        text: {paragraph(rng, 2)}",
                f"    note: {paragraph(rng, 2)}",
            ]
            if i >= body:
                lines += [
                    "    ending:",
                    f"      title: {sentence(rng, 3)[:-1]}",
                    f"      epilogue: {paragraph(rng, 2)}",
                ]
            else:
                lines.append("    choices:")
                # i + 1 always, so every scene is reachable; dates never fall along a goto
                targets = sorted({i + 1} | {min(per_role - 1, i + rng.randint(1, 3)) for _ in range(2)})
                for k, t in enumerate(targets):
                    tid = f"{r}.s{t}" if t < body else f"{r}.end{t - body}"
                    lines += [f"      - text: {sentence(rng, 6)}", f"        goto: {tid}"]
                    if k == 1:
                        lines += ["        if: trust >= 1 or bread < 5", "        add: {bread: -1, trust: 1}"]
                    if k == 2:
                        lines += ["        set: {marched: true}"]
                lines += [
                    f"      - text: {sentence(rng, 5)}",
                    "        show_locked: true",
                    "        if: trust >= 3 and not marched",
                    f"        goto: {r}.end{i % n_endings}",
                ]
            chunk = ROLES.index(r) * files_per_role + i * files_per_role // per_role
            chunks.setdefault(chunk, []).append("\n".join(lines))
    for n, items in chunks.items():
        (out / f"scenes{n:03d}.yaml").write_text("scenes:\n" + "\n".join(items) + "\n", encoding="utf-8")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--scenes", type=int, default=10_000)
    p.add_argument("--files", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    generate(a.out, a.scenes, a.files, a.seed)


if __name__ == "__main__":
    main()
