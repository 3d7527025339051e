"""The scripted reviewer of the workbench, shared by the browser test
(tests/review/test_browser_workbench.py, which checks what it does) and the benchmark
(bench/workbench.py, which prints how long it took): a site reviewer clears a clean
candidate of 8 photos by keyboard alone and passes on to the next candidate.

The times are taken in the page: a key's own time stamp (the event's timeStamp) to the
frame after the photo it shows is loaded and decoded; the pass key to the next candidate's
page with its first photo painted (the larger of DOMContentLoaded and the largest
contentful paint, which is that photo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Armed before a key: resolves with the milliseconds from that key to the next photo shown.
ARM_SWITCH = """() => {
  window.__switch = new Promise((resolve) => {
    const before = document.querySelector('.photo.current');
    window.addEventListener('keydown', (event) => {
      const t0 = event.timeStamp;
      const check = () => {
        const current = document.querySelector('.photo.current');
        const img = current && current.querySelector('.viewer .photo-img');
        if (current && current !== before && img && img.complete && img.naturalWidth) {
          img.decode().then(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
        } else {
          requestAnimationFrame(check);
        }
      };
      requestAnimationFrame(check);
    }, { once: true, capture: true });
  });
}"""

# Armed before the pass: the key's absolute time, kept across the navigation.
ARM_NAVIGATION = """() => {
  window.addEventListener('keydown', (event) => {
    sessionStorage.setItem('bench-key-at', String(performance.timeOrigin + event.timeStamp));
  }, { once: true, capture: true });
}"""

# On the page that follows: when it was ready (absolute ms), from the navigation's own clock.
PAGE_READY = """() => new Promise((resolve) => {
  const img = document.querySelector('.photo.current .viewer .photo-img');
  const done = (lcp) => {
    const nav = performance.getEntriesByType('navigation')[0];
    const at = (t) => performance.timeOrigin + t;
    const photo = img && performance.getEntriesByName(img.currentSrc || img.src)[0];
    resolve({
      ready: at(Math.max(nav.domContentLoadedEventEnd, lcp)),
      keyAt: Number(sessionStorage.getItem('bench-key-at') || 0),
      // Where the time went, for the benchmark's breakdown (absolute ms).
      marks: {
        navigationStart: performance.timeOrigin,
        redirectEnd: nav.redirectEnd ? at(nav.redirectEnd) : 0,
        requestStart: at(nav.requestStart),
        responseStart: at(nav.responseStart),
        responseEnd: at(nav.responseEnd),
        domContentLoaded: at(nav.domContentLoadedEventEnd),
        photoStart: photo ? at(photo.startTime) : 0,
        photoEnd: photo ? at(photo.responseEnd) : 0,
        lcp: lcp ? at(lcp) : 0,
      },
    });
  };
  const wait = () => (img && !img.complete ? img.decode().catch(() => {}) : Promise.resolve());
  wait().then(() => {
    let lcp = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) lcp = Math.max(lcp, entry.startTime);
    }).observe({ type: 'largest-contentful-paint', buffered: true });
    requestAnimationFrame(() => requestAnimationFrame(() => done(lcp)));
  });
})"""


@dataclass
class Journey:
    keys: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # the photo shown after each J
    switch_ms: list[float] = field(default_factory=list)
    next_ready_ms: float = 0.0
    # Absolute times (ms) of the next candidate's page: the pass key, then PAGE_READY's marks.
    next_marks: dict = field(default_factory=dict)


def clear_candidate_by_keyboard(page, *, photos: int) -> Journey:
    """On the candidate page (already open): looks at every photo with J (the first is
    shown on arrival), approves the rest with ⇧A and passes with P. Returns the keys
    pressed, which photo each J showed, and the times."""
    journey = Journey()

    def press(key: str) -> None:
        journey.keys.append(key)
        page.keyboard.press(key)

    page.wait_for_function("() => document.querySelector('#workbench.one-photo .photo.current')")
    for _photo in range(photos - 1):
        page.evaluate(ARM_SWITCH)
        press("j")
        journey.switch_ms.append(page.evaluate("window.__switch"))
        journey.shown.append(page.evaluate("document.querySelector('.photo.current').id"))
    press("Shift+A")
    # The approvals are on their way; P waits for them before it posts the pass.
    page.evaluate(ARM_NAVIGATION)
    here = urlsplit(page.url).path
    press("p")
    page.wait_for_url(lambda url: urlsplit(url).path != here, wait_until="load")
    times = page.evaluate(PAGE_READY)
    journey.next_ready_ms = times["ready"] - times["keyAt"]
    journey.next_marks = {"key": times["keyAt"], **times["marks"], "ready": times["ready"]}
    return journey


def reload_ready_ms(page) -> float:
    """The baseline: a reload of the page, from the reload to the same «ready»."""
    with page.expect_navigation():
        page.evaluate(
            "() => { sessionStorage.setItem('bench-key-at',"
            " String(performance.timeOrigin + performance.now())); location.reload(); }"
        )
    page.wait_for_load_state("load")
    times = page.evaluate(PAGE_READY)
    return times["ready"] - times["keyAt"]
