"""`python build.py`: the command line. User mistakes print one message and exit non-zero, never a traceback."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from deckbuild import demos, export, pipeline
from deckbuild.config import REPO_ROOT, Config
from deckbuild.errors import BuildError

COMMANDS = {
    "demos": (None, "run the demos whose capture is stale (or all, with --refresh-demos); no deck"),
    "render": ((), "render the templates and diagrams to build/<deck>.md only"),
    "html": (("html",), "build build/<deck>.html (self-contained, offline)"),
    "pdf": (("pdf",), "build build/<deck>.pdf"),
    "all": (("html", "pdf"), "build HTML and PDF"),
    "export": (("html", "pdf", "pptx", "handout"), "build everything that travels: HTML, PDF, PPTX (notes included) and <deck>-handout.pdf"),
    "present": (None, "serve the deck live: Temporal dev server, demo workers, rebuild on save, demos run from their slides"),
    "rehearse": (None, "run every demo once live, as present mode would, and report each one's time and outcome"),
    "questions": (None, "after the talk: the room's questions (share mode) as Markdown, to build/<deck>-questions.md"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build the Temporal talk: templated Markdown -> Mermaid diagrams -> Marp HTML and PDF.",
        epilog="Outputs go to build/<deck>.{md,html,pdf} (export: also .pptx and -handout.pdf); an unchanged deck is not rebuilt.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--deck", action="append", metavar="NAME", help="deck to build (a folder of slides/); repeatable; default: every deck")
    common.add_argument("--browser", metavar="PATH", help="Chromium/Chrome to use (default: $CHROME_PATH, then PATH, then Playwright's)")
    common.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)  # tests build copies of the project
    common.add_argument("--build-dir", type=Path, help="output folder (default: <project>/build)")
    common.add_argument("--node-modules", type=Path, help=argparse.SUPPRESS)
    common.add_argument("--refresh-demos", action="store_true", help="re-run every demo even if its capture is current")
    common.add_argument("--keep-going", action="store_true", help="a failing demo or a diagram Mermaid refuses shows its error on the slide instead of failing the build")
    common.add_argument("--no-demos", action="store_true", help="use the committed captures as they are; never start Temporal")
    common.add_argument("--demo", action="append", metavar="NAME", help="with `demos`: only this demo (repeatable)")
    common.add_argument("--demos-dir", type=Path, help=argparse.SUPPRESS)  # tests capture into a copy
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        if name == "present":
            command.add_argument("--port", type=int, default=None, help="port of the deck on 127.0.0.1 (default 8090)")
            command.add_argument("--no-temporal", action="store_true", help="serve and rebuild the deck only: no Temporal server, no workers")
            command.add_argument("--share", action="store_true", help="the audience follows on its own devices: the deck's port also listens on --bind")
            command.add_argument("--bind", default="0.0.0.0", metavar="ADDR", help="with --share: the address the deck's port listens on (default 0.0.0.0)")
            command.add_argument("--max-devices", type=int, default=1000, metavar="N", help="with --share: at most N audience devices at once (default 1000)")
        if name == "questions":
            command.add_argument("--out", metavar="FILE", help="where to write the Markdown (default build/<deck>-questions.md; - prints it)")
            command.add_argument("--address", metavar="HOST:PORT", help="the Temporal server with the board (default: $TEMPORAL_ADDRESS, else .temporal/present.sqlite)")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> Config:
    root = args.root.resolve()
    return Config(
        root=root,
        build_dir=(args.build_dir or root / "build").resolve(),
        node_modules=(args.node_modules or REPO_ROOT / "node_modules").resolve(),
        browser=args.browser,
        demos_dir=(args.demos_dir or REPO_ROOT / "demos").resolve(),
    )


def _committed_captures(cfg: Config) -> demos.DemoCaptures:
    names = demos.demo_names(cfg)
    return demos.DemoCaptures({n: c for n in names if (c := demos.load_capture(cfg, n))}, names)


def _demos_command(cfg: Config, args: argparse.Namespace) -> None:
    """`build.py demos`: every stale demo (or --demo NAME), no deck."""
    run = pipeline.run_demos(cfg, args.demo, refresh=args.refresh_demos, keep_going=args.keep_going)
    if run.ran:
        failed = [n for n in run.ran if run.captures[n].get("failed")]
        print(f"demos: ran {', '.join(run.ran)} in {run.seconds:.1f} s" + (f" (FAILED: {', '.join(failed)})" if failed else ""))
    else:
        print(f"demos: {len(run.captures)} captures up to date")


class _SharedMarp:
    """One warm marp for every deck a CLI run reads and converts to HTML (started on first use: a
    cached deck needs none)."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.marp = None

    def _get(self):
        if self.marp is None:
            from deckbuild.present.marp_warm import WarmMarp

            self.marp = WarmMarp(self.cfg, self.cfg.cache_dir / "directives" / "marp.log")
        return self.marp

    def deck(self, *args, **kwargs) -> dict:
        return self._get().deck(*args, **kwargs)

    def convert(self, *args) -> float:
        return self._get().convert(*args)

    def close(self) -> None:
        if self.marp is not None:
            self.marp.close()


