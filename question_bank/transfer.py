"""Reading and writing question files: the Excel template, JSON (round trip) and Moodle XML.

Readers turn a file into rows of interchange data with row-by-row problems, in the user's language;
they never touch the database. Writers take questions with their current versions."""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from xml.etree import ElementTree as ET

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import archives, clock
from core.excel import append_row
from question_bank import qtypes, rules
from question_bank.messages import field_name, problem_message
from question_bank.qtypes.base import moodle_text

FORMAT = "iiom-question-bank"
FORMAT_VERSION = 1
OPTION_LETTERS = qtypes.OPTION_KEYS


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: int = 12

    @property
    def header(self) -> str:
        return f"{self.zh} {self.en}"


COLUMNS = [
    Column("code", "编号", "Code", 12),
    Column("type", "题型", "Type", 10),
    Column("module", "知识模块", "Module", 10),
    Column("level", "等级", "Level", 10),
    Column("difficulty", "难度", "Difficulty", 8),
    Column("stem", "题干", "Stem", 50),
    *[Column(f"option_{k}", f"选项{k}", f"Option {k}", 22) for k in OPTION_LETTERS],
    Column("answer", "答案", "Answer", 12),
    Column("explanation", "解析", "Explanation", 40),
    Column("tags", "标签", "Tags", 16),
    Column("source", "来源", "Source", 14),
    Column("status", "状态", "Status", 10),
    Column("work", "工作内容", "Work content", 10),
    Column("pool", "用途", "Pool", 8),
    Column("stem_en", "英文题干", "Stem EN", 40),
    *[Column(f"option_{k}_en", f"英文选项{k}", f"Option {k} EN", 20) for k in OPTION_LETTERS],
    Column("explanation_en", "英文解析", "Explanation EN", 30),
]
REQUIRED_COLUMNS = {"type", "module", "level", "difficulty", "stem", "answer", "explanation"}
MAX_CELL = 5000
MAX_ROWS = 5000
MAX_COLUMNS = 100  # the template has 31; more is a mistake, or a sheet that declares 16,384

# The type cell: a kind's code, its Chinese label with or without 题, or one of its words.
TYPE_WORDS = {word.casefold(): kind.code for kind in qtypes.kinds()
              for word in (kind.code, kind.label_zh, kind.label_zh + "题", *kind.words)}
LEVEL_WORDS = {"junior": "junior", "初级": "junior", "intermediate": "intermediate", "中级": "intermediate",
               "senior": "senior", "高级": "senior"}
STATUS_WORDS = {"draft": "draft", "草稿": "draft", "active": "active", "启用": "active",
                "retired": "retired", "停用": "retired"}
LEVEL_LABEL_ZH = {"junior": "初级", "intermediate": "中级", "senior": "高级"}
POOL_WORDS = {"exam": "exam", "考试": "exam", "practice": "practice", "练习": "practice",
              "both": "both", "两者": "both", "考试和练习": "both"}
POOL_LABEL_ZH = {"exam": "考试", "practice": "练习", "both": "两者"}
STATUS_LABEL_ZH = {"draft": "草稿", "active": "启用", "retired": "停用"}


@dataclass
class RowProblem:
    column: str  # what the user sees: "F 题干 Stem", or "" for the whole row
    message: str


