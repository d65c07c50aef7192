"""Panel benchmark: the widget panel over a vault of 1,000 and 10,000 secrets.

Prints the time to build the panel (`SecretsPanel()`), to refresh it, and to
apply a filter (one that narrows to a single secret, and one every secret
matches, so a full page of rows is drawn), next to baselines measured in the
same run: `get_store().list()` (cached, and on a new store object), and
building `page` rows of plain ipywidgets (a Checkbox and three HTML labels
each, into a GridBox) without nbsecrets. Ratios, no thresholds.

    python bench/bench_panel.py [--secrets 1000 10000] [--keys K] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable


def timed(func: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None) -> float:
    """Median wall time of `func()` in milliseconds (`setup()` runs before each sample, untimed)."""
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def fill(count: int, keys: int) -> None:
    """`count` secrets of `keys` keys each, one in ten with a setting, written in one transaction."""
    from nbsecrets.core.store import get_store

    store = get_store()
    now = time.time()
    with store._transaction() as table:  # bulk fill in one write, as bench_store.py does
        for i in range(count):
            env = {f"KEY_{k}_{i % 97}": f"sk-test-{i:05d}-{k}-" + "x" * 24 for k in range(keys)}
            settings = [next(iter(env))] if i % 10 == 0 else []
            table.put(f"service-{i:05d}", env, now, now, settings)
    assert len(store.list()) == count


def plain_rows(page: int) -> None:
    """What drawing a page of the listing costs in ipywidgets alone."""
    import ipywidgets as w

    children: list[w.Widget] = [w.HTML(title) for title in ("", "SECRET", "KEYS", "UPDATED")]
    for i in range(page):
        children += [
            w.Checkbox(value=False, indent=False, layout=w.Layout(width="24px")),
            w.HTML(f"<span title='service-{i:05d}'>service-{i:05d}</span>", layout=w.Layout(overflow="hidden")),
            w.HTML("<span>KEY_0, KEY_1, KEY_2</span>", layout=w.Layout(overflow="hidden")),
            w.HTML("<span>2025-01-01 00:00</span>", layout=w.Layout(overflow="hidden")),
        ]
    w.GridBox(children, layout=w.Layout(grid_template_columns="28px 1fr 3fr 130px"))


def bench(count: int, keys: int, repeat: int, base: Path) -> list[tuple[str, float]]:
    os.environ["NBSECRETS_HOME"] = str(base / f"home-{count}")
    from nbsecrets.adapters.widgets.panel import PAGE, SecretsPanel
    from nbsecrets.core.store import get_store
    from nbsecrets.core.store.local import LocalStore

    start = time.perf_counter()
    fill(count, keys)
    print(f"\nvault: {count} secrets x {keys} keys, bulk fill {(time.perf_counter() - start) * 1000:.0f} ms, page {PAGE}")

    store = get_store()
    list_warm = timed(store.list, repeat)
    list_cold = timed(lambda: LocalStore(store.home).list(), repeat)
    rows = timed(lambda: plain_rows(PAGE), repeat)
    build = timed(SecretsPanel, repeat)
    panel = SecretsPanel()
    assert len(panel.checks) == min(PAGE, count)
    refresh = timed(panel.refresh_button.click, repeat)

    def clear() -> None:
        panel.filter.value = ""

    def narrow() -> None:
        panel.filter.value = "service-00042"

    def broad() -> None:
        panel.filter.value = "key"

    filter_one = timed(narrow, repeat, setup=clear)
    assert list(panel.checks) == ["service-00042"]
    filter_all = timed(broad, repeat, setup=clear)
    assert len(panel.checks) == min(PAGE, count)
    filter_none = timed(lambda: setattr(panel.filter, "value", "no such secret here"), repeat, setup=clear)
    assert panel.checks == {}

    results = [
        ("baseline: get_store().list() (cached)", list_warm),
        ("baseline: list() on a new store object", list_cold),
        (f"baseline: {PAGE} rows of plain ipywidgets", rows),
        ("SecretsPanel() (build)", build),
        ("Refresh", refresh),
        ("filter -> 1 match", filter_one),
        (f"filter -> all match ({PAGE} rows drawn)", filter_all),
        ("filter -> no match", filter_none),
    ]
    print(f"{'operation':<44} {'ms':>9}")
    for label, value in results:
        print(f"{label:<44} {value:9.2f}")
    print(
        f"ratios: build / (list + rows) {build / (list_warm + rows):.2f}; "
        f"refresh / (list + rows) {refresh / (list_warm + rows):.2f}; "
        f"build / (new-store list + rows) {build / (list_cold + rows):.2f}; "
        f"filter all / rows {filter_all / rows:.2f}; filter one / rows {filter_one / rows:.2f}"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secrets", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--keys", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NBSECRETS_KEY_DIR"] = str(Path(tmp) / "keys")
        os.environ["NBSECRETS_KEY_SOURCE"] = "file"
        import ipywidgets

        print(f"ipywidgets {ipywidgets.__version__}; median of {args.repeat} runs each")
        for count in args.secrets:
            bench(count, args.keys, args.repeat, Path(tmp))


if __name__ == "__main__":
    main()
