"""Write a diary as CSV and read it back: pure functions, no database.

The column names are a public contract (people keep these files and write their own), so they
match the form fields and must not change.
"""

import csv
import functools
import importlib.resources
import io
import struct
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError

from . import wallclock
from .durations import format_duration
from .models import Episode
from .vocabulary import (
    MAX_FLUID_ML,
    MAX_INTENSITY,
    MAX_NOTES,
    MAX_SECONDS,
    MIN_SECONDS,
    Activity,
    Foot,
    Helped,
    Location,
    Relief,
    Symptom,
    Trigger,
)

COLUMNS = (
    "started_at",
    "duration_seconds",
    "foot",
    "locations",
    "intensity",
    "fluid_ml",
    "activity",
    "triggers",
    "symptoms",
    "relief",
    "relief_helped",
    "notes",
    # Made by the browser for each tap (empty for cramps logged otherwise): a row with the
    # client_id of a cramp in the diary is that cramp, whatever else changed since.
    "client_id",
)
# What a cramp is: two rows that agree on all of these are the same cramp.
CRAMP_COLUMNS = COLUMNS[:-1]
REQUIRED_COLUMNS = ("started_at", "duration_seconds", "foot", "locations", "intensity")
# The export's query reads these, in this order; time_zone gives started_at its offset.
EXPORT_FIELDS = ("started_at", "time_zone", *COLUMNS[1:])
LIST_SEPARATOR = ";"
# Excel reads a file without a byte order mark in the machine's legacy code page, which
# garbles accents in notes; with it, Excel (and every other spreadsheet) reads UTF-8.
BOM = "\ufeff"
MAX_ROWS = 5_000
MAX_BYTES = 5 * 1024 * 1024
# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

LIST_CHOICES = {
    "locations": Location,
    "triggers": Trigger,
    "symptoms": Symptom,
    "relief": Relief,
}
CHOICES = {"foot": Foot, "activity": Activity, "relief_helped": Helped}


class CSVFileError(ValueError):
    """The file as a whole cannot be read; the message is meant for the person."""


@dataclass
class ImportResult:
    # (line number, Episode field values) for each row that passed every check.
    rows: list = field(default_factory=list)
    # (line number, column or "", message) for each problem found.
    errors: list = field(default_factory=list)

    @property
    def error_lines(self):
        return len({line for line, _column, _message in self.errors})


def _is_formula(text):
    return text.lstrip("'")[:1] in FORMULA_STARTS and text.lstrip("'") != ""


def neutralise(text):
    """Prefix a quote to a cell, or a part of it, that a spreadsheet would run as a formula.

    Spreadsheets set to a language that separates columns with semicolons split every line
    at each ";", so each part after one is checked as a cell of its own. Parts that already
    start with quotes before such a character get one more, so that `restore` can always take
    exactly one off and every value survives the round trip.
    """
    return LIST_SEPARATOR.join(
        f"'{part}" if _is_formula(part) else part for part in text.split(LIST_SEPARATOR)
    )


def restore(text):
    return LIST_SEPARATOR.join(
        part[1:] if part.startswith("'") and _is_formula(part[1:]) else part
        for part in text.split(LIST_SEPARATOR)
    )


def format_row(values):
    """One exported row from a tuple read in EXPORT_FIELDS order; "not given" is empty."""
    (started_at, time_zone, duration, foot, locations, intensity, fluid_ml, activity) = values[:8]
    triggers, symptoms, relief, relief_helped, notes, client_id = values[8:]
    cells = [
        started_at.astimezone(zoneinfo.ZoneInfo(time_zone)).isoformat(),
        _cell(duration),
        foot,
        LIST_SEPARATOR.join(locations),
        _cell(intensity),
        _cell(fluid_ml),
        activity,
        LIST_SEPARATOR.join(triggers),
        LIST_SEPARATOR.join(symptoms),
        LIST_SEPARATOR.join(relief),
        relief_helped,
        notes,
        _cell(client_id),
    ]
    return [neutralise(cell) for cell in cells]


def _cell(value):
    return "" if value is None else str(value)


