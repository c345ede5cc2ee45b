"""The starting wording of the two document templates. Our own text, written for this portal:
a district's joint commitment after its rembuk stunting, and a village's commitment. Both are
only a start; the organiser edits every line before anyone signs."""

import re

from django.utils.translation import gettext_lazy as _

from villages.models import District, Village

DISTRICT_POINTS = [
    "Menjadikan percepatan penurunan stunting sebagai prioritas pembangunan daerah dan "
    "memuatnya dalam RKPD serta Renja perangkat daerah tahun {tahun_depan}.",
    "Mengarahkan program dan kegiatan intervensi spesifik dan sensitif ke desa/kelurahan "
    "lokus yang ditetapkan dengan keputusan kepala daerah.",
    "Memastikan setiap ibu hamil, bayi di bawah dua tahun dan balita di desa lokus "
    "menerima paket layanan yang lengkap.",
    "Mendorong pemerintah desa menganggarkan kegiatan pencegahan stunting dalam APBDes dan "
    "memperkuat peran kader pembangunan manusia.",
    "Melaksanakan pencatatan, pelaporan dan publikasi data stunting secara rutin dan terbuka.",
    "Melakukan pemantauan dan penilaian kinerja aksi konvergensi setiap tahun serta "
    "menindaklanjuti hasilnya.",
]

VILLAGE_POINTS = [
    "Menetapkan peraturan desa tentang kewenangan lokal berskala desa dalam pencegahan "
    "stunting paling lambat tahun {tahun}.",
    "Menganggarkan kegiatan pencegahan stunting dari APBDes, termasuk Dana Desa, pada tahun "
    "{tahun_depan}.",
    "Melibatkan tokoh masyarakat, tokoh agama, PKK dan kader posyandu dalam pencegahan "
    "stunting di desa.",
    "Mendukung program orang tua asuh bagi keluarga berisiko stunting.",
    "Melaporkan scorecard konvergensi desa setiap triwulan kepada tim percepatan penurunan "
    "stunting kecamatan.",
]
# A kelurahan has no Perdes and no Dana Desa: the lurah decides by keputusan, and its budget,
# Dana Kelurahan included, is part of the district's.
KELURAHAN_POINTS = [
    "Menetapkan keputusan lurah tentang tim percepatan penurunan stunting kelurahan paling "
    "lambat tahun {tahun}.",
    "Mengusulkan kegiatan pencegahan stunting dalam anggaran kelurahan, termasuk Dana "
    "Kelurahan, pada tahun {tahun_depan}.",
    "Melibatkan tokoh masyarakat, tokoh agama, PKK dan kader posyandu dalam pencegahan "
    "stunting di kelurahan.",
    "Mendukung program orang tua asuh bagi keluarga berisiko stunting.",
    "Melaporkan scorecard konvergensi kelurahan setiap triwulan kepada tim percepatan "
    "penurunan stunting kecamatan.",
]


# The placeholders a district's own template may hold, filled in when a document is made from
# it (an upper-case name gives the value in capitals, as titles print it). The preamble's
# {hari}, {tanggal} and {tempat} are not among them: the version fills those from its date and
# place.
PLACEHOLDERS = {
    "daerah": _("nama kabupaten/kota"),
    "desa": _("desa/kelurahan beserta jenisnya (Desa Cimungkal, Kelurahan Sarijadi)"),
    "kecamatan": _("nama kecamatan"),
    "tahun": _("tahun dokumen"),
    "tahun_depan": _("tahun berikutnya"),
}

DISTRICT_TEMPLATE = {
    "title": "KOMITMEN BERSAMA PERCEPATAN PENURUNAN STUNTING {DAERAH} TAHUN {tahun}",
    "preamble": (
        "Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami yang "
        "bertanda tangan di bawah ini, peserta rembuk stunting {daerah}, menyatakan "
        "komitmen bersama untuk:"
    ),
    "points": DISTRICT_POINTS,
    "closing": (
        "Demikian komitmen ini kami buat dengan penuh kesadaran dan tanggung jawab untuk "
        "dilaksanakan sebaik-baiknya."
    ),
}

