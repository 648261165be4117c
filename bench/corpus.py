"""A deterministic corpus of synthetic journal articles (MODS 3.8), stored through the normal ingest path.

Record i depends only on (seed, i), so any number of processes can generate and validate slices of it.
A schedule of writes (bulk imports, daily deposits, deletions) gives datestamps over several years; the
bench sets the store's one clock reading to the schedule's time while it writes, and nothing else.
Used only by bench/; the provider never imports it.
"""
from __future__ import annotations

import bisect
import multiprocessing
import random
import sys
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator, Optional

from lxml import etree

from metadata.ingest import BATCH_SIZE
from metadata.formats import Site
from metadata.pipeline import Document, Pipeline
from metadata.namespaces import MODS_NS, XSI_NS
from metadata.record import Record
from metadata.validate import Validator

SEED = 2026
REPOSITORY_IDENTIFIER = "bench.example.org"
DATACITE_SYMBOL = "BENCH.REPO"
SCHEMA_LOCATION = f"{MODS_NS} http://www.loc.gov/standards/mods/v3/mods-3-8.xsd"
START = datetime(2019, 1, 1, tzinfo=timezone.utc)  # datestamps: seven years of a repository's life
END = datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
DELETED_SHARE = 0.03
BULK_CHANCE = 0.0012  # per write: with sizes below, about 40% of records arrive in bulk imports
CHUNK = 250  # records a worker generates and validates per task

WORDS = ("health policy cooperation solidarity medicine community primary care equity access reform "
         "surveillance epidemiology cohort trial outcomes mortality morbidity vaccination nutrition housing "
         "labour migration urban rural governance financing insurance workforce nursing hospital clinic "
         "prevention screening diagnosis chronic infectious disease mental wellbeing adolescents elderly "
         "women children indigenous minorities inequality poverty environment climate water sanitation "
         "análisis síntesis evaluación política sanitaria über Gesundheit naïve rôle coöperation façade "
         "São Paulo Zürich Kraków Bogotá Medellín Québec Île-de-France Åland Malmö Düsseldorf").split()
TOPICS = ("Public health;Social medicine;Primary health care;Health equity;Global health;Epidemiology;"
          "Health policy;Medical internationalism;South–South cooperation;Health systems;Vaccination;"
          "Maternal health;Child health;Mental health;Occupational health;Environmental health;Nutrition;"
          "Tuberculosis;HIV/AIDS;Malaria;COVID-19;Health financing;Universal health coverage;Nursing;"
          "Community health workers;Health workforce;Migration;Urban health;Rural health;Ageing;"
          "Indigenous health;Gender;Social determinants of health;Health inequalities;Health promotion;"
          "Salud pública;Medicina social;Atención primaria;Saúde coletiva;Santé publique;Gesundheitspolitik;"
          "Cuba;Venezuela;Brazil;México;Perú;Colombia;Bolivia;Chile;Argentina;Ecuador;Nicaragua;Haïti;"
          "Health cooperation;Solidarity;Human rights;Political economy;Neoliberalism;Welfare state;"
          "Pharmaceutical policy;Access to medicines;Health insurance;Hospital management;Telemedicine;"
          "Qualitative research;Cohort studies;Randomized controlled trials;Systematic review;Meta-analysis;"
          "公共卫生;医疗保险;地域保健").split(";")
JOURNALS = ("Global Public Health;Social Science & Medicine;International Journal of Health Services;"
            "Revista Panamericana de Salud Pública;Cadernos de Saúde Pública;Salud Colectiva;"
            "Gaceta Sanitaria;Revista Española de Salud Pública;Santé Publique;Critical Public Health;"
            "Journal of Public Health Policy;Health Policy and Planning;BMJ Global Health;The Lancet;"
            "American Journal of Public Health;Bulletin of the World Health Organization;Medicina Social;"
            "Ciência & Saúde Coletiva;Revista de Saúde Pública;Health Affairs;Journal of Epidemiology and "
            "Community Health;International Journal for Equity in Health;Globalization and Health;"
            "Sociology of Health & Illness;Health & Place;Milbank Quarterly;Public Health Reports;"
            "European Journal of Public Health;Scandinavian Journal of Public Health;Gesundheitswesen;"
            "Zeitschrift für Gesundheitswissenschaften;Revue d'Épidémiologie et de Santé Publique;"
            "Salud Pública de México;Revista Cubana de Salud Pública;Medicc Review;Development;"
            "Third World Quarterly;Latin American Perspectives;Journal of Latin American Studies;"
            "Dialectical Anthropology;Medical Anthropology;Health and Human Rights;Tropical Medicine & "
            "International Health;PLOS Medicine;BMC Public Health;Health Research Policy and Systems;"
            "Journal of Health Politics, Policy and Law;Int'l Journal of Social Determinants of Health;"
            "中国公共卫生;日本公衆衛生雑誌").split(";")
