"""What a village files per period: the quarterly convergence scorecard and the semester report.

A report's `data` is a flat dict of field key → value as text (what was typed), so that a draft
can hold anything half-filled. `clean_draft` turns typed text into stored values (refusing only
what cannot be stored), `submit_errors` applies the rules a report must meet to be sent, and
`scorecard_rates` computes the convergence rates (DOMAIN.md §7):

    rate = Σ yes ÷ (indicators × targets − Σ not applicable)

per target group and in total.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lib.rupiah import format_rupiah as rupiah
from lib.rupiah import parse_rupiah
from lib.text import strip_bidi, too_long

TEXT_MAX = 200  # a name or a number typed in the report (printed on the scorecard)


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "count"  # count | rupiah | date | text | choice
    choices: tuple = ()
    hint: str = ""
    # what a kelurahan calls it, where that differs: a kelurahan has a lurah, a Dana Kelurahan
    # and no Perdes (the lurah decides by keputusan)
    kelurahan_label: str = ""

    def label_for(self, kelurahan: bool) -> str:
        return self.kelurahan_label if kelurahan and self.kelurahan_label else self.label


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    target: str  # the key of the target field counting this group
    indicators: tuple[Indicator, ...] = field(default_factory=tuple)


# Tabel 1: targets of the 1,000 first days of life
TARGETS = (
    Field("t_households", _("Rumah tangga 1.000 HPK")),
    Field("t_pregnant", _("Ibu hamil")),
    Field("t_pregnant_risk", _("di antaranya ibu hamil KEK/risiko tinggi")),
    Field("t_children", _("Anak 0–23 bulan")),
    Field("t_children_poor", _("di antaranya anak gizi kurang/gizi buruk/stunting")),
    Field("t_children_2_6", _("Anak 2–6 tahun")),
)
# Tabel 2: growth-mat measurement of children 0–23 months
GROWTH = (
    Field("g_green", _("Hijau (normal)")),
    Field("g_yellow", _("Kuning (berisiko stunting)")),
    Field("g_red", _("Merah (terindikasi stunting)")),
)
# Tabel 3: completeness of the service packages
GROUPS = (
    Group(
        "pregnant",
        _("Ibu hamil"),
        "t_pregnant",
        (
            Indicator("anc", _("Pemeriksaan kehamilan minimal 4 kali")),
            Indicator("iron", _("Tablet tambah darah minimal 90 hari")),
            Indicator("postnatal", _("Pemeriksaan nifas minimal 3 kali oleh tenaga kesehatan")),
            Indicator("counselling", _("Konseling gizi / kelas ibu hamil minimal 4 kali")),
            Indicator("visit", _("Kunjungan rumah bagi ibu hamil KEK/risiko tinggi")),
            Indicator("water", _("Rumah tangga dengan akses air minum layak")),
            Indicator("latrine", _("Rumah tangga dengan jamban layak")),
            Indicator("insurance", _("Memiliki jaminan kesehatan")),
        ),
    ),
    Group(
        "children",
        _("Anak 0–23 bulan"),
        "t_children",
        (
            Indicator("immunisation", _("Imunisasi dasar lengkap")),
            Indicator("weighing", _("Ditimbang setiap bulan di posyandu")),
            Indicator("length", _("Diukur panjang/tinggi badan 2 kali setahun")),
            Indicator("counselling", _("Orang tua mengikuti konseling gizi setiap bulan")),
            Indicator("visit", _("Kunjungan rumah bagi anak gizi kurang/buruk/stunting")),
            Indicator("water", _("Rumah tangga dengan akses air minum layak")),
            Indicator("latrine", _("Rumah tangga dengan jamban layak")),
            Indicator("birth_cert", _("Memiliki akta kelahiran")),
            Indicator("insurance", _("Memiliki jaminan kesehatan")),
            Indicator("parenting", _("Orang tua mengikuti kelas pengasuhan setiap bulan")),
        ),
    ),
    Group(
        "paud",
        _("Anak 2–6 tahun"),
        "t_children_2_6",
        (Indicator("paud", _("Terdaftar dan aktif di PAUD")),),
    ),
)
ANSWERS = (
    ("yes", _("ya")),
    ("no", _("tidak")),
    ("na", pgettext_lazy("scorecard answer", "tidak berlaku")),
)
# Tabel 5: village-fund use for stunting
FUND = (
    Field(
        "f_development",
        _("Bidang pembangunan desa"),
        "rupiah",
        kelurahan_label=_("Bidang pembangunan sarana dan prasarana kelurahan"),
    ),
    Field(
        "f_empowerment",
        _("Bidang pemberdayaan masyarakat desa"),
        "rupiah",
        kelurahan_label=_("Bidang pemberdayaan masyarakat kelurahan"),
    ),
    Field("f_stunting", _("Dialokasikan untuk kegiatan pencegahan stunting"), "rupiah"),
)
SIGNERS = (
    Field(
        "sign_secretary",
        _("Nama sekretaris desa"),
        "text",
        kelurahan_label=_("Nama sekretaris kelurahan"),
    ),
    Field("sign_head", _("Nama kepala desa"), "text", kelurahan_label=_("Nama lurah")),
)


def answer_key(group: Group, indicator: Indicator, answer: str) -> str:
    return f"s_{group.key}_{indicator.key}_{answer}"


def scorecard_fields() -> list[Field]:
    fields = [*TARGETS, *GROWTH]
    for group in GROUPS:
        for indicator in group.indicators:
            for answer, _label in ANSWERS:
                fields.append(Field(answer_key(group, indicator, answer), indicator.label))
    return [*fields, *FUND, *SIGNERS]


PERDES_STATUS = (
    ("none", _("belum ada")),
    ("drafting", _("dalam penyusunan")),
    ("enacted", _("sudah ditetapkan")),
)
SEMESTER = (
    Field(
        "perdes_status",
        _("Status Perdes tentang stunting"),
        "choice",
        PERDES_STATUS,
        kelurahan_label=_("Status keputusan lurah tentang stunting"),
    ),
    Field("perdes_number", _("Nomor Perdes"), "text", kelurahan_label=_("Nomor keputusan lurah")),
    Field(
        "perdes_date",
        _("Tanggal penetapan Perdes"),
        "date",
        kelurahan_label=_("Tanggal penetapan keputusan lurah"),
    ),
    Field(
        "fund_budget",
        _("Anggaran Dana Desa untuk stunting (Rp)"),
        "rupiah",
        kelurahan_label=_("Anggaran Dana Kelurahan untuk stunting (Rp)"),
    ),
    Field(
        "fund_spent",
        _("Realisasi belanja Dana Desa untuk stunting (Rp)"),
        "rupiah",
        kelurahan_label=_("Realisasi belanja Dana Kelurahan untuk stunting (Rp)"),
    ),
    Field(
        "rembuk_date",
        _("Tanggal rembuk stunting desa"),
        "date",
        kelurahan_label=_("Tanggal rembuk stunting kelurahan"),
    ),
    Field("rembuk_participants", _("Jumlah peserta rembuk")),
)
# files a semester report can carry, by slot
SEMESTER_FILES = (
    ("perdes", _("Berkas Perdes")),
    ("minutes", _("Notulen / berita acara rembuk desa")),
)
KELURAHAN_FILES = {
    "perdes": _("Berkas keputusan lurah"),
    "minutes": _("Notulen / berita acara rembuk kelurahan"),
}


def semester_files(kelurahan: bool) -> list[tuple[str, str]]:
    """(slot, label) of the files a semester report carries, in the village's own words."""
    return [(slot, KELURAHAN_FILES[slot] if kelurahan else label) for slot, label in SEMESTER_FILES]


