"""Write the exact-shaped replicas of real survey exports in tests/realworld/ (seeded, deterministic).

Each writer reproduces one real export's layout (header rows, column order, header wording,
date format, quoting, encoding/BOM, answer vocabulary) with synthetic answers and obviously fake
identity values (203.0.113.x / 198.51.100.x IPs, @example.com e-mails, invented names).
SOURCES.md says which real file each shape comes from. Run:

    .venv/bin/python tests/realworld/make_replicas.py

and commit the files it writes together with manifest.json. The tests read the committed files;
they never run this script.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

# The product's default statements (typed out, as tests/survey_text.py does).
S1 = "This meeting was a good use of my time"
S2 = "I think we discussed the right things"
S3 = "This meeting felt safe and constructive"
S4 = "I learned something new in this meeting"
FB = "How could we improve?"

FIRST_NAMES = ["Zelda", "Orrin", "Mirela", "Tobiah", "Ysolde", "Kasimir", "Quenby", "Ferelith"]
LAST_NAMES = ["Quillfeather", "Vantablack", "Okonkwo-Testa", "Brannigast", "Marchetti-Lowe", "Fjellstrand",
              "Abernathy-Pike", "Dunmorrow"]
FULL_NAMES = [f"{f} {l}" for f, l in zip(FIRST_NAMES, LAST_NAMES)]
EMAILS = [f"{f.lower()}.{l.lower()}@example.com" for f, l in zip(FIRST_NAMES, LAST_NAMES)]
IPS = ["203.0.113.7", "203.0.113.23", "203.0.113.45", "203.0.113.88", "198.51.100.14", "198.51.100.61",
       "198.51.100.102", "203.0.113.199"]
LATITUDES = ["-41.28651", "52.37022", "59.32932", "40.41678", "48.85661", "53.34981"]
LONGITUDES = ["174.77621", "4.89517", "18.06858", "-3.70379", "2.35222", "-6.26031"]
WORKER_IDS = ["A3EXAMPLEWRKR01", "A3EXAMPLEWRKR02", "A3EXAMPLEWRKR03", "A3EXAMPLEWRKR04", "A3EXAMPLEWRKR05"]
SLACK_IDS = ["U0EXAMPLE1A", "U0EXAMPLE2B", "U0EXAMPLE3C", "U0EXAMPLE4D", "U0EXAMPLE5E", "U0EXAMPLE6F"]

COMMENTS_EN = [
    "Timebox the timeline walkthrough, we ran out of time for actions.",
    "Good discussion, but the action items need owners.",
    "Please share the incident doc a day before.",
    "More time on what went well, not only what broke.",
    "The facilitator kept it blameless, thank you.",
    "Too many people talking over each other, we need a queue.",
    "Could we rotate the note taker?",
    "Great review, \"five whys\" worked well this time.",
    "Start on time; we lost ten minutes waiting.",
    "Follow-ups from last week were not checked.",
    "Useful, but the graphs were hard to read on the call.\nMaybe paste them in the doc.",
    "Less status reading, more learning.",
]
COMMENTS = {
    "de": ["Bitte pünktlich anfangen.", "Gute Diskussion, aber die Maßnahmen brauchen Verantwortliche.",
           "Mehr Zeit für das, was gut lief.", "Die Moderation war fair und ruhig."],
    "fr": ["Merci de partager le document la veille.", "Bonne discussion, mais il faut des responsables.",
           "Trop de monde parlait en même temps.", "Réunion utile, animation très calme."],
    "es": ["Empezar a la hora, por favor.", "Buena discusión, pero faltan responsables de las acciones.",
           "Más tiempo para lo que salió bien.", "Reunión útil y sin culpables."],
    "nl": ["Graag op tijd beginnen.", "Goede discussie, maar de acties hebben eigenaren nodig.",
           "Meer tijd voor wat goed ging.", "Nuttig overleg, rustig geleid."],
    "sv": ["Börja i tid, tack.", "Bra diskussion, men åtgärderna behöver ägare.",
           "Mer tid för det som gick bra.", "Nyttigt möte, lugnt lett."],
}

AGREE5_EN = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
START = datetime(2025, 9, 2, 15, 30)  # a Tuesday; one review a week from here


def submit_times(rng: random.Random, rows: int, weeks: int = 10) -> list[datetime]:
    """Submission times spread over `weeks` weekly reviews, in file order (oldest first)."""
    times = []
    for _ in range(rows):
        week = rng.randrange(weeks)
        times.append(START + timedelta(weeks=week, minutes=rng.randint(5, 30 * 60), seconds=rng.randint(0, 59)))
    return sorted(times)


def pick(rng: random.Random, labels: list[str], bias: float, blank: float) -> str:
    """One answer from an ordered label list (index 0 = lowest), leaning towards `bias` (0..1)."""
    if rng.random() < blank:
        return ""
    top = len(labels) - 1
    centre = bias * top
    index = min(top, max(0, round(rng.gauss(centre, top / 3.5))))
    return labels[index]


def comment(rng: random.Random, pool: list[str], share: float = 0.35) -> str:
    return rng.choice(pool) if rng.random() < share else ""


def label_scores(labels: list[str]) -> dict[str, int]:
    return {label: i + 1 for i, label in enumerate(labels)}


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", bom: bool = False,
              quoting: int = csv.QUOTE_MINIMAL, delimiter: str = ",", lineterminator: str = "\r\n") -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=quoting, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


FIXED_STAMP = datetime(2025, 11, 20, 9, 0, 0)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save with fixed document dates and zip entry times so reruns write identical bytes."""
    wb.properties.creator = "make_replicas.py"
    wb.properties.created = FIXED_STAMP
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                              rb"<dcterms:modified\1>2025-11-20T09:00:00Z</dcterms:modified>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 11, 20, 9, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def entry(file: str, tool: str, time_column: str, statements: dict[str, str], feedback: str | None,
          scale_max: int, labels: dict[str, int], identity: list[str], *, worksheet: str | None = None,
          expect_refusal: str | None = None, notes: str = "", **extra) -> dict:
    record = {"file": file, "tool": tool, "real": False, "worksheet": worksheet, "time_column": time_column,
              "statements": statements, "feedback_column": feedback, "scale_max": scale_max, "labels": labels,
              "identity_values": sorted(set(identity)), "expect_refusal": expect_refusal, "notes": notes}
    record.update(extra)
    return record


