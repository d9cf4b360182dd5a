"""Elderly-friendly (适老化) probes that need a rendered page: text size, line spacing, pop-up layers.

The probe records raw measurements only (character-weighted histograms of computed font size and
line-height ratio, and the fixed-position layers that cover the viewport); the thresholds are the rule
set's (``a11y.elder.*``) and are applied in ``checks/accessibility.py``, so a province can change them
without re-auditing.
"""

from __future__ import annotations

from typing import Any

# Character-weighted: a page's "base" size is what most of its text is set in, not <body>'s font-size
# (government CMS templates set 12px on body and 14px on the article, or the reverse).
PROBE_JS = r"""
var maxEls = arguments[0];
var vw = window.innerWidth, vh = window.innerHeight;
var fonts = {}, lines = {}, chars = 0, seen = 0;
var walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
var parents = new Map();
while (walker.nextNode() && parents.size < maxEls) {
  var t = walker.currentNode, text = t.nodeValue.replace(/\s+/g, '');
  if (!text) continue;
  var p = t.parentElement;
  if (!p || /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|OPTION)$/.test(p.tagName)) continue;
  parents.set(p, (parents.get(p) || 0) + text.length);
}
parents.forEach(function (n, el) {
  var cs = getComputedStyle(el);
  if (cs.visibility === 'hidden' || cs.display === 'none') return;
  var r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return;
  var fs = parseFloat(cs.fontSize) || 0;
  var lh = cs.lineHeight === 'normal' ? 1.2 : (parseFloat(cs.lineHeight) / (fs || 1));
  var fk = String(Math.round(fs * 2) / 2), lk = String(Math.round(lh * 20) / 20);
  fonts[fk] = (fonts[fk] || 0) + n; lines[lk] = (lines[lk] || 0) + n; chars += n;
});
var layers = [], all = document.body ? document.body.getElementsByTagName('*') : [];
for (var i = 0; i < all.length && i < 50000; i++) {
  var el = all[i], cs = getComputedStyle(el);
  if (cs.position !== 'fixed' && cs.position !== 'sticky') continue;
  if (cs.display === 'none' || cs.visibility === 'hidden' || parseFloat(cs.opacity) === 0) continue;
  var r = el.getBoundingClientRect();
  var w = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0)), h = Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
  if (w * h === 0) continue;
  var id = el.id ? '#' + el.id : '', cls = (typeof el.className === 'string' && el.className.trim()) ? '.' + el.className.trim().split(/\s+/)[0] : '';
  layers.push({selector: el.tagName.toLowerCase() + id + cls, position: cs.position, zIndex: cs.zIndex,
               share: Math.round(w * h / (vw * vh) * 1000) / 1000, rect: [Math.round(r.left), Math.round(r.top), Math.round(w), Math.round(h)],
               text: (el.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 80),
               html: el.outerHTML.slice(0, 200),
               media: el.querySelectorAll('img,iframe,video,object,embed').length});
  if (layers.length >= 30) break;
}
return {viewport: [vw, vh], chars: chars, font_px: fonts, line_ratio: lines, layers: layers,
        body_font_px: document.body ? parseFloat(getComputedStyle(document.body).fontSize) : null,
        dialogs: window.__govauditDialogs || 0};
"""

MAX_TEXT_ELEMENTS = 5000


def probe(driver: Any) -> dict[str, Any]:
    """Run the probe in the loaded page; raises WebDriver errors to the caller (who records them)."""
    return driver.execute_script(PROBE_JS, MAX_TEXT_ELEMENTS)


