"""The ``letopis`` command: a thin click layer over the ``extract`` and ``index`` libraries."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


EXIT_SOME_FAILED = 3
"""``letopis build`` finished, and some files are in ``failures``."""


@click.group()
@click.version_option(package_name="letopis")
def main() -> None:
    """letopis: extract, index and serve archived Bulgarian municipal documents."""


def _iter_paths(paths: tuple[str, ...]):
    from index.build import iter_files

    for raw in paths:
        yield from iter_files(Path(raw))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "output_format", type=click.Choice(["json", "jsonl"]), default="json",
              help="json: an indented object per document; jsonl: one object per line.")
@click.option("--no-text", is_flag=True, help="Leave the document text out of the output.")
def extract(paths: tuple[str, ...], output_format: str, no_text: bool) -> None:
    """Extract records from files (or directories) and print them, one object per document."""
    from extract import ReadError, extract_file

    failed = 0
    for path in _iter_paths(paths):
        try:
            record = extract_file(path)
        except ReadError as error:
            failed += 1
            click.echo(f"{path}: {error}", err=True)
            continue
        except Exception as error:  # one bad file must not stop the others
            failed += 1
            click.echo(f"{path}: extraction failed ({type(error).__name__}: {error})", err=True)
            continue
        if no_text:
            record.pop("text", None)
        indent = None if output_format == "jsonl" else 2
        click.echo(json.dumps(record, ensure_ascii=False, indent=indent))
    if failed:
        sys.exit(1)


@main.command()
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--db", "db_path", default="letopis.db", show_default=True, type=click.Path(dir_okay=False),
              help="The SQLite database to create or update.")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False),
              help="manifest.csv with source URLs (default: one next to or above the corpus directory).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Worker processes that extract [default: every core]; 0 extracts in this process, without limits.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Extract on this Dask distributed scheduler instead of local processes.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="Time one document may take before it is stopped and recorded as failed [default: 300].")
@click.option("--memory-limit", "memory_limit_mb", type=click.IntRange(min=64), default=None, metavar="MB",
              help="Memory one document may add to a worker before it is stopped [default: 2048].")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def build(corpus: tuple[str, ...], db_path: str, manifest: str | None, workers: int | None, scheduler: str | None,
          time_limit: float | None, memory_limit_mb: int | None, quiet: bool) -> None:
    """Extract every file under CORPUS and load the records into the database (incremental).

    Exits with status 3 when the build finished but some file failed (the others are indexed;
    see the failures table), 1 on an error that stopped the build.
    """
    from index.build import build as build_database
    from index.workers import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT, default_workers

    if scheduler and not scheduler.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise click.BadParameter("give the scheduler's address, e.g. tcp://10.0.0.5:8786", param_hint="--scheduler")
    report = build_database([Path(p) for p in corpus], Path(db_path),
                            manifest=Path(manifest) if manifest else None, progress=not quiet,
                            workers=default_workers() if workers is None else workers, scheduler=scheduler,
                            time_limit=time_limit or DEFAULT_TIME_LIMIT,
                            memory_limit_mb=memory_limit_mb or DEFAULT_MEMORY_LIMIT_MB)
    click.echo(report.summary())
    click.echo(report.timing(), err=True)
    if report.resolved and not quiet:
        click.echo(f"resolved {report.resolved['persons']} persons, {report.resolved['organizations']} organisations, "
                   f"{report.resolved['projects']} projects; {report.flags} consistency flags", err=True)
    for failure in report.failures:
        click.echo(f"  failed: {failure.path}: {failure.reason}", err=True)
    if report.failed:
        sys.exit(EXIT_SOME_FAILED)


@main.command()
@click.argument("db_path", default="letopis.db", type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False), help="Another metadata.yml.")
def serve(db_path: str, host: str, port: int, metadata: str | None) -> None:
    """Serve the database with Datasette and metadata.yml (read-only)."""
    from index.serve import serve as serve_database

    try:
        serve_database(Path(db_path), host, port, Path(metadata) if metadata else None)
    except FileNotFoundError as error:
        raise click.ClickException(f"{error}. Run `letopis build` first.") from error


@main.command()
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--only", help="Only gold files whose name matches this glob, e.g. '00?_*'.")
@click.option("--splits", "splits_path", type=click.Path(dir_okay=False),
              help="splits.json naming evaluation splits (default: splits.json beside GOLD_DIR).")
@click.option("--errors", "show_errors", is_flag=True, help="List every mismatch per document.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate(gold_dir: str, corpus: tuple[str, ...], only: str | None, splits_path: str | None,
             show_errors: bool, as_json: bool) -> None:
    """Precision, recall and F1 per field against gold files (GOLD_FORMAT.md), overall and per split."""
    from extract import extract_file
    from extract.evaluate import evaluate as run_evaluation
    from extract.evaluate import format_table, in_split, load_splits, totals_of

    totals, documents, problems = run_evaluation(Path(gold_dir), [Path(c) for c in corpus], extract_file, only)
    splits = load_splits(Path(splits_path) if splits_path else Path(gold_dir).parent / "splits.json")
    tables = {"all": totals}
    for name, patterns in splits.items():
        members = {Path(d.name).stem for d in documents if in_split(Path(d.name).stem, patterns)}
        if members:
            tables[name] = totals_of(documents, members)
    if as_json:
        click.echo(json.dumps({table: {key: {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": round(c.precision, 4),
                                             "recall": round(c.recall, 4), "f1": round(c.f1, 4)}
                                       for key, c in counts.items()} for table, counts in tables.items()}, indent=2))
    else:
        for name, counts in tables.items():
            size = len(documents) if name == "all" else sum(
                1 for d in documents if in_split(Path(d.name).stem, splits[name]))
            click.echo(format_table(counts, f"\n== {name}: {size} documents scored against {gold_dir}"))
    if show_errors:
        for score in documents:
            if score.errors:
                click.echo(f"\n{score.name}")
                for line in score.errors:
                    click.echo(f"  {line}")
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)


@main.command()
@click.argument("documents_dir", default="corpus/documents", type=click.Path(exists=True, file_okay=False))
@click.option("--manifest", "manifest_path", default="corpus/manifest.csv", show_default=True,
              type=click.Path(dir_okay=False))
@click.option("--gold", "gold_dir", default="corpus/gold", show_default=True, type=click.Path(file_okay=False))
def manifest(documents_dir: str, manifest_path: str, gold_dir: str) -> None:
    """Bring manifest.csv in step with the documents (sha256, new and removed files)."""
    from index.manifest import manifest_rows_for, write_manifest

    gold = Path(gold_dir) if Path(gold_dir).is_dir() else None
    rows = manifest_rows_for(Path(documents_dir), Path(manifest_path), gold)
    write_manifest(rows, Path(manifest_path))
    click.echo(f"{len(rows)} documents in {manifest_path}")


@main.command()
@click.argument("gold_dir", default="corpus/gold", type=click.Path(exists=True, file_okay=False))
@click.argument("corpus", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option("--split", "splits", multiple=True, default=("train", "dev"), show_default=True,
              help="Splits of splits.json to measure on (never the test split).")
def calibrate(gold_dir: str, corpus: tuple[str, ...], splits: tuple[str, ...]) -> None:
    """Measure each extraction method's precision and write models/confidence.json."""
    from extract.calibrate import CONFIDENCE_PATH, calibrate as run_calibration, write_table
    from extract.pipeline import extract_fields
    from extract.readers import read_document

    corpus_dirs = [Path(c) for c in corpus] or [Path(gold_dir).parent / "documents"]
    table = run_calibration(Path(gold_dir), corpus_dirs, lambda path: extract_fields(read_document(path)), list(splits))
    write_table(table, list(splits))
    for field, methods in table.items():
        for method, entry in methods.items():
            click.echo(f"{field:<14}{method:<22}{entry['n'] if entry['n'] is not None else '-':>6}  {entry['confidence']:.3f}")
    click.echo(f"written to {CONFIDENCE_PATH}")