# --------------------------------------------------------------------------- Google Forms
def google_forms_csv(rng: random.Random) -> dict:
    """Responses CSV downloaded from the Forms UI: every cell quoted, 'YYYY/MM/DD h:mm:ss AM TZ'."""
    grid = "How much do you agree with these statements about this week's incident review?"
    header = ["Timestamp", "Email Address", f"{grid} [{S1}]", f"{grid} [{S2}]", f"{grid} [{S3}]",
              f"{grid} [{S4}]", "Which incident did you review?", FB,
              "What should we prioritise? [Improve alerting]", "What should we prioritise? [Runbooks]"]
    prio = ["Not needed", "Somewhat useful", "Critical to me"]
    rows = [header]
    used = []
    for when in submit_times(rng, 84):
        email = rng.choice(EMAILS)
        used.append(email)
        tz = "EDT" if when < datetime(2025, 11, 2) else "EST"
        stamp = when.strftime("%Y/%m/%d %I:%M:%S %p ") + tz
        answers = [pick(rng, AGREE5_EN, b, 0.04) for b in (0.75, 0.6, 0.8, 0.5)]
        if rng.random() < 0.05:
            answers = ["", "", "", ""]
        rows.append([stamp, email, *answers, rng.choice(["Checkout latency", "DNS outage", "Queue backlog", ""]),
                     comment(rng, COMMENTS_EN), rng.choice(prio + [""]), rng.choice(prio)])
    write_csv(HERE / "google_forms_team_review.csv", rows, quoting=csv.QUOTE_ALL)
    return entry("google_forms_team_review.csv", "Google Forms", "Timestamp",
                 {S1: S1, S2: S2, S3: S3, S4: S4}, FB, 5, label_scores(AGREE5_EN), used,
                 notes="Grid 'Question [Row]' headers matched on the row label; timestamp carries a US zone "
                       "abbreviation (EDT/EST) after AM/PM; a second grid ('What should we prioritise? [...]') with "
                       "closed answers must NOT be taken as feedback.")


def google_forms_workbook(rng: random.Random) -> dict:
    """Sheets 'Download .xlsx' of a course-evaluation form run twice: two response tabs + a summary tab."""
    grid = "Give your confidence levels of the following statements"
    rows_a = ["I can explain the incident timeline", "I can find the runbook for this service",
              "I can page the right on-call team"]
    statements = {r: r for r in rows_a}
    other = "Hands-on exercises and demonstrations were"  # a look-alike sibling of the statement below
    prepared = "Hands-on exercises and demonstrations were well prepared"
    statements[prepared] = prepared
    wb = Workbook()
    used = []
    wb.remove(wb.active)
    for tab, count, extra in (("Form Responses 1", 46, False), ("Form Responses 2", 38, True)):
        ws = wb.create_sheet(tab)
        header = ["Timestamp", "Email Address", "Name", *(f"{grid} [{r}]" for r in rows_a), prepared, other,
                  "Any other comments?"]
        if extra:
            header.insert(3, "Which session did you attend?")
        ws.append(header)
        for when in submit_times(rng, count):
            email, name = rng.choice(list(zip(EMAILS, FULL_NAMES)))
            used += [email, name]
            scores = []
            for bias in (0.7, 0.55, 0.8, 0.65):
                value = pick(rng, [str(i) for i in range(1, 8)], bias, 0.05)
                scores.append(int(value) if value else None)
            sibling = rng.choice(["Too long", "About right", "Too short"])
            note = comment(rng, COMMENTS_EN) or None
            row = [when, email, name, *scores, sibling, note]
            if extra:
                row.insert(3, rng.choice(["Morning", "Afternoon"]))
            ws.append(row)
        for cell in ws["A"][1:]:
            cell.number_format = "m/d/yyyy h:mm:ss"
    summary = wb.create_sheet("Summary")
    summary.append(["Statement", "Mean (1-7)", "Responses"])
    for r in rows_a:
        summary.append([r, 5.2, 84])
    save_workbook(wb, HERE / "google_forms_course_eval_workbook.xlsx")
    return entry("google_forms_course_eval_workbook.xlsx", "Google Forms", "Timestamp", statements,
                 "Any other comments?", 7, {str(i): i for i in range(1, 8)}, used,
                 notes="Two response tabs (iteration 2 has an extra column) and a 'Summary' tab that is not a "
                       "survey; Timestamp cells are real datetimes; linear scale 1-7 stored as numbers; "
                       "'Hands-on exercises and demonstrations were' is a look-alike sibling of a statement "
                       "(closed answers) and must not conflict with it.")


def google_forms_no_timestamp(rng: random.Random) -> dict:
    """A Forms CSV after someone deleted the Timestamp column in Sheets: must be refused."""
    header = ["Email Address", S1, S2, S3, "Do you spend more time on follow-ups than on the review itself?", FB]
    rows = [header]
    used = []
    for _ in range(32):
        email = rng.choice(EMAILS)
        used.append(email)
        rows.append([email, *(pick(rng, AGREE5_EN, b, 0.03) for b in (0.7, 0.6, 0.75)),
                     rng.choice(["Yes", "No", "Sometimes"]), comment(rng, COMMENTS_EN)])
    write_csv(HERE / "google_forms_no_timestamp.csv", rows, quoting=csv.QUOTE_ALL)
    return entry("google_forms_no_timestamp.csv", "Google Forms", None, {S1: S1, S2: S2, S3: S3}, FB, 5,
                 label_scores(AGREE5_EN), used,
                 expect_refusal="no submission-time column (a header that merely contains 'time' is a question, "
                                "not a time column)",
                 notes="Only a question containing the word 'time' could be mistaken for the time column.")


def google_sheets_download(rng: random.Random) -> dict:
    """The responses sheet downloaded from Sheets (File > Download > CSV): minimal quoting, 'M/D/YYYY H:MM:SS',
    stray spaces in headers and answers, and rows someone pre-filled without a timestamp."""
    header = ["Timestamp", "Full Name", f"{S1} ", S2, S3, "Team ", f"  {FB}  "]
    rows = [header]
    used = []
    for when in submit_times(rng, 47):
        name = rng.choice(FULL_NAMES)
        used.append(name)
        answers = [pick(rng, AGREE5_EN, b, 0.05) for b in (0.7, 0.6, 0.8)]
        rows.append([f"{when.month}/{when.day}/{when.year} {when.hour}:{when:%M:%S}", name + "  ", *answers,
                     rng.choice(["Payments", "Platform "]), comment(rng, COMMENTS_EN)])
    for _ in range(6):  # pre-filled rows (a name typed in by hand) with no timestamp and no answers
        name = rng.choice(FULL_NAMES)
        used.append(name)
        rows.append(["", name, "", "", "", "Payments", ""])
    rows.append(["", "", "Agree", "", "", "", ""])  # a stray answer typed below the data: no timestamp
    write_csv(HERE / "google_sheets_download.csv", rows)
    return entry("google_sheets_download.csv", "Google Forms", "Timestamp", {f"{S1} ": S1, S2: S2, S3: S3},
                 f"  {FB}  ", 5, label_scores(AGREE5_EN), used,
                 notes="Sheets CSV download (no quoting, 'M/D/YYYY H:MM:SS' with unpadded hour) as in "
                       "sshah98/GW-Data-Workshop; headers carry stray leading/trailing spaces (the manifest keys "
                       "keep them; match after trimming); trailing rows without a timestamp are rejects.")


