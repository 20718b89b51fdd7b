"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from stratus.db.models import identity, images
from stratus.db.models.base import Base

__all__ = ["Base", "identity", "images"]
