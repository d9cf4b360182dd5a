"""The demo county government website (云溪县人民政府) and the manifest of every defect planted in it.

``govaudit demo``, the test suite and the benchmarks all scan this site, so it has two jobs:

* look like a real Chinese county portal to an inspector — columns (栏目) rendered the way the CMSs that
  run such portals render them (TRS WCM ``createPageHTML`` pagination, Hanweb/大汉 ``<datastore>`` records,
  plain ``<ul>`` lists, 信息公开 tables), dates printed in the half-dozen ways those CMSs print them, a GBK
  column, a page whose HTTP charset contradicts its body, the 网页设计规范 meta tags, the footer identifiers;
* be ground truth: every planted defect (dead links, stale and blank columns, unanswered letters,
  accessibility faults, a missing footer identifier …) is recorded in a :class:`Manifest` with the pages
  that carry it, so a test can assert that a scan finds exactly it.

Everything is dated relative to ``as_of`` and drawn from ``random.Random`` seeded by strings, so the same
seed and date give byte-identical files.  Pages are written as they are rendered; only small per-column item
tuples are kept in memory, which lets 100,000-page sites be generated in a bounded footprint.

HTML is produced with plain string formatting rather than jinja2 templates: the page chrome is shared and
pre-rendered once, and at 100k pages the per-page cost of a template engine is most of the budget.
All text is our own, but it is still escaped (``_e``) wherever it enters markup.
"""

from __future__ import annotations

import html
import json
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SITE_NAME = "云溪县人民政府"
SITE_DOMAIN = "www.yunxi.gov.example"  # fictional: .example is reserved (RFC 2606), never resolvable
SITE_ID_CODE = "5399210001"
ICP = "滇ICP备05009876号-1"
PSB = "滇公网安备 53992102000001号"
SPONSOR = "云溪县人民政府办公室"
ORGANIZER = "云溪县融媒体中心"
PHONE = "0870-6123456"
PRIVATE_DIR = "/nbgl/"  # disallowed by robots.txt, and linked from the homepage
WEEKDAYS = "一二三四五六日"

_e = html.escape


# --------------------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------------------

PLANTED_KEYS = ("dead", "suspect", "soft404", "redirect_loop", "trap", "stale_columns", "long_stale_columns",
                "blank_columns", "fresh_columns", "letters", "channels", "a11y", "identity", "dates", "charset",
                "comment_links", "robots")
LINK_CATEGORIES = ("dead", "suspect", "soft404", "redirect_loop", "trap")


@dataclass
class Manifest:
    """What was generated and every defect planted, with what a scan is expected to report.

    Link entries (``dead``, ``suspect``, ``soft404``, ``redirect_loop``, ``trap``) carry ``target`` (a path
    such as ``/ztzl/yhyshj/`` or an absolute off-site URL), ``status`` (an int, or ``"refused"`` /
    ``"timeout"``), ``rule`` (the finding rule a scan should emit), ``tag``, ``sources`` (page paths that
    carry the link), ``anchors`` (distinct anchor texts) and ``refs`` ([{source, anchor}]).  Page paths are
    URL paths; the homepage is ``/`` (file ``index.html``).
    """

    as_of: str
    site_name: str
    pages: int
    home: str
    planted: dict[str, list[dict[str, Any]]]
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    robots: str = ""
    seed: int = 0
    hostile: bool = True
    closed_port: int = 9
    domain: str = SITE_DOMAIN
    footer: dict[str, str] = field(default_factory=dict)
    columns: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def links(self, *categories: str) -> Iterator[dict[str, Any]]:
        """Planted link entries of the given categories (all link categories when none are named)."""
        for cat in categories or LINK_CATEGORIES:
            yield from self.planted.get(cat, [])

    def broken_links(self) -> list[dict[str, Any]]:
        """Every planted link a scan should report as broken (dead, suspect, soft 404, redirect loop)."""
        return list(self.links("dead", "suspect", "soft404", "redirect_loop"))

    def charset_of(self, path: str) -> str:
        """The charset the page's *body* is encoded in (what a test must decode it with)."""
        def norm(p: str) -> str:
            p = p.split("?", 1)[0]
            return p[: -len("index.html")] if p.endswith("/index.html") else p

        for entry in self.planted.get("charset", []):
            if norm(path) in {norm(p) for p in entry.get("pages", [])}:
                return entry["body"]
        return "utf-8"

    @staticmethod
    def file_for(root: Path, path: str) -> Path:
        """The file serving URL path ``path`` (directories serve ``index.html``)."""
        rel = path.split("?", 1)[0].split(";", 1)[0].lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        return Path(root) / rel


# --------------------------------------------------------------------------------------------------------
# Vocabulary (fictional places, units, topics)
# --------------------------------------------------------------------------------------------------------

TOWNS = ["青龙镇", "白沙镇", "石门乡", "云岭镇", "河口乡", "松坪乡", "龙潭镇", "大营镇", "新街乡", "马鞍山乡"]
UNITS = ["县发展和改革局", "县教育体育局", "县公安局", "县民政局", "县财政局", "县人力资源和社会保障局", "县自然资源局",
         "县住房和城乡建设局", "县交通运输局", "县水务局", "县农业农村局", "县商务局", "县文化和旅游局", "县卫生健康局",
         "县应急管理局", "县市场监督管理局", "县医疗保障局", "县林业和草原局", "县乡村振兴局", "县生态环境分局"]
TOPICS = ["森林防火", "秋冬农业生产", "安全生产", "乡村振兴", "农村人居环境整治", "高标准农田建设", "义务教育均衡发展",
          "医疗保障", "河湖长制", "优化营商环境", "防汛抗旱", "食品安全", "消防安全", "招商引资", "文明城市创建", "耕地保护",
          "就业创业", "民族团结进步", "生态环境保护", "烟叶生产", "高原特色农业", "文旅融合", "数字政府建设", "信访维稳"]
ACTIONS = ["专题会议", "工作推进会", "现场观摩会", "培训会", "调度会", "动员部署会"]
SOURCES = ["云溪县融媒体中心", "县委宣传部", "县政府办公室"]
INTERVIEW_GUESTS = ["县医疗保障局局长", "县人力资源和社会保障局局长", "县教育体育局副局长", "县农业农村局局长",
                    "县市场监督管理局局长", "县住房和城乡建设局局长"]