@main.command("train-doctype")
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False), default="corpus/documents",
              show_default=True, help="Documents whose gold files give extra labelled examples.")
@click.option("--gold", "gold_dir", type=click.Path(exists=True, file_okay=False), default="corpus/gold", show_default=True)
def train_doctype(corpus_dir: str, gold_dir: str) -> None:
    """Retrain the document-type classifier and rewrite models/doctype/metrics.json."""
    from models.doctype.training import train_and_report

    report = train_and_report(Path(corpus_dir), Path(gold_dir))
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))




@main.command()
@click.option("--db", "db_path", default="letopis.db", show_default=True, type=click.Path(exists=True, dir_okay=False))
def resolve(db_path: str) -> None:
    """Re-run entity resolution and the consistency checks on a built database (build does this itself)."""
    import sqlite_utils

    from index.checks import run_checks
    from index.resolve import resolve as resolve_entities

    db = sqlite_utils.Database(db_path)
    counts = resolve_entities(db)
    flags = run_checks(db)
    click.echo(", ".join(f"{n} {table}" for table, n in counts.items()) + f"; {flags} flags")


@main.command("evaluate-resolution")
@click.argument("pairs_path", default="corpus/resolution/pairs.jsonl", type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "db_path", default="letopis.db", show_default=True, type=click.Path(exists=True, dir_okay=False),
              help="A database built from the corpus the pairs were labelled on.")
@click.option("--errors", is_flag=True, help="List every pair the resolver gets wrong.")
def evaluate_resolution(pairs_path: str, db_path: str, errors: bool) -> None:
    """Pairwise precision and recall of entity resolution against labelled mention pairs."""
    import sqlite_utils

    from index.pairs import format_scores, read_pairs, score_pairs, wrong_pairs

    db = sqlite_utils.Database(db_path)
    pairs = read_pairs(Path(pairs_path))
    click.echo(format_scores(score_pairs(db, pairs)))
    if errors:
        for pair, predicted in wrong_pairs(db, pairs):
            click.echo(f"{pair['kind']}: labelled {'same' if pair['same'] else 'different'}, resolved "
                       f"{predicted}: {pair['a']['text']} ({pair['a']['document']}) / "
                       f"{pair['b']['text']} ({pair['b']['document']})")


@main.command("pairs-candidates")
@click.option("--db", "db_path", default="letopis.db", show_default=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="JSON-lines file to write.")
@click.option("--people", default=300, show_default=True)
@click.option("--organizations", default=80, show_default=True)
@click.option("--projects", default=40, show_default=True)
@click.option("--seed", default=0, show_default=True)
def pairs_candidates(db_path: str, out_path: str, people: int, organizations: int, projects: int, seed: int) -> None:
    """Propose mention pairs to label for evaluate-resolution (the resolver's answers are not shown)."""
    import sqlite_utils

    from index.pairs import candidate_pairs

    pairs = candidate_pairs(sqlite_utils.Database(db_path),
                            {"person": people, "organization": organizations, "project": projects}, seed=seed)
    with open(out_path, "w", encoding="utf-8") as out:
        for pair in pairs:
            out.write(json.dumps(pair, ensure_ascii=False) + "\n")
    click.echo(f"{len(pairs)} pairs written to {out_path}; set \"same\" on each and append them to the pairs file.")


from index.fetch import fetch_command  # noqa: E402  (stdlib and click only, cheap to import)

main.add_command(fetch_command)


if __name__ == "__main__":
    main()
