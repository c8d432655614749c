"""`flask accounts ...`: administrators and passwords from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from accounts import services
from accounts.forms import password_policy_error
from accounts.models import Role
from core.errors import DomainError
from core.extensions import db

cli = AppGroup("accounts", help="User accounts.")


@cli.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--full-name", default="Administrator", show_default=True)
@click.option("--email", default="")
@click.password_option()
def create_admin(username: str, full_name: str, email: str, password: str) -> None:
    """Create an administrator account."""
    error = password_policy_error(password, username, role=Role.ADMIN, full_name=full_name, email=email)
    if error:
        raise click.ClickException(error)
    try:
        user = services.create_user(
            db.session, username=username, full_name=full_name, email=email,
            role=Role.ADMIN, password=password,
        )
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"administrator {user.username} created")


@cli.command("reset-password")
@click.argument("username")
@click.password_option()
def reset_password(username: str, password: str) -> None:
    """Set a user's password; they must change it at next sign-in."""
    user = services.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    error = password_policy_error(password, user.username, role=user.role, full_name=user.full_name, email=user.email)
    if error:
        raise click.ClickException(error)
    services.set_password(db.session, user=user, password=password, by_admin=True)
    db.session.commit()
    click.echo(f"password of {user.username} reset")