GIVEN = ("Anne Emanuelle;Carles;José;María;Zoë;Søren;Łukasz;François;Ngọc Anh;Wei;Yuki;Olúwaseun;Chiara;"
         "Jürgen;Ahmet;Ingrid;Raúl;Inês;Dolores;Kwame;Priya;Håkon;Renée;Tomás;Aigerim;Mateus;Siobhán").split(";")
FAMILY = ("Birn;Muntaner;García;Müller;Nakamura;Dvořák;Kowalski;Nguyễn;O'Brien;Smith;Øvergaard;Şahin;"
          "Zhang;Kim;Ferreira;Björk;Navarro;Pérez-Gómez;Mbeki;Iyer;Lefèvre;Sánchez;Ó Súilleabháin;Quispe;"
          "Rossi;Nowak;Abramovitz;Chung").split(";")
CJK_NAMES = (("美咲", "中村"), ("伟", "张"), ("智恩", "김"))
GENRES = (("journal article", "peer-reviewed"), ("journal article",), ("review article", "peer-reviewed"),
          ("editorial",), ("letter",), ("book review",), ("conference paper", "peer-reviewed"))
GENRE_WEIGHTS = (60, 12, 10, 6, 4, 4, 4)
LANGUAGES = ("eng",) * 8 + ("spa", "por", "fre", "ger", "chi")
SENTENCES = ("This article examines {a} and {b} in {p} between {y0}–{y1}.",
             "Drawing on {n} interviews, we trace how {a} shaped {b}.",
             "Results show that {a} reduced {b} by {k}% (95% CI {k0}–{k1}).",
             "We discuss the implications for {a}, {b} and the rôle of {p}.",
             "The analysis situates {a} within debates on {b} — a “South–South” perspective.",
             "Les résultats suggèrent que {a} dépend de {b}.")
CJK_SENTENCE = "本研究探讨了{p}的公共卫生政策与社会医学。"
PLACES = ("Cuba", "Venezuela", "Brazil", "México", "Perú", "Colombia", "Bolivia", "Chile", "Haïti", "Québec")


def local_id(index: int) -> str:
    return f"bench-{index:07d}"


def identifier(index: int) -> str:
    return f"oai:{REPOSITORY_IDENTIFIER}:{local_id(index)}"


def _words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def _abstract(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 9)):
        y0 = rng.randint(1960, 2015)
        k0 = rng.randint(1, 40)
        sentences.append(rng.choice(SENTENCES).format(
            a=_words(rng, 1, 4), b=_words(rng, 1, 4), p=rng.choice(PLACES), y0=y0,
            y1=y0 + rng.randint(1, 10), n=rng.randint(8, 120), k=k0 + 3, k0=k0, k1=k0 + 7))
    if rng.random() < 0.05:
        sentences.append(CJK_SENTENCE.format(p=rng.choice(PLACES)))
    return " ".join(sentences)


def _sub(parent: etree._Element, name: str, text: Optional[str] = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{MODS_NS}}}{name}", attrib)
    if text is not None:
        element.text = text
    return element