def qualtrics_german_account(rng: random.Random) -> dict:
    """Modelled on qualtRics inst/extdata/sample.csv: row 2 meta labels in the account language (German),
    questions in English, numeric recodes, no BOM, minimal quoting, ImportIds without timeZone."""
    german = ["Anfangsdatum", "Enddatum", "Antworttyp", "IP-Adresse", "Aktueller Stand", "Dauer (in Sekunden)",
              "Beendet", "Erfassungsdatum", "Antwort-ID", "Nachname des Empfängers", "Vorname des Empfängers",
              "E-Mail des Empfängers", "Externe Datenreferenz", "Breitengrad des Standorts",
              "Längengrad des Standorts", "Verteilungskanal", "Benutzersprache"]
    grid = "Please rate this week's incident review"
    row1 = QUALTRICS_META + ["Q1_1", "Q1_2", "Q1_3", "Q2", "Q2 - Topics"]
    row2 = german + [f"{grid} - {S1}", f"{grid} - {S2}", f"{grid} - {S3}", FB, "Q2 - Topics"]
    row3 = [json.dumps({"ImportId": i}, separators=(",", ":")) for i in (
        "startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
        "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
        "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage")]
    row3 += ['{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}', '{"ImportId":"QID1_3"}', '{"ImportId":"QID2_TEXT"}',
             '{"ImportId":"QID2_TEXT_TOPICS"}']
    rows = [row1, row2, row3]
    used = []
    for done in submit_times(rng, 48):
        start = done - timedelta(seconds=rng.randint(20, 300))
        ip = rng.choice(IPS)
        geo = rng.randrange(len(LATITUDES))
        lat, lon = LATITUDES[geo] + "097045898", LONGITUDES[geo] + "9906"
        response_id = "R_" + "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                     for _ in range(15))
        used += [ip, lat, lon, response_id]
        answers = [pick(rng, ["1", "2", "3", "4", "5"], b, 0.05) for b in (0.7, 0.6, 0.8)]
        rows.append([start.strftime("%Y-%m-%d %H:%M:%S"), done.strftime("%Y-%m-%d %H:%M:%S"), "0", ip, "100",
                     str(int((done - start).total_seconds())), "1", done.strftime("%Y-%m-%d %H:%M:%S"),
                     response_id, "", "", "", "", lat, lon, "anonymous", "DE", *answers,
                     comment(rng, COMMENTS_EN), ""])
    write_csv(HERE / "qualtrics_german_account_numeric.csv", rows, lineterminator="\n")
    return entry("qualtrics_german_account_numeric.csv", "Qualtrics", "RecordedDate", {S1: S1, S2: S2, S3: S3},
                 FB, 5, {str(i): i for i in range(1, 6)}, used, header_rows=3,
                 notes="Row 2 meta labels are German ('Erfassungsdatum' = Recorded Date) because the Qualtrics "
                       "account language is German, while the questions are English; answers are numeric "
                       "recodes; an empty 'Q2 - Topics' (Text iQ) column duplicates its name in rows 1 and 2; "
                       "lat/long with 12 decimals; no BOM, minimal quoting, LF line ends.")


def qualtrics_legacy(rng: random.Random) -> dict:
    """Modelled on qualtRics inst/extdata/sample_legacy.csv: the pre-2018 layout with V1..V10 in row 1,
    the real names in row 2, data from row 3 (2 header rows), a trailing comma on every line, UTF-8 BOM."""
    row1 = [f"V{i}" for i in range(1, 11)] + ["Q1_1", "Q1_2", "Q1_3", "Q2", "LocationLatitude",
                                              "LocationLongitude", "LocationAccuracy", ""]
    grid = "How much do you agree with the following statements?"
    row2 = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress", "IPAddress", "Status",
            "StartDate", "EndDate", "Finished", f"{grid}-{S1}", f"{grid}-{S2}", f"{grid}-{S3}", FB,
            "LocationLatitude", "LocationLongitude", "LocationAccuracy", ""]
    rows = [row1, row2]
    used = []
    for done in submit_times(rng, 39):
        start = done - timedelta(seconds=rng.randint(20, 300))
        i = rng.randrange(len(FIRST_NAMES))
        ip = rng.choice(IPS)
        geo = rng.randrange(len(LATITUDES))
        response_id = "R_" + "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                     for _ in range(15))
        name = f"{LAST_NAMES[i]}, {FIRST_NAMES[i]}"
        used += [response_id, name, EMAILS[i], ip, LATITUDES[geo], LONGITUDES[geo]]
        answers = [pick(rng, AGREE5_EN, b, 0.05) for b in (0.7, 0.6, 0.8)]
        rows.append([response_id, "Default Response Set", name, "", EMAILS[i], ip, "0",
                     start.strftime("%Y-%m-%d %H:%M:%S"), done.strftime("%Y-%m-%d %H:%M:%S"), "1", *answers,
                     comment(rng, COMMENTS_EN), LATITUDES[geo], LONGITUDES[geo], "-1", ""])
    write_csv(HERE / "qualtrics_legacy_v_columns.csv", rows, bom=True, lineterminator="\n")
    return entry("qualtrics_legacy_v_columns.csv", "Qualtrics", "EndDate", {S1: S1, S2: S2, S3: S3}, FB, 5,
                 label_scores(AGREE5_EN), used, header_rows=2,
                 notes="Legacy Qualtrics export: row 1 is V1..V10 then question ids, row 2 the real names "
                       "('StartDate', 'EndDate', 'IPAddress', question text '<grid>-<row>' with a bare hyphen), "
                       "only TWO header rows, no RecordedDate (use EndDate, found in row 2), 'Name' holds "
                       "'Last, First', every line ends with a trailing comma (an empty unnamed last column).")


