"""The `pipeline` command: parse options, call one library function, render, map to an exit code."""

from __future__ import annotations

import contextlib
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import click

from pipeline import __version__

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
UNCHANGED = "前回から変更がないため、出力はそのままです（すべて読み直すには --no-cache）。"

_HEADINGS = {"Options": "オプション", "Commands": "コマンド", "Arguments": "引数"}
INTERRUPTED = "中断しました。書きかけの出力は残していません（前回の出力はそのままです）。"


class _JapaneseHelp(click.HelpFormatter):
    """Help output with Japanese headings."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="使い方: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_HEADINGS.get(heading, heading))


class _Context(click.Context):
    formatter_class = _JapaneseHelp


CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def _help_option(command: Any) -> Any:
    return click.help_option("-h", "--help", help="この説明を表示して終了します。")(command)


click.Command.context_class = _Context


def safe_console() -> None:
    """Make stdout and stderr replace what their encoding cannot show (cp932 on Japanese Windows, a redirected
    console, a Task Scheduler log) instead of failing: output never stops a run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


@contextlib.contextmanager
def _interrupts() -> Iterator[None]:
    """Ctrl-C, Ctrl-Break and SIGTERM all unwind the run as KeyboardInterrupt (each step's cleanup runs: workers
    stopped, staging discarded); a second signal during that cleanup is ignored rather than cutting it short."""
    names = [n for n in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, n)]
    previous: dict[int, Any] = {}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    try:
        for name in names:
            sig = getattr(signal, name)
            previous[sig] = signal.signal(sig, interrupt)
    except ValueError:  # not the main thread: leave signals as they are
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(sig, handler)


def _quoted(message: str, *, first: bool = False) -> str:
    """The quoted value in one of click's English messages (a path may hold quotes: widest match unless ``first``)."""
    match = re.search(r"'(.*?)'" if first else r"'(.*)'", message)
    return match.group(1) if match else ""


def _hint(exc: click.ClickException) -> str:
    """The option or argument an error is about, as the user typed it (``--year``, ``FILES...``)."""
    param = getattr(exc, "param", None)
    if param is None:
        return ""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    ctx = getattr(exc, "ctx", None)
    return param.make_metavar(ctx) if ctx is not None else (param.name or "").upper()


def usage_message(exc: click.ClickException) -> str:
    """click's own usage errors (missing argument, no such command or option, a bad value) in Japanese."""
    from click import exceptions as e

    def suggest(possibilities: Sequence[str] | None) -> str:
        return f"（もしかして: {'、'.join(possibilities)}）" if possibilities else ""

    if isinstance(exc, e.NoSuchCommand):
        return f"コマンド「{exc.command_name}」はありません{suggest(exc.possibilities)}。使えるコマンド: template、validate、merge"
    if isinstance(exc, e.NoSuchOption):
        return f"オプション「{exc.option_name}」はありません{suggest(exc.possibilities)}。"
    if isinstance(exc, e.MissingParameter):
        if getattr(exc, "param_type", None) == "argument" or isinstance(exc.param, click.Argument):
            return f"引数 {_hint(exc)} を指定してください。"
        return f"オプション {_hint(exc)} を指定してください。"
    if isinstance(exc, e.BadOptionUsage) and "requires" in exc.message:
        return f"オプション「{exc.option_name}」には値を指定してください。"
    if isinstance(exc, e.BadParameter):
        param, message = exc.param, exc.message
        if param is not None and isinstance(param.type, click.Choice):
            choices = "、".join(str(c) for c in param.type.choices)
            return f"{_hint(exc)} の値「{_quoted(message, first=True)}」は使えません。{choices} のいずれかを指定してください。"
        if "is a directory" in message:
            return f"{_hint(exc)} にはファイルを指定してください（{_quoted(message)} はフォルダです）。"
        if "is a file" in message:
            return f"{_hint(exc)} にはフォルダを指定してください（{_quoted(message)} はファイルです）。"
        if "does not exist" in message:
            return f"{_hint(exc)} の {_quoted(message)} が見つかりません。"
        return f"{_hint(exc)} の値が正しくありません（{message}）。"
    if exc.message.startswith("Got unexpected extra argument"):
        extra = exc.message[exc.message.find("(") + 1 : exc.message.rfind(")")]
        return f"余分な引数があります: {extra}"
    if exc.message == "Missing command.":
        return "コマンドを指定してください。使えるコマンド: template、validate、merge"
    return exc.format_message()


def _show_usage_error(exc: click.ClickException) -> None:
    from click import exceptions as e

    if isinstance(exc, e.NoArgsIsHelpError):  # `pipeline` alone: the help, as click shows it
        exc.show()
        return
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        click.echo(f"詳しくは「{ctx.command_path} --help」で説明を表示できます。", err=True)
    click.echo(f"エラー: {usage_message(exc) if isinstance(exc, click.UsageError) else exc.format_message()}", err=True)