def mods(index: int, seed: int = SEED) -> etree._Element:
    """Article `index` of the corpus: the same element for the same (seed, index), on any machine."""
    rng = random.Random(seed * 10_000_019 + index)
    root = etree.Element(f"{{{MODS_NS}}}mods", {f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION,
                                                 "version": "3.8"}, nsmap={None: MODS_NS, "xsi": XSI_NS})
    title_info = _sub(root, "titleInfo")
    if rng.random() < 0.1:
        _sub(title_info, "nonSort", "The")
    title = _words(rng, 2, 22)
    _sub(title_info, "title", title[0].upper() + title[1:])
    if rng.random() < 0.35:
        _sub(title_info, "subTitle", _words(rng, 2, 10))
    for _ in range(rng.randint(1, 8)):
        name = _sub(root, "name", type="personal")
        given, family = rng.choice(CJK_NAMES) if rng.random() < 0.02 else (rng.choice(GIVEN), rng.choice(FAMILY))
        _sub(name, "namePart", given, type="given")
        _sub(name, "namePart", family, type="family")
        role = _sub(name, "role")
        _sub(role, "roleTerm", "author", type="text", authority="marcrelator")
        _sub(role, "roleTerm", "aut", type="code", authority="marcrelator")
    _sub(root, "typeOfResource", "text")
    for genre in rng.choices(GENRES, GENRE_WEIGHTS)[0]:
        _sub(root, "genre", genre, authority="local")
    year = rng.randint(2005, 2025)
    issued = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() < 0.7 else str(year)
    _sub(_sub(root, "originInfo"), "dateIssued", issued, encoding="w3cdtf", keyDate="yes")
    language = _sub(root, "language")
    _sub(language, "languageTerm", rng.choice(LANGUAGES), type="code", authority="iso639-2b")
    _sub(root, "abstract", _abstract(rng))
    for topic in rng.sample(TOPICS, rng.randint(1, 6)):
        _sub(_sub(root, "subject"), "topic", topic)
    host = _sub(root, "relatedItem", type="host")
    _sub(_sub(host, "titleInfo"), "title", rng.choice(JOURNALS))
    _sub(host, "genre", "journal", authority="local")
    part = _sub(host, "part")
    _sub(_sub(part, "detail", type="volume"), "number", str(year - 1990 + rng.randint(0, 30)))
    _sub(_sub(part, "detail", type="issue"), "number", str(rng.randint(1, 12)))
    first = rng.randint(1, 900)
    extent = _sub(part, "extent", unit="pages")
    _sub(extent, "start", str(first))
    _sub(extent, "end", str(first + rng.randint(1, 40)))
    _sub(part, "date", str(year))
    _sub(root, "identifier", f"10.5555/bench.{seed}.{index}", type="doi")
    record_info = _sub(root, "recordInfo")
    _sub(record_info, "recordIdentifier", local_id(index))
    _sub(record_info, "recordCreationDate", f"{year}-01-01", encoding="w3cdtf")
    return root


def mods_bytes(index: int, seed: int = SEED) -> bytes:
    return etree.tostring(mods(index, seed), encoding="UTF-8", xml_declaration=True)


# --- the schedule of writes: when each record arrives and when some are deleted ------------------------