def fields_for(kind: str) -> list[Field]:
    return scorecard_fields() if kind == "scorecard" else list(SEMESTER)


# ---------------------------------------------------------------------------------------------
# Turning typed text into values


def _parse(f: Field, raw: str):
    """The stored value of one field, or raise ValueError with a message for the user."""
    raw = strip_bidi(raw or "").strip()
    if raw == "":
        return None
    if f.kind == "rupiah":
        return parse_rupiah(raw)
    if f.kind == "count":
        text = raw.replace(" ", "")
        negative = text.startswith("-")
        if not text.lstrip("-").isdigit():
            raise ValueError(_("Isi dengan angka bulat, tanpa huruf."))
        value = int(text)
        if negative or value < 0:
            raise ValueError(_("Tidak boleh negatif."))
        if value > 10**13:
            raise ValueError(_("Angka terlalu besar."))
        return value
    if f.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError(_("Tanggal tidak valid; gunakan format TTTT-BB-HH.")) from None
    if f.kind == "choice":
        if raw not in {value for value, _label in f.choices}:
            raise ValueError(_("Pilihan tidak dikenal."))
        return raw
    if len(raw) > TEXT_MAX:
        raise ValueError(too_long(TEXT_MAX, len(raw)))
    return raw


def clean_draft(kind: str, posted) -> tuple[dict, dict]:
    """(values, errors) from a submitted form. A draft saves whatever can be stored; a value
    that is not a number where a number belongs is refused with a message at its field."""
    values, errors = {}, {}
    for f in fields_for(kind):
        try:
            value = _parse(f, posted.get(f.key, ""))
        except ValueError as error:
            errors[f.key] = str(error.args[0])
            continue
        if value is not None:
            values[f.key] = value
    return values, errors


