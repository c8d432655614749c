from flask import Blueprint

# Routes arrive with the issue that builds this package; the blueprint is registered already.
bp = Blueprint("question_bank", __name__, url_prefix="/question-bank")
