"""VUM: consent to exchange a profile, vacancies marked for exchange (with the workplace postcode) or imported
from VUM, and the selections answered as a source

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vum_consent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("vum_contact", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("vum_consent_recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("vum_consent_recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_candidates_vum_consent_recorded_by_id_users",
            "users",
            ["vum_consent_recorded_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vum_exchange", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("workplace_postcode", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("vum_source", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("vum_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("workplace_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("workplace_lon", sa.Float(), nullable=True))
    op.create_table(
        "vum_selections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("from_party", sa.String(length=32), nullable=False),
        sa.Column("via_party", sa.String(length=32), nullable=False),
        sa.Column("certificate_party", sa.String(length=32), nullable=False),
        sa.Column("details_used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vum_selections")),
    )
    op.create_index(op.f("ix_vum_selections_at"), "vum_selections", ["at"], unique=False)
    op.create_index(op.f("ix_vum_selections_from_party"), "vum_selections", ["from_party"], unique=False)
    op.create_table(
        "vum_selection_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("vum_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("vacancy_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_vum_selection_items_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["vum_selections.id"],
            name=op.f("fk_vum_selection_items_selection_id_vum_selections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vacancy_id"],
            ["vacancies.id"],
            name=op.f("fk_vum_selection_items_vacancy_id_vacancies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vum_selection_items")),
    )
    for column in ("selection_id", "vum_id", "candidate_id", "vacancy_id"):
        op.create_index(op.f(f"ix_vum_selection_items_{column}"), "vum_selection_items", [column], unique=False)


def downgrade() -> None:
    op.drop_table("vum_selection_items")
    op.drop_table("vum_selections")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        for column in ("workplace_lon", "workplace_lat", "vum_id", "vum_source", "workplace_postcode", "vum_exchange"):
            batch_op.drop_column(column)
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_constraint("fk_candidates_vum_consent_recorded_by_id_users", type_="foreignkey")
        for column in ("vum_consent_recorded_at", "vum_consent_recorded_by_id", "vum_contact", "vum_consent"):
            batch_op.drop_column(column)
