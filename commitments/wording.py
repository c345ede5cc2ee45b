"""The starting wording of the two document templates. Our own text, written for this portal:
a district's joint commitment after its rembuk stunting, and a village's commitment. Both are
only a start; the organiser edits every line before anyone signs."""

import re

from villages.models import District, Village

DISTRICT_POINTS = [
    "Menjadikan percepatan penurunan stunting sebagai prioritas pembangunan daerah dan "
    "memuatnya dalam RKPD serta Renja perangkat daerah tahun {next_year}.",
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
    "stunting paling lambat tahun {year}.",
    "Menganggarkan kegiatan pencegahan stunting dari APBDes, termasuk Dana Desa, pada tahun "
    "{next_year}.",
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
    "lambat tahun {year}.",
    "Mengusulkan kegiatan pencegahan stunting dalam anggaran kelurahan, termasuk Dana "
    "Kelurahan, pada tahun {next_year}.",
    "Melibatkan tokoh masyarakat, tokoh agama, PKK dan kader posyandu dalam pencegahan "
    "stunting di kelurahan.",
    "Mendukung program orang tua asuh bagi keluarga berisiko stunting.",
    "Melaporkan scorecard konvergensi kelurahan setiap triwulan kepada tim percepatan "
    "penurunan stunting kecamatan.",
]


def district_wording(district: District, year: int) -> dict:
    name = district.name
    return {
        "title": f"KOMITMEN BERSAMA PERCEPATAN PENURUNAN STUNTING {name.upper()} TAHUN {year}",
        "preamble": (
            "Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami yang "
            f"bertanda tangan di bawah ini, peserta rembuk stunting {name}, menyatakan "
            "komitmen bersama untuk:"
        ),
        "points": [p.format(year=year, next_year=year + 1) for p in DISTRICT_POINTS],
        "closing": (
            "Demikian komitmen ini kami buat dengan penuh kesadaran dan tanggung jawab untuk "
            "dilaksanakan sebaik-baiknya."
        ),
    }


def village_wording(village: Village, year: int) -> dict:
    name = f"{village.kind_label} {village.name}"
    return {
        "title": f"KOMITMEN {name.upper()} DALAM PENCEGAHAN STUNTING TAHUN {year}",
        "preamble": (
            "Pada hari ini {hari}, tanggal {tanggal}, bertempat di {tempat}, kami pemerintah "
            f"dan unsur masyarakat {name}, Kecamatan {village.kecamatan.name}, berkomitmen "
            "untuk:"
        ),
        "points": [
            p.format(year=year, next_year=year + 1)
            for p in (KELURAHAN_POINTS if village.is_kelurahan else VILLAGE_POINTS)
        ],
        "closing": (
            "Komitmen ini kami tanda tangani bersama dan kami laporkan pelaksanaannya kepada "
            "camat dan pemerintah kabupaten/kota."
        ),
    }


def wording(template: str, *, district: District, village: Village | None, year: int) -> dict:
    """The starting wording of `template` ("district" or "village"). The preamble keeps
    {hari}, {tanggal} and {tempat}, filled in from the version's date and place."""
    if template == "village" and village is not None:
        return village_wording(village, year)
    return district_wording(district, year)


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