@dataclass
class ParsedRow:
    number: int  # the row number in the file (Excel row, or position in the JSON list)
    data: dict | None  # interchange content, None when the row could not be read
    code: str | None = None
    status: str | None = None
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.problems


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems with the file as a whole

    def dumps(self) -> str:
        """As JSON: an upload is read once, and its dry run is kept in this form until confirmed."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str) -> ParsedFile:
        document = json.loads(text)
        rows = [ParsedRow(r["number"], r["data"], code=r["code"], status=r["status"],
                          problems=[RowProblem(**p) for p in r["problems"]]) for r in document["rows"]]
        return cls(rows=rows, errors=document["errors"])


# --- Excel -------------------------------------------------------------------------------------


def _norm_header(value) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().casefold()


HEADER_LOOKUP = {}
for _c in COLUMNS:
    for _name in (_c.header, _c.zh, _c.en, _c.key):
        HEADER_LOOKUP[_norm_header(_name)] = _c


def template_bytes(questions: list | None = None) -> bytes:
    """The Excel template (header, an instructions sheet); with `questions`, an export in the same
    layout, which imports back unchanged."""
    wb = Workbook()
    ws = wb.active
    ws.title = "questions"
    append_row(ws, [c.header for c in COLUMNS])
    fill = PatternFill("solid", fgColor="DDE7F3")
    for i, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="C00000" if column.key in REQUIRED_COLUMNS else "000000")
        cell.fill = fill
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "G2"
    if questions is None:
        append_row(ws, _example_row())
    else:
        for question in questions:
            append_row(ws, _row_of(question))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_sheet = wb.create_sheet("说明 help")
    for line in _help_lines():
        append_row(help_sheet, [line])
    help_sheet.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _example_row() -> list:
    example = {
        "code": "", "type": qtypes.kinds()[0].label_zh, "module": 1, "level": "初级", "difficulty": 1,
        "stem": "MQTT 协议未加密连接的默认 TCP 端口是哪一个？",
        "option_A": "80", "option_B": "1883", "option_C": "502", "option_D": "4840",
        "answer": "B", "explanation": "MQTT 明文连接默认使用 1883，TLS 连接常用 8883。",
        "tags": "MQTT, 端口", "source": "", "status": "草稿", "work": "M1",
    }
    return [example.get(c.key, "") for c in COLUMNS]


def _help_lines() -> list[str]:
    return [
        "每行一道题；第一行为表头，请勿修改。红色表头为必填列。 One question per row; keep the header row. Red headers are required.",
        "编号 Code：留空则自动生成（如 M1-J-001）；填写已有编号则为修改该题（生成新版本）。 Empty: assigned automatically; an existing code revises that question.",
        "题型 Type：" + " / ".join(k.label_zh for k in qtypes.kinds())
        + " (" + " / ".join(k.code for k in qtypes.kinds()) + ")",
        "知识模块 Module：1 网络架构搭建  2 工业互联网平台集成  3 数据处理、运维与分析  4 自动化控制  5 系统安全与职业道德",
        "等级 Level：初级 / 中级 / 高级 (junior / intermediate / senior)；难度 Difficulty：1-5",
        "选项 Options：" + "、".join(f"{k.label_zh}至少 {k.min_options} 项" for k in qtypes.kinds() if k.has_options)
        + "，从 A 起连续填写；其他题型不填选项。",
        "答案 Answer：" + "；".join(k.excel_help for k in qtypes.kinds()) + "。",
        "标签 Tags：用逗号分隔。状态 Status：草稿 / 启用 / 停用，留空为草稿。",
        "用途 Pool：考试 / 练习 / 两者 (exam / practice / both)，新题留空为两者；练习见过的题不再进入安全考试。"
        " Empty: both for a new question, unchanged for an existing one.",
        "工作内容 Work content：所考的工作内容，技能要求表 1.2-1.4 的编号（初级 J-1.1…，中级 I-1.1…，高级 S-1.1…，须与等级一致）"
        "或知识模块 M1-M5；留空为未标注。 A skill item of the level's table, or a knowledge module M1-M5.",
        "英文列可留空；如填写英文题干，选择题的每个选项也须填写英文。 English columns are optional.",
    ]


def _row_of(question) -> list:
    v = question.current_version
    values = {
        "code": question.code,
        "type": v.kind.label_zh,
        "module": v.module,
        "level": LEVEL_LABEL_ZH[v.level.value],
        "difficulty": v.difficulty,
        "stem": v.stem,
        "answer": v.kind.excel_cell(v.answer),
        "explanation": v.explanation,
        "tags": ", ".join(v.tags),
        "source": v.source,
        "status": STATUS_LABEL_ZH[question.status.value],
        "work": question.work,
        "pool": POOL_LABEL_ZH[question.pool.value],
        "stem_en": v.stem_en or "",
        "explanation_en": v.explanation_en or "",
    }
    for option in v.options:
        values[f"option_{option['key']}"] = option["text"]
        values[f"option_{option['key']}_en"] = option.get("text_en") or ""
    return [values.get(c.key, "") for c in COLUMNS]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_key(qtype: str | None, raw: str):
    """An answer typed as in the Excel template (B, ACD, 对/错, a | b; c, 0.8 ± 0.01 MPa) in
    interchange form; for an unknown type the text as it is, for the validation to report."""
    try:
        kind = qtypes.get(qtype)
    except qtypes.UnknownType:
        return raw.strip()
    return kind.parse_cell(raw.strip())


def _int_or_raw(raw: str):
    try:
        return int(raw)
    except ValueError:
        match = re.match(r"^\s*(\d+)\b", raw)  # "1 网络架构搭建"
        return int(match.group(1)) if match else raw


def read_xlsx(data: bytes) -> ParsedFile:
    parsed = ParsedFile()
    if not data:
        parsed.errors.append(str(_l("The file is empty.")))
        return parsed
    not_xlsx = str(_l("This is not an Excel .xlsx file. Download the template and fill it in."))
    try:
        wb = archives.open_xlsx(data)
    except archives.ArchiveRefused as exc:
        parsed.errors.append(str(exc.message))
        return parsed
    except archives.NOT_XLSX:
        parsed.errors.append(not_xlsx)
        return parsed
    try:
        return _read_sheet(archives.first_sheet_rows(wb, max_col=MAX_COLUMNS), parsed)
    except archives.DamagedWorkbook:
        return ParsedFile(errors=[not_xlsx])
    finally:
        wb.close()  # read-only workbooks keep the file open until closed


def _read_sheet(rows, parsed: ParsedFile) -> ParsedFile:
    header = next(rows, None)
    if not header or not any(header):
        parsed.errors.append(str(_l("The first sheet has no header row. Download the template and fill it in.")))
        return parsed
    columns: list[Column | None] = []
    for i, name in enumerate(header, start=1):
        if name is None or _norm_header(name) == "":
            columns.append(None)
            continue
        column = HEADER_LOOKUP.get(_norm_header(name))
        if column is None:
            parsed.errors.append(str(_l("Column %(col)s: unknown header “%(name)s”.",
                                        col=get_column_letter(i), name=name)))
        elif column in columns:
            parsed.errors.append(str(_l("Column %(col)s: the header “%(name)s” appears twice.",
                                        col=get_column_letter(i), name=name)))
        columns.append(column)
    present = {c.key for c in columns if c}
    for key in sorted(REQUIRED_COLUMNS - present, key=[c.key for c in COLUMNS].index):
        column = next(c for c in COLUMNS if c.key == key)
        parsed.errors.append(str(_l("The required column “%(name)s” is missing.", name=column.header)))
    if parsed.errors:
        return parsed
    where = {c.key: f"{get_column_letter(i)} {c.header}" for i, c in enumerate(columns, start=1) if c}
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            parsed.errors.append(str(_l("The file has more than %(n)d rows; split it.", n=MAX_ROWS)))
            break
        cells = {c.key: _text(v) for c, v in zip(columns, values, strict=False) if c}
        if not any(cells.values()):
            continue
        parsed.rows.append(_row_from_cells(number, cells, where))
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(str(_l("The file has a header but no questions.")))
    return parsed


def _row_from_cells(number: int, cells: dict, where: dict) -> ParsedRow:
    problems: list[RowProblem] = []
    for key, value in cells.items():
        if len(value) > MAX_CELL:
            problems.append(RowProblem(where[key], str(_l("Too long: at most %(max)s characters.", max=MAX_CELL))))
    qtype = TYPE_WORDS.get(cells.get("type", "").casefold(), cells.get("type") or None)
    options = []
    for letter in OPTION_LETTERS:
        text = cells.get(f"option_{letter}", "")
        if text:
            options.append({"key": letter, "text": text, "text_en": cells.get(f"option_{letter}_en") or None})
    status = cells.get("status", "")
    data = {
        "type": qtype,
        "module": _int_or_raw(cells.get("module", "")),
        "level": LEVEL_WORDS.get(cells.get("level", "").casefold(), cells.get("level") or None),
        "difficulty": _int_or_raw(cells.get("difficulty", "")),
        "stem": cells.get("stem"),
        "stem_en": cells.get("stem_en") or None,
        "options": options,
        "answer": parse_key(qtype, cells.get("answer", "")),
        "explanation": cells.get("explanation"),
        "explanation_en": cells.get("explanation_en") or None,
        "tags": [t.strip() for t in re.split(r"[,，;；、]", cells.get("tags", "")) if t.strip()],
        "source": cells.get("source", ""),
        "image": None,
        # None when the file has no such column: an old template leaves the work content as it is
        "work": _work_cell(cells["work"]) if "work" in cells else None,
        "pool": POOL_WORDS.get(cells["pool"].casefold(), cells["pool"]) if cells.get("pool") else None,
    }
    status_value = STATUS_WORDS.get(status.casefold(), status) if status else "draft"
    if status_value not in STATUS_WORDS.values():
        problems.append(RowProblem(where.get("status", ""), problem_message(
            rules.Problem("status", "bad_status", {"value": status}))))
    if not problems:
        for problem in rules.validate(data):
            problems.append(RowProblem(_column_of(problem.field, where), problem_message(problem)))
    return ParsedRow(number, data, code=cells.get("code") or None, status=status_value, problems=problems)


def _work_cell(raw: str) -> str:
    """A work content typed as its code ("s-2.1"), or as the code with its name after it."""
    return raw.split()[0].upper() if raw.strip() else ""


def _column_of(field_key: str, where: dict) -> str:
    if field_key == "options":
        return where.get("option_A", field_name("options"))
    return where.get(field_key, field_name(field_key))


# --- JSON --------------------------------------------------------------------------------------


def json_bytes(questions) -> bytes:
    items = []
    for question in questions:
        item = {"code": question.code, **question.current_version.content(),
                "status": question.status.value, "work": question.work, "pool": question.pool.value}
        if item.get("image") is None:
            del item["image"]
        items.append(item)
    document = {"format": FORMAT, "version": FORMAT_VERSION,
                "exported_at": clock.now().isoformat(timespec="seconds"), "questions": items}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def read_json(data: bytes) -> ParsedFile:
    parsed = ParsedFile()
    if not data:
        parsed.errors.append(str(_l("The file is empty.")))
        return parsed
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):  # RecursionError: [[[[… nested deep
        parsed.errors.append(str(_l("This is not a JSON file of the question bank.")))
        return parsed
    items = document.get("questions") if isinstance(document, dict) else document
    if not isinstance(items, list):
        parsed.errors.append(str(_l("This is not a JSON file of the question bank.")))
        return parsed
    if not items:
        parsed.errors.append(str(_l("The file has no questions.")))
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            parsed.rows.append(ParsedRow(number, None, problems=[RowProblem("", str(_l("Not a question.")))]))
            continue
        data_ = {f: item.get(f) for f in ("type", "module", "level", "difficulty", "stem", "stem_en",
                                          "options", "answer", "explanation", "explanation_en",
                                          "tags", "source", "image")}
        data_["tags"] = data_["tags"] or []
        data_["options"] = data_["options"] or []
        data_["source"] = data_["source"] or ""
        data_["work"] = item.get("work")  # None when absent: the question's work content stays
        data_["pool"] = item.get("pool")  # likewise its pool
        status = item.get("status") or "draft"
        problems = [RowProblem(field_name(p.field), problem_message(p))
                    for p in rules.validate({**data_, "status": status})]
        parsed.rows.append(ParsedRow(number, data_, code=item.get("code"), status=status,
                                     problems=problems))
    return parsed


# --- Moodle XML --------------------------------------------------------------------------------

MODULE_NAMES_ZH = {1: "网络架构搭建", 2: "工业互联网平台集成", 3: "数据处理、运维与分析",
                   4: "自动化控制", 5: "系统安全与职业道德"}


def _html(text: str) -> str:
    from markupsafe import escape

    return "<p>" + str(escape(text)).replace("\n", "<br>") + "</p>"


def moodle_xml_bytes(questions) -> bytes:
    """Moodle XML (quiz format): a category per knowledge module and level; each question in the
    Moodle type its kind names (multichoice, truefalse, shortanswer, cloze, numerical)."""
    quiz = ET.Element("quiz")
    by_category: dict[str, list] = {}
    for question in questions:
        v = question.current_version
        category = f"$course$/IIOM/{v.module} {MODULE_NAMES_ZH[v.module]}/{LEVEL_LABEL_ZH[v.level.value]}"
        by_category.setdefault(category, []).append(question)
    for category, items in sorted(by_category.items()):
        cat = ET.SubElement(quiz, "question", {"type": "category"})
        moodle_text(cat, "category", category)
        for question in items:
            quiz.append(_moodle_question(question))
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8")


def _moodle_question(question) -> ET.Element:
    v = question.current_version
    kind = v.kind
    q = ET.Element("question", {"type": kind.moodle_type(v.answer)})
    moodle_text(q, "name", question.code)
    moodle_text(q, "questiontext", kind.moodle_questiontext(_html(v.stem), v.answer), html=True)
    moodle_text(q, "generalfeedback", _html(v.explanation), html=True)
    ET.SubElement(q, "defaultgrade").text = "1"
    ET.SubElement(q, "penalty").text = "0"
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = question.code
    kind.moodle_answers(q, v.options, v.answer, _html)
    if v.tags:
        tags = ET.SubElement(q, "tags")
        for tag in v.tags:
            moodle_text(tags, "tag", tag)
    return q
