"""Reading a partner's file in batches, however big it is: CSV through pyarrow's streaming
reader, XLSX through openpyxl's read-only mode. Every cell is read as text (the checks decide
what it means), and each batch is an Arrow table with a column per heading and `_row`, the row
as a spreadsheet numbers it (the heading row is 1).

A file that cannot be imported at all is refused before anything is written, with one
sentence saying why (FileRefused): the wrong encoding, empty, headings only, a heading twice,
a quote never closed, not a workbook.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from saferhub.imports.profiles import FileSpec

BLOCK_BYTES = 4 << 20
# More rows than this with the wrong number of cells, and the file is read wrongly (a
# different delimiter, say) rather than having a few bad rows.
MAX_MISSHAPEN_ROWS = 1000
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"


class FileRefused(Exception):
    """The whole file cannot be imported; the message is one sentence for the user."""


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class _Utf8Stream:
    """The file as UTF-8 for pyarrow, checked as it is read: a byte that is not text in the
    file's encoding refuses the file, saying where. Counts the bytes read, for progress."""

    def __init__(self, path: Path, encoding: str):
        self.handle = path.open("rb")
        self.encoding = codecs.lookup(encoding).name
        self.decoder = codecs.getincrementaldecoder(self.encoding)("strict")
        self.passthrough = self.encoding == "utf-8"
        self.position = 0
        self.lines = 1
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        final = not data or (size is not None and 0 <= len(data) < size)
        try:
            text = self.decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            pending = len(self.decoder.getstate()[0]) if hasattr(self.decoder, "getstate") else 0
            offset = exc.start - pending
            where = self.position + max(offset, 0)
            lines = self.lines + data[: max(offset, 0)].count(b"\n")
            byte = (exc.object[exc.start : exc.start + 1] or b"?")[0]
            raise FileRefused(
                f"The file is not {self.encoding.upper().replace('UTF-8', 'UTF-8')} text: byte "
                f"0x{byte:02X} at position {where:,} (line {lines:,}) is not a character in "
                "that encoding; save the file as UTF-8 (in Excel: CSV UTF-8), or set "
                "file.encoding in the profile (for example windows-1252)."
            ) from None
        self.position += len(data)
        self.lines += data.count(b"\n")
        return data if self.passthrough else text.encode("utf-8")

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True
        self.handle.close()


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _check_headings(headings: list[str]) -> None:
    if not any(headings):
        raise FileRefused("The file is empty: it has no heading row.")
    seen: dict[str, int] = {}
    for number, heading in enumerate(headings, start=1):
        if not heading:
            continue
        if heading in seen:
            raise FileRefused(
                f"The heading {heading!r} appears twice (columns {seen[heading]} and {number}); "
                "each column needs a heading of its own."
            )
        seen[heading] = number


def _drop_empty(table: pa.Table) -> pa.Table:
    """Rows whose every cell is empty (a spreadsheet's trailing ",,,," lines) are not data."""
    columns = [c for c in table.column_names if c != "_row"]
    if not columns or not table.num_rows:
        return table
    empty = None
    for name in columns:
        blank = pc.equal(table.column(name), "")
        empty = blank if empty is None else pc.and_(empty, blank)
    if not pc.any(empty).as_py():
        return table
    return table.filter(pc.invert(empty))