@dataclass(frozen=True)
class Write:
    """One store call at one second: put records [start, stop), or delete record `start` (stop None)."""

    datestamp: str
    start: int
    stop: Optional[int]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule(n: int, seed: int = SEED, deleted_share: float = DELETED_SHARE) -> list[Write]:
    """Writes in time order: a first migration (a fifth of the corpus, at most 20,000, in one second),
    then daily deposits of 1 to ~50 records and now and then a bulk import of 2,000-10,000 records in one
    second, spread evenly over START..END; about deleted_share of the records are deleted later on."""
    rng = random.Random(seed)
    sizes = [max(1, min(n // 5, 20_000))]
    placed = sizes[0]
    while placed < n:
        size = rng.randint(2_000, 10_000) if rng.random() < BULK_CHANCE else min(50, int(rng.expovariate(1 / 6)) + 1)
        sizes.append(min(size, n - placed))
        placed += sizes[-1]
    span = (END - START).total_seconds() * 0.9  # leave the last tenth of the span to late deletions
    step = span / len(sizes)
    times, starts, first = [], [], 0
    for k, size in enumerate(sizes):
        times.append(START + timedelta(seconds=int(k * step + rng.random() * step * 0.8)))
        starts.append(first)
        first += size
    writes = [(times[k], 0, Write(_stamp(times[k]), starts[k], starts[k] + size)) for k, size in enumerate(sizes)]
    for index in sorted(rng.sample(range(n), round(n * deleted_share))):
        created = times[bisect.bisect_right(starts, index) - 1]
        gone = created + timedelta(seconds=1 + int(rng.random() * (END - created).total_seconds()))
        writes.append((gone, 1, Write(_stamp(gone), index, None)))
    writes.sort(key=lambda w: (w[0], w[1], w[2].start))
    return [w for _, _, w in writes]


# --- storing: generate and validate (in worker processes if asked), write in the schedule's order ----------

_pipeline: Optional[Pipeline] = None


def pipeline(schema_folder: Path) -> Pipeline:
    """The pipeline the bench instances are built with: every format, oai_datacite included (the corpus
    records have DOIs, and the bench names a DataCite symbol)."""
    site = Site("http://127.0.0.1/oai", "OAI-PMH metadata provider", DATACITE_SYMBOL)  # as run.py configures it
    return Pipeline(Validator(Path(schema_folder)), REPOSITORY_IDENTIFIER, site=site)


def _init_worker(schema_folder: str) -> None:
    global _pipeline
    _pipeline = pipeline(Path(schema_folder))


def _prepare_chunk(task: tuple[int, int, int]) -> list[Record]:
    """Generate and prepare (parse, validate MODS, crosswalk, validate oai_dc) records [start, stop)."""
    start, stop, seed = task
    outcomes = _pipeline.prepare_all([Document(mods_bytes(i, seed), f"corpus #{i}") for i in range(start, stop)])
    for outcome in outcomes:
        if outcome.refused:
            raise outcome.refused[0]  # the generator's own records must all be valid
    return [record for outcome in outcomes for record in outcome.records]


def _prepared(n: int, seed: int, schema_folder: Path, workers: int) -> Iterator[Record]:
    tasks = ((start, min(start + CHUNK, n), seed) for start in range(0, n, CHUNK))
    if workers <= 1:
        _init_worker(str(schema_folder))
        for task in tasks:
            yield from _prepare_chunk(task)
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with context.Pool(workers, _init_worker, (str(schema_folder),)) as pool:
        for records in pool.imap(_prepare_chunk, tasks, chunksize=1):
            yield from records


@contextmanager
def store_clock(store):
    """Make the store's one reading of its clock (its dialect's now(conn)) return the time the bench sets,
    on this store object only. Everything else the store does on a write (record bytes, membership rows,
    content hashes) is its own code, so the stored rows are exactly those a real ingest at that time would
    leave."""
    now: list[Optional[str]] = [None]
    store.dialect.now = lambda conn: now[0]
    try:
        yield lambda stamp: now.__setitem__(0, stamp)
    finally:
        del store.dialect.now


@dataclass
class BuildReport:
    records: int = 0
    deleted: int = 0
    writes: int = 0


def build(store, n: int, schema_folder: Path, seed: int = SEED, workers: int = 1,
          batch_size: int = BATCH_SIZE, progress: Callable[[int], None] = lambda done: None) -> BuildReport:
    """Store the corpus of n records as metadata.ingest.ingest would (Pipeline.prepare, then store.put in
    transactions of at most batch_size), a batch never spanning two seconds of the schedule."""
    report = BuildReport()
    records = _prepared(n, seed, Path(schema_folder), workers)
    with store_clock(store) as set_clock, closing(records):
        for write in schedule(n, seed):
            set_clock(write.datestamp)
            report.writes += 1
            if write.stop is None:
                if store.delete(identifier(write.start)) is None:
                    raise RuntimeError(f"cannot delete {identifier(write.start)}: not stored")
                report.deleted += 1
                continue
            remaining = write.stop - write.start
            while remaining:
                batch = list(islice(records, min(batch_size, remaining)))
                results = store.put(batch)
                if any(r.status != "created" for r in results):
                    raise RuntimeError("the corpus has a duplicate identifier")
                remaining -= len(batch)
                report.records += len(batch)
                progress(report.records)
    return report
