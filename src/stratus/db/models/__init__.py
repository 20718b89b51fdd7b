"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from stratus.db.models import compute, identity, images, network
from stratus.db.models.base import Base

__all__ = ["Base", "compute", "identity", "images", "network"]