LETTER_TOPICS = [
    ("关于{town}中心小学门口道路积水问题的反映", "县住房和城乡建设局"),
    ("咨询城乡居民医保缴费时间及标准", "县医疗保障局"),
    ("关于县城老旧小区改造进度的咨询", "县住房和城乡建设局"),
    ("反映{town}部分村组自来水经常停水", "县水务局"),
    ("咨询个体工商户营业执照办理流程", "县市场监督管理局"),
    ("关于农村危房改造补助标准的咨询", "县住房和城乡建设局"),
    ("反映{town}集市占道经营问题", "{town}人民政府"),
    ("咨询灵活就业人员社保补贴申领", "县人力资源和社会保障局"),
    ("关于县城至{town}班车班次太少的建议", "县交通运输局"),
    ("反映{town}养殖场异味扰民", "县生态环境分局"),
    ("咨询义务教育阶段转学手续", "县教育体育局"),
    ("关于{town}通村公路破损的反映", "县交通运输局"),
    ("咨询新生儿户口登记需要哪些材料", "县公安局"),
    ("建议在县城增设公共停车场", "县住房和城乡建设局"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"


def _d(day: date | None) -> str:
    """ISO date; an undated item (planted: ``Item.day`` None) prints no date."""
    return day.isoformat() if day else ""


def _cn_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


# --------------------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Column:
    """A column (栏目) and how it is rendered and dated."""

    code: str
    name: str
    path: str
    section: str          # nav section code: xwzx | zwgk | hdjl
    style: str            # trs | plain | hanweb | table | blank-empty | blank-zwxx | blank-table
    type: str             # news | notice | policy | personnel | plan | interpretation | interview | survey | other
    column_type: str      # ColumnType meta (网页设计规范 vocabulary)
    newest_days: int      # days before as_of of the newest item
    count: int            # items at demo size
    gap: int              # days between items at demo size
    weight: float         # share of the articles when scaled
    charset: str = "utf-8"
    per_page: int = 15
    hanweb_id: int = 0
    items: list[Item] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return self.style.startswith("blank")


# (window days per type: 动态要闻 14 [S], 通知公告/政策文件 183, 人事/规划计划 365 — indicators.md §2.3)
TYPE_WINDOWS = {"news": 14, "notice": 183, "policy": 183, "personnel": 365, "plan": 365}
TYPE_ZH = {"news": "动态要闻类", "notice": "通知公告类", "policy": "政策文件类", "personnel": "人事类", "plan": "规划计划类",
           "interpretation": "政策解读类", "interview": "在线访谈", "survey": "调查征集", "other": "其他"}


def _columns() -> list[Column]:
    C = Column
    return [
        C("zwyw", "政务要闻", "/xwzx/zwyw/", "xwzx", "trs", "news", "工作动态", 1, 28, 2, 5),
        C("bmdt", "部门动态", "/xwzx/bmdt/", "xwzx", "plain", "news", "工作动态", 2, 22, 3, 4),
        C("xzdt", "乡镇动态", "/xwzx/xzdt/", "xwzx", "hanweb", "news", "工作动态", 38, 20, 4, 3, per_page=20, hanweb_id=1201),
        C("tpxw", "图片新闻", "/xwzx/tpxw/", "xwzx", "plain", "news", "工作动态", 57, 12, 6, 1, per_page=12),
        C("tzgg", "通知公告", "/zwgk/tzgg/", "zwgk", "trs", "notice", "通知公告", 4, 22, 6, 3),
        C("gsgg", "公示公告", "/zwgk/gsgg/", "zwgk", "table", "notice", "通知公告", 215, 10, 20, 1),
        C("zcwj", "政策文件", "/zwgk/zcwj/", "zwgk", "table", "policy", "政策文件", 23, 16, 15, 2),
        C("gfxwj", "规范性文件", "/zwgk/gfxwj/", "zwgk", "hanweb", "policy", "政策文件", 290, 9, 30, 1, per_page=20, hanweb_id=1305),
        C("gzdt", "工作动态", "/zwgk/gzdt/", "zwgk", "trs", "news", "工作动态", 26, 15, 5, 2),
        C("zcjd", "政策解读", "/zwgk/zcjd/", "zwgk", "plain", "interpretation", "政策解读", 9, 12, 20, 1),
        C("rsxx", "人事信息", "/zwgk/rsxx/", "zwgk", "table", "personnel", "人事信息", 430, 10, 45, 0.5, charset="gbk"),
        C("ghjh", "规划计划", "/zwgk/ghjh/", "zwgk", "table", "plan", "规划计划", 120, 8, 90, 0.5),
        C("czyjs", "财政预决算", "/zwgk/czyjs/", "zwgk", "blank-empty", "other", "数据发布", 0, 0, 0, 0),
        C("zdxm", "重大项目", "/zwgk/zdxm/", "zwgk", "blank-zwxx", "other", "数据发布", 0, 0, 0, 0),
        C("tjxx", "统计信息", "/zwgk/tjxx/", "zwgk", "blank-zwxx", "other", "数据发布", 0, 0, 0, 0),
        C("yjgl", "应急管理", "/zwgk/yjgl/", "zwgk", "blank-table", "other", "信息公开目录", 0, 0, 0, 0),
        C("jyta", "建议提案办理", "/zwgk/jyta/", "zwgk", "blank-zwxx", "other", "回应关切", 0, 0, 0, 0),
        C("zxft", "在线访谈", "/hdjl/zxft/", "hdjl", "plain", "interview", "在线访谈", 60, 6, 45, 0.5),
        C("dczj", "调查征集", "/hdjl/dczj/", "hdjl", "plain", "survey", "征集调查", 35, 6, 40, 0.5),
    ]


SECTIONS = {"xwzx": ("新闻中心", "/xwzx/"), "zwgk": ("政务公开", "/zwgk/"), "bsfw": ("办事服务", "/bsfw/"),
            "hdjl": ("互动交流", "/hdjl/"), "zjyx": ("走进云溪", "/zjyx/")}


@dataclass(slots=True)
class Item:
    """One published item of a column: its article page and how the list shows it."""

    title: str
    path: str
    day: date | None     # None: printed without any date (planted)
    hhmm: str
    source: str
    number: str = ""     # 文号 for policy documents


# --------------------------------------------------------------------------------------------------------
# Static assets
# --------------------------------------------------------------------------------------------------------

CSS = """\
*{margin:0;padding:0;box-sizing:border-box}
body{font:14px/1.8 "Microsoft YaHei","WenQuanYi Micro Hei",SimSun,sans-serif;color:#333;background:#f3f3f3}
a{color:#333;text-decoration:none}a:hover{color:#c40000;text-decoration:underline}
ul{list-style:none}.w{width:1200px;margin:0 auto}
.topbar{background:#f7f7f7;border-bottom:1px solid #e5e5e5;font-size:12px;line-height:32px;color:#666}
.topbar .w{display:flex;justify-content:space-between}.topbar a{margin-left:14px;color:#555}
.header{background:linear-gradient(#b80000,#d71a1a);height:130px}
.header .w{display:flex;align-items:center;justify-content:space-between;height:130px}
.search{display:flex}.search input{width:240px;height:34px;border:0;padding:0 8px}
.search button{height:34px;padding:0 16px;border:0;background:#ffd24d;color:#7a0000;font-weight:bold}
.nav{background:#9d0000}.nav ul{display:flex}.nav li{flex:1;text-align:center}
.nav a{display:block;color:#fff;font-size:17px;line-height:48px}.nav a:hover{background:#7a0000;text-decoration:none}
.main{background:#fff;padding:20px;margin:14px auto;min-height:480px}
.crumb{font-size:13px;color:#666;border-bottom:1px solid #eee;padding-bottom:8px;margin-bottom:14px}
.box{border:1px solid #e3e3e3;margin-bottom:16px}.box h2{font-size:16px;background:#fafafa;border-bottom:2px solid #c40000;
 padding:0 12px;line-height:38px;display:flex;justify-content:space-between}.box h2 a{font-size:12px;font-weight:normal}
.box ul{padding:8px 12px}.box li,.list li,.news-list li{display:flex;justify-content:space-between;border-bottom:1px dashed #e5e5e5;line-height:34px}
.box li a,.list li a,.news-list li a{overflow:hidden;white-space:nowrap;text-overflow:ellipsis;max-width:80%}
.date,.list li span,.news-list li span{color:#888}
.cols{display:grid;grid-template-columns:1fr 1fr 1fr;gap:16px}.cols2{display:grid;grid-template-columns:2fr 1fr;gap:16px}
.side{float:left;width:230px}.side h3{background:#c40000;color:#fff;line-height:44px;text-align:center}
.side li a{display:block;border-bottom:1px solid #eee;line-height:40px;text-align:center;background:#fafafa}
.content{margin-left:250px}.clear{clear:both}
.article h1{font-size:24px;text-align:center;color:#b00;line-height:1.5;margin:10px 0}
.article .info{text-align:center;color:#777;font-size:13px;border-bottom:1px solid #eee;padding-bottom:8px;margin-bottom:16px}
.article .info span{margin:0 10px}.article p{text-indent:2em;margin-bottom:12px;font-size:16px;line-height:2}
.xxgk-meta{width:100%;border-collapse:collapse;margin-bottom:16px;font-size:13px}.xxgk-meta td,.xxgk-meta th{border:1px solid #ddd;padding:6px}
.xxgk-meta th{background:#f4f4f4;width:12%}
table.list-table,table.letters{width:100%;border-collapse:collapse}.list-table th,.letters th{background:#f4f4f4}
.list-table td,.list-table th,.letters td,.letters th{border:1px solid #e3e3e3;padding:6px 8px}
.page{text-align:center;margin:20px 0;color:#666}.page a{border:1px solid #ddd;padding:3px 9px;margin:0 2px}
.no-data{color:#999;text-align:center;padding:60px 0}
.related{margin-top:24px;border-top:1px solid #eee;padding-top:10px}.prevnext{margin-top:14px;color:#666}
.footer{background:#8e0000;color:#f3d7d7;font-size:13px;padding:18px 0;text-align:center;line-height:2}
.footer a{color:#fff;margin:0 6px}.footer .ids{display:flex;justify-content:center;align-items:center;gap:18px}
.mailbox .st-ok{color:#2a7a2a}.mailbox .st-no{color:#c40000}
.pic-list{display:grid;grid-template-columns:repeat(4,1fr);gap:14px}.pic-list img{width:100%;height:150px;object-fit:cover}
"""

TRS_PAGE_JS = """\
// TRS WCM 翻页：createPageHTML(总页数, 当前页, 前缀, 后缀)
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  function url(i){ return i == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt; }
  var s = "共" + _nPageCount + "页&nbsp;";
  s += nCurrIndex == 0 ? "首页&nbsp;上一页&nbsp;" : "<a href='" + url(0) + "'>首页</a>&nbsp;<a href='" + url(nCurrIndex-1) + "'>上一页</a>&nbsp;";
  s += nCurrIndex + 1 == _nPageCount ? "下一页&nbsp;尾页" : "<a href='" + url(nCurrIndex+1) + "'>下一页</a>&nbsp;<a href='" + url(_nPageCount-1) + "'>尾页</a>";
  document.write(s);
}
"""

HANWEB_JS = """\
// 大汉 jpage：把 <datastore> 中的 <record> 逐条写出
(function(){var ds=document.querySelectorAll('script[type="text/xml"]');ds.forEach(function(s){
 var x=new DOMParser().parseFromString(s.textContent,"text/xml");var out=[];
 x.querySelectorAll("record").forEach(function(r){out.push(r.textContent)});
 var ul=document.createElement("ul");ul.className="list";ul.innerHTML=out.join("");s.parentNode.appendChild(ul);});})();
"""


def _svg(width: int, height: int, fill: str, text: str, color: str = "#fff", size: int = 22) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<rect width="{width}" height="{height}" fill="{fill}"/>'
            f'<text x="50%" y="55%" text-anchor="middle" font-family="WenQuanYi Micro Hei,Microsoft YaHei,sans-serif" '
            f'font-size="{size}" fill="{color}">{_e(text)}</text></svg>')


LOGO_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="460" height="80" viewBox="0 0 460 80">'
            '<circle cx="40" cy="40" r="32" fill="#ffd24d"/><text x="40" y="50" text-anchor="middle" font-size="30" '
            'fill="#b80000" font-family="WenQuanYi Micro Hei,sans-serif">云</text>'
            '<text x="90" y="52" font-size="40" font-weight="bold" fill="#fff" '
            'font-family="WenQuanYi Micro Hei,Microsoft YaHei,sans-serif">云溪县人民政府</text></svg>')
DZJG_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="60" height="74" viewBox="0 0 60 74">'
            '<rect width="60" height="74" rx="6" fill="#d40000"/><text x="30" y="30" text-anchor="middle" font-size="13" '
            'fill="#ffde00" font-family="WenQuanYi Micro Hei,sans-serif">党政机关</text><text x="30" y="52" '
            'text-anchor="middle" font-size="13" fill="#ffde00" font-family="WenQuanYi Micro Hei,sans-serif">网站标识</text></svg>')
GABA_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" viewBox="0 0 20 20">'
            '<circle cx="10" cy="10" r="9" fill="#1f4fa3"/><circle cx="10" cy="10" r="4" fill="#ffd24d"/></svg>')

ROBOTS = f"User-agent: *\nDisallow: {PRIVATE_DIR}\nDisallow: /cgi-bin/\n"


# --------------------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------------------