# --------------------------------------------------------------------------- Microsoft Forms
MSFORMS_HEADERS = {  # ID, start, completion, e-mail, name, last modified (the tool's own words)
    "en": ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time"],
    "de": ["ID", "Startzeit", "Fertigstellungszeit", "E-Mail", "Name", "Zeitpunkt der letzten Änderung"],
    "fr": ["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom",
           "Heure de la dernière modification"],
    "es": ["Id.", "Hora de inicio", "Hora de finalización", "Correo electrónico", "Nombre",
           "Hora de la última modificación"],
    "nl": ["ID", "Begintijd", "Tijd van voltooien", "E-mail", "Naam", "Tijd van laatste wijziging"],
    "sv": ["ID", "Starttid", "Slutförandetid", "E-post", "Namn", "Senaste ändringstid"],
}
LIKERT = {
    "en": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
    "de": ["Stimme überhaupt nicht zu", "Stimme nicht zu", "Neutral", "Stimme zu", "Stimme voll und ganz zu"],
    "fr": ["Pas du tout d'accord", "Pas d'accord", "Neutre", "D'accord", "Tout à fait d'accord"],
    "es": ["Totalmente en desacuerdo", "En desacuerdo", "Neutral", "De acuerdo", "Totalmente de acuerdo"],
    "nl": ["Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens"],
    "sv": ["Instämmer inte alls", "Instämmer inte", "Neutral", "Instämmer", "Instämmer helt"],
}
QUESTION = {  # (Likert question, its rows = S1, S2, S3, feedback question)
    "en": ("How much do you agree with the following statements?", [S1, S2, S3], FB),
    "de": ("Wie sehr stimmen Sie den folgenden Aussagen zu?",
           ["Diese Besprechung war eine gute Nutzung meiner Zeit", "Wir haben die richtigen Dinge besprochen",
            "Die Besprechung war sicher und konstruktiv"], "Was können wir verbessern?"),
    "fr": ("Dans quelle mesure êtes-vous d'accord avec les affirmations suivantes ?",
           ["Cette réunion a été une bonne utilisation de mon temps", "Nous avons discuté des bons sujets",
            "La réunion était sûre et constructive"], "Comment pourrions-nous nous améliorer ?"),
    "es": ("¿En qué medida está de acuerdo con las siguientes afirmaciones?",
           ["Esta reunión fue un buen uso de mi tiempo", "Hablamos de los temas correctos",
            "La reunión fue segura y constructiva"], "¿Cómo podríamos mejorar?"),
    "nl": ("In hoeverre bent u het eens met de volgende stellingen?",
           ["Deze vergadering was een goede besteding van mijn tijd", "We hebben de juiste dingen besproken",
            "De vergadering voelde veilig en constructief"], "Hoe kunnen we het beter doen?"),
    "sv": ("Hur väl instämmer du i följande påståenden?",
           ["Mötet var en bra användning av min tid", "Vi diskuterade rätt saker",
            "Mötet kändes tryggt och konstruktivt"], "Hur kan vi bli bättre?"),
}


def msforms_workbook(rng: random.Random, lang: str, count: int, anonymous_share: float) -> dict:
    """Microsoft Forms 'Open in Excel' workbook: one sheet 'Sheet1', Likert columns 'Question\n.Row'."""
    id_h, start_h, done_h, mail_h, name_h, modified_h = MSFORMS_HEADERS[lang]
    question, rows_txt, feedback = QUESTION[lang]
    labels = LIKERT[lang]
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    header = [id_h, start_h, done_h, mail_h, name_h, modified_h, *(f"{question}\n.{r}" for r in rows_txt),
              feedback]
    ws.append(header)
    used = []
    for number, done in enumerate(submit_times(rng, count), start=1):
        start = done - timedelta(seconds=rng.randint(40, 600))
        if rng.random() < anonymous_share:
            mail, name = "anonymous", None
        else:
            mail, name = rng.choice(list(zip(EMAILS, FULL_NAMES)))
            used += [mail, name]
        answers = [pick(rng, labels, b, 0.04) or None for b in (0.72, 0.6, 0.8)]
        pool = COMMENTS.get(lang, COMMENTS_EN)
        ws.append([number, start, done, mail, name, None, *answers, comment(rng, pool) or None])
    for column in ("B", "C"):
        for cell in ws[column][1:]:
            cell.number_format = "m/d/yy h:mm:ss"
    file = f"msforms_{lang}.xlsx"
    save_workbook(wb, HERE / file)
    statements = dict(zip(rows_txt, [S1, S2, S3]))
    return entry(file, "Microsoft Forms", done_h, statements, feedback, 5, label_scores(labels), used,
                 worksheet=None,
                 notes=f"Localised ({lang}) Microsoft Forms headers and Likert labels; Likert rows exported as "
                       f"'Question\\n.Row' columns (matched on the row label); statements are the product's "
                       f"English statements, so non-English rows need an alias; anonymous rows have "
                       f"Email='anonymous' and a blank Name.")


def msforms_fr_resaved(rng: random.Random) -> dict:
    """The French workbook opened in French Excel and saved as 'CSV (séparateur: point-virgule)'."""
    id_h, start_h, done_h, mail_h, name_h, modified_h = MSFORMS_HEADERS["fr"]
    question, rows_txt, feedback = QUESTION["fr"]
    labels = LIKERT["fr"]
    rows = [[id_h, start_h, done_h, mail_h, name_h, modified_h, *(f"{question}\n.{r}" for r in rows_txt), feedback]]
    used = []
    for number, done in enumerate(submit_times(rng, 41), start=1):
        start = done - timedelta(seconds=rng.randint(40, 600))
        mail, name = rng.choice(list(zip(EMAILS, FULL_NAMES)))
        used += [mail, name]
        answers = [pick(rng, labels, b, 0.04) for b in (0.7, 0.55, 0.8)]
        rows.append([str(number), start.strftime("%d/%m/%Y %H:%M"), done.strftime("%d/%m/%Y %H:%M"), mail, name,
                     "", *answers, comment(rng, COMMENTS["fr"])])
    write_csv(HERE / "msforms_fr_excel_semicolon_cp1252.csv", rows, encoding="cp1252", delimiter=";")
    return entry("msforms_fr_excel_semicolon_cp1252.csv", "Microsoft Forms", done_h,
                 dict(zip(rows_txt, [S1, S2, S3])), feedback, 5, label_scores(labels), used,
                 encoding="cp1252", delimiter=";",
                 notes="Re-saved by French Excel: Windows-1252 (no BOM), ';' separator, dd/mm/yyyy HH:MM dates "
                       "(day first, no seconds), multi-line quoted headers kept.")


