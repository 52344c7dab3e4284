"""The operator's data commands, each in its own module, imported only when it runs:
`articles` (bot.cli.articles), `export` (bot.cli.exporting), `backup` and `restore`
(bot.cli.backups)."""

from __future__ import annotations

import argparse

from bot.settings import Settings


def operator_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "articles":
        from bot.cli.articles import articles_command

        return articles_command(settings, args)
    if args.command == "export":
        from bot.cli.exporting import export_command

        return export_command(settings, args)
    from bot.cli.backups import backup_command, restore_command

    if args.command == "backup":
        return backup_command(settings, args.dir)
    return restore_command(settings, args.dir, force=args.force)
