"""The conductor: owns multi-step workflows (build, resize, migrate) and is the only way compute
hosts reach the database."""