def write_csv(rows, rows_per_chunk=500):
    """Yield the CSV text in chunks: the byte order mark and header, then the episodes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(COLUMNS)
    for count, values in enumerate(rows, start=1):
        writer.writerow(format_row(values))
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# The check-ins' file, /diary/checkins.csv: one row per night, the night as YYYY-MM-DD.
CHECKIN_COLUMNS = ("night", "unlogged_cramps", "sleep_disturbance", "factors", "fluid_ml", "notes")
# The insights' file, /diary/insights.csv: one row per factor; ratio and interval empty where
# they cannot be estimated.
LINK_COLUMNS = (
    "factor",
    "nights_with",
    "cramp_nights_with",
    "nights_without",
    "cramp_nights_without",
    "ratio",
    "ci_low",
    "ci_high",
    "verdict",
)


def blank(value):
    return "" if value is None else str(value)


def write_checkins(rows, rows_per_chunk=500):
    """Yield the check-ins' CSV in chunks, from rows read in CHECKIN_COLUMNS order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(CHECKIN_COLUMNS)
    for count, (night, unlogged, disturbance, factors, fluid_ml, notes) in enumerate(rows, 1):
        cells = [night.isoformat(), str(unlogged), blank(disturbance)]
        cells += [LIST_SEPARATOR.join(factors), blank(fluid_ml), notes]
        writer.writerow([neutralise(cell) for cell in cells])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def links_csv(links):
    """The factor table (diary.stats.Link rows) as CSV text, figures to three decimals."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(LINK_COLUMNS)
    for link in links:
        estimates = [link.ratio, link.ci_low, link.ci_high]
        writer.writerow(
            [
                link.factor,
                link.nights_with,
                link.cramp_nights_with,
                link.nights_without,
                link.cramp_nights_without,
                *("" if value is None else f"{value:.3f}" for value in estimates),
                link.verdict,
            ]
        )
    return buffer.getvalue()


EXPERIMENT_NIGHT_COLUMNS = ("night", "period", "counted", "done", "cramps")
YES_NO = {True: "yes", False: "no", None: ""}


def experiment_nights_csv(nights):
    """An experiment's nights (diary.experiments.Night rows) as CSV text."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(EXPERIMENT_NIGHT_COLUMNS)
    for night in nights:
        writer.writerow(
            [
                night.night.isoformat(),
                night.period.kind,
                YES_NO[night.counted],
                YES_NO[night.done],
                blank(night.cramps),
            ]
        )
    return buffer.getvalue()


