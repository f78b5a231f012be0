"""vectors in the database and the change feed

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_log")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_at"), ["at"], unique=False)
    op.create_table(
        "profile_vectors",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=255), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved", sa.JSON(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "entity_id", name=op.f("pk_profile_vectors")),
    )
    op.create_table(
        "profile_texts",
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "entity_id", "digest", name=op.f("pk_profile_texts")),
    )
    with op.batch_alter_table("profile_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_texts_digest"), ["digest"], unique=False)
    op.create_table(
        "text_vectors",
        sa.Column("model_version", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("model_version", "digest", name=op.f("pk_text_vectors")),
    )


def downgrade() -> None:
    op.drop_table("text_vectors")
    with op.batch_alter_table("profile_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_texts_digest"))
    op.drop_table("profile_texts")
    op.drop_table("profile_vectors")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_at"))
    op.drop_table("change_log")