# --------------------------------------------------------------------------- Typeform
def typeform_current(rng: random.Random) -> dict:
    """Typeform 'Download responses (CSV)' with Response Type / Stage Date / Tags (2024+ layout)."""
    labels = ["Disagree completely", "Disagree somewhat", "No strong feelings", "Agree somewhat", "Agree completely"]
    header = ["#", S1, S2, S3, S4, "Which team are you on?", "Anything else you want to tell us?",
              "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags"]
    rows = [header]
    used = []
    for done in submit_times(rng, 73):
        token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
        network = "".join(rng.choice("0123456789abcdef") for _ in range(10))
        used += [token, network]
        start = done - timedelta(seconds=rng.randint(30, 400))
        answers = [pick(rng, labels, b, 0.03) for b in (0.7, 0.65, 0.85, 0.45)]
        rows.append([token, *answers, rng.choice(["Payments", "Platform", "Search"]), comment(rng, COMMENTS_EN),
                     "completed", start.strftime("%Y-%m-%d %H:%M:%S"), "", done.strftime("%Y-%m-%d %H:%M:%S"),
                     network, ""])
    write_csv(HERE / "typeform_team_review.csv", rows)
    return entry("typeform_team_review.csv", "Typeform", "Submit Date (UTC)", {S1: S1, S2: S2, S3: S3, S4: S4},
                 "Anything else you want to tell us?", 5, label_scores(labels), used,
                 notes="Answer labels 'Agree completely' / 'Disagree completely' / 'No strong feelings'; '#' is a "
                       "32-character response token; 'Start Date (UTC)' precedes 'Submit Date (UTC)' (use the "
                       "submit date); empty 'Stage Date (UTC)' and 'Tags'.")


def typeform_classic_7pt(rng: random.Random) -> dict:
    """Older Typeform CSV: '#', questions, Start Date (UTC), Submit Date (UTC), Network ID; opinion scale 1-7."""
    header = ["#", "On a scale of 1-7: <strong>this retro was a good use of my time</strong>",
              "On a scale of 1-7: the action items from this retro are realistic",
              "What would make the next retro better?", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]
    rows = [header]
    used = []
    for done in submit_times(rng, 52, weeks=6):
        token = "".join(rng.choice("abcdef0123456789") for _ in range(32))
        network = "".join(rng.choice("0123456789abcdef") for _ in range(10))
        used += [token, network]
        start = done - timedelta(seconds=rng.randint(30, 400))
        answers = [pick(rng, [str(i) for i in range(1, 8)], b, 0.05) for b in (0.7, 0.5)]
        rows.append([token, *answers, comment(rng, COMMENTS_EN), start.strftime("%Y-%m-%d %H:%M:%S"),
                     done.strftime("%Y-%m-%d %H:%M:%S"), network])
    write_csv(HERE / "typeform_retro_7pt.csv", rows)
    statements = {header[1]: "This retro was a good use of my time", header[2]: "The action items are realistic"}
    return entry("typeform_retro_7pt.csv", "Typeform", "Submit Date (UTC)", statements, header[3], 7,
                 {str(i): i for i in range(1, 8)}, used,
                 notes="Pre-2024 Typeform layout (no Response Type/Stage Date/Tags); question headers contain HTML "
                       "markup as typed in the builder; 7-point opinion scale stored as numbers.")


TYPEFORM_OWN_QUESTIONS = [
    "How useful was this week's incident review for you?",
    "Did we spend the time on the incidents that mattered?",
    "How safe did it feel to speak up?",
    "What did you take away (0 = nothing new, 5 = a lot)?",
]


def typeform_title_row(rng: random.Random) -> dict:
    """Typeform CSV (2024+ layout) opened in Google Sheets, given a title line above the header and downloaded
    again as CSV (issue #24 item 3): row 1 holds only the title, the real header is row 2. The questions are
    the team's own wording, so no statement matches by text: a mapping must name them."""
    header = ["#", *TYPEFORM_OWN_QUESTIONS, "Anything else you want to tell us?",
              "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags"]
    title = ["Incident review pulse - responses (exported from Typeform)"] + [""] * (len(header) - 1)
    rows = [title, header]
    used = []
    for done in submit_times(rng, 41, weeks=5):
        token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
        network = "".join(rng.choice("0123456789abcdef") for _ in range(10))
        used += [token, network]
        start = done - timedelta(seconds=rng.randint(30, 400))
        answers = [pick(rng, [str(i) for i in range(1, 6)], b, 0.04) for b in (0.7, 0.6, 0.85, 0.5)]
        rows.append([token, *answers, comment(rng, COMMENTS_EN), "completed", start.strftime("%Y-%m-%d %H:%M:%S"), "",
                     done.strftime("%Y-%m-%d %H:%M:%S"), network, ""])
    write_csv(HERE / "typeform_title_row.csv", rows)
    return entry("typeform_title_row.csv", "Typeform", "Submit Date (UTC)",
                 dict(zip(TYPEFORM_OWN_QUESTIONS, (S1, S2, S3, S4))), "Anything else you want to tell us?", 5,
                 {str(i): i for i in range(1, 6)}, used, title_rows=1,
                 notes="A title line above the header (row 1 names one cell of 13): the header is found below it. "
                       "Questions in the team's own words: only a declared mapping names them. Opinion scale 1-5 "
                       "as numbers.")


# --------------------------------------------------------------------------- Qualtrics
QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
                  "UserLanguage"]
QUALTRICS_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
                  "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
                  "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
                  "Distribution Channel", "User Language"]


def qualtrics_import_ids(tz: str) -> list[str]:
    ids = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
           "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
           "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage"]
    out = []
    for i in ids:
        if i in ("startDate", "endDate", "recordedDate"):
            out.append(json.dumps({"ImportId": i, "timeZone": tz}, separators=(",", ":")))
        else:
            out.append(json.dumps({"ImportId": i}, separators=(",", ":")))
    return out


