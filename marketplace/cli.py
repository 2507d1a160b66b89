"""Flask commands: demo and scale data, the worker, the outbox."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    from marketplace.referrals.commands import reminders
    from marketplace.seeding.commands import seed_demo, seed_scale, seed_taxonomy
    from marketplace.worker import outbox, worker
    from onboarding.oruk.commands import export_oruk, import_oruk
    from search.commands import search_commands

    for command in (
        seed_demo,
        seed_scale,
        seed_taxonomy,
        worker,
        outbox,
        reminders,
        import_oruk,
        export_oruk,
        search_commands,
    ):
        app.cli.add_command(command)
    _register_token_command(app)
    from onboarding.cli import register as register_onboarding_commands

    register_onboarding_commands(app)

    @app.cli.command("create-admin")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create a platform administrator."""
        from marketplace.accounts.models import Role, User
        from marketplace.accounts.passwords import hash_password
        from marketplace.extensions import db
        from marketplace.jobs import commit

        db.session.add(
            User(
                email=email,
                name=name,
                role=Role.PLATFORM_ADMIN,
                password_hash=hash_password(password),
            )
        )
        commit()
        click.echo(f"Created platform administrator {email}")


def _register_token_command(app: Flask) -> None:
    @app.cli.command("api-token")
    @click.option("--email", required=True, help="The user the token acts as.")
    @click.option("--name", default="case management system", show_default=True)
    def api_token(email: str, name: str) -> None:
        """Issue an API bearer token for a user (printed once)."""
        from marketplace.accounts.services import find_user_by_email
        from marketplace.accounts.tokens import issue_token
        from marketplace.jobs import commit

        user = find_user_by_email(email)
        if user is None:
            raise click.ClickException(f"No user with email {email}")
        token = issue_token(user, name)
        commit()
        click.echo(token)
