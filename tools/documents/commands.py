"""``iiot-assistant index ...``: add, list, remove, search and rebuild the document index (a typer sub-app).

Owns only the command-line surface; the work is in :mod:`tools.documents.index` and :mod:`tools.documents.search`.
Settings come from the root command's ``--config`` (or ``IIOT_CONFIG``) and ``IIOT_*`` variables. Exit codes:
0 all well; 1 some files failed while the rest went in; 2 bad input; 3 Chroma server unreachable; 5 model missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.config import Settings, SettingsError, load_settings
from assistant.errors import OperatorError

index_app = typer.Typer(no_args_is_help=True, help="The document index: manuals, procedures and logs.")


def _settings(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    config = root.params.get("config") if root is not ctx else None
    try:
        return load_settings(config).settings
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _fail(exc: OperatorError) -> None:
    typer.echo(f"error: {exc.message}", err=True)
    raise typer.Exit(exc.exit_code)


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        data = report.model_dump()
        data.update(chunks=report.chunks, pages=report.pages)
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for f in report.files:
            if f.status == "error" or f.status == "missing":
                typer.echo(f"error: {f.error}", err=True)
            elif f.status != "unchanged":
                typer.echo(f"{f.status:<9} {f.path}  ({f.chunks} chunks, {f.doc_type})")
        unchanged = sum(1 for f in report.files if f.status == "unchanged")
        typer.echo(
            f"{report.chunks} chunks from {sum(1 for f in report.files if f.status in ('added', 'updated'))} files "
            f"in {report.seconds:.1f} s; {unchanged} unchanged; {len([f for f in report.files if f.error])} failed",
            err=True,
        )
    if any(f.error for f in report.files):
        raise typer.Exit(1)


@index_app.command("add")
def add(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="files or folders (PDF, Markdown, HTML, text, DOCX, CSV, JSON)")],
    doc_type: Annotated[str | None, typer.Option("--type", help="document type for all these files")] = None,
    force: Annotated[bool, typer.Option("--force", help="re-embed even unchanged files")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Ingest files and folders; unchanged files are skipped, changed files replaced."""
    from tools.documents.index import open_index
    from tools.documents.parsers import DOC_TYPES

    if doc_type and doc_type not in DOC_TYPES:
        typer.echo(f"error: unknown document type '{doc_type}' (one of: {', '.join(DOC_TYPES)})", err=True)
        raise typer.Exit(2)
    try:
        report = open_index(_settings(ctx)).add(paths, doc_type=doc_type, force=force)
    except OperatorError as exc:
        _fail(exc)
        return
    _print_report(report, as_json)


@index_app.command("list")
def list_documents(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the indexed documents."""
    from tools.documents.index import open_index

    try:
        idx = open_index(_settings(ctx))
        docs = idx.documents()
    except OperatorError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps([d.model_dump() for d in docs], ensure_ascii=False, indent=2))
        return
    for d in docs:
        typer.echo(f"{d.name:<40} {d.doc_type:<16} {d.language or '-':<3} {d.chunks:>5} chunks  {d.source}")
    typer.echo(f"{len(docs)} documents, {idx.count()} chunks in {idx.location}", err=True)


@index_app.command("remove")
def remove(
    ctx: typer.Context,
    targets: Annotated[list[str], typer.Argument(help="paths, folders, file names or document ids")],
) -> None:
    """Remove documents from the index."""
    from tools.documents.index import open_index

    try:
        results = open_index(_settings(ctx)).remove(targets)
    except OperatorError as exc:
        _fail(exc)
        return
    for r in results:
        if r.error:
            typer.echo(f"error: {r.error}", err=True)
        else:
            typer.echo(f"removed   {r.path}  ({r.chunks} chunks)")
    if any(r.error for r in results):
        raise typer.Exit(1)


@index_app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="the question or code, in any language")],
    asset: Annotated[str | None, typer.Option("--asset", help="only passages about this asset")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="only this document type")] = None,
    k: Annotated[int | None, typer.Option("-k", help="number of passages")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the index and print passages with their citations."""
    from tools.documents.search import search_documents

    try:
        result = search_documents(_settings(ctx), query, asset=asset, doc_type=doc_type, k=k)
    except OperatorError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    for i, p in enumerate(result.passages, start=1):
        flag = "  [!] reads like instructions (quoted data only)" if p.suspicious else ""
        typer.echo(f"[{i}] {p.citation.source} — {p.citation.locator}  (score {p.score:.4f}){flag}")
        typer.echo("    " + p.text.replace("\n", "\n    "))
    if not result.passages:
        typer.echo("no passages found", err=True)


@index_app.command("rebuild")
def rebuild(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Drop the index and ingest every known document again (e.g. after changing knowledge.embedding)."""
    from tools.documents.index import rebuild_index

    try:
        report = rebuild_index(_settings(ctx))
    except OperatorError as exc:
        _fail(exc)
        return
    _print_report(report, as_json)