def qualtrics_meta_row(rng: random.Random, done: datetime, fmt: str, numeric: bool) -> tuple[list[str], list[str]]:
    start = done - timedelta(seconds=rng.randint(60, 900))
    i = rng.randrange(len(FIRST_NAMES))
    geo = rng.randrange(len(LATITUDES))
    ip = rng.choice(IPS)
    response_id = "R_" + "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                 for _ in range(15))
    ext = f"EMP-{rng.randint(10000, 99999)}"
    row = [start.strftime(fmt), done.strftime(fmt), "0" if numeric else "IP Address", ip, "100",
           str(int((done - start).total_seconds())), "1" if numeric else "True", done.strftime(fmt), response_id,
           LAST_NAMES[i], FIRST_NAMES[i], EMAILS[i], ext, LATITUDES[geo], LONGITUDES[geo],
           "email" if numeric else "anonymous", "EN"]
    return row, [ip, response_id, LAST_NAMES[i], FIRST_NAMES[i], EMAILS[i], ext, LATITUDES[geo], LONGITUDES[geo]]


def qualtrics_choice_text(rng: random.Random) -> dict:
    """Qualtrics 'Download data' CSV, 'Use choice text': UTF-8 BOM, every cell quoted, 3 header rows."""
    grid = "To what extent do you agree with the following statements about this incident review?"
    labels = ["Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree",
              "Strongly agree"]
    row1 = QUALTRICS_META + ["study_time", "Q1_1", "Q1_2", "Q1_3", "Q1_4", "Q2", "Q3", "workerId"]
    row2 = QUALTRICS_TEXT + ["study_time", *(f"{grid} - {s}" for s in (S1, S2, S3, S4)),
                             "Do you spend more time preparing for the review than in it?", FB, "workerId"]
    row3 = qualtrics_import_ids("America/Denver") + [
        '{"ImportId":"study_time"}', '{"ImportId":"QID1_1"}', '{"ImportId":"QID1_2"}', '{"ImportId":"QID1_3"}',
        '{"ImportId":"QID1_4"}', '{"ImportId":"QID2"}', '{"ImportId":"QID3_TEXT"}', '{"ImportId":"workerId"}']
    rows = [row1, row2, row3]
    used = []
    for done in submit_times(rng, 120):
        meta, ident = qualtrics_meta_row(rng, done, "%Y-%m-%d %H:%M:%S", numeric=False)
        worker = rng.choice(WORKER_IDS)
        used += ident + [worker]
        answers = [pick(rng, labels, b, 0.04) for b in (0.7, 0.6, 0.8, 0.45)]
        if rng.random() < 0.04:
            answers = ["", "", "", ""]
        rows.append([*meta, str(rng.randint(1, 40)), *answers, rng.choice(["Yes", "No", ""]),
                     comment(rng, COMMENTS_EN), worker])
    write_csv(HERE / "qualtrics_incident_review.csv", rows, bom=True, quoting=csv.QUOTE_ALL)
    return entry("qualtrics_incident_review.csv", "Qualtrics", "RecordedDate", {S1: S1, S2: S2, S3: S3, S4: S4},
                 FB, 5, label_scores(labels), used, header_rows=3,
                 notes="Row 1 ids (Q1_1..), row 2 question text ('<grid> - <row>'), row 3 ImportId JSON with "
                       "timeZone; statements/feedback are named by their row-2 text. 'study_time' (numbers) sits "
                       "before RecordedDate and must not be taken as the time column; IPAddress, Recipient*, "
                       "ExternalReference, LocationLatitude/Longitude and workerId hold identity.")


def qualtrics_excel_resaved_7pt(rng: random.Random) -> dict:
    """A 7-point Qualtrics export re-saved by Excel (NZ locale): d/m/yyyy H:MM dates, no BOM, minimal quoting."""
    labels = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree",
              "Agree", "Strongly agree"]
    row1 = QUALTRICS_META + ["Q_BallotBoxStuffing", "1_Q1_1", "1_Q1_2", "1_Q1_3", "1_Q2_TEXT"]
    grid = "Thinking about the post-incident review you attended"
    rows_txt = ["The review focused on learning, not blame", "I could speak up without fear",
                "The actions agreed are worth doing"]
    row2 = QUALTRICS_TEXT + ["Q_BallotBoxStuffing", *(f"1_{grid} - {r}" for r in rows_txt),
                             "1_Comments - Anything else?"]
    row3 = qualtrics_import_ids("Pacific/Auckland") + ['{"ImportId":"Q_BallotBoxStuffing"}',
                                                        '{"ImportId":"1_QID10_1"}', '{"ImportId":"1_QID10_2"}',
                                                        '{"ImportId":"1_QID10_3"}', '{"ImportId":"1_QID7_TEXT"}']
    rows = [row1, row2, row3]
    used = []
    for done in submit_times(rng, 64):
        meta, ident = qualtrics_meta_row(rng, done, "%-d/%-m/%Y %-H:%M", numeric=True)
        used += ident
        answers = [pick(rng, labels, b, 0.05) for b in (0.75, 0.7, 0.6)]
        rows.append([*meta, "", *answers, comment(rng, COMMENTS_EN)])
    write_csv(HERE / "qualtrics_excel_resaved_7pt.csv", rows)
    statements = {
        rows_txt[0]: "The review focused on learning, not blame",
        rows_txt[1]: "I could speak up without fear",
        rows_txt[2]: "The actions agreed are worth doing",
    }
    return entry("qualtrics_excel_resaved_7pt.csv", "Qualtrics", "RecordedDate", statements,
                 "1_Comments - Anything else?", 7, label_scores(labels), used, header_rows=3,
                 notes="Modelled on the FinSL-signbank export: loop-prefixed ids ('1_Q1_1'), timeZone "
                       "Pacific/Auckland, numeric Status/Finished, Excel re-save gives day-first 'd/m/yyyy H:MM' "
                       "(no seconds, no zero padding) and drops the BOM and the quoting; 7-point agreement labels.")


def qualtrics_unrelated(rng: random.Random) -> dict:
    """A Qualtrics study export that has none of the configured statements: must be refused."""
    row1 = QUALTRICS_META + ["study_time", "Q1", "Q2", "Q3_TEXT"]
    row2 = QUALTRICS_TEXT + ["study_time", "How many hours a week do you study?",
                             "Do you spend more time reading than writing code?", "Anything else?"]
    row3 = qualtrics_import_ids("America/Denver") + ['{"ImportId":"study_time"}', '{"ImportId":"QID1"}',
                                                      '{"ImportId":"QID2"}', '{"ImportId":"QID3_TEXT"}']
    rows = [row1, row2, row3]
    used = []
    for done in submit_times(rng, 40):
        meta, ident = qualtrics_meta_row(rng, done, "%Y-%m-%d %H:%M:%S", numeric=False)
        used += ident
        rows.append([*meta, str(rng.randint(1, 12)), str(rng.randint(0, 30)), rng.choice(["Yes", "No"]),
                     comment(rng, COMMENTS_EN)])
    write_csv(HERE / "qualtrics_unrelated_study.csv", rows, bom=True, quoting=csv.QUOTE_ALL)
    return entry("qualtrics_unrelated_study.csv", "Qualtrics", "RecordedDate", {S1: S1, S2: S2, S3: S3}, None, 5,
                 label_scores(AGREE5_EN), used, header_rows=3,
                 expect_refusal="no column matches any configured statement",
                 notes="Has 'study_time' and a question containing 'time'; neither is a statement or the time "
                       "column. Refusal must not mention identity values.")


