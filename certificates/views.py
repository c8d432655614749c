from flask import Blueprint

# Routes arrive with the issue that builds this package; the blueprint is registered already.
bp = Blueprint("certificates", __name__, url_prefix="/certificates")