class Source:
    """A file to import: its headings, its size, and its rows in batches."""

    headings: list[str]
    size: int
    bytes_read: int = 0
    rows_total: int | None = None

    def scan(self) -> None:
        """Read the whole file once, checking only its shape, so that a file that cannot be
        imported is refused before anything is written."""

    def batches(self, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class CsvSource(Source):
    def __init__(self, path: Path, spec: FileSpec):
        self.path = path
        self.spec = spec
        self.size = path.stat().st_size
        self.misshapen: list[tuple[int, int, int, str]] = []
        self._stream: _Utf8Stream | None = None
        self.headings, self._heading_lines = self._read_headings()
        _check_headings(self.headings)

    def _read_headings(self) -> tuple[list[str], int]:
        stream = _Utf8Stream(self.path, self.spec.encoding)
        try:
            head = stream.read(1 << 20)
            # A multi-byte character cut at the end of the first megabyte is not an error.
            text = head.decode("utf-8", errors="ignore")
        finally:
            stream.close()
        text = text.removeprefix("\ufeff")
        if not text.strip():
            raise FileRefused("The file is empty.")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.spec.delimiter)
        try:
            headings = next(reader)
        except (csv.Error, StopIteration):
            raise FileRefused("The file's first line cannot be read as a heading row.") from None
        return [h.strip() for h in headings], reader.line_num

    def _reader(self, columns: list[str], on_invalid) -> pacsv.CSVStreamingReader:
        names = [f"c{i}" for i in range(len(self.headings))]
        self._stream = _Utf8Stream(self.path, self.spec.encoding)
        return pacsv.open_csv(
            self._stream,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=self._heading_lines,
                block_size=BLOCK_BYTES,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.spec.delimiter,
                newlines_in_values=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=[f"c{self.headings.index(c)}" for c in columns] or names[:1],
            ),
        )

    def scan(self) -> None:
        count = 0
        unclosed: list[int] = []

        def on_invalid(row) -> str:
            if "\n" in row.text or "\r" in row.text:
                unclosed.append(row.number or 0)
            self.misshapen.append(
                (row.number or 0, row.actual_columns, row.expected_columns, row.text)
            )
            if len(self.misshapen) > MAX_MISSHAPEN_ROWS:
                return "error"
            return "skip"

        try:
            reader = self._reader([], on_invalid)
            for batch in reader:
                count += batch.num_rows
        except pa.ArrowInvalid as exc:
            if unclosed:
                raise self._unclosed(unclosed[0]) from None
            if len(self.misshapen) > MAX_MISSHAPEN_ROWS:
                raise self._misshapen() from None
            if "straddl" in str(exc):
                raise FileRefused(
                    f'A quoted value after row {count + 1:,} is never closed (a " is missing), '
                    f"or a single value is longer than {BLOCK_BYTES >> 20} MB."
                ) from None
            raise FileRefused(f"The file cannot be read as CSV: {exc}.") from None
        finally:
            self.close()
        if unclosed:
            raise self._unclosed(unclosed[0])
        if count == 0 and not self.misshapen:
            raise FileRefused("The file has a heading row but no data rows.")
        self.rows_total = count + len(self.misshapen)

    def _unclosed(self, row: int) -> FileRefused:
        return FileRefused(
            f'A quoted value in row {row:,} is never closed (a " is missing), so the rest of '
            "the file cannot be read; close the quote, or save the file again from its program."
        )

    def _misshapen(self) -> FileRefused:
        number, actual, expected, _ = self.misshapen[0]
        return FileRefused(
            f"Over {MAX_MISSHAPEN_ROWS:,} rows do not have as many cells as the heading row "
            f"(row {number:,} has {actual}, the heading row {expected}); is "
            f"{self.spec.delimiter!r} the file's delimiter? Set file.delimiter in the profile."
        )

    def batches(self, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
        # Rows with the wrong number of cells were found by scan(); they are skipped here,
        # and numbering the good rows skips their numbers.
        skipped = sorted(number for number, *_ in self.misshapen)
        reader = self._reader(columns, lambda row: "skip")
        names = [f"c{self.headings.index(c)}" for c in columns]
        next_number = 2
        pending: list[pa.RecordBatch] = []
        pending_rows = 0

        def emit(table: pa.Table) -> pa.Table:
            nonlocal next_number
            count = table.num_rows
            numbers = np.arange(next_number, next_number + count, dtype=np.int64)
            for number in skipped:
                if count and number <= numbers[-1] and number >= next_number:
                    numbers[numbers >= number] += 1
            if count:
                next_number = int(numbers[-1]) + 1
            table = table.select(names).rename_columns(columns)
            table = table.append_column("_row", pa.array(numbers, type=pa.int64()))
            self.bytes_read = self._stream.position if self._stream else self.size
            return _drop_empty(table)

        try:
            for batch in reader:
                pending.append(batch)
                pending_rows += batch.num_rows
                while pending_rows >= batch_rows:
                    table = pa.Table.from_batches(pending)
                    yield emit(table.slice(0, batch_rows))
                    rest = table.slice(batch_rows)
                    pending = rest.to_batches()
                    pending_rows = rest.num_rows
            if pending_rows:
                yield emit(pa.Table.from_batches(pending))
        finally:
            self.close()
        self.bytes_read = self.size

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class XlsxSource(Source):
    def __init__(self, path: Path, spec: FileSpec):
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self.size = path.stat().st_size
        try:
            self.book = load_workbook(path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise FileRefused(
                "The file is not an Excel workbook (.xlsx) that can be read; save it again as "
                ".xlsx, or as CSV UTF-8."
            ) from None
        if spec.sheet:
            if spec.sheet not in self.book.sheetnames:
                self.book.close()
                raise FileRefused(
                    f"The workbook has no sheet {spec.sheet!r} (file.sheet in the profile); its "
                    f"sheets are {', '.join(self.book.sheetnames)}."
                )
            self.sheet = self.book[spec.sheet]
        else:
            self.sheet = self.book.worksheets[0]
        self.heading_row = 0
        self.headings = []
        for number, row in enumerate(self.sheet.iter_rows(values_only=True), start=1):
            if any(_cell_text(v).strip() for v in row):
                self.heading_row = number
                self.headings = [_cell_text(v).strip() for v in row]
                break
        if not self.headings:
            self.book.close()
            raise FileRefused("The workbook's sheet is empty.")
        _check_headings(self.headings)
        self.rows_estimate = max((self.sheet.max_row or 0) - self.heading_row, 1)

    def scan(self) -> None:
        for row in self.sheet.iter_rows(min_row=self.heading_row + 1, values_only=True):
            if any(_cell_text(v).strip() for v in row):
                return
        raise FileRefused("The file has a heading row but no data rows.")

    def batches(self, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
        positions = [self.headings.index(c) for c in columns]
        values: list[list[str]] = [[] for _ in columns]
        numbers: list[int] = []
        done = 0

        def emit() -> pa.Table:
            table = pa.table(
                {
                    name: pa.array(cells, type=pa.string())
                    for name, cells in zip(columns, values, strict=True)
                }
                | {"_row": pa.array(numbers, type=pa.int64())}
            )
            self.bytes_read = min(self.size, int(self.size * done / self.rows_estimate))
            return _drop_empty(table)

        rows = self.sheet.iter_rows(min_row=self.heading_row + 1, values_only=True)
        for number, row in enumerate(rows, start=self.heading_row + 1):
            done += 1
            for cells, position in zip(values, positions, strict=True):
                cells.append(_cell_text(row[position]).strip() if position < len(row) else "")
            numbers.append(number)
            if len(numbers) >= batch_rows:
                yield emit()
                values = [[] for _ in columns]
                numbers = []
        if numbers:
            yield emit()
        self.bytes_read = self.size

    def close(self) -> None:
        self.book.close()


def open_source(path: Path, spec: FileSpec) -> Source:
    """The file as a Source; FileRefused if it cannot be read at all."""
    path = Path(path)
    if not path.is_file():
        raise FileRefused(f"There is no file {path.name}.")
    with path.open("rb") as handle:
        start = handle.read(8)
    if not start:
        raise FileRefused("The file is empty.")
    if start.startswith(ZIP_SIGNATURE) or path.suffix.lower() in (".xlsx", ".xlsm"):
        return XlsxSource(path, spec)
    if start.startswith(OLE_SIGNATURE) or path.suffix.lower() == ".xls":
        raise FileRefused(
            "The file is an old Excel workbook (.xls); save it as .xlsx or as CSV UTF-8."
        )
    return CsvSource(path, spec)