# --------------------------------------------------------------------------- SurveyMonkey
def surveymonkey(rng: random.Random) -> dict:
    """SurveyMonkey 'All responses data', CSV, expanded: question row + sub-answer row."""
    matrix = "How much do you agree with the following statements?\n(Think about this week's review only.)"
    single = 'Overall, was this "review" worth attending?'
    openq = "What one thing would make the next review better?"
    header = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
              "First Name", "Last Name", "Custom Data 1", matrix, "", "", "", single, openq]
    sub = ["", "", "", "", "", "", "", "", "", S1, S2, S3, S4, "Response", "Open-Ended Response"]
    rows = [header, sub]
    used = []
    for done in submit_times(rng, 95):
        start = done - timedelta(seconds=rng.randint(40, 700))
        respondent = str(rng.randint(110000000000, 119999999999))
        i = rng.randrange(len(FIRST_NAMES))
        ip = rng.choice(IPS)
        custom = f"team-{rng.choice(['payments', 'platform', 'search'])}"
        used += [respondent, ip, EMAILS[i], FIRST_NAMES[i], LAST_NAMES[i]]
        answers = [pick(rng, AGREE5_EN, b, 0.05) for b in (0.7, 0.6, 0.8, 0.5)]
        if rng.random() < 0.04:
            answers = ["", "", "", ""]
        rows.append([respondent, "431987654", start.strftime("%m/%d/%Y %I:%M:%S %p"),
                     done.strftime("%m/%d/%Y %I:%M:%S %p"), ip, EMAILS[i], FIRST_NAMES[i], LAST_NAMES[i], custom,
                     *answers, rng.choice(["Yes", "No", "Not sure"]), comment(rng, COMMENTS_EN)])
    write_csv(HERE / "surveymonkey_team_review.csv", rows)
    return entry("surveymonkey_team_review.csv", "SurveyMonkey", "End Date", {S1: S1, S2: S2, S3: S3, S4: S4},
                 openq, 5, label_scores(AGREE5_EN), used, header_rows=2,
                 notes="Row 1: meta columns then question text, blank continuation cells for the matrix's other "
                       "rows; row 2: sub-answer labels (matrix row labels, 'Response', 'Open-Ended Response'). "
                       "The matrix question text has an embedded line break; a question contains doubled quotes. "
                       "Dates 'MM/DD/YYYY hh:mm:ss AM'. Statements are the row-2 labels; feedback is the row-1 "
                       "question above 'Open-Ended Response'.")


# --------------------------------------------------------------------------- LimeSurvey
LIME_LABELS = ["Definitely Disagree", "Mostly Disagree", "Neither Agree nor Disagree", "Mostly Agree",
               "Definitely Agree"]


def limesurvey_full_text(rng: random.Random) -> dict:
    """LimeSurvey 'Export responses' CSV: full question text headings, full answers, all cells quoted."""
    grid = "Please rate the following statements about the review"
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
              "refurl", f"{grid} [{S1}]", f"{grid} [{S2}]", f"{grid} [{S3}]", "Comments"]
    rows = [header]
    used = []
    for number, done in enumerate(submit_times(rng, 88), start=1):
        start = done - timedelta(seconds=rng.randint(40, 700))
        seed = str(rng.randint(100000000, 2147483647))
        ip = rng.choice(IPS)
        used.append(ip)
        complete = rng.random() > 0.08
        answers = [pick(rng, LIME_LABELS, b, 0.04) for b in (0.7, 0.62, 0.78)]
        text = comment(rng, COMMENTS_EN)
        if not complete:  # an abandoned response: no submitdate, stopped on page 1
            answers[2] = ""
            text = ""
        rows.append([str(number), done.strftime("%Y-%m-%d %H:%M:%S") if complete else "", "2" if complete else "1",
                     "en", seed, start.strftime("%Y-%m-%d %H:%M:%S"), done.strftime("%Y-%m-%d %H:%M:%S"), ip,
                     "https://intranet.example.com/reviews", *answers, text])
    write_csv(HERE / "limesurvey_full_text.csv", rows, quoting=csv.QUOTE_ALL, lineterminator="\n")
    return entry("limesurvey_full_text.csv", "LimeSurvey", "submitdate", {S1: S1, S2: S2, S3: S3}, "Comments", 5,
                 label_scores(LIME_LABELS), used,
                 notes="Incomplete responses have an empty submitdate (but a datestamp/startdate): they are rejected "
                       "(no submission time), not counted. Grid headers 'Question [Row]'; answer labels "
                       "'Definitely/Mostly Agree/Disagree' from a real LimeSurvey label set; LF line ends.")


def limesurvey_codes_semicolon(rng: random.Random) -> dict:
    """LimeSurvey export with 'question code' headings, full answers, ';' separator, UTF-8 BOM."""
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
              "REVIEW[SQ001]", "REVIEW[SQ002]", "REVIEW[SQ003]", "REVIEW[SQ004]", "TEAM", "COMMENTS01"]
    rows = [header]
    for number, done in enumerate(submit_times(rng, 57), start=1):
        start = done - timedelta(seconds=rng.randint(40, 700))
        answers = [pick(rng, LIME_LABELS, b, 0.05) for b in (0.7, 0.55, 0.8, 0.5)]
        rows.append([str(number), done.strftime("%Y-%m-%d %H:%M:%S"), "2", "de", str(rng.randint(1000, 99999999)),
                     start.strftime("%Y-%m-%d %H:%M:%S"), done.strftime("%Y-%m-%d %H:%M:%S"), *answers,
                     rng.choice(["A1", "A2", "A3"]), comment(rng, COMMENTS_EN)])
    write_csv(HERE / "limesurvey_codes_semicolon.csv", rows, quoting=csv.QUOTE_ALL, delimiter=";", bom=True)
    statements = {"REVIEW[SQ001]": S1, "REVIEW[SQ002]": S2, "REVIEW[SQ003]": S3, "REVIEW[SQ004]": S4}
    return entry("limesurvey_codes_semicolon.csv", "LimeSurvey", "submitdate", statements, "COMMENTS01", 5,
                 label_scores(LIME_LABELS), [], delimiter=";",
                 notes="Question-code headings ('REVIEW[SQ001]'): the row label 'SQ001' means nothing, so the "
                       "statements can only be declared (exact header in [[sources]]); ';' separator with a UTF-8 "
                       "BOM; no ipaddr/refurl columns (anonymised survey).")


