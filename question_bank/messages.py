"""The user's-language message for each problem code of question_bank.rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from question_bank import qtypes, rules
from question_bank.models import Level

FIELD_NAMES = {
    "type": _l("Type"), "module": _l("Module"), "level": _l("Level"),
    "difficulty": _l("Difficulty"), "status": _l("Status"), "stem": _l("Stem"),
    "stem_en": _l("Stem (English)"), "explanation": _l("Explanation"),
    "explanation_en": _l("Explanation (English)"), "source": _l("Source"), "tags": _l("Tags"),
    "options": _l("Options"), "answer": _l("Answer"), "code": _l("Code"),
    "work": _l("Work content"), "pool": _l("Pool"),
}

MESSAGES = {
    "required": _l("This field is required."),
    "not_text": _l("Must be text."),
    "too_long": _l("Too long: at most %(max)s characters."),
    "bad_type": _l("Unknown question type “%(value)s”: use %(types)s."),
    "bad_module": _l("Unknown knowledge module “%(value)s”: use 1 to 5."),
    "bad_level": _l("Unknown level “%(value)s”: use junior, intermediate or senior (初级, 中级, 高级)."),
    "bad_difficulty": _l("Difficulty “%(value)s” is not a whole number from 1 to 5."),
    "bad_status": _l("Unknown status “%(value)s”: use draft, active or retired (草稿, 启用, 停用)."),
    "bad_tags": _l("Tags must be short words separated by commas."),
    "too_many_tags": _l("At most %(max)s tags of at most %(length)s characters each."),
    "options_not_allowed": _l("This question type has no options; leave the option columns empty."),
    "too_few_options": _l("This question type needs at least %(min)s options."),
    "too_many_options": _l("At most %(max)s options."),
    "option_key_order": _l("Options must be filled in order without gaps: option %(key)s is missing."),
    "duplicate_options": _l("Two options have the same text."),
    "answer_not_an_option": _l("The answer “%(answer)s” is not one of the options."),
    "answer_not_sorted": _l("List each correct option once, in alphabetical order (e.g. ACD)."),
    "multiple_needs_two": _l("A multiple-choice question needs at least two correct options."),
    "english_options_missing": _l("The question has an English stem, so every option needs an English text too."),
    "bad_pool": _l("Unknown pool “%(value)s”: use exam, practice or both (考试, 练习, 两者)."),
    "bad_work": _l("Unknown work content “%(value)s”: use a skill item of the level tables (e.g. J-1.1, I-2.3, "
                   "S-2.1) or a knowledge module (M1 to M5)."),
    "work_level": _l("The work content “%(value)s” is a %(level)s skill item: it does not fit the question's level."),
}


# Each question type's own problems (question_bank.qtypes), translated at lookup.
KIND_MESSAGES = {code: message for kind in qtypes.kinds() for code, message in kind.messages.items()}


def type_list() -> str:
    """The type codes with their Excel words: "single (单选), multiple (多选), ..."."""
    return ", ".join(f"{kind.code} ({kind.label_zh})" for kind in qtypes.kinds())


def problem_message(problem: rules.Problem) -> str:
    if problem.code in KIND_MESSAGES:
        message = _l(KIND_MESSAGES[problem.code])
    else:
        message = MESSAGES.get(problem.code, problem.code)
    if problem.code == "bad_type":
        return str(message) % {**problem.params, "types": type_list()}
    if not problem.params:
        return str(message)
    params = dict(problem.params)
    if problem.field == "work" and "level" in params:  # a level by its name, not its code
        params["level"] = Level(params["level"]).label
    return str(message) % params


def field_name(field: str) -> str:
    if field.startswith("option_"):
        key = field.removeprefix("option_")
        return str(_l("Option %(key)s", key=key.replace("_en", " (English)")))
    return str(FIELD_NAMES.get(field, field))
