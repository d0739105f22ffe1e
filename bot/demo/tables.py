"""The demo report as titled tables: written as Markdown to ``report.md`` and
drawn as rich tables on the terminal, from the same rows, so the two never
disagree and no Python dict is ever printed to a reader."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table


@dataclass(frozen=True)
class Section:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    note: str = ""
    right: frozenset[int] = frozenset()  # columns holding figures, aligned right on the terminal


@dataclass(frozen=True)
class Report:
    title: str
    sections: list[Section]

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for s in self.sections:
            lines += [f"## {s.title}", ""]
            if s.note:
                lines += [s.note, ""]
            lines += ["| " + " | ".join(s.columns) + " |",
                      "|" + "".join("---:|" if i in s.right else "---|" for i in range(len(s.columns)))]
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in s.rows]
            lines.append("")
        return "\n".join(lines)

    def tables(self) -> list[Table]:
        out = []
        for s in self.sections:
            table = Table(title=s.title, caption=s.note or None, title_justify="left", highlight=False)
            for i, column in enumerate(s.columns):
                table.add_column(column, justify="right" if i in s.right else "left")
            for row in s.rows:
                table.add_row(*row)
            out.append(table)
        return out


def figure(value: int) -> str:
    return f"{value:,}"
