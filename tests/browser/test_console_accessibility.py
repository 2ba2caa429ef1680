"""Basic accessibility of every console, measured in the browser: each form control has a
label, and text meets the WCAG AA contrast ratio against the background it is drawn on."""

from __future__ import annotations

from typing import Any

import pytest

from browser.conftest import login_as, screenshot

pytestmark = pytest.mark.browser

CONSOLES = {
    "declarant": "declarant",
    "customs_officer": "customs",
    "yard_operator": "yard",
    "border_officer": "border",
    "port_admin": "admin",
}

UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter((e) => e.type !== 'hidden')
  .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map((e) => e.id || e.outerHTML.slice(0, 80))"""

#: Text nodes whose contrast (WCAG 2.1 relative luminance) is below AA: 4.5:1, or 3:1 for
#: large text (24px, or 18.66px bold). The background is the first opaque one upwards.
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = rgb(getComputedStyle(n).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const e = t.parentElement;
    if (!t.textContent.trim() || !e.offsetParent) continue;
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden' || e.closest('[hidden], option, .visually-hidden')) continue;
    const fg = rgb(style.color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(e))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const text = t.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : 4.5)) found.push(`${text}: ${ratio.toFixed(2)}`);
  }
  return found;
}"""


@pytest.mark.parametrize("role", sorted(CONSOLES))
def test_every_control_is_labelled_and_every_text_has_aa_contrast(page: Any, role: str) -> None:
    login_as(page, role)
    page.locator("body[data-ready]").wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/console/{CONSOLES[role]}")
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    assert page.locator("main h1").count() == 1
    screenshot(page, f"console-{CONSOLES[role]}-zh")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_console(page: Any) -> None:
    login_as(page, "border_officer")
    page.locator("body[data-ready]").wait_for(state="attached")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")  # past the top bar, to the page's main content
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "b-plate", focused  # the first field of the gate reading
