"""Switching from the original NURA: its widget's wire shapes (:mod:`.wire`) and the import of its
database and knowledge files (:mod:`.importer`, ``nura import-original``). See docs/MIGRATING.md."""
