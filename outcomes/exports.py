"""The district's stored values as XLSX or CSV, in the import's columns, so that a file
exported, corrected and imported again round-trips. User text never becomes a formula in a
spreadsheet (lib.spreadsheet). Figures read from elsewhere (the measurement deliverable, the
focus decree) are not exported: importing them would type them a second time."""

from lib import spreadsheet

from .imports import COLUMNS as IMPORT_COLUMNS
from .models import Source

HEADER = [name for name, _help in IMPORT_COLUMNS]
WIDTHS = (16, 28, 7, 7, 10, 11, 11, 18, 40)
COLUMNS = [spreadsheet.Column(name, width) for name, width in zip(HEADER, WIDTHS, strict=True)]
# the words the import reads back, whatever the interface language
SOURCE_WORDS = {
    Source.SSGI: "SSGI",
    Source.SKI: "SKI",
    Source.RISKESDAS: "Riskesdas",
    Source.EPPGBM: "e-PPGBM",
    Source.DISTRICT_SURVEY: "survei kabupaten",
    Source.OTHER: "lainnya",
}


def value_rows(values):
    for v in values:
        area = v.village or v.kecamatan or v.district
        yield [
            area.code,
            v.indicator.code,
            v.year,
            v.month,
            float(v.value),
            v.numerator,
            v.denominator,
            SOURCE_WORDS[v.source],
            v.note,
        ]


def values_file(values, fmt: str, *, title: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return spreadsheet.csv_bytes(HEADER, value_rows(values)), spreadsheet.CSV
    return spreadsheet.xlsx_bytes(COLUMNS, value_rows(values), title=title), spreadsheet.XLSX