def _prepare_with_demos(cfg: Config, args: argparse.Namespace, name: str, marp: _SharedMarp) -> pipeline.Prepared:
    """Render with the committed captures; then run the demos this deck shows whose capture is
    stale (only those: a deck without demo slides never starts Temporal), and render again if any ran."""
    captures = _committed_captures(cfg)
    prepared = pipeline.prepare(cfg, name, {"demos": captures}, keep_going=args.keep_going, marp=marp)
    used = [n for n in prepared.demos if n in captures.known]
    if args.no_demos or not used:
        return prepared
    run = pipeline.run_demos(cfg, used, refresh=args.refresh_demos, keep_going=args.keep_going)
    if not run.ran:
        return prepared
    failed = [n for n in run.ran if run.captures[n].get("failed")]
    print(f"demos: ran {', '.join(run.ran)} in {run.seconds:.1f} s" + (f" (FAILED: {', '.join(failed)})" if failed else ""))
    captures.update(run.captures)
    return pipeline.prepare(cfg, name, {"demos": captures}, keep_going=args.keep_going, warn=lambda line: None, marp=marp)  # warned once


def _present(cfg: Config, args: argparse.Namespace) -> int:
    from deckbuild.present.session import DEFAULT_PORT, run_present

    decks = args.deck or ["talk"]
    if len(decks) != 1:
        raise BuildError("present serves one deck at a time: pass a single --deck NAME")
    from deckbuild.present.session import Share

    share = Share(args.bind, args.max_devices) if args.share else None
    return run_present(cfg, decks[0], args.port or DEFAULT_PORT, with_temporal=not args.no_temporal, share=share)


def _rehearse(cfg: Config, args: argparse.Namespace) -> int:
    from deckbuild.present.rehearse import rehearse

    return rehearse(cfg, args.demo)


def _questions(cfg: Config, args: argparse.Namespace) -> int:
    from deckbuild.questions_export import export_questions

    decks = args.deck or ["talk"]
    if len(decks) != 1:
        raise BuildError("questions exports one talk at a time: pass a single --deck NAME")
    return export_questions(cfg, decks[0], out=args.out, address=args.address)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = config_from_args(args)
    formats = COMMANDS[args.command][0]
    try:
        if args.command == "present":
            return _present(cfg, args)
        if args.command == "rehearse":
            return _rehearse(cfg, args)
        if args.command == "questions":
            return _questions(cfg, args)
        if args.command == "demos":
            _demos_command(cfg, args)
            return 0
        decks = args.deck or cfg.deck_names()
        if not decks:
            raise BuildError(f"no decks found: expected folders of Markdown (or a deck.toml) under {cfg.slides_dir}")
        marp = _SharedMarp(cfg)
        try:
            for name in decks:
                started = time.perf_counter()
                prepared = _prepare_with_demos(cfg, args, name, marp)
                outputs = export.export(cfg, prepared.deck, prepared.markdown, formats, prepared.read, warm=marp)
                parts = [f"{o.path.relative_to(cfg.build_dir.parent) if o.path.is_relative_to(cfg.build_dir.parent) else o.path}"
                         f" ({'built' if o.rebuilt else 'up to date'})" for o in outputs]
                md = cfg.build_dir / f"{name}.md"
                print(f"{name}: {', '.join(parts) or md} in {time.perf_counter() - started:.2f} s", flush=True)
        finally:
            marp.close()
    except BuildError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return int(err.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