class _Site:
    """Renders and writes the site, recording planted defects as the pages carrying them are written."""

    def __init__(self, root: Path, as_of: date, pages: int | None, seed: int, hostile: bool, closed_port: int,
                 variance: bool = False):
        self.root = Path(root)
        self.variance = variance
        self.as_of = as_of
        self.target_pages = pages
        self.seed = seed
        self.hostile = hostile
        self.closed_port = closed_port
        self.columns = _columns()
        self.by_code = {c.code: c for c in self.columns}
        self.html_pages = 0
        self._dirs: set[Path] = set()
        self.headers: dict[str, dict[str, str]] = {}
        self.planted: dict[str, list[dict[str, Any]]] = {k: [] for k in PLANTED_KEYS}
        self._links: dict[tuple[str, str], dict[str, Any]] = {}
        self._a11y: dict[str, dict[str, Any]] = {}
        self.letters: list[dict[str, Any]] = []
        self._chrome: dict[str, str] = {}

    # ---- helpers ------------------------------------------------------------------------------------

    def rng(self, *parts: object) -> random.Random:
        """An independent deterministic stream per purpose, so adding a page elsewhere changes nothing here."""
        return random.Random(":".join(map(str, (self.seed, *parts))))

    def day(self, days_ago: int) -> date:
        return self.as_of - timedelta(days=days_ago)

    def write(self, path: str, text: str, *, charset: str = "utf-8") -> None:
        file = Manifest.file_for(self.root, path)
        parent = file.parent
        if parent not in self._dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        file.write_bytes(text.encode(charset, errors="xmlcharrefreplace"))
        if file.suffix == ".html":
            self.html_pages += 1

    def write_bytes(self, path: str, data: bytes) -> None:
        file = Manifest.file_for(self.root, path)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)

    def plant(self, category: str, target: str, source: str, anchor: str, *, status: Any, rule: str | None,
              tag: str = "a", **extra: Any) -> str:
        """Record that page ``source`` carries a planted link; returns ``target`` for inlining."""
        entry = self._links.get((category, target))
        if entry is None:
            entry = {"target": target, "status": status, "rule": rule, "tag": tag, "sources": [], "anchors": [],
                     "refs": [], **extra}
            self._links[(category, target)] = entry
            self.planted[category].append(entry)
        if source not in entry["sources"]:
            entry["sources"].append(source)
        if anchor not in entry["anchors"]:
            entry["anchors"].append(anchor)
        entry["refs"].append({"source": source, "anchor": anchor})
        return target

    def a11y(self, rule: str, page: str, html_snippet: str, what: str) -> None:
        """Record a planted accessibility fault (rule ids are axe-core's)."""
        entry = self._a11y.get(rule)
        if entry is None:
            entry = {"rule": rule, "what": what, "html": html_snippet, "pages": []}
            self._a11y[rule] = entry
            self.planted["a11y"].append(entry)
        entry["pages"].append(page)

    # ---- page chrome --------------------------------------------------------------------------------

    def head(self, title: str, meta: dict[str, str], *, charset: str = "utf-8", lang: bool = True,
             extra: str = "") -> str:
        html_tag = '<html lang="zh-CN">' if lang else "<html>"
        if charset == "utf-8":
            cs = '<meta charset="utf-8">'
        else:
            cs = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        site_meta = {"SiteName": SITE_NAME, "SiteDomain": SITE_DOMAIN, "SiteIDCode": SITE_ID_CODE}
        tags = "".join(f'<meta name="{k}" content="{_e(v)}">\n' for k, v in {**site_meta, **meta}.items())
        return (f"<!DOCTYPE html>\n{html_tag}\n<head>\n{cs}\n<meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\">\n"
                f"{tags}<title>{_e(title)}</title>\n<link rel=\"stylesheet\" href=\"/css/style.css\">\n{extra}</head>\n")

    def header(self, current: str = "") -> str:
        if "header" not in self._chrome:
            d = self.as_of
            nav = "".join(f'<li><a href="{p}">{_e(n)}</a></li>' for n, p in
                          [("首页", "/")] + [SECTIONS[k] for k in ("xwzx", "zwgk", "bsfw", "hdjl", "zjyx")])
            self._chrome["header"] = (
                '<div class="topbar"><div class="w"><span>今天是：'
                f'{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}</span><span>'
                '<a href="/wza/index.html">无障碍</a><a href="/zzms/index.html">长者模式</a>'
                '<a href="/wzdt/index.html">网站地图</a><a href="/lxwm/index.html">联系我们</a></span></div></div>\n'
                '<div class="header"><div class="w"><a href="/"><img src="/images/logo.svg" alt="云溪县人民政府" '
                'width="460" height="80"></a><form class="search" action="/search/index.html" method="get">'
                '<label for="kw" style="position:absolute;left:-9999px">站内搜索</label>'
                '<input id="kw" name="q" type="text" placeholder="请输入关键词"><button type="submit">搜索</button>'
                f'</form></div></div>\n<div class="nav"><ul class="w">{nav}</ul></div>\n')
        return self._chrome["header"]

    def footer(self, *, psb: bool = True) -> str:
        key = f"footer{psb}"
        if key not in self._chrome:
            psb_html = (f'<span><img src="/images/gaba.svg" alt="公安备案图标" width="20" height="20"> '
                        f'<a href="/wzbs/gaba.html" target="_blank">{PSB}</a></span>') if psb else ""
            self._chrome[key] = (
                '<div class="footer"><div class="w">'
                '<p><a href="/lxwm/index.html">联系我们</a>|<a href="/wzdt/index.html">网站地图</a>|'
                '<a href="/wza/index.html">无障碍声明</a></p>'
                f'<p>主办单位：{SPONSOR}　承办单位：{ORGANIZER}　联系电话：{PHONE}</p>'
                f'<div class="ids"><a href="/wzbs/dzjg.html" target="_blank" title="党政机关网站标识">'
                f'<img src="/images/dzjg.svg" alt="党政机关网站标识" width="60" height="74"></a>'
                f'<span>网站标识码：{SITE_ID_CODE}</span><span><a href="/wzbs/icp.html" target="_blank">{ICP}</a></span>'
                f'{psb_html}</div></div></div>\n')
        return self._chrome[key]

    def crumb(self, *parts: tuple[str, str], extra_home: str = "") -> str:
        links = [f'<a href="/">首页</a>{extra_home}'] + [f'<a href="{p}">{_e(n)}</a>' for n, p in parts]
        return f'<div class="crumb">当前位置：{" &gt; ".join(links)}</div>'

    def sidebar(self, section: str) -> str:
        name, _ = SECTIONS[section]
        items = "".join(f'<li><a href="{c.path}">{_e(c.name)}</a></li>' for c in self.columns if c.section == section)
        if section == "hdjl":
            items = '<li><a href="/hdjl/xzxx/">县长信箱</a></li>' + items
        return f'<div class="side"><h3>{_e(name)}</h3><ul>{items}</ul></div>'

    def page(self, path: str, title: str, meta: dict[str, str], body: str, *, charset: str = "utf-8",
             lang: bool = True, psb: bool = True, head_extra: str = "") -> None:
        text = (self.head(title, meta, charset=charset, lang=lang, extra=head_extra) + "<body>\n" + self.header()
                + f'<div class="w main">\n{body}\n</div>\n' + self.footer(psb=psb) + "</body>\n</html>\n")
        self.write(path, text, charset=charset)

    def column_meta(self, col: Column) -> dict[str, str]:
        return {"ColumnName": col.name, "ColumnDescription": f"发布{SITE_NAME}{col.name}信息",
                "ColumnKeywords": f"{col.name},云溪县", "ColumnType": col.column_type}

    # ---- items ---------------------------------------------------------------------------------------

    def plan_counts(self) -> dict[str, int]:
        """Articles per column: the demo counts, or the scaled counts for ``pages=N``."""
        counts = {c.code: c.count for c in self.columns}
        if self.target_pages is None:
            return counts
        fixed = 120  # home, section pages, blank columns, letters and their lists, service pages
        budget = max(self.target_pages - fixed, 0)
        total_weight = sum(c.weight for c in self.columns)
        for c in self.columns:
            if c.blank:
                continue
            share = budget * c.weight / total_weight
            counts[c.code] = max(c.count if budget >= 200 else 3, int(share / (1 + 1 / c.per_page)))
        return counts

    def make_items(self, col: Column, count: int) -> None:
        rng = self.rng("items", col.code)
        span = min(count * col.gap, 3650) if count > col.count else count * col.gap
        base = (self.columns.index(col) + 1) * 1_000_000
        items = []
        for i in range(count):
            day = self.day(col.newest_days + (i * span) // max(count, 1))
            uid = base + count - i
            title, number = self.title_for(col, rng, day)
            hhmm = f"{rng.randint(8, 18):02d}:{rng.choice((0, 10, 15, 20, 30, 40, 45, 50)):02d}"
            items.append(Item(title, self.article_path(col, day, uid), day, hhmm, self.source_for(col, rng), number))
        col.items = items
        # Planted: an undated item (部门动态) and a mistyped future date (通知公告), neither the newest.
        if col.code == "bmdt" and count > 4:
            items[3].day = None
            self.planted["dates"].append({"kind": "undated", "column": col.name, "title": items[3].title,
                                          "path": items[3].path, "list": col.path})
        if col.code == "tzgg" and count > 3:
            future = self.as_of + timedelta(days=365)
            old = items[2]
            items[2] = Item(old.title, self.article_path(col, future, base + 999_000), future, old.hhmm, old.source)
            self.planted["dates"].append({"kind": "future", "column": col.name, "title": old.title,
                                          "path": items[2].path, "date": _d(future), "list": col.path,
                                          "note": "published out of date order: shown third in the list"})

    def article_path(self, col: Column, day: date, uid: int) -> str:
        if col.style == "hanweb":
            return f"/art/{day.year}/{day.month}/{day.day}/art_{col.hanweb_id}_{uid}.html"
        if col.style == "plain":
            return f"{col.path}content_{uid}.html"
        return f"{col.path}{day:%Y%m}/t{day:%Y%m%d}_{uid}.html"

    def source_for(self, col: Column, rng: random.Random) -> str:
        if col.code == "xzdt":
            return rng.choice(TOWNS) + "人民政府"
        if col.code in ("bmdt", "gzdt"):
            return rng.choice(UNITS)
        if col.section == "zwgk":
            return "县政府办公室" if col.type in ("policy", "plan") else rng.choice(["县政府办公室"] + UNITS[:6])
        return rng.choice(SOURCES)

    def title_for(self, col: Column, rng: random.Random, day: date) -> tuple[str, str]:
        t, town, topic, unit = rng.choice(TOPICS), rng.choice(TOWNS), rng.choice(TOPICS), rng.choice(UNITS)
        y = day.year
        if col.code == "zwyw":
            return rng.choice([f"县委常委会召开{y}年第{rng.randint(10, 40)}次会议", f"县长调研{town}{t}工作",
                               f"我县召开{t}{rng.choice(ACTIONS)}", f"县政府第{rng.randint(30, 90)}次常务会议召开",
                               f"县领导督导检查{t}工作", f"云溪县{t}工作取得阶段性成效"]), ""
        if col.code == "bmdt":
            return f"{unit}{rng.choice(['扎实开展', '召开', '部署推进', '专题研究'])}{topic}{rng.choice(['工作', '专项行动', '培训会'])}", ""
        if col.code == "xzdt":
            return f"{town}{rng.choice(['多措并举推进', '全力做好', '召开', '扎实开展'])}{topic}{rng.choice(['工作', '专项整治', '宣传活动'])}", ""
        if col.code == "tpxw":
            return f"【图片新闻】{town}{topic}见闻", ""
        if col.code == "gzdt":
            return f"{unit}{y}年{topic}工作进展情况", ""
        if col.code in ("tzgg", "gsgg"):
            return rng.choice([f"关于做好{y}年{topic}工作的通知", f"关于{town}{topic}项目的公示",
                               f"关于开展{topic}专项检查的公告", f"{unit}关于{topic}有关事项的通告"]), ""
        if col.code in ("zcwj", "gfxwj"):
            n = rng.randint(1, 60)
            return f"云溪县人民政府关于印发云溪县{topic}实施方案的通知", f"云政发〔{y}〕{n}号"
        if col.code == "zcjd":
            return rng.choice([f"《云溪县{topic}实施方案》政策解读", f"图解：云溪县{topic}三年行动计划"]), ""
        if col.code == "rsxx":
            return rng.choice([f"{y}年云溪县事业单位公开招聘工作人员拟聘用人员公示",
                               f"关于{rng.randint(2, 9)}名同志任前公示的公告", f"云溪县{y}年公开选调公务员公告"]), ""
        if col.code == "ghjh":
            return rng.choice([f"云溪县{y}年国民经济和社会发展计划", f"云溪县{topic}专项规划（{y}—{y + 5}年）"]), ""
        if col.code == "zxft":
            return f"在线访谈：{rng.choice(INTERVIEW_GUESTS)}谈{topic}", ""
        return f"关于{topic}工作意见建议征集的公告", ""

    def paragraphs(self, item: Item, rng: random.Random, doc: bool = False) -> str:
        """Body text: a meeting/news report, or (``doc``) the opening of an official document."""
        topic, town, unit = rng.choice(TOPICS), rng.choice(TOWNS), rng.choice(UNITS)
        d = item.day or self.as_of
        when = f"{item.day.month}月{item.day.day}日，" if item.day else "近日，"
        sentences = [
            f"{when}{item.title.replace('【图片新闻】', '')}。会议传达学习了上级有关会议和文件精神，听取了{unit}关于{topic}工作情况的汇报。",
            f"会议指出，做好{topic}工作事关全县经济社会发展大局，各乡镇、各部门要进一步提高政治站位，压紧压实工作责任，确保各项措施落到实处。",
            f"今年以来，{town}围绕{topic}目标任务，完成投资{rng.randint(800, 9000)}万元，覆盖群众{rng.randint(2, 40)}千余人，"
            f"群众满意度达{rng.randint(91, 99)}%以上。",
            f"下一步，{unit}将坚持问题导向，建立工作台账，实行清单化管理、项目化推进，定期调度、通报进展，推动{topic}工作提质增效。",
            "会议要求，要加强统筹协调，强化督促检查，对工作推进不力、落实不到位的，严肃追责问责。",
            f"与会人员还就{topic}中存在的困难和问题进行了交流讨论，并提出了意见建议。",
        ]
        if doc:
            sentences = [
                "各乡（镇）人民政府，县直各部门：",
                f"为深入推进{topic}工作，经县人民政府研究同意，现就有关事项通知如下。",
                f"一、工作目标。到{d.year + 1}年底，全县{topic}工作机制进一步健全，各项任务全面完成。",
                f"二、主要任务。各乡镇、各部门要结合实际，细化工作措施，明确责任单位和完成时限，于每月25日前将工作进展报送{unit}。",
                "三、保障措施。各级各部门要加强组织领导，强化督促检查，确保各项工作落到实处。",
                f"{SITE_NAME}办公室",
            ]
            return "".join(f"<p>{_e(s)}</p>" for s in sentences)
        head, rest = sentences[0], sentences[1:]
        rng.shuffle(rest)
        return "".join(f"<p>{_e(s)}</p>" for s in [head] + rest[: rng.randint(2, 4)])

    # ---- columns -------------------------------------------------------------------------------------

    def build_columns(self) -> None:
        counts = self.plan_counts()
        for col in self.columns:
            if col.blank:
                self.write_blank_column(col)
                continue
            self.make_items(col, counts[col.code])
            self.write_articles(col)
            self.write_list_pages(col)
            self.record_column(col)
        self.write_comment_only_articles()

    def record_column(self, col: Column) -> None:
        dated = [i.day for i in col.items if i.day is not None and i.day <= self.as_of]
        newest = max(dated) if dated else None
        pages = math.ceil(len(col.items) / col.per_page)
        window = TYPE_WINDOWS.get(col.type)
        entry = {"name": col.name, "path": col.path, "type": col.type, "type_zh": TYPE_ZH[col.type],
                 "column_type": col.column_type, "style": col.style, "charset": col.charset,
                 "newest": _d(newest) if newest else None, "items": len(col.items), "list_pages": pages,
                 "window_days": window,
                 "days_since_newest": (self.as_of - newest).days if newest else None}
        self.columns_out.append(entry)
        if window is None or newest is None:
            return
        age = (self.as_of - newest).days
        if age > 365 and col.type in ("news", "notice", "policy", "personnel", "plan"):
            self.planted["long_stale_columns"].append(entry)
        elif age > window:
            self.planted["stale_columns"].append(entry)
        else:
            self.planted["fresh_columns"].append(entry)

    def list_link(self, col: Column, item: Item, rel: bool) -> str:
        """The href a list page uses for an item: TRS writes ``./YYYYMM/…`` relative links."""
        if rel and item.path.startswith(col.path):
            return "./" + item.path[len(col.path):]
        return item.path

    def write_list_pages(self, col: Column) -> None:
        n_pages = max(1, math.ceil(len(col.items) / col.per_page))
        for k in range(n_pages):
            chunk = col.items[k * col.per_page:(k + 1) * col.per_page]
            path = col.path + ("index.html" if k == 0 else f"index_{k}.html")
            url_path = col.path if k == 0 else path
            body, head_extra, title = self.render_list(col, chunk, k, n_pages, url_path)
            lang = col.charset == "utf-8"
            self.page(path, title, self.column_meta(col), body, charset=col.charset, lang=lang, head_extra=head_extra)
            self.after_page(col, url_path, is_list=True)

    def pager_links(self, k: int, n: int) -> str:
        if n <= 1:
            return ""
        name = lambda i: "index.html" if i == 0 else f"index_{i}.html"  # noqa: E731
        parts = [f"共 {n} 页", f'<a href="{name(0)}">首页</a>']
        if k > 0:
            parts.append(f'<a href="{name(k - 1)}">上一页</a>')
        if self.variance:  # a full numbered pager, as many CMSs print one: every page of the column, every page
            parts += [f'<a href="{name(i)}">{i + 1}</a>' if i != k else f"<b>{i + 1}</b>" for i in range(n)]
        if k < n - 1:
            parts.append(f'<a href="{name(k + 1)}">下一页</a>')
        parts.append(f'<a href="{name(n - 1)}">尾页</a>')
        return f'<div class="page">{" ".join(parts)}</div>'

    def render_list(self, col: Column, chunk: list[Item], k: int, n: int, url_path: str) -> tuple[str, str, str]:
        title = f"{col.name}_{SITE_NAME}"
        head_extra = ""
        home_extra = ""
        sec_name, sec_path = SECTIONS[col.section]
        if col.style == "trs":
            lis = "".join(f'<li><a href="{self.list_link(col, i, True)}" target="_blank" title="{_e(i.title)}">'
                          f'{_e(i.title)}</a><span>{_d(i.day)}</span></li>\n' for i in chunk)
            listing = (f'<ul class="list">\n{lis}</ul>\n<div class="page"><script type="text/javascript">'
                       f'createPageHTML({n}, {k}, "index", "html");</script></div>')
            head_extra = '<script type="text/javascript" src="/js/trs_page.js"></script>\n'
        elif col.style == "hanweb":
            recs = "".join(f'<record><![CDATA[\n<li><a href="{i.path}" target="_blank" title="{_e(i.title)}">'
                           f'{_e(i.title)}</a><span class="bt-data-time">{i.day:%Y/%m/%d}</span></li>\n]]></record>\n'
                           for i in chunk)
            nextgroup = f'<a href="index_{k + 1}.html"></a>' if k < n - 1 else ""
            listing = (f'<div id="{col.hanweb_id}27"><script type="text/xml"><datastore>\n<nextgroup><![CDATA[{nextgroup}]]>'
                       f'</nextgroup>\n<recordset>\n{recs}</recordset>\n</datastore></script></div>\n'
                       '<script type="text/javascript" src="/module/jslib/jpage/dataproxy.js"></script>')
            # Planted a11y: the breadcrumb's home icon link has no text (link-name).
            home_extra = ' <a href="/" class="icon-home"><span class="bt-icon"></span></a>'
            snippet = '<a href="/" class="icon-home"><span class="bt-icon"></span></a>'
            self.a11y("link-name", url_path, snippet, "breadcrumb home icon link without text (大汉 list template)")
        elif col.style == "table":
            rows = []
            for j, i in enumerate(chunk, start=k * col.per_page + 1):
                number = f"<td>{_e(i.number)}</td>" if col.type == "policy" else ""
                rows.append(f'<tr><td>{j}</td><td><a href="{self.list_link(col, i, True)}" target="_blank">{_e(i.title)}'
                            f'</a></td>{number}<td>{_cn_date(i.day)}</td></tr>\n')
            num_th = "<th>文号</th>" if col.type == "policy" else ""
            listing = (f'<table class="list-table"><thead><tr><th>序号</th><th>标题</th>{num_th}<th>发布日期</th></tr>'
                       f'</thead>\n<tbody>\n{"".join(rows)}</tbody></table>\n{self.pager_links(k, n)}')
        else:  # plain
            if col.code == "tpxw":
                cells = []
                for i in chunk:
                    cells.append(f'<li><a href="{i.path}"><img src="/images/photo/{i.path.rsplit("_", 1)[-1][:-5]}.svg" '
                                 f'width="270" height="150"></a><a href="{i.path}">{_e(i.title)}</a>'
                                 f'<span class="date">[{_d(i.day)}]</span></li>\n')
                    self.a11y("image-alt", url_path, '<img src="/images/photo/….svg" width="270" height="150">',
                              "picture-news thumbnails without alt")
                listing = f'<ul class="pic-list">\n{"".join(cells)}</ul>\n{self.pager_links(k, n)}'
            else:
                lis = "".join(f'<li><a href="{i.path}">{_e(i.title)}</a><span class="date">'
                              f'{"[" + _d(i.day) + "]" if i.day else ""}</span></li>\n' for i in chunk)
                listing = f'<ul class="news-list">\n{lis}</ul>\n{self.pager_links(k, n)}'
            if col.code == "bmdt" and k == 0:
                listing += self.comment_block(url_path)
        if col.code == "dczj":
            title = ""  # planted a11y: empty <title> on the 调查征集 list template
            self.a11y("document-title", url_path, "<title></title>", "调查征集 list pages have an empty title")
        crumb = self.crumb((sec_name, sec_path), (col.name, col.path), extra_home=home_extra)
        extra = self.list_extras(col, url_path, k)
        body = (f'{self.sidebar(col.section)}<div class="content">{crumb}<div class="box"><h2>{_e(col.name)}</h2>'
                f'<div style="padding:8px 12px">{listing}</div></div>{extra}</div><div class="clear"></div>')
        return body, head_extra, title

    def list_extras(self, col: Column, url_path: str, k: int) -> str:
        """Per-column extras on the first list page (planted hostile links live here)."""
        if k != 0 or not self.hostile:
            return ""
        if col.code == "zwyw":
            target = self.plant("trap", f"/__calendar?y={self.as_of.year}&m={self.as_of.month}", url_path,
                                "领导活动日历", status=200, rule=None, expect="bounded", kind="calendar")
            return f'<p class="prevnext">查看 <a href="{_e(target)}">领导活动日历</a></p>'
        if col.code == "dczj":
            target = self.plant("trap", "/__session/page.html;jsessionid=8A3F2C91D0B7E64A", url_path, "参与问卷调查",
                                status=200, rule=None, expect="bounded", kind="session",
                                variants=["/__session/page.html;jsessionid=…", "/__session/page.html?sid=…"])
            return f'<p class="prevnext"><a href="{target}">参与问卷调查</a></p>'
        if col.code == "zxft":
            target = self.plant("trap", "/__session/page.html?sid=5c0e7d21", url_path, "进入访谈直播间",
                                status=200, rule=None, expect="bounded", kind="session",
                                variants=["/__session/page.html;jsessionid=…", "/__session/page.html?sid=…"])
            return f'<p class="prevnext"><a href="{target}">进入访谈直播间</a></p>'
        return ""

    def comment_block(self, url_path: str) -> str:
        """Two older items that survive only in an HTML comment, as TRS templates leave them."""
        col = self.by_code["bmdt"]
        self.comment_items = []
        lis = []
        for j in range(2):
            day = self.day(400 + 30 * j)
            item = Item(f"{UNITS[j]}召开{TOPICS[j]}工作会议", f"{col.path}content_{990000 + j}.html",
                        day, "09:00", UNITS[j])
            self.comment_items.append(item)
            lis.append(f'<li><a href="{item.path}">{_e(item.title)}</a><span class="date">[{_d(day)}]</span></li>')
            self.planted["comment_links"].append({"target": item.path, "sources": [url_path], "anchors": [item.title],
                                                  "date": _d(day)})
        return "\n<!--\n<ul class=\"news-list\">\n" + "\n".join(lis) + "\n</ul>\n-->\n"

    def write_comment_only_articles(self) -> None:
        col = self.by_code["bmdt"]
        for item in getattr(self, "comment_items", []):
            self.write_article(col, item, None, None, [])

    def after_page(self, col: Column, url_path: str, *, is_list: bool) -> None:
        if col.charset != "utf-8":
            self.headers[url_path] = {"Content-Type": f"text/html; charset={col.charset}"}
            if url_path.endswith("/"):  # the pager's 首页 link names the file
                self.headers[url_path + "index.html"] = self.headers[url_path]
            self.a11y("html-has-lang", url_path, "<html>", "人事信息 (GBK, old template) pages have no lang")
            self.charset_pages.append(url_path)

    def write_blank_column(self, col: Column) -> None:
        sec_name, sec_path = SECTIONS[col.section]
        if col.style == "blank-empty":
            listing, how = '<ul class="news-list">\n</ul>', "empty list"
        elif col.style == "blank-table":
            listing, how = ('<table class="list-table"><thead><tr><th>序号</th><th>标题</th><th>发布日期</th></tr></thead>'
                            '<tbody></tbody></table>'), "empty table"
        else:
            text = "暂无相关信息" if col.code == "jyta" else "暂无信息"
            listing, how = f'<div class="no-data">{text}</div>', f"placeholder “{text}”"
        body = (f'{self.sidebar(col.section)}<div class="content">{self.crumb((sec_name, sec_path), (col.name, col.path))}'
                f'<div class="box"><h2>{_e(col.name)}</h2><div style="padding:8px 12px">{listing}</div></div></div>'
                '<div class="clear"></div>')
        self.page(col.path + "index.html", f"{col.name}_{SITE_NAME}", self.column_meta(col), body)
        entry = {"name": col.name, "path": col.path, "type": col.type, "type_zh": TYPE_ZH[col.type],
                 "column_type": col.column_type, "style": col.style, "charset": "utf-8", "newest": None,
                 "items": 0, "list_pages": 1, "window_days": None, "days_since_newest": None, "blank": how}
        self.columns_out.append(entry)
        self.planted["blank_columns"].append(entry)

    # ---- articles ------------------------------------------------------------------------------------

    def write_articles(self, col: Column) -> None:
        items = col.items
        for i, item in enumerate(items):
            prev_item = items[i - 1] if i > 0 else None
            next_item = items[i + 1] if i + 1 < len(items) else None
            related = [items[(i + j) % len(items)] for j in (1, 2, 3) if len(items) > 3]
            self.write_article(col, item, prev_item, next_item, related, index=i)

    def write_article(self, col: Column, item: Item, prev_item: Item | None, next_item: Item | None,
                      related: list[Item], index: int = -1) -> None:
        rng = self.rng("article", item.path)
        path = item.path
        sec_name, sec_path = SECTIONS[col.section]
        pub = f"{_d(item.day)} {item.hhmm}" if item.day else ""
        meta = {**self.column_meta(col), "ArticleTitle": item.title, "PubDate": pub, "ContentSource": item.source,
                "Keywords": f"{col.name},{TOPICS[index % len(TOPICS)]}", "Author": "李婷", "Description": item.title,
                "Url": f"http://{SITE_DOMAIN}{path}"}
        if not item.day:
            del meta["PubDate"]
        paras = self.paragraphs(item, rng, doc=col.type in ("notice", "policy", "personnel", "plan"))
        extra = self.article_extras(col, item, index)
        charset, lang, psb = col.charset, col.charset == "utf-8", col.style != "hanweb"
        if col.style == "trs":
            info = f'<span>发布时间：{pub}</span><span>来源：{_e(item.source)}</span><span>字号：[大 中 小]</span>'
        elif col.style == "hanweb":
            info = f'<span>信息来源：{_e(item.source)}</span><span>发布日期：{_cn_date(item.day)}</span><span>浏览次数：{rng.randint(30, 900)}</span>'
        elif col.style == "table":
            info = f'<span>发布时间：{item.day:%Y/%m/%d}</span>'
        else:
            when = f"&nbsp;&nbsp;时间：{_d(item.day)}" if item.day else ""
            info = f'<span>来源：{_e(item.source)}{when}</span>'
        xxgk = ""
        if col.style == "table" and item.day:
            index_no = f"11532{SITE_ID_CODE[4:]}/{item.day.year}-{rng.randint(1, 99999):05d}"
            written = item.day - timedelta(days=rng.randint(0, 6))
            number = f'<tr><th>文　　号</th><td>{_e(item.number)}</td><th>主题分类</th><td>{col.column_type}</td></tr>' \
                if item.number else ""
            xxgk = (f'<table class="xxgk-meta"><tr><th>索 引 号</th><td>{index_no}</td><th>发布机构</th><td>{_e(item.source)}</td></tr>'
                    f'<tr><th>成文日期</th><td>{_cn_date(written)}</td><th>发布日期</th><td>{_d(item.day)}</td></tr>{number}</table>')
        pic = ""
        if col.code == "tpxw":
            pic = f'<p style="text-align:center"><img src="/images/photo/{path.rsplit("_", 1)[-1][:-5]}.svg" width="600" height="340"></p>'
            self.a11y("image-alt", path, '<img src="/images/photo/….svg" width="600" height="340">',
                      "picture-news photos without alt")
        editor = '<p style="text-align:right">（责任编辑：李婷）</p>'
        if col.code == "zcjd":
            editor = '<p class="editor" style="color:#cccccc;background-color:#ffffff;text-align:right">（责任编辑：李婷　审核：张明）</p>'
            self.a11y("color-contrast", path, editor, "政策解读 articles: editor line #ccc on #fff (1.6:1)")
        rel = ""
        if related:
            rel = '<div class="related"><h3>相关阅读</h3><ul>' + "".join(
                f'<li><a href="{r.path}">{_e(r.title)}</a></li>' for r in related) + "</ul></div>"
        pn = ""
        if col.style == "trs":
            pn = '<div class="prevnext">'
            pn += f'<p>上一篇：<a href="{prev_item.path}">{_e(prev_item.title)}</a></p>' if prev_item else "<p>上一篇：没有了</p>"
            pn += f'<p>下一篇：<a href="{next_item.path}">{_e(next_item.title)}</a></p>' if next_item else "<p>下一篇：没有了</p>"
            pn += "</div>"
        crumb = self.crumb((sec_name, sec_path), (col.name, col.path))
        body = (f'{crumb}{xxgk}<div class="article"><h1>{_e(item.title)}</h1><div class="info">{info}</div>'
                f'<div class="TRS_Editor">{pic}{paras}</div>{extra}{editor}</div>{pn}{rel}')
        if not psb:
            self.planted_identity_pages.append(path)
        body_charset = charset
        if col.code == "ghjh" and index == len(col.items) - 1:
            # Planted: header says utf-8, body is GB18030 with <meta charset=gbk> (real sites do this).
            self.headers[path] = {"Content-Type": "text/html; charset=utf-8"}
            self.planted["charset"].append({"kind": "mislabelled", "pages": [path], "header": "utf-8",
                                            "body": "gb18030", "meta": "gbk", "title": item.title})
            body_charset = "gb18030"
            text = (self.head(item.title, meta, charset="gbk", lang=True) + "<body>\n" + self.header()
                    + f'<div class="w main">\n{body}\n</div>\n' + self.footer(psb=psb) + "</body>\n</html>\n")
            text = text.replace('<meta http-equiv="Content-Type" content="text/html; charset=gbk">', '<meta charset="gbk">')
            self.write(path, text, charset=body_charset)
            return
        self.page(path, item.title, meta, body, charset=charset, lang=lang, psb=psb)
        self.after_page(col, path, is_list=False)

    def article_extras(self, col: Column, item: Item, index: int) -> str:
        """Planted links carried by particular articles (chosen by position, so scaling keeps them)."""
        p = item.path
        out = []
        if col.code == "zwyw" and index in (4, 9):
            anchor = "优化营商环境专栏" if index == 4 else "点击进入专题"
            out.append(f'<p>更多内容请见<a href="{self.plant("dead", "/ztzl/yhyshj/", p, anchor, status=404, rule="links.dead")}">{anchor}</a>。</p>')
        if col.code == "zwyw" and index in (2, 6):
            target = "/xwzx/zwyw/202409/t20240918_999031.html"  # below every generated id
            anchor = "县委常委会召开2024年第21次会议" if index == 2 else "（原文链接）"
            self.plant("dead", target, p, anchor, status=404, rule="links.dead", note="deleted article")
            out.append(f'<p>相关报道：<a href="{target}">{anchor}</a></p>')
        if col.code == "tpxw" and index in (0, 1):
            target = self.plant("dead", "/uploads/2025/banner_gqj.jpg", p, "国庆节宣传图", status=404, rule="links.dead",
                                tag="img")
            out.append(f'<p style="text-align:center"><img src="{target}" alt="国庆节宣传图"></p>')
        if col.code == "zcwj" and index == 1:
            ok = "/zwgk/zcwj/fj/P020250915385612340001.pdf"
            gone = self.plant("dead", "/zwgk/zcwj/fj/P020250915385612349999.pdf", p, "附件2：项目申报表.pdf",
                              status=404, rule="links.dead")
            self.existing_attachments.append(ok)
            out.append(f'<p>附件：<a href="{ok}">附件1：实施方案.pdf</a><br><a href="{gone}">附件2：项目申报表.pdf</a></p>')
        if col.code == "tzgg" and index == 0:
            ok = "/zwgk/tzgg/fj/W020251028551234560001.docx"
            gone = self.plant("dead", "/zwgk/tzgg/fj/W020251028551234569999.docx", p, "报名表.docx",
                              status=404, rule="links.dead")
            self.existing_attachments.append(ok)
            out.append(f'<p>附件：<a href="{ok}">名额分配表.docx</a>　<a href="{gone}">报名表.docx</a></p>')
        if col.code == "zcjd" and index == 1:
            target = self.plant("soft404", "/zwgk/zcjd/201912/t20191210_100888.html", p, "政策原文", status=200,
                                rule="links.soft404", note="static 200 page titled and worded as an error page")
            out.append(f'<p>查看<a href="{target}">政策原文</a></p>')
        if self.hostile and col.code == "zcjd" and index == 2:
            target = self.plant("soft404", "/__soft404/zwgk/zcjd/2019/zcyw.html", p, "政策原文（旧版）", status=200,
                                rule="links.soft404", note="dynamic: 200 page saying 您访问的页面不存在")
            out.append(f'<p>查看<a href="{target}">政策原文（旧版）</a></p>')
        if self.hostile and col.code == "gzdt" and index == 1:
            target = self.plant("dead", "/__status/410", p, "原文件（已废止）", status=410, rule="links.dead")
            out.append(f'<p>本文件替代<a href="{target}">原文件（已废止）</a>。</p>')
        return "".join(out)

    # ---- letters (县长信箱) --------------------------------------------------------------------------

    LETTER_PLAN = [
        # (days ago asked, days to reply or None, status, expectations)
        (3, None, "未回复", ["open_recent"]),
        (9, 3, "已回复", ["ok"]),
        (20, None, "办理中", ["open_recent"]),
        (27, 4, "已回复", ["ok"]),
        (41, 2, "已回复", ["ok"]),
        (60, 10, "已回复", ["no_reply_text"]),
        (73, 5, "已回复", ["ok"]),
        (95, 6, "已回复", ["ok"]),
        (112, 3, "已回复", ["ok"]),
        (131, None, "未回复", ["unanswered"]),
        (150, 110, "已回复", ["late"]),
        (166, 2, "已回复", ["ok"]),
        (None, None, "已回复", ["undated"]),
        (180, 4, "已回复", ["ok"]),
        (201, None, "办理中", ["unanswered"]),
        (215, 5, "已回复", ["ok"]),
        (230, 123, "已回复", ["late"]),
        (248, 3, "已回复", ["ok"]),
        (266, 7, "已回复", ["ok"]),
        (284, 1, "已回复", ["ok"]),
        (301, 6, "已回复", ["ok"]),
        (322, 4, "已回复", ["ok"]),
        (340, 2, "已回复", ["ok"]),
        (355, 5, "已回复", ["ok"]),
        (420, None, "未回复", ["unanswered_outside_window"]),
        (450, 3, "已回复", ["ok"]),
    ]

    def build_letters(self) -> None:
        rng = self.rng("letters")
        plan = list(self.LETTER_PLAN)
        if self.target_pages:
            extra = max(0, self.target_pages // 400)
            plan += [(rng.randint(1, 700), rng.randint(1, 7), "已回复", ["ok"]) for _ in range(extra)]
            plan.sort(key=lambda p: (p[0] is None, p[0] if p[0] is not None else 0))
        for n, (asked_ago, reply_in, status, expect) in enumerate(plan):
            topic, unit = LETTER_TOPICS[n % len(LETTER_TOPICS)]
            town = TOWNS[n % len(TOWNS)]
            title, unit = topic.format(town=town), unit.format(town=town)
            asked = self.day(asked_ago) if asked_ago is not None else None
            replied = asked + timedelta(days=reply_in) if (asked and reply_in is not None) else None
            has_text = status == "已回复" and "no_reply_text" not in expect
            letter = {"title": title, "path": f"/hdjl/xzxx/xj_{2025000 + len(plan) - n}.html",
                      "asked": _d(asked) if asked else None, "replied": _d(replied) if replied else None,
                      "status": status, "unit": unit if status == "已回复" else None, "has_reply_text": has_text,
                      "expect": expect, "channel": "县长信箱",
                      "days_waiting": (self.as_of - asked).days if asked and not replied else None,
                      "reply_days": (replied - asked).days if replied and asked else None,
                      "asked_time": f"{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}",
                      "replied_time": f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}"}
            self.letters.append(letter)
            self.write_letter(letter, rng)
        self.write_mailbox_lists()
        self.write_letter_form()
        self.planted["letters"] = [{k: v for k, v in le.items() if k not in ("asked_time", "replied_time")}
                                   for le in self.letters]
        self.planted["channels"] = [
            {"name": "县长信箱", "path": "/hdjl/xzxx/", "kind": "mailbox", "excluded": False},
            {"name": "在线访谈", "path": "/hdjl/zxft/", "kind": "interview", "excluded": True},
            {"name": "调查征集", "path": "/hdjl/dczj/", "kind": "survey", "excluded": True},
        ]

    def write_letter(self, le: dict[str, Any], rng: random.Random) -> None:
        name = rng.choice(SURNAMES) + "**"
        rows = [f"<tr><th>信件标题</th><td>{_e(le['title'])}</td></tr>", f"<tr><th>来信人</th><td>{name}</td></tr>"]
        if le["asked"]:
            rows.append(f"<tr><th>来信时间</th><td>{le['asked']} {le['asked_time']}</td></tr>")
        rows.append(f"<tr><th>信件内容</th><td>您好！{_e(le['title'])}，此事已持续较长时间，给周边群众生活带来不便，"
                    "希望有关部门尽快核实处理，谢谢！</td></tr>")
        rows.append(f"<tr><th>处理状态</th><td>{le['status']}</td></tr>")
        if le["status"] == "已回复":
            rows.append(f"<tr><th>回复单位</th><td>{_e(le['unit'])}</td></tr>")
            if le["replied"]:
                rows.append(f"<tr><th>回复时间</th><td>{le['replied']} {le['replied_time']}</td></tr>")
            text = (f"来信人您好！您反映的问题已收悉。经{_e(le['unit'])}调查核实，相关情况已责成责任单位限期整改，"
                    f"预计于近期完成。感谢您对我县工作的关心和支持！如有疑问，请拨打{PHONE}咨询。") if le["has_reply_text"] else ""
            rows.append(f"<tr><th>回复内容</th><td>{text}</td></tr>")
        body = (f'{self.sidebar("hdjl")}<div class="content">{self.crumb(("互动交流", "/hdjl/"), ("县长信箱", "/hdjl/xzxx/"))}'
                f'<div class="box mailbox"><h2>信件详情</h2><table class="letters letter-detail">{"".join(rows)}</table>'
                '</div></div><div class="clear"></div>')
        meta = {"ColumnName": "县长信箱", "ColumnDescription": "县长信箱来信及回复", "ColumnKeywords": "县长信箱,咨询,投诉",
                "ColumnType": "咨询投诉", "ArticleTitle": le["title"], "ContentSource": SITE_NAME}
        if le["asked"]:
            meta["PubDate"] = f"{le['asked']} {le['asked_time']}"
        self.page(le["path"], f"{le['title']}_县长信箱_{SITE_NAME}", meta, body)

    def write_mailbox_lists(self) -> None:
        per_page = 10
        n = max(1, math.ceil(len(self.letters) / per_page))
        for k in range(n):
            rows = []
            for j, le in enumerate(self.letters[k * per_page:(k + 1) * per_page], start=k * per_page + 1):
                css = "st-ok" if le["status"] == "已回复" else "st-no"
                rows.append(f'<tr><td>{j}</td><td><a href="{le["path"]}">{_e(le["title"])}</a></td>'
                            f'<td>{le["asked"] or ""}</td><td>{le["replied"] or ""}</td>'
                            f'<td class="{css}">{le["status"]}</td></tr>\n')
            body = (f'{self.sidebar("hdjl")}<div class="content">{self.crumb(("互动交流", "/hdjl/"), ("县长信箱", "/hdjl/xzxx/"))}'
                    '<div class="box mailbox"><h2>县长信箱 <a href="/hdjl/xzxx/write.html">我要写信</a></h2>'
                    '<p style="padding:8px 12px;color:#666">县长信箱受理群众对县政府工作的意见建议及咨询，一般在15个工作日内答复。</p>'
                    '<table class="letters"><thead><tr><th>序号</th><th>信件标题</th><th>来信时间</th><th>回复时间</th>'
                    f'<th>状态</th></tr></thead><tbody>\n{"".join(rows)}</tbody></table>{self.pager_links(k, n)}</div></div>'
                    '<div class="clear"></div>')
            meta = {"ColumnName": "县长信箱", "ColumnDescription": "县长信箱来信及回复", "ColumnKeywords": "县长信箱,咨询,投诉",
                    "ColumnType": "咨询投诉"}
            self.page("/hdjl/xzxx/" + ("index.html" if k == 0 else f"index_{k}.html"), f"县长信箱_{SITE_NAME}", meta, body)

    def write_letter_form(self) -> None:
        form = ('<form class="letter-form" action="/hdjl/xzxx/write.html" method="post">'
                '<p><label for="xm">姓名</label> <input id="xm" name="xm" type="text"></p>'
                '<p><label for="dh">联系电话</label> <input id="dh" name="dh" type="tel"></p>'
                '<p><label for="bt">信件标题</label> <input id="bt" name="bt" type="text"></p>'
                '<p><label for="nr">信件内容</label> <textarea id="nr" name="nr" rows="8" cols="60"></textarea></p>'
                '<p>验证码 <input name="yzm" type="text" size="6"> <img src="/images/yzm.svg" alt="验证码"></p>'
                '<p><button type="submit">提交</button></p></form>')
        self.a11y("label", "/hdjl/xzxx/write.html", '<input name="yzm" type="text" size="6">',
                  "captcha input on the letter form has no label")
        body = (f'{self.sidebar("hdjl")}<div class="content">{self.crumb(("互动交流", "/hdjl/"), ("县长信箱", "/hdjl/xzxx/"))}'
                f'<div class="box"><h2>我要写信</h2><div style="padding:12px">{form}</div></div></div><div class="clear"></div>')
        self.page("/hdjl/xzxx/write.html", f"我要写信_县长信箱_{SITE_NAME}", {"ColumnName": "县长信箱"}, body)

    # ---- homepage and other pages --------------------------------------------------------------------

    def home_list(self, col: Column, n: int) -> str:
        items = [i for i in col.items if i.day is not None][:n]
        return "".join(f'<li><a href="{i.path}" title="{_e(i.title)}">{_e(i.title)}</a><span class="date">{_d(i.day)}</span></li>'
                       for i in items)

    def build_home(self) -> None:
        zwyw, tzgg, zcwj, tpxw = (self.by_code[c] for c in ("zwyw", "tzgg", "zcwj", "tpxw"))
        dead = self.plant("dead", "/ztzl/yhyshj/", "/", "优化营商环境", status=404, rule="links.dead",
                          note="removed special-topic column still linked")
        offsite = self.plant("suspect", f"http://127.0.0.1:{self.closed_port}/", "/", "云州市人民政府",
                             status="refused", rule="links.suspect", note="off-site link, connection refused")
        private = PRIVATE_DIR + "index.html"
        self.planted["robots"].append({"disallow": PRIVATE_DIR, "target": private, "sources": ["/"], "anchors": ["内网办公"]})
        letters = "".join(f'<tr><td><a href="{le["path"]}">{_e(le["title"])}</a></td><td>{le["asked"] or ""}</td>'
                          f'<td>{le["status"]}</td></tr>' for le in self.letters[:6])
        pics = "".join(f'<li><a href="{i.path}"><img src="/images/photo/{i.path.rsplit("_", 1)[-1][:-5]}.svg" '
                       f'alt="{_e(i.title)}" width="270" height="150"></a></li>' for i in tpxw.items[:3])
        hostile = ""
        if self.hostile:
            stall = self.plant("suspect", "/__stall", "/", "12345政务服务便民热线", status="timeout", rule="links.suspect")
            hostile = f'<li><a href="{stall}">12345政务服务便民热线</a></li>'
        body = f"""
<div class="cols2"><div class="box"><h2>要闻 <a href="{zwyw.path}">更多&gt;&gt;</a></h2><ul>{self.home_list(zwyw, 8)}</ul></div>
<div class="box"><h2>图片新闻 <a href="{tpxw.path}">更多&gt;&gt;</a></h2><ul class="pic-list" style="grid-template-columns:1fr">{pics}</ul></div></div>
<div class="cols"><div class="box"><h2>通知公告 <a href="{tzgg.path}">更多&gt;&gt;</a></h2><ul>{self.home_list(tzgg, 6)}</ul></div>
<div class="box"><h2>政策文件 <a href="{zcwj.path}">更多&gt;&gt;</a></h2><ul>{self.home_list(zcwj, 6)}</ul></div>
<div class="box mailbox"><h2>县长信箱 <a href="/hdjl/xzxx/">更多&gt;&gt;</a></h2>
<table class="letters"><thead><tr><th>信件标题</th><th>来信时间</th><th>状态</th></tr></thead><tbody>{letters}</tbody></table>
<p style="text-align:center;margin:10px"><a href="/hdjl/xzxx/write.html">我要写信</a></p></div></div>
<div class="cols"><div class="box"><h2>专题专栏</h2><ul><li><a href="{dead}">优化营商环境</a></li>
<li><a href="/hdjl/zxft/">在线访谈</a></li><li><a href="/hdjl/dczj/">调查征集</a></li></ul></div>
<div class="box"><h2>办事服务</h2><ul><li><a href="/bsfw/">办事指南</a></li>{hostile}<li><a href="{private}">内网办公</a></li></ul></div>
<div class="box"><h2>友情链接</h2><ul><li><a href="{offsite}" target="_blank">云州市人民政府</a></li></ul></div></div>
"""
        self.page("/", SITE_NAME, {"ColumnName": "首页", "ColumnType": "首页", "ColumnDescription": f"{SITE_NAME}门户网站首页",
                                   "ColumnKeywords": "云溪县,人民政府,政务公开"}, body)

    def build_sections(self) -> None:
        for code, (name, path) in SECTIONS.items():
            if code in ("bsfw", "zjyx"):
                continue
            cols = [c for c in self.columns if c.section == code]
            boxes = []
            if code == "hdjl":
                boxes.append('<div class="box"><h2>县长信箱 <a href="/hdjl/xzxx/">更多&gt;&gt;</a></h2></div>')
            for c in cols:
                lis = self.home_list(c, 5) if c.items else '<li>暂无信息</li>'
                boxes.append(f'<div class="box"><h2>{_e(c.name)} <a href="{c.path}">更多&gt;&gt;</a></h2><ul>{lis}</ul></div>')
            body = f'{self.crumb((name, path))}<div class="cols">{"".join(boxes)}</div>'
            ctype = {"xwzx": "工作动态", "zwgk": "信息公开目录", "hdjl": "咨询投诉"}[code]
            self.page(path, f"{name}_{SITE_NAME}", {"ColumnName": name, "ColumnType": ctype,
                                                     "ColumnDescription": name, "ColumnKeywords": name}, body)
        # 办事服务 (guides) — hostile links to dynamic routes live here
        guides = ["城乡居民基本医疗保险参保登记", "个体工商户设立登记", "农村宅基地审批", "残疾人证办理", "义务教育入学登记", "不动产登记"]
        lis = "".join(f'<li><a href="/bsfw/bszn/bszn_{k + 1}.html">{g}办事指南</a></li>' for k, g in enumerate(guides))
        extra = ""
        if self.hostile:
            p = "/bsfw/"
            t500 = self.plant("suspect", "/__status/500", p, "网上办事大厅", status=500, rule="links.suspect")
            t403 = self.plant("dead", "/__status/403", p, "不动产登记查询", status=403, rule="links.dead")
            loop = self.plant("redirect_loop", "/__loop/a", p, "云南政务服务网", status=302, rule="links.redirect_loop")
            extra = (f'<div class="box"><h2>在线办理</h2><ul><li><a href="{t500}">网上办事大厅</a></li>'
                     f'<li><a href="{t403}">不动产登记查询</a></li><li><a href="{loop}">云南政务服务网</a></li></ul></div>')
        body = (f'{self.crumb(("办事服务", "/bsfw/"))}<div class="cols2"><div class="box"><h2>办事指南</h2><ul>{lis}</ul></div>'
                f'{extra}</div>')
        self.page("/bsfw/", f"办事服务_{SITE_NAME}", {"ColumnName": "办事服务", "ColumnType": "办事服务",
                                                   "ColumnDescription": "办事服务", "ColumnKeywords": "办事指南"}, body)
        elements = ["事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理时间", "联系电话", "办理流程"]
        for k, g in enumerate(guides):
            rows = "".join(f"<tr><th>{el}</th><td>{self.guide_value(el, g)}</td></tr>" for el in elements)
            body = (f'{self.crumb(("办事服务", "/bsfw/"))}<div class="article"><h1>{g}办事指南</h1>'
                    f'<table class="xxgk-meta">{rows}</table></div>')
            self.page(f"/bsfw/bszn/bszn_{k + 1}.html", f"{g}办事指南_{SITE_NAME}", {"ColumnName": "办事指南",
                      "ColumnType": "办事服务", "ArticleTitle": f"{g}办事指南"}, body)
        # 走进云溪
        body = (f'{self.crumb(("走进云溪", "/zjyx/"))}<div class="article"><h1>云溪概况</h1>'
                '<p>云溪县位于云州市西北部，辖6镇4乡，国土面积2186平方公里，总人口约28.6万人。境内群山连绵，云溪河自北向南贯穿全境，'
                '素有“云上溪乡”之称。</p><p>近年来，云溪县立足高原特色农业和生态文化旅游资源，着力推进乡村振兴和县域经济高质量发展。</p></div>')
        self.page("/zjyx/", f"走进云溪_{SITE_NAME}", {"ColumnName": "走进云溪", "ColumnType": "概况信息"}, body)

    @staticmethod
    def guide_value(element: str, guide: str) -> str:
        return {"事项名称": guide, "设定依据": "《中华人民共和国行政许可法》及有关规定", "申请条件": "符合相关规定的申请人",
                "办理材料": "1.申请表；2.身份证明材料", "办理地点": "云溪县政务服务中心一楼综合窗口",
                "办理时间": "周一至周五 上午9:00—12:00 下午14:30—17:30（法定节假日除外）", "联系电话": PHONE,
                "办理流程": "申请—受理—审核—办结"}[element]

    def build_misc(self) -> None:
        sitemap = "".join(f'<li><a href="{c.path}">{_e(c.name)}</a></li>' for c in self.columns)
        if self.variance:
            sitemap += '<li><a href="/wzdt/all.html">全站地图</a></li><li><a href="/zwgk/xxgkml/">政府信息公开目录</a></li>'
        self.page("/wzdt/", f"网站地图_{SITE_NAME}", {"ColumnName": "网站地图"},
                  f'{self.crumb(("网站地图", "/wzdt/"))}<div class="box"><h2>网站地图</h2><ul class="cols">'
                  f'<li><a href="/hdjl/xzxx/">县长信箱</a></li><li><a href="/bsfw/">办事服务</a></li>{sitemap}</ul></div>')
        if self.variance:
            self.build_variance_pages()
        self.page("/lxwm/", f"联系我们_{SITE_NAME}", {"ColumnName": "联系我们"},
                  f'{self.crumb(("联系我们", "/lxwm/"))}<div class="article"><h1>联系我们</h1><p>主办单位：{SPONSOR}</p>'
                  f'<p>地址：云溪县云溪镇政府路1号</p><p>联系电话：{PHONE}</p><p>邮编：665900</p></div>')
        self.page("/wza/", f"无障碍浏览_{SITE_NAME}", {"ColumnName": "无障碍"},
                  f'{self.crumb(("无障碍", "/wza/index.html"))}<div class="article"><h1>无障碍浏览服务</h1>'
                  '<p>本网站提供页面放大、高对比度、大鼠标、语音阅读等辅助浏览功能，按 Alt+Shift+A 开启无障碍工具条。</p></div>')
        zwyw = self.by_code["zwyw"]
        self.page("/zzms/", f"长者模式_{SITE_NAME}", {"ColumnName": "长者模式"},
                  f'{self.crumb(("长者模式", "/zzms/index.html"))}<div class="article" style="font-size:22px"><h1>长者模式</h1>'
                  f'<ul style="font-size:22px">{self.home_list(zwyw, 6)}</ul></div>')
        self.page(PRIVATE_DIR, "内网办公系统登录", {"ColumnName": "内网办公"},
                  '<form action="/nbgl/index.html" method="post"><p><label for="u">账号</label> <input id="u" name="u"></p>'
                  '<p><label for="pw">密码</label> <input id="pw" name="pw" type="password"></p><button>登录</button></form>')
        for code, title, text in (("dzjg", "党政机关网站标识", f"网站名称：{SITE_NAME}　网站标识码：{SITE_ID_CODE}　开办单位：{SPONSOR}"),
                                  ("icp", "ICP备案信息", f"备案号：{ICP}　主办单位：{SPONSOR}"),
                                  ("gaba", "公安机关备案信息", f"备案号：{PSB}")):
            self.page(f"/wzbs/{code}.html", f"{title}_{SITE_NAME}", {},
                      f'<div class="article"><h1>{title}</h1><p>{_e(text)}</p>'
                      '<p>（演示站点：真实网站此处链接至 conac.cn / beian.miit.gov.cn / beian.gov.cn，演示中全部保留在本机。）</p></div>')
        self.page("/search/", f"站内搜索_{SITE_NAME}", {"ColumnName": "站内搜索"},
                  '<div class="article"><h1>站内搜索</h1><p>请输入关键词进行检索。</p></div>')
        # Planted: a static soft 404 — a 200 page that is an error page.
        self.write("/zwgk/zcjd/201912/t20191210_100888.html", soft404_page())

    def build_variance_pages(self) -> None:
        """Large pages of real portals (issue 16): a site map listing every article of the site (网站地图 on many
        portals is generated that way), and a 信息公开目录 with a row per document of the 政务公开 columns."""
        items = [(c, i) for c in self.columns for i in c.items]
        groups = "".join(f'<div class="map-col"><h3>{_e(c.name)}</h3><ul>'
                         + "".join(f'<li><a href="{i.path}">{_e(i.title)}</a></li>' for i in c.items) + "</ul></div>"
                         for c in self.columns if c.items)
        self.page("/wzdt/all.html", f"全站地图_{SITE_NAME}", {"ColumnName": "网站地图"},
                  f'{self.crumb(("网站地图", "/wzdt/"))}<div class="box"><h2>全站地图</h2>{groups}</div>')
        rows = "".join(f'<tr><td>11532-{n:06d}</td><td><a href="{i.path}" target="_blank">{_e(i.title)}</a></td>'
                       f"<td>{_e(i.source)}</td><td>{_cn_date(i.day)}</td></tr>"
                       for n, (c, i) in enumerate(items) if c.section == "zwgk")
        self.page("/zwgk/xxgkml/", f"政府信息公开目录_{SITE_NAME}", {"ColumnName": "政府信息公开目录"},
                  f'{self.crumb(("政务公开", "/zwgk/"), ("政府信息公开目录", "/zwgk/xxgkml/"))}<div class="box">'
                  '<h2>政府信息公开目录</h2><table class="xxgk-list"><thead><tr><th>索引号</th><th>标题</th><th>发布机构</th>'
                  f"<th>发布日期</th></tr></thead><tbody>{rows}</tbody></table></div>")

    def build_assets(self) -> None:
        self.write("/css/style.css", CSS)
        self.write("/js/trs_page.js", TRS_PAGE_JS)
        self.write("/module/jslib/jpage/dataproxy.js", HANWEB_JS)
        self.write("/images/logo.svg", LOGO_SVG)
        self.write("/images/dzjg.svg", DZJG_SVG)
        self.write("/images/gaba.svg", GABA_SVG)
        self.write("/images/yzm.svg", _svg(80, 30, "#eee", "7K3Q", "#333", 18))
        self.write("/robots.txt", ROBOTS)
        colors = ["#6b8e23", "#4682b4", "#b8860b", "#8b4513", "#2e8b57", "#708090"]
        tpxw = self.by_code["tpxw"]
        for k, item in enumerate(tpxw.items):
            name = item.path.rsplit("_", 1)[-1][:-5]
            self.write(f"/images/photo/{name}.svg", _svg(600, 340, colors[k % len(colors)], item.title[6:20], size=26))
        for path in self.existing_attachments:
            if path.endswith(".pdf"):
                self.write_bytes(path, _tiny_pdf("Yunxi county implementation plan (demo)"))
            else:
                self.write_bytes(path, b"PK\x03\x04demo docx placeholder\n")

    # ---- all -----------------------------------------------------------------------------------------

    def build(self) -> Manifest:
        self.columns_out: list[dict[str, Any]] = []
        self.existing_attachments: list[str] = []
        self.planted_identity_pages: list[str] = []
        self.charset_pages: list[str] = []
        self.build_columns()
        self.build_letters()
        self.build_home()
        self.build_sections()
        self.build_misc()
        self.build_assets()
        if self.charset_pages:
            self.planted["charset"].insert(0, {"kind": "gbk-column", "column": "人事信息", "pages": self.charset_pages,
                                               "header": "gbk", "body": "gbk", "meta": "gbk"})
        self.planted["identity"].append({"field": "psb", "label": "公安机关备案号", "template": "hanweb-article",
                                         "pages": self.planted_identity_pages,
                                         "present_on": ["/", "/xwzx/zwyw/"]})
        for entry in self.planted["a11y"]:
            entry["pages"] = sorted(set(entry["pages"]))
        for cat in LINK_CATEGORIES:
            for entry in self.planted[cat]:
                if entry["target"].startswith("/") and not entry["target"].startswith("/__"):
                    exists = Manifest.file_for(self.root, entry["target"]).is_file()
                    if exists != (cat == "soft404"):
                        raise AssertionError(f"planted {cat} target {entry['target']} exists={exists}")
        return Manifest(
            as_of=_d(self.as_of), site_name=SITE_NAME, pages=self.html_pages, home="/", planted=self.planted,
            headers=self.headers, robots=ROBOTS, seed=self.seed, hostile=self.hostile, closed_port=self.closed_port,
            domain=SITE_DOMAIN,
            footer={"sponsor": SPONSOR, "organizer": ORGANIZER, "site_id_code": SITE_ID_CODE, "icp": ICP, "psb": PSB,
                    "conac": "/wzbs/dzjg.html", "contact": "/lxwm/index.html", "sitemap": "/wzdt/index.html"},
            columns=self.columns_out)


def soft404_page() -> str:
    """A CMS error page: used as the static soft 404 (served 200) and by the demo server's real 404s."""
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>页面不存在_{SITE_NAME}</title>\n'
            '<link rel="stylesheet" href="/css/style.css">\n</head>\n<body>\n<div class="w main" style="text-align:center;'
            'padding-top:80px"><h1 style="color:#c40000;font-size:28px">很抱歉，您访问的页面不存在或已被删除！</h1>'
            '<p style="margin:20px;color:#666">您访问的页面不存在，可能是网址有误，或该页面已被删除、移动。</p>'
            '<p><a href="/">返回首页</a>　<a href="/wzdt/index.html">网站地图</a></p></div>\n</body>\n</html>\n')


def _tiny_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF, so attachments that exist are real PDFs (hand-written: no PDF library needed)."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def generate_site(root: Path, *, as_of: date, pages: int | None = None, seed: int = 2026,
                  hostile: bool = True, closed_port: int = 9, variance: bool = False) -> Manifest:
    """Write the demo county site under ``root`` and return its manifest.

    ``pages=None`` gives the demo size (about 270 HTML pages); ``pages=N`` scales the columns' articles and
    list pages so that about N HTML pages are written.  ``hostile`` adds links to the demo server's dynamic
    routes (500, 403, 410, redirect loop, stall, soft 404, calendar and session-id traps); leave it off for a
    site that a plain static server (nginx) serves completely.  ``closed_port`` is the loopback port of the
    off-site link that must be refused.  ``variance`` gives the large pages real portals carry (issue 16): full
    numbered pagers on every list page, a site map of every article (/wzdt/all.html, linked from /wzdt/) and a
    信息公开目录 with a row per 政务公开 document (/zwgk/xxgkml/); off by default, so the demo is unchanged.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    return _Site(root, as_of, pages, seed, hostile, closed_port, variance).build()
