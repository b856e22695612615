"""Keyboard users see where they are and can skip the navigation; selects show their text."""

import pytest

from tests.live import open_as_admin, shot

pytestmark = pytest.mark.browser

# The contrast of two sRGB colours (WCAG 2.x relative luminance).
_CONTRAST = """([a, b]) => {
  const lum = c => {
    const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def _focus_ring(page):
    """The focused element's outline: (width in px, contrast against the page background)."""
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"
    )
    background = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    contrast = page.evaluate(_CONTRAST, [style[2], "rgb(255, 255, 255)"])
    contrast_page = page.evaluate(_CONTRAST, [style[2], background])
    return style[0], style[1], min(contrast, contrast_page)


def test_the_first_tab_offers_a_skip_link_and_focus_is_plain_to_see(browser, live_server_url):

    def flow(page):
        seen = {}
        open_as_admin(page, live_server_url, "/integrations/email-smtp/")
        page.keyboard.press("Tab")
        seen["first"] = page.evaluate("() => document.activeElement.textContent.trim()")
        seen["skip_visible"] = page.locator(".skip-link").is_visible()
        seen["skip_ring"] = _focus_ring(page)
        shot(page, "focus-skip-link")
        page.keyboard.press("Enter")
        seen["after_skip"] = page.evaluate("() => document.activeElement.id")
        # Into the form: the Host input, by keyboard.
        page.locator("#id_host").focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        seen["input_ring"] = _focus_ring(page)
        page.get_by_role("link", name="Deliverability").focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        seen["link_ring"] = _focus_ring(page)
        shot(page, "focus-ring")
        return seen

    seen = browser(flow)
    assert seen["first"] == "Skip to content"
    assert seen["skip_visible"] and seen["after_skip"] == "main"
    for ring in ("skip_ring", "input_ring", "link_ring"):
        style, width, contrast = seen[ring]
        assert style != "none" and width >= 2, (ring, seen[ring])
        assert contrast >= 3, (ring, seen[ring])


@pytest.mark.parametrize("width", [1280, 390])
def test_the_amazon_ses_region_select_shows_every_option_whole(browser, live_server_url, width):
    def flow(page):
        page.set_viewport_size({"width": width, "height": 900})
        open_as_admin(page, live_server_url, "/integrations/email-smtp/")
        page.locator("[data-preset-select]").select_option("amazon_ses")
        endpoint = page.locator("[data-endpoint-select]")
        shot(page, f"ses-region-{width}")
        return endpoint.evaluate(
            """s => {
              const cs = getComputedStyle(s);
              const ctx = document.createElement("canvas").getContext("2d");
              ctx.font = cs.font;
              const widest = [...s.options].map(o => [o.text, ctx.measureText(o.text).width])
                .sort((a, b) => b[1] - a[1])[0];
              const arrow = 24;
              const room = s.clientWidth - parseFloat(cs.paddingLeft)
                - parseFloat(cs.paddingRight) - arrow;
              return [widest[0], widest[1], room];
            }"""
        )

    text, needed, room = browser(flow)
    assert needed <= room, f"{text!r} needs {needed:.0f} px, the select shows {room:.0f} px"
