"""Draw docs/architecture.png from the code's own imports (`make arch`).

Walks app/ with ast, collects every import between app modules (including those inside functions and under
TYPE_CHECKING), collapses each module to its unit: app's packages (core, text, store, ingest, feedback, web,
cli) and, inside app.answer, its sub-packages (question, reader, shapes, news, llm, grounding) and its top
modules (pipeline, service, retrieval). Units are placed in rows by their depth in the graph (a unit sits
above everything it imports), so the picture is the import graph, not a drawing of it. An arrow A -> B means
"A imports B"; its label counts the importing statements.

    python scripts/arch_graph.py [--out docs/architecture.png] [--print] [--root CHECKOUT]

--root draws another checkout's app/ (e.g. a `git worktree` of a commit) instead of this one's.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import random
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
ANSWER = "app.answer"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[list[str]]:
    """The app modules (or module.name) each import statement of this file names, one list per statement."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.append([a.name for a in node.names if a.name.split(".")[0] == "app"])
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import mod` names a module, `from mod import f` a name: unit() tells them apart
            if base.split(".")[0] == "app":
                out.append([f"{base}.{a.name}" for a in node.names])
    return out


def reexports(files: list[Path]) -> dict[str, str]:
    """pkg.Name -> the module a package's __init__ imports Name from (`from app.answer import Service`)."""
    out = {}
    for f in files:
        if f.name == "__init__.py":
            for stmt in imports(f):
                for target in stmt:
                    out[f"{module_name(f)}.{target.rpartition('.')[2]}"] = target.rpartition(".")[0]
    return out


def unit(module: str, modules: set[str]) -> str | None:
    """The box a module belongs to: app.<package>, or app.answer.<sub-package or top module>."""
    while module not in modules and "." in module:  # `from pkg import name`: the name is not a module
        module = module.rpartition(".")[0]
    parts = module.split(".")
    if len(parts) < 2:
        return None
    if parts[1] == "__main__":  # `python -m app` only calls the command line
        return "app.cli"
    if parts[1] == "answer":
        return ANSWER if len(parts) == 2 else f"{ANSWER}.{parts[2]}"
    return f"app.{parts[1]}"


def graph() -> tuple[list[str], Counter[tuple[str, str]]]:
    files = sorted(APP.rglob("*.py"))
    modules = {module_name(f) for f in files}
    via_init = reexports(files)
    edges: Counter[tuple[str, str]] = Counter()
    units = set()
    for f in files:
        src = unit(module_name(f), modules)
        # packages' __init__ files only re-export (followed through via_init) or say what they own
        if src is None or f.name == "__init__.py":
            continue
        units.add(src)
        for stmt in imports(f):
            targets = {unit(via_init.get(t, t), modules) for t in stmt}
            for dst in targets - {None, src}:
                assert dst is not None
                edges[(src, dst)] += 1
    return sorted(units), edges


def depths(units: list[str], edges: Counter[tuple[str, str]]) -> dict[str, int]:
    """Longest path down to a unit that imports nothing: 0 for the foundations (the contracts forbid cycles)."""
    out_of = defaultdict(set)
    for a, b in edges:
        out_of[a].add(b)
    memo: dict[str, int] = {}

    def depth(u: str, seen: frozenset[str] = frozenset()) -> int:
        if u not in memo:
            below = [depth(v, seen | {u}) for v in out_of[u] if v not in seen]
            memo[u] = 1 + max(below) if below else 0
        return memo[u]

    return {u: depth(u) for u in units}


def label(u: str) -> str:
    name = u.removeprefix(ANSWER + ".") if u.startswith(ANSWER + ".") else u.removeprefix("app.")
    folder = APP / "answer" / name if u.startswith(ANSWER + ".") else APP / name
    return name + "/" if folder.is_dir() else name + ".py"


def size(u: str) -> str:
    """'8 modules, 1,234 lines' of a unit."""
    path = APP / Path(*u.split(".")[1:])
    files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
    mods = len([f for f in files if f.name != "__init__.py"]) or 1
    return f"{mods} module{'s' * (mods > 1)}, {lines:,} lines"


def collapse(edges: Counter[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """app.answer's units as one box (for the picture of app's packages)."""
    out: Counter[tuple[str, str]] = Counter()
    for (a, b), n in edges.items():
        a, b = (ANSWER if x.startswith(ANSWER + ".") else x for x in (a, b))
        if a != b:
            out[(a, b)] += n
    return out


XGAP, YGAP, W, H = 2.6, 1.5, 2.15, 0.74


def _segments(
    xy: dict[str, tuple[float, float]], edges: Counter[tuple[str, str]]
) -> list[tuple[str, str, tuple]]:
    return [(a, b, (xy[a][0], xy[a][1] - H / 2, xy[b][0], xy[b][1] + H / 2)) for a, b in edges]


def _cost(xy: dict[str, tuple[float, float]], edges: Counter[tuple[str, str]]) -> float:
    """Arrows through boxes (heavily), arrows crossing, and sideways length: what makes a graph hard to read."""
    segs = _segments(xy, edges)
    hits = 0
    for a, b, (x0, y0, x1, y1) in segs:
        for i in range(1, 20):
            px, py = x0 + (x1 - x0) * i / 20, y0 + (y1 - y0) * i / 20
            hits += sum(
                abs(px - x) < W / 2 + 0.12 and abs(py - y) < H / 2 + 0.12
                for u, (x, y) in xy.items()
                if u not in (a, b)
            )

    def side(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    crossings = 0
    for i, (_, _, (a0, a1, a2, a3)) in enumerate(segs):
        for _, _, (b0, b1, b2, b3) in segs[i + 1 :]:
            if (a0, a1) in ((b0, b1), (b2, b3)) or (a2, a3) in ((b0, b1), (b2, b3)):
                continue  # arrows sharing an end do not cross
            if (
                side(a0, a1, a2, a3, b0, b1) * side(a0, a1, a2, a3, b2, b3) < 0
                and side(b0, b1, b2, b3, a0, a1) * side(b0, b1, b2, b3, a2, a3) < 0
            ):
                crossings += 1
    return 100 * hits + 3 * crossings + sum(abs(s[2][0] - s[2][2]) for s in segs) / XGAP


def layout(
    units: list[str], edges: Counter[tuple[str, str]], depth: dict[str, int]
) -> dict[str, tuple[float, float]]:
    """Rows by depth; within rows, slots chosen row by row (a few sweeps) to keep arrows clear of boxes."""
    rows: dict[int, list[str]] = defaultdict(list)
    for u in sorted(units):
        rows[depth[u]].append(u)
    slots = max(len(us) for us in rows.values()) + 2
    rng = random.Random(13)  # several seeded starts of a descent that moves one row at a time: deterministic
    place: dict[int, list[int]] = {}

    def coords() -> dict[str, tuple[float, float]]:
        return {
            u: ((place[d][i] - (slots - 1) / 2) * XGAP, d * YGAP)
            for d, us in rows.items()
            for i, u in enumerate(us)
        }

    best_cost, best_place = float("inf"), {}
    for _start in range(40):
        place = {d: sorted(rng.sample(range(slots), len(us))) for d, us in rows.items()}
        cost = _cost(coords(), edges)
        for _ in range(5):
            improved = False
            for d in sorted(rows):
                for option in itertools.permutations(range(slots), len(rows[d])):
                    keep = place[d]
                    place[d] = list(option)
                    c = _cost(coords(), edges)
                    if c < cost - 1e-9:
                        cost, improved = c, True
                    else:
                        place[d] = keep
            if not improved:
                break
        if cost < best_cost:
            best_cost, best_place = cost, {d: list(s) for d, s in place.items()}
    place = best_place
    xy = coords()
    mid = (min(x for x, _ in xy.values()) + max(x for x, _ in xy.values())) / 2
    return {u: (x - mid, y) for u, (x, y) in xy.items()}


def panel(ax, units: list[str], edges: Counter[tuple[str, str]], title: str, notes: dict[str, str]) -> None:
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    depth = depths(units, edges)
    # a foundation every other unit imports (app.core) gets a note instead of an arrow from every box
    for f in [u for u in units if all((a, u) in edges for a in units if a != u)]:
        notes = {**notes, f: f"{notes.get(f, size(f))}\nimported by all (not drawn)"}
        edges = Counter({(a, b): n for (a, b), n in edges.items() if b != f})
    xy = layout(units, edges, depth)
    half = max(abs(x) for x, _ in xy.values()) + W / 2 + 0.2
    ax.set_xlim(-half, half)
    ax.set_ylim(-0.7, max(y for _, y in xy.values()) + 0.7)
    ax.axis("off")
    ax.set_title(title, fontsize=10.5, weight="bold")
    for a, b, (x0, y0, x1, y1) in sorted(_segments(xy, edges)):
        n = edges[(a, b)]
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=12,
                lw=0.7 + 0.3 * min(n, 8),
                color="#b8650a" if a.startswith(ANSWER) or b.startswith(ANSWER) else "#5f7390",
                alpha=0.8,
                shrinkA=1,
                shrinkB=1,
                zorder=1,
            )
        )
        ax.text(
            x0 + 0.45 * (x1 - x0),
            y0 + 0.45 * (y1 - y0),
            str(n),
            fontsize=7,
            color="#333",
            ha="center",
            va="center",
            zorder=3,
            bbox={"fc": "white", "ec": "none", "pad": 0.4, "alpha": 0.85},
        )
    for u, (x, y) in xy.items():
        colour = "#ffe3bd" if u.startswith(ANSWER) else "#dde7f3"
        ax.add_patch(
            FancyBboxPatch(
                (x - W / 2, y - H / 2),
                W,
                H,
                boxstyle="round,pad=0.04",
                fc=colour,
                ec="#333",
                lw=0.9,
                zorder=2,
            )
        )
        ax.text(
            x,
            y + 0.16,
            label(u) if u != ANSWER else "answer/",
            ha="center",
            va="center",
            fontsize=10.5,
            zorder=4,
            family="monospace",
            weight="bold",
        )
        ax.text(
            x,
            y - 0.15,
            notes.get(u, size(u)),
            ha="center",
            va="center",
            fontsize=7,
            zorder=4,
            color="#444",
            linespacing=1.3,
        )


def draw(units: list[str], edges: Counter[tuple[str, str]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outer = collapse(edges)
    outer_units = sorted({ANSWER if u.startswith(ANSWER + ".") else u for u in units})
    inner_units = [u for u in units if u.startswith(ANSWER + ".")]
    inner = Counter({(a, b): n for (a, b), n in edges.items() if a in inner_units and b in inner_units})
    uses = defaultdict(set)
    for a, b in edges:
        if a in inner_units and b not in inner_units:
            uses[a].add(label(b).rstrip("/"))
    notes = {u: f"{size(u)}\nalso uses {', '.join(sorted(uses[u]))}" for u in inner_units}
    notes[ANSWER] = size(ANSWER)
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(17, 8.6), gridspec_kw={"width_ratios": [1, 1.35]}, dpi=100
    )
    panel(left, outer_units, outer, "app/: its packages", notes)
    panel(right, inner_units, inner, "app/answer/: its sub-packages and top modules", notes)
    fig.suptitle(
        "Sourced, drawn from its imports by scripts/arch_graph.py (make arch).  A → B: A imports B; the number "
        "counts import statements.  A box sits above everything it imports.",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def main() -> int:
    global ROOT, APP
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "architecture.png")
    ap.add_argument("--print", action="store_true", help="also print the edges")
    ap.add_argument("--root", type=Path, help="the checkout whose app/ is drawn (default: this one)")
    args = ap.parse_args()
    if args.root:
        ROOT, APP = args.root.resolve(), args.root.resolve() / "app"
    units, edges = graph()
    if args.print:
        for (a, b), n in sorted(edges.items()):
            print(f"{label(a):14} -> {label(b):14} {n}")
    draw(units, edges, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