def limesurvey_all_incomplete(rng: random.Random) -> dict:
    """Only abandoned responses (no submitdate anywhere): rows exist but none is usable, so the run fails."""
    grid = "Please rate the following statements about the review"
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr",
              "refurl", f"{grid} [{S1}]", f"{grid} [{S2}]", "Comments"]
    rows = [header]
    used = []
    for number, done in enumerate(submit_times(rng, 30), start=1):
        ip = rng.choice(IPS)
        used.append(ip)
        rows.append([str(number), "", "1", "en", str(rng.randint(1000, 99999999)),
                     (done - timedelta(minutes=3)).strftime("%Y-%m-%d %H:%M:%S"),
                     done.strftime("%Y-%m-%d %H:%M:%S"), ip, "",
                     pick(rng, LIME_LABELS, 0.6, 0.1), "", ""])
    write_csv(HERE / "limesurvey_all_incomplete.csv", rows, quoting=csv.QUOTE_ALL, lineterminator="\n")
    return entry("limesurvey_all_incomplete.csv", "LimeSurvey", "submitdate", {S1: S1, S2: S2}, "Comments", 5,
                 label_scores(LIME_LABELS), used,
                 expect_refusal="no usable response: every row lacks a submission time (submitdate empty); "
                                "fail with the file, the count and the most common reason",
                 notes="A file of abandoned responses; must fail loudly (exit 2), not load 0 rows with success.")


# --------------------------------------------------------------------------- Slack Workflow Builder
def slack_workflow(rng: random.Random) -> dict:
    """A Workflow Builder form's responses downloaded as CSV (shape as the project's demo export)."""
    header = ["Timestamp", "Submitted by", S1, S2, S3, S4, FB]
    rows = [header]
    used = []
    for done in submit_times(rng, 66):
        name = rng.choice(FULL_NAMES)
        used.append(name)
        answers = [pick(rng, AGREE5_EN, b, 0.03) for b in (0.7, 0.65, 0.82, 0.5)]
        text = comment(rng, COMMENTS_EN + [f"Ask <@{rng.choice(SLACK_IDS)}> to run the next one",
                                           "<!here> please read the doc first"])
        rows.append([done.strftime("%-m/%-d/%Y %H:%M:%S"), name, *answers, text])
    write_csv(HERE / "slack_workflow_form.csv", rows)
    return entry("slack_workflow_form.csv", "Slack Workflow Builder", "Timestamp",
                 {S1: S1, S2: S2, S3: S3, S4: S4}, FB, 5, label_scores(AGREE5_EN), used,
                 notes="No public raw Workflow Builder export was found; this follows the project's demo shape "
                       "(Timestamp, Submitted by, statements, feedback). Feedback contains Slack mentions "
                       "(<@U...>, <!here>) that must be scrubbed; the count of feedback is unchanged.")


WRITERS = [
    (google_forms_csv, 101), (google_forms_workbook, 102), (google_forms_no_timestamp, 103),
    (google_sheets_download, 104),
    (lambda r: msforms_workbook(r, "en", 58, 0.0), 201), (lambda r: msforms_workbook(r, "de", 44, 0.3), 202),
    (lambda r: msforms_workbook(r, "fr", 37, 0.0), 203), (lambda r: msforms_workbook(r, "es", 35, 0.2), 204),
    (lambda r: msforms_workbook(r, "nl", 40, 0.0), 205), (lambda r: msforms_workbook(r, "sv", 33, 0.5), 206),
    (msforms_fr_resaved, 207),
    (typeform_current, 301), (typeform_classic_7pt, 302), (typeform_title_row, 303),
    (qualtrics_choice_text, 401), (qualtrics_excel_resaved_7pt, 402), (qualtrics_unrelated, 403),
    (qualtrics_german_account, 404), (qualtrics_legacy, 405),
    (surveymonkey, 501),
    (limesurvey_full_text, 601), (limesurvey_codes_semicolon, 602), (limesurvey_all_incomplete, 603),
    (slack_workflow, 701),
]


# Real public files kept OUTSIDE git in the cache folder (workplace rule: fetched content is not committed).
# Tests run these only when the folder exists: $REALWORLD_CACHE, default /work/wt/realworld-cache.
REAL_ENTRIES = [
    {"file": "qualtrics_qualtRics_sample.csv", "tool": "Qualtrics", "real": True, "worksheet": None,
     "time_column": "RecordedDate", "statements": {"This is a multiple choice question.": "A multiple choice question"},
     "feedback_column": "This is a free text question.", "scale_max": 5, "labels": {"2": 2},
     "identity_values": ["130.92.34.66", "R_2YPOQ602ER1jkf1", "47.115097045898", "7.2315979003906"],
     "expect_refusal": None, "header_rows": 3,
     "notes": "ropensci/qualtRics inst/extdata/sample.csv (MIT). One response; row 2 meta labels in German; "
              "multiple-choice answer exported as the recode '2'."},
    {"file": "qualtrics_qualtRics_sample_legacy.csv", "tool": "Qualtrics", "real": True, "worksheet": None,
     "time_column": "EndDate", "statements": {"This is a multiple choice question.": "A multiple choice question"},
     "feedback_column": "This is a free text question.", "scale_max": 5, "labels": {"2": 2},
     "identity_values": ["130.92.34.66", "R_2YPOQ602ER1jkf1", "47.115097045898", "7.2315979003906"],
     "expect_refusal": None, "header_rows": 2,
     "notes": "ropensci/qualtRics inst/extdata/sample_legacy.csv (MIT). Legacy layout: V1..V10 in row 1, names in "
              "row 2, UTF-8 BOM, trailing comma; 'Name' holds 'Anonym' (German account)."},
]


def main() -> None:
    manifest = [write(random.Random(seed)) for write, seed in WRITERS] + REAL_ENTRIES
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    print(f"wrote {len(WRITERS)} replicas and manifest.json ({len(REAL_ENTRIES)} cached real files listed) to {HERE}")


if __name__ == "__main__":
    main()
