"""Every count link of both shipped studies' HTML, followed in headless Chromium: the listing then
shows exactly as many rows (the cell's [E]) and distinct subjects (its n) as the cell prints;
every internal link lands on an element; the filtered listing leads back to its table.

One browser session per study; all links are followed in one in-page script that returns a
summary (thousands of links). The expected numbers are read from the cells' text, the shown
rows and subjects counted in the page, independently of the page script's own count.
"""

from __future__ import annotations

import json

import pytest

from csrgen.document.model import iter_blocks
from csrgen.resources import template_dirs
from csrgen.writers.html import write_html
from tests.shipped import STUDIES, shipped_document
from tests.writers.browser import load_page

pytestmark = pytest.mark.render

#: Tables whose every count with something behind it links; t_disp links the rows its
#: discontinuation listing holds (which rows: tests/document/test_links.py).
MUST_LINK = ["t_ae_overview", "t_ae_soc_pt", "t_ae_sev", "t_ae_ser", "t_ae_rel", "t_deaths"]
MAY_LINK = ["t_disp"]
#: Shift tables link the counts whose worst category is abnormal (tests/document/test_links.py).
SHIFT_TABLES = {
    "seed": ["t_lab_shift"],
    "pilot": ["t_lab_shift"],
    "admiral": ["t_lb_chem_shift", "t_lb_hem_shift", "t_lb_uri_shift", "t_vs_shift"],
}

CHECK = """
(() => {
  const MUST = new Set(%(must)s), TABLES = %(tables)s;
  const out = {missing: [], bad: [], unlinked: [], bar: [], links: {}, counted: 0};
  const ids = new Set([...document.querySelectorAll('[id]')].map(e => e.id));
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute('href').slice(1));
    if (!ids.has(id)) out.missing.push(a.getAttribute('href'));
    const back = new URLSearchParams(a.getAttribute('data-filter') || '').get('back');
    if (back && !ids.has(back)) out.missing.push('back=' + back);
  }
  const number = s => Number(s.replace(/,/g, ''));
  for (const id of TABLES) {
    out.links[id] = 0;
    const table = document.querySelector('#' + id + ' table.csr');
    if (!table) continue;
    const keys = [...table.tHead.rows[table.tHead.rows.length - 1].cells]
      .map(th => th.getAttribute('data-key') || '');
    for (const row of table.tBodies[0].rows) {
      [...row.cells].forEach((cell, i) => {
        if (i === 0 || keys[i].startsWith('p:')) return;
        const text = cell.textContent.replace(/\\s+/g, ' ').trim();
        const n = /^(\\d[\\d,]*)/.exec(text);
        if (!n) return;
        out.counted++;
        const a = cell.querySelector('a[data-filter]');
        if (!a) {
          if (MUST.has(id) && number(n[1]) > 0) {
            out.unlinked.push([id, row.cells[0].textContent, keys[i], text]);
          }
          return;
        }
        out.links[id]++;
        window.csrgen.follow(a);
        const listing = document.getElementById(a.getAttribute('href').slice(1));
        const shown = [...listing.querySelectorAll('tbody tr')].filter(r => !r.hidden);
        const subjects = new Set(shown.map(r => r.cells[0].textContent)).size;
        const events = /\\[(\\d[\\d,]*)\\]/.exec(text);
        if (subjects !== number(n[1]) || (events && shown.length !== number(events[1]))) {
          out.bad.push([id, row.cells[0].textContent, keys[i], text, shown.length, subjects]);
        }
        const said = listing.querySelector('.listing-count').textContent;
        const rows = shown.length.toLocaleString('en-US') +
          (shown.length === 1 ? ' row, ' : ' rows, ');
        const subj = subjects.toLocaleString('en-US') + (subjects === 1 ? ' subject' : ' subjects');
        if (!said.startsWith(rows + subj)) out.bar.push([said, rows + subj]);
      });
    }
  }
  for (const key of ['bad', 'unlinked', 'bar', 'missing']) out[key] = out[key].slice(0, 10);
  return JSON.stringify(out);
})()
"""

#: A real click on a count, then the way back: the selection bar names the table and returns
#: to the very link that was followed.
CLICK_BACK = """
(() => {
  const a = document.querySelector('#t_ae_soc_pt tbody td a[data-filter]');
  a.click();
  const box = document.getElementById(a.getAttribute('href').slice(1));
  const bar = box.querySelector('.listing-selection');
  const back = bar.querySelector('a.listing-back');
  const before = [bar.hidden, location.hash, back.textContent, back.getAttribute('href')];
  back.click();
  return JSON.stringify(before.concat([document.activeElement === a]));
})()
"""


@pytest.mark.parametrize("name", STUDIES)
def test_every_count_link_shows_exactly_its_records(name, tmp_path):
    page = tmp_path / "csr.html"
    doc = shipped_document(name)
    write_html(doc, page, template_dirs())
    ids = {b.id for b in iter_blocks(doc.sections) if getattr(b, "id", "")}
    must = [t for t in MUST_LINK if t in ids]  # the AE tables the study has
    assert {"t_ae_overview", "t_ae_soc_pt", "t_deaths"} <= set(must)
    tables = must + MAY_LINK + SHIFT_TABLES[name]
    check = CHECK % {"must": json.dumps(must), "tables": json.dumps(tables)}
    report = load_page(page, tmp_path / "chrome", {"check": check, "back": CLICK_BACK})
    assert report.errors == []
    result = json.loads(report.results["check"])
    assert result["missing"] == []  # every internal link lands on an element
    assert result["bad"] == []
    assert result["unlinked"] == []
    assert result["bar"] == []  # the page says the same numbers
    links = result["links"]
    assert all(links[t] > 0 for t in tables), links
    assert sum(links.values()) > (1500 if name == "pilot" else 300), links
    hidden, hash_, back_text, back_href, returned = json.loads(report.results["back"])
    assert not hidden and hash_.startswith("#l_ae?") and "back=t_ae_soc_pt" in hash_
    assert back_text == "Back to Table 14.3.2.1" and back_href == "#t_ae_soc_pt"
    assert returned  # the link that was followed has the focus again