def decode(data):
    """The file's text, with or without a byte order mark, or CSVFileError."""
    if b"\x00" in data:
        raise CSVFileError(
            "This is not a CSV text file. Export it from your spreadsheet as “CSV UTF-8”."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CSVFileError(
            "This file is not saved as UTF-8 text, so accented letters would be garbled. "
            "Save it from your spreadsheet as “CSV UTF-8” and upload it again."
        ) from error


def read_header(cells):
    names = [cell.strip().lower() for cell in cells]
    if len(names) == 1 and LIST_SEPARATOR in names[0]:
        raise CSVFileError(
            "The columns are separated by semicolons. Save the file as CSV with commas "
            "(in Excel: “CSV UTF-8 (Comma delimited)”) and upload it again."
        )
    if "" in names:
        raise CSVFileError(
            f"Column {names.index('') + 1} of the first line has no name. "
            "Delete the empty column or name it: " + ", ".join(COLUMNS) + "."
        )
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CSVFileError(
            "The first line must name the columns. We do not know: "
            + ", ".join(f"“{name}”" for name in unknown)
            + ". The columns are: "
            + ", ".join(COLUMNS)
            + "."
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CSVFileError(f"These columns appear twice: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise CSVFileError(f"These columns are missing from the first line: {', '.join(missing)}.")
    return names


def read_episodes(text, zone):
    """Parse and check every row of an uploaded diary.

    Lines are numbered as a spreadsheet numbers rows, the header being line 1, so a note
    spanning several lines of text still counts as one. Raises CSVFileError when the file as
    a whole cannot be used.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    result = ImportResult()
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise CSVFileError(
                "The file is empty. Its first line must name the columns: "
                + ", ".join(COLUMNS)
                + "."
            )
        names = read_header(header)
        data_rows = 0
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise CSVFileError(
                    f"This file has more than {MAX_ROWS:,} cramps. "
                    "Split it into smaller files and import them one at a time."
                )
            if len(cells) != len(names):
                result.errors.append(
                    (
                        line,
                        "",
                        f"This line has {len(cells)} cells but the header names {len(names)}.",
                    )
                )
                continue
            try:
                values = parse_row(dict(zip(names, cells, strict=True)), zone)
            except RowError as error:
                result.errors.extend((line, column, message) for column, message in error.problems)
            else:
                result.rows.append((line, values))
    except csv.Error as error:
        raise CSVFileError(
            f"This file could not be read as CSV near line {reader.line_num}: {error}."
        ) from error
    if data_rows == 0:
        raise CSVFileError("The file has a header but no cramps below it.")
    return result


class RowError(ValueError):
    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems


def parse_row(cells, zone):
    """Episode field values for one row given as {column: text}, or RowError.

    A time without an offset is read in the person's zone, as the episode form does.
    """
    cells = {name: restore(cells.get(name, "")) for name in COLUMNS}
    problems = []
    values = {}

    def check(column, parse):
        try:
            values.update(parse(cells[column].strip() if column != "notes" else cells[column]))
        except ValueError as error:
            problems.append((column, str(error)))

    check("started_at", lambda text: _parse_started_at(text, zone))
    check("duration_seconds", _parse_duration)
    check("intensity", _parse_intensity)
    check("fluid_ml", _parse_fluid)
    for column, choices in CHOICES.items():
        check(column, lambda text, column=column, choices=choices: _choice(column, text, choices))
    for column, choices in LIST_CHOICES.items():
        check(column, lambda text, column=column, choices=choices: _choices(column, text, choices))
    check("notes", _parse_notes)
    check("client_id", _parse_client_id)
    # The model's own rules have the last word (a start in the future, say), so an import
    # never stores what the form would refuse. Its field checks need every value, so they
    # wait until the columns are right; clean() needs only the start. time_zone is a
    # ZoneInfo key chosen above, and its validator lists every zone on disk (18 ms), which
    # would make a 5,000-row file take minutes.
    episode = Episode(**values)
    checks = [episode.clean]
    if not problems:
        exclude = ["user", "local_date", "local_hour", "night", "time_zone"]
        checks.insert(0, lambda: episode.clean_fields(exclude=exclude))
    for model_check in checks:
        try:
            model_check()
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                problems.extend((column, message) for message in messages)
    if problems:
        raise RowError(sorted(problems, key=lambda problem: COLUMNS.index(problem[0])))
    return values


def _parse_started_at(text, zone):
    if not text:
        raise ValueError("Enter when the cramp began, for example 2026-03-01T23:30:00+01:00.")
    try:
        started_at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"“{text}” is not a date and time. Write it as 2026-03-01T23:30:00+01:00, "
            "or without the +01:00 to mean your profile’s time zone."
        ) from None
    try:
        if started_at.tzinfo is None:
            # As in the episode form: read in the person's zone.
            started_at = wallclock.aware(started_at, zone)
        else:
            wallclock.check_year(started_at)
    except wallclock.SkippedTime:
        raise ValueError(
            f"{text} did not happen in {zone.key}: the clocks went forward then. "
            "Check the time, or add its offset, for example +01:00."
        ) from None
    return {"started_at": started_at, "time_zone": zone_for(started_at, zone)}


def tzif_offsets(data):
    """Every UTC offset, in seconds, that a compiled time zone file (TZif, RFC 8536) uses."""

    def block(start, time_size):
        # Header: magic, version, 15 reserved bytes, then six counts.
        isut, isstd, leaps, times, types, chars = struct.unpack_from(">6l", data, start + 20)
        types_start = start + 44 + times * (time_size + 1)
        offsets = {struct.unpack_from(">l", data, types_start + 6 * n)[0] for n in range(types)}
        end = types_start + 6 * types + chars + leaps * (time_size + 4) + isstd + isut
        return offsets, end

    offsets, end = block(0, 4)
    if data[4:5] >= b"2":
        # Version 2 and later repeat the data with 64-bit times; it is the complete one.
        offsets, _ = block(end, 8)
    return offsets


@functools.cache
def zones_by_offset():
    """Each UTC offset any time zone has ever had, with the zones that had it.

    Read from the zone files once per process (a quarter of a second), so that finding a zone
    for an offset looks at the few zones that ever had it instead of trying all ~600 for
    every row: a file of offsets no zone has took seconds.
    """
    index = defaultdict(list)
    for key in sorted(zoneinfo.available_timezones()):
        for offset in tzif_offsets(zone_file(key)):
            index[offset].append(zoneinfo.ZoneInfo(key))
    # Zones with the offset today first: most files are recent, so the first one fits.
    now = datetime.now(UTC)
    for offset, zones in index.items():
        zones.sort(key=lambda zone: now.astimezone(zone).utcoffset().total_seconds() != offset)
    return index


def zone_file(key):
    """The compiled file of a zone, where zoneinfo looks: TZPATH, then the tzdata package."""
    for root in zoneinfo.TZPATH:
        path = Path(root, key)
        if path.is_file():
            return path.read_bytes()
    return importlib.resources.files("tzdata.zoneinfo").joinpath(key).read_bytes()


def zone_for(started_at, zone):
    """The time zone to store with an episode that began at this moment and offset.

    The file carries only the offset. The person's own zone is used when it had that offset
    then; otherwise a fixed-offset zone keeps the local date and hour the file gave.
    """
    offset = started_at.utcoffset()
    if started_at.astimezone(zone).utcoffset() == offset:
        return zone.key
    hours, rest = divmod(offset, timedelta(hours=1))
    if not rest and -12 <= hours <= 14:
        # POSIX signs: Etc/GMT-13 is thirteen hours ahead of UTC.
        return "Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
    for other in zones_by_offset().get(int(offset.total_seconds()), []):
        if started_at.astimezone(other).utcoffset() == offset:
            return other.key
    raise ValueError(f"No time zone had the offset of {started_at.isoformat()} at that time.")


def _integer(text, what):
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"Enter {what} as a whole number, such as 90.")
    return int(text)


def _parse_duration(text):
    if not text:
        return {"duration_seconds": None}
    seconds = _integer(text, "the duration in seconds")
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError(
            f"Enter from {MIN_SECONDS} second to {MAX_SECONDS:,} ({format_duration(MAX_SECONDS)})."
        )
    return {"duration_seconds": seconds}


def _parse_intensity(text):
    if not text:
        return {"intensity": None}
    intensity = _integer(text, "the pain")
    if intensity > MAX_INTENSITY:
        raise ValueError(f"Enter the pain from 0 (none) to {MAX_INTENSITY} (worst imaginable).")
    return {"intensity": intensity}


def _parse_fluid(text):
    if not text:
        return {"fluid_ml": None}
    ml = _integer(text, "the millilitres drunk")
    if ml > MAX_FLUID_ML:
        raise ValueError(f"That is more than anyone drinks in a day: at most {MAX_FLUID_ML:,} ml.")
    return {"fluid_ml": ml}


@functools.cache
def values_of(choices):
    # A choices enum builds a new list of its values on every call, and a 5,000-row file
    # asks 35,000 times.
    return tuple(choices.values)


def _known(values, choices):
    unknown = [value for value in values if value not in values_of(choices)]
    if unknown:
        raise ValueError(
            ", ".join(f"“{value}”" for value in unknown)
            + f" {'is' if len(unknown) == 1 else 'are'} not one of: "
            + ", ".join(values_of(choices))
            + "."
        )


def _choice(column, text, choices):
    if not text and column != "foot":
        return {column: ""}
    if not text:
        raise ValueError(f"Enter which foot: {', '.join(values_of(choices))}.")
    _known([text], choices)
    return {column: text}


def _choices(column, text, choices):
    picked = [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    if not picked and column == "locations":
        raise ValueError(
            f"Enter where on the foot, separated by “{LIST_SEPARATOR}”: "
            + ", ".join(values_of(choices))
            + "."
        )
    _known(picked, choices)
    # The same order as the form stores them, so equal choices compare equal.
    return {column: [value for value in values_of(choices) if value in picked]}


def _parse_notes(text):
    if len(text) > MAX_NOTES:
        raise ValueError(f"Notes can be at most {MAX_NOTES:,} characters; this has {len(text):,}.")
    return {"notes": text}


def _parse_client_id(text):
    if not text:
        return {"client_id": None}
    try:
        return {"client_id": uuid.UUID(text)}
    except ValueError:
        raise ValueError(
            f"“{text}” is not a client_id as cramplog writes them. Leave the cell empty."
        ) from None


def identities(values):
    """What makes a row the same cramp as another: its client_id, or all its other columns.

    Two cramps in the same minute that differ in anything (where, how long, a note) are two
    cramps; aware times compare as moments, whatever their offset.
    """
    cramp = tuple(
        tuple(values[name]) if isinstance(values[name], list) else values[name]
        for name in CRAMP_COLUMNS
    )
    found = {("row", cramp)}
    if values.get("client_id") is not None:
        found.add(("tap", values["client_id"]))
    return found


def split_duplicates(rows, known):
    """Rows that are new, and the line numbers of those in `known` or earlier in the file.

    `known` holds the diary's episodes that may repeat a row, as dicts of COLUMNS.
    """
    seen = set()
    for values in known:
        seen |= identities(values)
    new, duplicates = [], []
    for line, values in rows:
        found = identities(values)
        if found & seen:
            duplicates.append(line)
        else:
            seen |= found
            new.append(values)
    return new, duplicates


def to_stored(values):
    """Checked values as JSON-safe lists, kept on the server between preview and import."""
    stored = {**values, "started_at": values["started_at"].isoformat()}
    stored["client_id"] = _cell(values["client_id"]) or None
    return [stored[name] for name in EXPORT_FIELDS]


def from_stored(row):
    values = dict(zip(EXPORT_FIELDS, row, strict=True))
    values["started_at"] = datetime.fromisoformat(values["started_at"])
    values["client_id"] = values["client_id"] and uuid.UUID(values["client_id"])
    return values
