"""Built-in rule sets (YAML data).  The loader is ``govaudit.ruleset``; this package only ships the files."""
