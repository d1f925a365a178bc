"""Where packaged resources live: the templates folder (narrative, HTML page, CSS, reference.docx).

Templates sit in the project's top-level ``templates/`` (an editable install, as ``make`` does,
finds them there). A study file may point ``document.templates`` at a sponsor's own folder; any
file missing there falls back to the project's.
"""

from __future__ import annotations

from pathlib import Path

from csrgen.config import StudyConfig
from csrgen.errors import ConfigError

PROJECT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def template_dirs(config: StudyConfig | None = None) -> list[Path]:
    """Template folders in lookup order: the study's own first, then the project's."""
    dirs = []
    if config is not None and config.document.templates:
        own = (config.base_dir / config.document.templates).resolve()
        if not own.is_dir():
            raise ConfigError(f"{config.path}: document.templates: folder not found: {own}")
        dirs.append(own)
    if not PROJECT_TEMPLATES.is_dir():
        raise ConfigError(
            f"templates folder not found at {PROJECT_TEMPLATES}; install csrgen from its source "
            "tree (pip install -e .) or set document.templates in the study file"
        )
    dirs.append(PROJECT_TEMPLATES)
    return dirs


def find_template(name: str, config: StudyConfig | None = None) -> Path | None:
    for folder in template_dirs(config):
        path = folder / name
        if path.exists():
            return path
    return None


def template_problems(config: StudyConfig) -> list[str]:
    """The study file's template settings that do not resolve: ``document.templates`` not a
    folder, a ``document.narrative`` name without its template (``narrative/<name>.md.j2``)."""
    try:
        dirs = template_dirs(config)
    except ConfigError as exc:
        return [str(exc)]
    out = []
    for i, name in enumerate(config.document.narrative):
        if not any((d / "narrative" / f"{name}.md.j2").is_file() for d in dirs):
            out.append(
                f"{config.path}: document.narrative[{i}]: no template narrative/{name}.md.j2 "
                f"in {', '.join(str(d) for d in dirs)}"
            )
    return out