VILLAGE_TEMPLATE = {
    "title": "KOMITMEN {DESA} DALAM PENCEGAHAN STUNTING TAHUN {tahun}",
    "preamble": (
        "Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami pemerintah "
        "dan unsur masyarakat {desa}, Kecamatan {kecamatan}, berkomitmen untuk:"
    ),
    "points": VILLAGE_POINTS,
    "closing": (
        "Komitmen ini kami tanda tangani bersama dan kami laporkan pelaksanaannya kepada "
        "camat dan pemerintah kabupaten/kota."
    ),
}


def builtin(kind: str) -> dict:
    """The built-in wording of `kind` ("district" or "village") with its placeholders: the
    starting point of a district's own template."""
    source = VILLAGE_TEMPLATE if kind == "village" else DISTRICT_TEMPLATE
    return {**source, "points": list(source["points"])}


def values_for(*, district: District, village: Village | None, year: int) -> dict[str, str]:
    values = {"daerah": district.name, "tahun": str(year), "tahun_depan": str(year + 1)}
    if village is not None:
        values["desa"] = f"{village.kind_label} {village.name}"
        values["kecamatan"] = village.kecamatan.name
    return values


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each known placeholder replaced; anything else in braces stays as typed."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value).replace("{" + key.upper() + "}", value.upper())
    return text


def filled(source: dict, values: dict[str, str]) -> dict:
    """A wording (title, preamble, points, closing) with its placeholders filled in."""
    return {
        "title": fill(source["title"], values),
        "preamble": fill(source["preamble"], values),
        "points": [fill(p, values) for p in source["points"]],
        "closing": fill(source["closing"], values),
    }


def placeholders_of(text: str, values: dict[str, str]) -> str:
    """The reverse of `fill` for saving a document as a template: each value (the longest
    first, capitals before the plain spelling) back to its placeholder."""
    pairs = []
    for key, value in values.items():
        if value:
            if value.upper() != value:  # (a year has no capitals)
                pairs.append((value.upper(), "{" + key.upper() + "}"))
            pairs.append((value, "{" + key + "}"))
    for value, placeholder in sorted(pairs, key=lambda p: -len(p[0])):
        text = text.replace(value, placeholder)
    return text


def district_wording(district: District, year: int) -> dict:
    return filled(DISTRICT_TEMPLATE, values_for(district=district, village=None, year=year))


def village_wording(village: Village, year: int) -> dict:
    source = VILLAGE_TEMPLATE
    if village.is_kelurahan:
        source = {**source, "points": KELURAHAN_POINTS}
    return filled(source, values_for(district=village.district, village=village, year=year))


def wording(template: str, *, district: District, village: Village | None, year: int) -> dict:
    """The starting wording of `template` ("district" or "village"). The preamble keeps
    {hari}, {tanggal} and {tempat}, filled in from the version's date and place."""
    if template == "village" and village is not None:
        return village_wording(village, year)
    return district_wording(district, year)


def from_template(template, *, district: District, village: Village | None, year: int) -> dict:
    """The wording of a district's own template (`DocumentTemplate`) for a document."""
    return filled(
        {
            "title": template.title,
            "preamble": template.preamble,
            "points": template.points,
            "closing": template.closing,
        },
        values_for(district=district, village=village, year=year),
    )


def title_for_year(
    title: str, *, template: str, district: District, village: Village | None, year: int
) -> str:
    """The template's title follows the document's year: a title left as the template wrote
    it for another year ("… TAHUN 2026" when the year chosen is 2027) becomes the template's
    title of `year`. A title the organiser wrote himself is kept as it is."""
    match = re.search(r"TAHUN (\d{4})$", title.strip())
    if match is None or int(match.group(1)) == year:
        return title
    other = wording(template, district=district, village=village, year=int(match.group(1)))
    if title.strip() != other["title"]:
        return title
    return wording(template, district=district, village=village, year=year)["title"]