class _Pipeline(click.Group):
    """The command group: Japanese usage errors, console output that cannot fail, interrupts as exit 130."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        safe_console()
        try:
            with _interrupts():
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            _show_usage_error(exc)
            code = exc.exit_code
        except (click.Abort, KeyboardInterrupt):
            click.echo(INTERRUPTED, err=True)
            code = EXIT_INTERRUPTED
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=_Pipeline, context_settings=CONTEXT)
@_help_option
@click.version_option(
    __version__,
    "--version",
    "-V",
    prog_name="pipeline",
    message="%(prog)s %(version)s",
    help="バージョンを表示して終了します。",
)
@click.option("--debug", is_flag=True, help="予期しないエラーのときにトレースバックを表示します（開発者向け）。")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """工程表 pipeline: 所属の工程表（Excel）を検証し、全庁の表・幹部向け集約ブック・目標未達の要約を作ります。

    \b
    pipeline template   標準テンプレートを書き出す
    pipeline validate   工程表ファイルを検証する（提出前の自己点検）
    pipeline merge      受付フォルダの工程表を検証・集約して outbox に出力する
    pipeline prefill    履歴から次の年度・評価時点の工程表（記入済みの下書き）を作る
    """
    ctx.obj = {"debug": debug}


@main.command(context_settings=CONTEXT)
@_help_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="書き出すファイル（既定: templates/工程表テンプレート_v1.xlsx）。",
)
@click.option("--force", is_flag=True, help="入力済みの工程表であっても上書きする。")
@click.pass_context
def template(ctx: click.Context, output: Path | None, force: bool) -> None:
    """標準の工程表テンプレート（.xlsx）を書き出します。"""
    from pipeline.api import write_template
    from pipeline.constants import DEFAULT_TEMPLATE

    path = _guard(ctx, lambda: write_template(output or DEFAULT_TEMPLATE, force=force))
    click.echo(f"テンプレートを書き出しました: {path}")


@main.command(context_settings=CONTEXT)
@_help_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="出力形式（既定: text）。json は機械処理用（ファイルごとの判定・指摘・読み取った記録）。",
)
@click.option(
    "--divisions",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="所属名簿（CSV/XLSX: 所属コード, 部局名, 所属名）。指定すると名簿にない所属をエラーにします。",
)
@click.option(
    "--annotate",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="指摘のあるファイルについて、該当セルに色とコメントを付け、先頭に「確認結果」シートを加えたコピーをこのフォルダに書き出します。",
)
@click.option("--strict", is_flag=True, help="誤った値（エラー）のあるファイルも不受理とする（年度末の最終集約用）。")
@click.option(
    "--force", is_flag=True, help="--annotate の書き出し先にある入力済みの工程表を上書きしてよい場合に付けます。"
)
@click.pass_context
def validate(
    ctx: click.Context,
    files: tuple[Path, ...],
    fmt: str,
    divisions: Path | None,
    annotate: Path | None,
    strict: bool,
    force: bool,
) -> None:
    """工程表ファイルを検証し、ファイルごとの扱い（受理・受理（要修正）・不受理）とセルごとの指摘を表示します。
    フォルダを指定すると、その中の工程表をすべて検証します。

    終了コード: 0 すべて受理、1 不受理または要修正のファイルあり、2 使い方の誤り。
    """
    from pipeline.api import start_workers

    start_workers()  # the workers' fork server loads the readers while this process loads the rest
    from pipeline import api
    from pipeline.intake.discover import workbooks_in
    from pipeline.outputs import report

    _require_files(ctx, list(files), folders=True)
    _require_files(ctx, [divisions] if divisions else [])
    master = _load_master(divisions) if divisions else None
    paths = _guard(ctx, lambda: workbooks_in(list(files)))
    results = _guard(ctx, lambda: api.validate_files(paths, master=master, annotate_dir=annotate, force=force))
    text = report.render_json(results, strict=strict) if fmt == "json" else report.render_text(results, strict=strict)
    click.echo(text)
    ctx.exit(EXIT_OK if all(report.status_of(r, strict=strict) == "accepted" for r in results) else EXIT_REJECTED)


@main.command(context_settings=CONTEXT)
@_help_option
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="工程表の受付フォルダ（既定: inbox）。サブフォルダも読みます。",
)
@click.option(
    "--outbox", type=click.Path(file_okay=False, path_type=Path), default=None, help="出力フォルダ（既定: outbox）。"
)
@click.option(
    "--divisions",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="所属名簿（CSV/XLSX: 所属コード, 部局名, 所属名）。未提出の所属を一覧にします。",
)
@click.option("--year", default=None, help="集計する年度（例: 2015、H27、R7）。既定: 受付フォルダで最も多い年度。")
@click.option("--stage", default=None, help="集計する評価時点（当初・中間・最終）。既定: 最も多い評価時点。")
@click.option(
    "--history",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="年度をまたぐ履歴の保存先（Parquet）。前年度と比べた継続性の確認と指標の推移も出力します。",
)
@click.option(
    "--no-history", is_flag=True, help="試しの実行: 履歴と比べず、記録もしません（設定ファイルの history も無視）。"
)
@click.option(
    "--lineage",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="所属の改称・統合・分割の表（lineage.csv: 年度, 旧所属コード, 旧部局名, 旧所属名, 新所属コード, 新部局名, 新所属名, 種別）。",
)
@click.option(
    "--renames",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="指標名の変更の表（indicator_renames.csv: 年度, 所属, 旧指標名, 新指標名）。",
)
@click.option(
    "--strict",
    is_flag=True,
    default=None,
    help="誤った値（エラー）のあるファイルも不受理とする（年度末の最終集約用。設定ファイルの strict = true と同じ）。",
)
@click.option("--dry-run", is_flag=True, help="検証して集計対象を表示するだけで、何も書き出しません。")
@click.option(
    "--no-cache",
    is_flag=True,
    help="前回の結果を使わず、すべてのファイルを読み直します（出力先の .pipeline-cache/ も作り直します）。",
)
@click.option("--timings", is_flag=True, help="段階ごとの処理時間（準備・検証・集約・出力）を標準エラーに表示します。")
@click.option(
    "--pdf",
    is_flag=True,
    help="集約ブックを印刷用の consolidated.pdf にも書き出します（LibreOffice が必要。ない場合は PDF なしで集約します）。",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="設定ファイル（既定: 作業フォルダの pipeline.toml があれば使う）。",
)
@click.pass_context
def merge(
    ctx: click.Context,
    inbox: Path | None,
    outbox: Path | None,
    divisions: Path | None,
    year: str | None,
    stage: str | None,
    history: Path | None,
    no_history: bool,
    lineage: Path | None,
    renames: Path | None,
    strict: bool | None,
    dry_run: bool,
    no_cache: bool,
    timings: bool,
    pdf: bool,
    config: Path | None,
) -> None:
    """受付フォルダの工程表をすべて検証し、受理したものを集約して出力します。

    \b
    同じ出力先への再実行では、前回から変わっていないファイルの検証結果を再利用します（出力先の .pipeline-cache/）。
    何も変わっていなければ、出力はそのままにして前回の結果を表示します。

    \b
    出力（outbox）: consolidated.xlsx（幹部向け集約ブック）、behind_target.md（目標未達の要約）、
    summary.json（機械処理用の集計）、tables/（各表の Parquet と CSV）。
    終了コード: 0 すべて受理、1 出力したが不受理のファイルあり、2 何もできなかった（使い方の誤りなど）。
    """
    from pipeline.api import start_workers

    start_workers()  # the workers' fork server loads the readers while this process loads the rest
    from dataclasses import replace

    from pipeline import api
    from pipeline.config import load_settings, parse_stage_option, parse_year_option
    from pipeline.outputs import report

    def settings() -> Any:
        chosen = load_settings(
            config,
            inbox=inbox,
            outbox=outbox,
            divisions=divisions,
            fiscal_year=parse_year_option(year) if year else None,
            stage=parse_stage_option(stage) if stage else None,
            pdf=True if pdf else None,
            history=history,
            lineage=lineage,
            renames=renames,
            strict=strict or None,
        )
        return replace(chosen, history=None) if no_history else chosen

    _require_files(ctx, [p for p in (divisions, lineage, renames) if p])
    chosen = _guard(ctx, settings)
    bar: Any = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=1, label="検証中", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.length = total
            bar.update(done - bar.pos)

    try:
        run = _guard(ctx, lambda: api.merge_inbox(chosen, dry_run=dry_run, progress=progress, use_cache=not no_cache))
    finally:
        if bar is not None:
            bar.render_finish()
    if run.unchanged:
        click.echo(UNCHANGED, err=True)
        click.echo(run.unchanged)
    else:
        click.echo(report.render_merge(run))
    for notice in run.notices:
        click.echo(f"注意: {notice}", err=True)
    if timings:
        click.echo(report.render_timings(run.timings), err=True)
    fates = run.result.fates
    troubled = sum(fates.get(fate, 0) for fate in ("rejected", "needs-correction", "unsupported"))
    ctx.exit(EXIT_REJECTED if troubled else EXIT_OK)


@main.command(context_settings=CONTEXT)
@_help_option
@click.option(
    "--history",
    "history_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="履歴フォルダ（pipeline merge --history で記録したもの）。",
)
@click.option("--year", required=True, help="作る工程表の年度（例: H29、2017、R7）。")
@click.option("--stage", default="当初", show_default=True, help="作る工程表の評価時点（当初・中間・最終）。")
@click.option(
    "--outdir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="書き出すフォルダ。<出力先>/<部局名>/<所属名>.xlsx に書き出します。",
)
@click.option(
    "--lineage",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="所属の改称・統合・分割・移管の表（lineage.csv）。指定すると現在の所属名で作ります。",
)
@click.option(
    "--renames",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="指標名の変更の表（indicator_renames.csv）。指定すると新しい指標名で作ります。",
)
@click.option(
    "--force",
    is_flag=True,
    help="出力先の、prefill が書き出していないファイルや編集されたファイルも上書き・削除します。",
)
@click.pass_context
def prefill(
    ctx: click.Context,
    history_dir: Path,
    year: str,
    stage: str,
    outdir: Path,
    lineage: Path | None,
    renames: Path | None,
    force: bool,
) -> None:
    """履歴から、次の年度または次の評価時点の工程表を所属ごとに作ります（記入済みの下書き）。

    各所属の最新の記録から、組織ミッション・政策・測定指標・主要事業を引き継ぎます。次の年度の工程表では、
    年度当初値に前年度の実績値とその時点を入れ、基準値・長期的目標値を引き継ぎ、今年度目標値・今年度実績値・
    予算額・取組と成果・課題・評価を空欄にします。同じ年度の次の評価時点（当初→中間→最終）の工程表では、
    内容をすべて引き継ぎ、今年度実績値と評価（進捗評価・達成度・評価理由）だけを空欄にします。

    --lineage の改称・統合・分割・移管を反映し、現在の所属名で <出力先>/<部局名>/<所属名>.xlsx に書き出します。
    出力先にある、以前の prefill が書き出していないファイルや、書き出した後に編集されたファイルは上書きしません。

    \b
    例: pipeline prefill --history history --lineage lineage.csv --year H29 --outdir prefill/
    終了コード: 0 書き出した、2 何もできなかった（履歴がない、使い方の誤りなど）。
    """
    from pipeline.config import parse_stage_option, parse_year_option
    from pipeline.history.prefill import prefill as prefill_workbooks
    from pipeline.history.years import read_maps

    _require_files(ctx, [p for p in (lineage, renames) if p])

    def run_prefill() -> Any:
        maps = read_maps(lineage, renames)
        return prefill_workbooks(
            history_dir,
            fiscal_year=parse_year_option(year),
            stage=parse_stage_option(stage),
            lineage=maps[0],
            renames=maps[1],
            outdir=outdir,
            force=force,
        )

    done = _guard(ctx, run_prefill)
    for line in done.lines():
        click.echo(line)
    ctx.exit(EXIT_OK)


def _require_files(ctx: click.Context, paths: list[Path], *, folders: bool = False) -> None:
    """Stop with exit code 2 and a Japanese message when a named file (or, with ``folders``, folder) is missing."""
    from pipeline.outputs.report import printable

    missing = [p for p in paths if not (p.is_file() or (folders and p.is_dir()))]
    for path in missing:
        if path.is_dir():
            click.echo(f"エラー: {printable(str(path))} はフォルダです。ファイルを指定してください。", err=True)
        else:
            click.echo(f"エラー: ファイル {printable(str(path))} が見つかりません。パスを確認してください。", err=True)
    if missing:
        ctx.exit(EXIT_USAGE)


def _load_master(path: Path) -> Any:
    from pipeline.intake.roster import MasterError, load_master

    try:
        return load_master(path)
    except MasterError as exc:
        raise click.UsageError(str(exc)) from exc


def _guard(ctx: click.Context, call: Any) -> Any:
    """Run a library call; an unexpected failure becomes a message and exit code 2, not a traceback."""
    from pipeline.errors import PipelineError

    try:
        return call()
    except PipelineError as exc:
        click.echo(f"エラー: {exc}", err=True)
        ctx.exit(EXIT_USAGE)
    except Exception as exc:
        if ctx.find_root().obj and ctx.find_root().obj.get("debug"):
            raise
        click.echo(f"エラー: 予期しない問題で処理を続けられませんでした（{type(exc).__name__}: {exc}）。", err=True)
        click.echo("詳細は --debug を付けて実行すると表示されます。", err=True)
        ctx.exit(EXIT_USAGE)


def run() -> None:
    """Entry point that keeps usage errors at exit code 2 and never shows a traceback for them."""
    main.main(standalone_mode=True)
