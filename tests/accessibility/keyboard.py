"""Keyboard-only driving for the browser tests: Tab and Shift+Tab to a control, checking on
the way that every element that takes the focus shows it (an outline or a shadow, on the
screen), and reading what has the focus now."""

from __future__ import annotations

# What has the focus, and whether a sighted keyboard user can see where it is. The file
# input of the material page is visually hidden inside its 上传 label, which draws the
# ring (:focus-within): the label is what is looked at.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const ring = el.matches('input.upload-input') ? el.closest('label') : el;
  const s = getComputedStyle(ring);
  const r = ring.getBoundingClientRect();
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {
    id: el.id,
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    href: el.getAttribute('href') || '',
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
    html: el.outerHTML.slice(0, 160),
    ring: Boolean(outline || shadow),
    on_screen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
      && r.top < window.innerHeight && r.left < window.innerWidth,
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page, info: dict | None = None) -> dict:
    info = info or focused(page)
    assert info is not None, "nothing has the focus"
    assert info["ring"], f"the focus is not drawn on {info['html']}"
    assert info["on_screen"], f"the focused element is off the screen: {info['html']}"
    return info


def tab_to(page, matches, *, back: bool = False, limit: int = 80) -> dict:
    """Presses Tab (Shift+Tab with back=True) until `matches(info)` is true for the focused
    element; every element passed on the way must show its focus. Returns the info."""
    key = "Shift+Tab" if back else "Tab"
    passed = []
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        if info is None:
            passed.append("(nothing)")
            continue
        passed.append(info["html"][:80])
        assert_focus_visible(page, info)
        if matches(info):
            return info
    raise AssertionError(f"not reached with {limit} × {key}; passed:\n" + "\n".join(passed))
