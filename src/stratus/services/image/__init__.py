"""Business logic of the image API (Glance v2 subset): images, members, data, quotas."""
