"""axe-core in the page (axe-playwright-python carries axe.min.js inside its wheel, so
nothing is fetched at run time): the serious and critical violations, and a report that
names each rule, what it asks for and the elements that break it."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
BLOCKING = ("serious", "critical")

_axe = Axe()


def violations(page) -> list[dict]:
    """Every violation axe finds on the page as it is now (all its default rules)."""
    return _axe.run(page).response["violations"]


def blocking(found: list[dict]) -> list[dict]:
    return [v for v in found if v["impact"] in BLOCKING]


def report(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(line.strip() for line in node.get("failureSummary", "").splitlines())
            lines.append(f"    {target}: {summary}")
    return "\n".join(lines)