# ---------------------------------------------------------------------------------------------
# Rules for submitting


def _n(data, key) -> int:
    value = data.get(key)
    return value if isinstance(value, int) else 0


def submit_errors(
    kind: str, data: dict, *, files: set[str], today: date, kelurahan: bool = False
) -> dict[str, str]:
    """Field key → what is wrong, in plain Indonesian. Empty when the report can be sent."""
    if kind == "scorecard":
        return _scorecard_errors(data)
    return _semester_errors(data, files, today, kelurahan)


def _required(data, fields, errors):
    for f in fields:
        if data.get(f.key) in (None, ""):
            errors[f.key] = str(_("Wajib diisi (isi 0 bila tidak ada)."))


def _scorecard_errors(data: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    _required(data, [*TARGETS, *GROWTH, *FUND], errors)
    for key, part, whole in (
        ("t_pregnant_risk", "t_pregnant_risk", "t_pregnant"),
        ("t_children_poor", "t_children_poor", "t_children"),
    ):
        if key not in errors and _n(data, part) > _n(data, whole):
            errors[key] = str(
                _("Tidak boleh lebih dari jumlah %(whole)s (%(n)s).")
                % {"whole": _label(whole), "n": _n(data, whole)}
            )
    measured = sum(_n(data, f.key) for f in GROWTH)
    if "g_red" not in errors and measured > _n(data, "t_children"):
        errors["g_red"] = str(
            _("Hijau + kuning + merah (%(sum)s) melebihi jumlah anak 0–23 bulan (%(n)s).")
            % {"sum": measured, "n": _n(data, "t_children")}
        )
    for group in GROUPS:
        target = _n(data, group.target)
        for indicator in group.indicators:
            keys = {a: answer_key(group, indicator, a) for a, _label in ANSWERS}
            missing = [k for k in keys.values() if data.get(k) in (None, "")]
            if missing and target > 0:
                for k in missing:
                    errors[k] = str(_("Wajib diisi (isi 0 bila tidak ada)."))
                continue
            yes, no, na = (_n(data, keys[a]) for a in ("yes", "no", "na"))
            if yes > target:
                errors[keys["yes"]] = str(
                    _("Layanan yang diterima (%(yes)s) melebihi jumlah sasaran %(group)s (%(n)s).")
                    % {"yes": yes, "group": group.label, "n": target}
                )
            elif yes + no + na != target:
                errors[keys["no"]] = str(
                    _(
                        "Ya + tidak + tidak berlaku (%(sum)s) harus sama dengan jumlah sasaran "
                        "%(group)s (%(n)s)."
                    )
                    % {"sum": yes + no + na, "group": group.label, "n": target}
                )
    total = _n(data, "f_development") + _n(data, "f_empowerment")
    if "f_stunting" not in errors and _n(data, "f_stunting") > total:
        errors["f_stunting"] = str(
            _("Tidak boleh melebihi jumlah kedua bidang (Rp %(total)s).") % {"total": rupiah(total)}
        )
    for f in SIGNERS:
        if not data.get(f.key):
            errors[f.key] = str(_("Wajib diisi: nama ini dicetak pada lembar tanda tangan."))
    return errors


def _semester_errors(data: dict, files: set[str], today: date, kelurahan: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    status = data.get("perdes_status")
    if not status:
        errors["perdes_status"] = str(
            _("Pilih status keputusan lurah.") if kelurahan else _("Pilih status Perdes.")
        )
    if status == "enacted":
        if not data.get("perdes_number"):
            errors["perdes_number"] = str(
                _("Keputusan lurah yang sudah ditetapkan harus bernomor.")
                if kelurahan
                else _("Perdes yang sudah ditetapkan harus bernomor.")
            )
        if not data.get("perdes_date"):
            errors["perdes_date"] = str(
                _("Isi tanggal penetapan keputusan lurah.")
                if kelurahan
                else _("Isi tanggal penetapan Perdes.")
            )
        elif data["perdes_date"] > today.isoformat():
            errors["perdes_date"] = str(_("Tanggal penetapan tidak boleh di masa depan."))
        if "perdes" not in files:
            errors["perdes_file"] = str(
                _("Unggah berkas keputusan lurah yang sudah ditetapkan.")
                if kelurahan
                else _("Unggah berkas Perdes yang sudah ditetapkan.")
            )
    _required(data, [f for f in SEMESTER if f.key in ("fund_budget", "fund_spent")], errors)
    if "fund_spent" not in errors and _n(data, "fund_spent") > _n(data, "fund_budget"):
        errors["fund_spent"] = str(
            _("Realisasi (Rp %(spent)s) tidak boleh melebihi anggaran (Rp %(budget)s).")
            % {"spent": rupiah(_n(data, "fund_spent")), "budget": rupiah(_n(data, "fund_budget"))}
        )
    if data.get("rembuk_date"):
        if data["rembuk_date"] > today.isoformat():
            errors["rembuk_date"] = str(_("Tanggal rembuk tidak boleh di masa depan."))
        if _n(data, "rembuk_participants") < 1:
            errors["rembuk_participants"] = str(_("Isi jumlah peserta rembuk."))
        if "minutes" not in files:
            errors["minutes_file"] = str(_("Unggah notulen atau berita acara rembuk."))
    elif data.get("rembuk_participants"):
        errors["rembuk_date"] = str(_("Isi tanggal rembuk, atau kosongkan jumlah peserta."))
    return errors


def _label(key: str) -> str:
    for f in TARGETS:
        if f.key == key:
            return str(f.label).lower()
    return key


# ---------------------------------------------------------------------------------------------
# Computed figures


@dataclass
class Rate:
    label: str
    received: int  # Σ yes
    expected: int  # indicators × targets − Σ n/a
    indicators: int
    target: int

    @property
    def percent(self) -> Decimal | None:
        return rate_percent(self.received, self.expected)


def rate_percent(received: int, expected: int) -> Decimal | None:
    """received ÷ expected in percent, two decimals (None when nothing was expected)."""
    if expected <= 0:
        return None
    return (Decimal(received) * 100 / expected).quantize(Decimal("0.01"), ROUND_HALF_UP)


def scorecard_rates(data: dict, *, kelurahan: bool = False) -> tuple[list[Rate], Rate]:
    """The convergence rate of each target group and of the village."""
    rows = []
    for group in GROUPS:
        target = _n(data, group.target)
        yes = sum(_n(data, answer_key(group, i, "yes")) for i in group.indicators)
        na = sum(_n(data, answer_key(group, i, "na")) for i in group.indicators)
        count = len(group.indicators)
        rows.append(Rate(str(group.label), yes, count * target - na, count, target))
    total = Rate(
        str(_("Tingkat konvergensi kelurahan") if kelurahan else _("Tingkat konvergensi desa")),
        sum(r.received for r in rows),
        sum(r.expected for r in rows),
        sum(r.indicators for r in rows),
        0,
    )
    return rows, total


def indicator_percent(data: dict, group: Group, indicator: Indicator) -> Decimal | None:
    """% of one indicator: yes ÷ (targets − n/a)."""
    should = _n(data, group.target) - _n(data, answer_key(group, indicator, "na"))
    if should <= 0:
        return None
    yes = _n(data, answer_key(group, indicator, "yes"))
    return (Decimal(yes) * 100 / should).quantize(Decimal("0.01"), ROUND_HALF_UP)


def fund_share(data: dict) -> Decimal | None:
    total = _n(data, "f_development") + _n(data, "f_empowerment")
    if total <= 0:
        return None
    return (Decimal(_n(data, "f_stunting")) * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_UP)


def spent_share(data: dict) -> Decimal | None:
    budget = _n(data, "fund_budget")
    if budget <= 0:
        return None
    return (Decimal(_n(data, "fund_spent")) * 100 / budget).quantize(Decimal("0.01"), ROUND_HALF_UP)
