"""``govaudit rules list``: every installed check plugin and every rule it emits, as a rule set sees them.

Shows where each check comes from (distribution and version), whether the rule set enables it, the page
facts it needs and the extractors that gather them; then each rule with its title, the severity and
indicator the rule set gives it.  ``--rules`` picks the rule set (a provincial one shows its overrides).
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("rules", help="list the installed check plugins and their rules",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="every installed check and rule, with severity, indicator and origin")
    ls.add_argument("--rules", default="gov-2019", metavar="RULESET", help="rule set id or file (default gov-2019)")
    ls.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the titles (default zh)")
    ls.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from govaudit import checks
    from govaudit.crawler.extract import installed
    from govaudit.ruleset import load_ruleset

    rules = load_ruleset(args.rules)
    lang = args.lang
    # A pipe or a file gets full lines: a table wrapped at 80 columns cannot be grepped.
    console = Console(width=None if sys.stdout.isatty() else 240)
    extractors = installed()

    plugins = Table(title=f"checks ({rules.id} {rules.version})", show_lines=False)
    for head in ("check", "title", "enabled", "rules", "needs", "extractors", "source"):
        plugins.add_column(head)
    table = Table(title="rules")
    for head in ("rule", "check", "title", "severity", "indicator", "enabled"):
        table.add_column(head)
    for plugin in checks.plugins():
        missing = [e for e in plugin.extractors if e not in extractors]
        gathered = ", ".join(plugin.extractors) + (f" (not installed: {', '.join(missing)})" if missing else "")
        listed = f"{len(plugin.rules)}" + (f" + {', '.join(p + '*' for p in plugin.open_prefixes)}" if plugin.open_prefixes else "")
        on = checks.enabled(plugin, rules)
        plugins.add_row(plugin.id, rules.text(dict(plugin.title), lang), "yes" if on else "no", listed,
                        ", ".join(plugin.needs), gathered, plugin.source)
        described = list(plugin.rules) + sorted(r for r in rules.rules if r not in plugin.rules and plugin.emits(r))
        for rule_id in described:
            meta = rules.rule(rule_id)
            table.add_row(rule_id, plugin.id, rules.title_of(rule_id, lang), str(meta.get("severity", "")),
                          str(meta.get("indicator", "")), "yes" if on and rules.enabled(rule_id) else "no")
    console.print(plugins)
    console.print(table)
    console.print(f"extractors (govaudit.extractors): {', '.join(f'{k} = {v}' for k, v in extractors.items())}")
    return 0
